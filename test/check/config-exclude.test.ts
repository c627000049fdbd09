/*
 * `check.exclude` of prisma-zd.config.ts as users write it: `prisma/migrations/…`,
 * `./prisma/migrations/…` and an absolute path inside the project all exclude the same
 * migrations (they are still replayed).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { makeProject, ZD_ENV, type Project } from './fixture.js';

const projects: Project[] = [];
afterAll(() => projects.forEach((p) => p.remove()));

/** The rule ids `check --format json` reports with `exclude` as the config's `check.exclude`. */
async function reported(exclude: (dir: string) => string[]): Promise<{ code: number | null; migrations: number; findings: string[] }> {
  const p = makeProject();
  projects.push(p);
  p.migration('20240102000000_post_title', '-- CreateIndex\nCREATE INDEX "Post_title_idx" ON "Post"("title");\n');
  p.migration('20240103000000_drop', 'ALTER TABLE "Post" DROP COLUMN "content";\n');
  p.file('prisma-zd.config.ts', `import { defineConfig } from 'prisma-zd';\nexport default defineConfig({ check: { exclude: ${JSON.stringify(exclude(p.dir))} } });\n`);
  const r = await runZd(['check', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
  const doc = JSON.parse(r.stdout) as { summary: { migrations: number }; findings: Array<{ ruleId: string; migration: string }> };
  return { code: r.code, migrations: doc.summary.migrations, findings: doc.findings.map((f) => `${f.migration} ${f.ruleId}`) };
}

describe('check.exclude', () => {
  const INDEX_ONLY = ['20240102000000_post_title require-concurrent-index-creation'];

  it('excludes with a glob relative to the config file', async () => {
    const r = await reported(() => ['prisma/migrations/*_drop']);
    expect(r.findings).toEqual(INDEX_ONLY);
    expect(r.migrations).toBe(2);
  });

  it('excludes the same with a leading ./', async () => {
    const r = await reported(() => ['./prisma/migrations/*_drop']);
    expect(r.findings).toEqual(INDEX_ONLY);
    expect(r.migrations).toBe(2);
  });

  it('excludes the same with an absolute path inside the project', async () => {
    const r = await reported((dir) => [`${dir}/prisma/migrations/*_drop`]);
    expect(r.findings).toEqual(INDEX_ONLY);
    expect(r.migrations).toBe(2);
  });

  it('excludes a whole folder named ./ like that', async () => {
    const r = await reported(() => ['./prisma/migrations']);
    expect(r.code).toBe(0);
    expect(r.findings).toEqual([]);
  });
});
