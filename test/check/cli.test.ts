/*
 * `prisma-zd check` and `prisma-zd explain` as a user runs them: the built CLI as a
 * child process on a throw-away Prisma project, a real PostgreSQL for --database-url.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/db.js';
import { runZd } from '../support/cli.js';
import { EXAMPLE_SCHEMA } from '../../packages/core/src/check/examples.js';
import { INIT, makeProject, ZD_ENV, type Project } from './fixture.js';

const projects: Project[] = [];
function project(options?: Parameters<typeof makeProject>[0]): Project {
  const p = makeProject(options);
  projects.push(p);
  return p;
}
afterAll(() => projects.forEach((p) => p.remove()));

const INDEX = '-- CreateIndex\nCREATE INDEX "Post_title_idx" ON "Post"("title");\n';

describe('prisma-zd check', () => {
  it('reports what locks, with the code frame, and exits 1 on an error', async () => {
    const p = project();
    p.migration('20240102000000_post_title', INDEX);
    const r = await runZd(['check'], { cwd: p.dir, env: ZD_ENV });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatchInlineSnapshot(`
      "error[require-concurrent-index-creation]: CREATE INDEX "Post_title_idx" on existing table "Post" takes a SHARE lock: every INSERT, UPDATE and DELETE on "Post" waits until the whole index is built.
        --> prisma/migrations/20240102000000_post_title/migration.sql:2:1
          |
        2 | CREATE INDEX "Post_title_idx" ON "Post"("title");
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: SHARE on "Post" (blocks writes; reads continue)
        = help: Instead: run \`prisma-zd rewrite\`: it postpones "Post_title_idx", and \`prisma-zd deploy\` builds it with CREATE INDEX CONCURRENTLY after the migration (writes continue).
        = fix: \`prisma-zd rewrite\`
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/require-concurrent-index-creation.md

      ✖ 1 error, 0 warnings in 1 of 2 migrations.
        1 migration still needs \`prisma-zd rewrite\`.
      "
    `);
  });

  it('exits 0 when only warnings are found, 1 with --fail-on warning', async () => {
    const p = project();
    p.migration('20240102000000_drop_idx', '-- DropIndex\nDROP INDEX "Post_authorId_idx";\n');
    const r = await runZd(['check'], { cwd: p.dir, env: ZD_ENV });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('warning[require-concurrent-index-deletion]');
    expect((await runZd(['check', '--fail-on', 'warning'], { cwd: p.dir, env: ZD_ENV })).code).toBe(1);
  });

  it('says so when there is nothing to report', async () => {
    const p = project();
    const r = await runZd(['check'], { cwd: p.dir, env: ZD_ENV });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('✓ No findings in 1 migration.');
  });

  it('checks only the named migrations, against their whole history', async () => {
    const p = project();
    p.migration('20240102000000_post_title', INDEX);
    const named = p.migration('20240103000000_tag', 'CREATE TABLE "Tag" ("name" TEXT NOT NULL);\nCREATE INDEX "Tag_name_idx" ON "Tag"("name");\n');
    const r = await runZd(['check', named], { cwd: p.dir, env: ZD_ENV });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('✓ No findings in 1 migration.');
  });

  it('writes JSON and GitHub annotations', async () => {
    const p = project();
    p.migration('20240102000000_post_title', INDEX);
    const json = await runZd(['check', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    const doc = JSON.parse(json.stdout) as { summary: { errors: number; needRewrite: string[] }; findings: Array<Record<string, unknown>> };
    expect(doc.summary).toMatchObject({ errors: 1, needRewrite: ['20240102000000_post_title'] });
    expect(doc.findings[0]).toMatchObject({
      ruleId: 'require-concurrent-index-creation',
      severity: 'error',
      path: 'prisma/migrations/20240102000000_post_title/migration.sql',
      line: 2,
      column: 1,
      lock: 'SHARE',
      fixedBy: 'rewrite',
      table: { schema: 'public', name: 'Post' },
    });
    const gh = await runZd(['check', '--format', 'github'], { cwd: p.dir, env: ZD_ENV });
    expect(gh.stdout).toMatch(/^::error file=prisma\/migrations\/20240102000000_post_title\/migration.sql,line=2,col=1,endLine=2,endColumn=49,title=prisma-zd require-concurrent-index-creation::CREATE INDEX "Post_title_idx"/);
    expect(gh.stderr).toContain('1 error');
  });

  it('--format github names files from the repository root, so annotations attach when the job runs in a sub-directory', async () => {
    const p = project();
    const api = join(p.dir, 'apps/api');
    mkdirSync(api, { recursive: true });
    renameSync(join(p.dir, 'prisma'), join(api, 'prisma'));
    mkdirSync(join(api, 'prisma/migrations/20240102000000_post_title'));
    writeFileSync(join(api, 'prisma/migrations/20240102000000_post_title/migration.sql'), INDEX);
    expect(p.git('init', '-q').status).toBe(0);
    const file = 'apps/api/prisma/migrations/20240102000000_post_title/migration.sql';
    const fromGit = await runZd(['check', '--format', 'github'], { cwd: api, env: { ...ZD_ENV, GITHUB_WORKSPACE: undefined } });
    expect(fromGit.stdout).toMatch(new RegExp(`^::error file=${file.replace(/[/.]/g, '\\$&')},line=2,col=1,`));
    // In a GitHub job: from the workspace.
    const inJob = await runZd(['check', '--format', 'github'], { cwd: api, env: { ...ZD_ENV, GITHUB_WORKSPACE: p.dir } });
    expect(inJob.stdout.split('\n')[0]).toBe(fromGit.stdout.split('\n')[0]);
    // JSON and pretty keep paths from the working directory.
    const json = JSON.parse((await runZd(['check', '--format', 'json'], { cwd: api, env: ZD_ENV })).stdout) as { findings: Array<{ path: string }> };
    expect(json.findings[0]!.path).toBe('prisma/migrations/20240102000000_post_title/migration.sql');
  });

  it('honours suppression comments, squawk-ignore included, and reports unused ones', async () => {
    const p = project();
    p.migration('20240102000000_post_title', `-- prisma-zd-ignore require-concurrent-index-creation: Post has 12 rows\n${INDEX}`);
    p.migration('20240103000000_drop', '-- squawk-ignore ban-drop-column\nALTER TABLE "Post" DROP COLUMN "content";\n-- prisma-zd-ignore ban-drop-table: left over\nALTER TABLE "Post" ADD COLUMN "summary" TEXT;\n');
    const r = await runZd(['check', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    const doc = JSON.parse(r.stdout) as { summary: { suppressed: number }; findings: Array<{ ruleId: string; line: number }> };
    expect(doc.findings.map((f) => `${f.ruleId}:${f.line}`)).toEqual(['unused-suppression:3']);
    expect(doc.summary.suppressed).toBe(2);
  });
});

describe('prisma-zd.config.ts', () => {
  it('sets severities and excludes paths', async () => {
    const p = project();
    p.migration('20240102000000_post_title', INDEX);
    p.migration('20240103000000_drop', 'ALTER TABLE "Post" DROP COLUMN "content";\n');
    p.file(
      'prisma-zd.config.ts',
      `import { defineConfig } from 'prisma-zd';\nconst severity: 'warning' = 'warning';\nexport default defineConfig({\n  check: {\n    rules: { 'require-concurrent-index-creation': severity },\n    exclude: ['prisma/migrations/*_drop'],\n    postgresVersion: 16,\n  },\n});\n`,
    );
    const r = await runZd(['check', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { summary: { migrations: number }; findings: Array<{ ruleId: string; severity: string }> };
    expect(doc.findings.map((f) => [f.ruleId, f.severity])).toEqual([['require-concurrent-index-creation', 'warning']]);
    expect(doc.summary.migrations).toBe(2);
  });

  it('rejects unknown keys and bad values, all at once, naming the file and the keys', async () => {
    const p = project();
    p.file('prisma-zd.config.ts', `export default {\n  chek: {},\n  check: { rules: { 'no-such-rule': 'error', 'ban-drop-table': 'fatal' }, postgresVersion: '16' },\n};\n`);
    const r = await runZd(['check'], { cwd: p.dir, env: ZD_ENV });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ZD_CONFIG_INVALID');
    expect(r.stderr).toContain('prisma-zd.config.ts is not valid');
    expect(r.stderr).toContain('unknown key "chek"');
    expect(r.stderr).toContain('unknown rule "check.rules.no-such-rule"');
    expect(r.stderr).toContain(`"check.rules.ban-drop-table" must be 'error', 'warning' or 'off', not "fatal"`);
    expect(r.stderr).toContain('"check.postgresVersion" must be a PostgreSQL major version');
  });
});

describe('prisma-zd explain', () => {
  it("prints a rule's page", async () => {
    const r = await runZd(['explain', 'ban-drop-column']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# ban-drop-column');
    expect(r.stdout).toContain('## Instead of');
    expect(r.stderr).toContain('docs/rules/ban-drop-column.md');
  });

  it('explains error[syntax], error[parser] and error[folder], which check prints like rules', async () => {
    const r = await runZd(['explain', 'syntax']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# syntax (not a rule)');
    expect(r.stdout).toContain('prisma migrate deploy');
    const p = await runZd(['explain', 'parser']);
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('# parser (not a rule)');
    expect(p.stdout).toContain('1 GB of memory');
    const f = await runZd(['explain', 'folder']);
    expect(f.code).toBe(0);
    expect(f.stdout).toContain('# folder (not a rule)');
    expect(f.stdout).toContain('P3015');
  });

  it('lists the rules, and rejects an unknown one', async () => {
    const list = await runZd(['explain', '--list']);
    expect(list.stdout).toMatch(/^adding-exclusion-constraint\s+error\s+/);
    const r = await runZd(['explain', 'drop-column']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ZD_UNKNOWN_RULE');
    expect(r.stderr).toContain('Did you mean ban-drop-column');
  });
});

describe('prisma-zd check --database-url', () => {
  // With ?schema=, Prisma keeps the tables and _prisma_migrations in that schema: sizes and checksums are read there.
  it.each([undefined, 'tenant'])('shows table sizes, lowers the severity for a small table, and catches an applied migration edited since (?schema=%s)', async (schema) => {
    const db = await freshDatabase({ prefix: 'zd_check' });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      if (schema) await client.query(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}`);
      // A table of the same name elsewhere, with many rows: not the one the migrations change.
      if (schema) await client.query(`CREATE TABLE public."User" AS SELECT g AS id FROM generate_series(1, 50000) g; ANALYZE public."User"`);
      await client.query(EXAMPLE_SCHEMA);
      await client.query(`INSERT INTO "User" ("email") VALUES ('a@example.com')`);
      await client.query('ANALYZE');
      await client.query(`CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ, migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)`);
      const applied = `${EXAMPLE_SCHEMA}-- a comment added after it was applied\n`;
      await client.query(`INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ('1', $1, now(), $2, 1)`, [createHash('sha256').update(EXAMPLE_SCHEMA).digest('hex'), INIT]);
      const p = project();
      p.migration(INIT, applied);
      p.migration('20240102000000_post_title', INDEX);
      const url = schema ? `${db.url}${db.url.includes('?') ? '&' : '?'}schema=${schema}` : db.url;
      const r = await runZd(['check', '--database-url', url], { cwd: p.dir, env: ZD_ENV });
      expect(r.stdout).toContain('warning[require-concurrent-index-creation]');
      expect(r.stdout).toMatch(/= table: ~0 rows, \d+(\.\d)? kB \(small table: severity lowered\)/);
      expect(r.stdout).toContain(`error[modified-migration]: ${INIT} was edited after it was applied to the database`);
    } finally {
      await client.end();
      await db.drop();
    }
  });
});
