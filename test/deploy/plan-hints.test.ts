/*
 * The deploy plan's advice on a statement that builds or scans under a lock on a table
 * that exists: `prisma-zd rewrite` only where rewrite postpones that work; elsewhere the
 * way out check gives for it (an index on a partitioned table, an unnamed CHECK), with the
 * rule to explain. Each piece of advice is then acted on: rewrite does postpone the
 * index and the SET NOT NULL it is offered for, and leaves the other statements as they are.
 * And the statements that break old app versions still running, as `check` reports them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addMigration } from '../support/prisma.js';
import { runZd } from '../support/cli.js';
import { freshDatabase } from '../support/db.js';
import { deployProject, Resources, zdDeploy } from './support.js';

const res = new Resources();
afterAll(() => res.cleanup());

interface PlanStatement {
  line: number;
  text: string;
  hint?: string;
  zd?: string;
  postponed?: string;
  breaks?: Array<{ rule: string; message: string }>;
}

/** The planned statements of migration `name` in a `deploy --json` run. */
function planned(run: Awaited<ReturnType<typeof zdDeploy>>, name: string): PlanStatement[] {
  return (run.json!['plan'].migrations as Array<{ name: string; statements: PlanStatement[] }>).find((m) => m.name === name)!.statements;
}

describe('deploy plan hints', () => {
  it('offer rewrite only for what it postpones; otherwise the rule\'s way out', async () => {
    const p = await deployProject(res, () => freshDatabase({ prefix: 'zd_plan_hints' }), {
      name: 'events',
      sql: 'CREATE TABLE "Event" ("id" BIGINT NOT NULL, "at" TIMESTAMP(3) NOT NULL, "kind" TEXT) PARTITION BY RANGE ("at");\nCREATE TABLE "Event_2026" PARTITION OF "Event" FOR VALUES FROM (\'2026-01-01\') TO (\'2027-01-01\');\n',
    });
    const first = await zdDeploy(p);
    expect(first.code, first.stderr).toBe(0);

    const name = addMigration(
      p.project.migrationsDir,
      'heavy',
      [
        'CREATE INDEX "Event_kind_idx" ON "Event"("kind");',
        'ALTER TABLE "Event" ADD CHECK ("kind" <> \'\');',
        'CREATE INDEX "Post_title_idx" ON "Post"("title");',
        'ALTER TABLE "Comment" ALTER COLUMN "parentId" SET NOT NULL;',
        '',
      ].join('\n'),
    );
    const dry = await zdDeploy(p, ['--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const statements = planned(dry, name);
    const hint = (line: number) => statements.find((s) => s.line === line)?.hint ?? '';

    expect(hint(1)).toContain('builds an index while holding SHARE on "Event"');
    expect(hint(1)).toContain('"Event" is partitioned and PostgreSQL cannot build an index CONCURRENTLY on a partitioned table');
    expect(hint(1)).toContain('(`prisma-zd explain require-concurrent-index-creation`)');
    expect(hint(1)).not.toContain('prisma-zd rewrite');

    expect(hint(2)).toContain('scans the table while holding ACCESS EXCLUSIVE on "Event"');
    expect(hint(2)).toContain('name it and add it with NOT VALID');
    expect(hint(2)).toContain('(`prisma-zd explain constraint-missing-not-valid`)');
    expect(hint(2)).not.toContain('run `prisma-zd rewrite` on this migration');

    expect(hint(3)).toBe('builds an index while holding SHARE on "Post" (blocks writes; reads continue): run `prisma-zd rewrite` on this migration so the work is postponed');
    expect(hint(4)).toBe('scans the table while holding ACCESS EXCLUSIVE on "Comment" (blocks every read and write): run `prisma-zd rewrite` on this migration so the work is postponed');
    // The pretty plan says the same.
    const pretty = await zdDeploy(p, ['--dry-run']);
    expect(pretty.stdout + pretty.stderr).toContain('hint: scans the table while holding ACCESS EXCLUSIVE on "Event"');

    // Taken at its word: rewrite postpones lines 3 and 4 and leaves lines 1 and 2 alone.
    const rewrite = await runZd(['rewrite'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
    expect(rewrite.code, rewrite.stderr).toBe(0);
    const text = readFileSync(join(p.project.migrationsDir, name, 'migration.sql'), 'utf8');
    expect(text).toContain('CREATE INDEX "Event_kind_idx" ON "Event"("kind");\nALTER TABLE "Event" ADD CHECK ("kind" <> \'\');\n');
    expect(text).toContain('-- prisma-zd:v1 postpone');
    const after = await zdDeploy(p, ['--dry-run', '--json']);
    const rewritten = planned(after, name);
    expect(rewritten.filter((s) => s.zd === 'postponed').map((s) => s.text)).toEqual([
      expect.stringContaining('"Post_title_idx"'),
      expect.stringContaining('ALTER TABLE "Comment" ALTER COLUMN "parentId" SET NOT NULL'),
    ]);
    expect(rewritten.filter((s) => s.zd === 'postponed').map((s) => s.postponed)).toEqual(['index', 'not-null']);
    expect(rewritten.filter((s) => s.hint).length).toBe(2);
  }, 180_000);

  it('say which statements break the old app versions still running, as check does, following check.rules and its suppressions', async () => {
    const p = await deployProject(res, () => freshDatabase({ prefix: 'zd_plan_breaks' }));
    const first = await zdDeploy(p);
    expect(first.code, first.stderr).toBe(0);
    const name = addMigration(
      p.project.migrationsDir,
      'contract_fields',
      [
        '-- DropIndex',
        'DROP INDEX "Tag_name_key";',
        '-- AlterTable',
        'ALTER TABLE "Product" DROP COLUMN "sku";',
        '-- prisma-zd-ignore dropping-unique-index: no app version upserts by username',
        'DROP INDEX "User_username_key";',
        '-- AlterTable',
        'ALTER TABLE "Post" ADD COLUMN "summary" TEXT;',
        '',
      ].join('\n'),
    );
    const dry = await zdDeploy(p, ['--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const statements = planned(dry, name);
    const breaks = (line: number) => (statements.find((s) => s.line === line)?.breaks ?? []).map((b) => [b.rule, b.message.split(':')[0]]);
    expect(breaks(2)).toEqual([['dropping-unique-index', 'DROP INDEX "Tag_name_key" removes the unique index of "Tag" on "name"']]);
    expect(breaks(4)).toEqual([['ban-drop-column', 'DROP COLUMN "Product"."sku"']]);
    // Suppressed in the file, and a change that breaks nothing: no line.
    expect(breaks(6)).toEqual([]);
    expect(breaks(8)).toEqual([]);
    const pretty = await zdDeploy(p, ['--dry-run']);
    expect(pretty.stdout + pretty.stderr).toContain('breaks old app versions: DROP INDEX "Tag_name_key" removes the unique index of "Tag" on "name"');
    expect(pretty.stdout + pretty.stderr).toContain('(`prisma-zd explain dropping-unique-index`)');

    // Turned off in prisma-zd.config.ts: the plan follows check.
    writeFileSync(join(p.project.dir, 'prisma-zd.config.ts'), "export default { check: { rules: { 'dropping-unique-index': 'off' } } };\n");
    const off = await zdDeploy(p, ['--dry-run', '--json']);
    expect(off.code, off.stderr).toBe(0);
    expect(planned(off, name).flatMap((s) => (s.breaks ?? []).map((b) => b.rule))).toEqual(['ban-drop-column']);
  }, 180_000);
});
