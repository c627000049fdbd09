/*
 * A committed migration deleted: what Prisma does with it, measured with the real prisma
 * CLI, and `check` reporting it wherever git shows the deletion — `--staged`, `--since
 * <ref>` (from where the branch forked: what `ref` gained since is not a deletion) and a
 * whole-folder check — but not a rename, nor a directory left without its migration.sql.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { freshDatabase } from '../support/db.js';
import { copySampleProject, migrationNames, runPrisma } from '../support/prisma.js';
import { GIT_ENV, makeProject, ZD_ENV } from './fixture.js';

interface Finding {
  ruleId: string;
  severity: string;
  migration: string;
  path: string;
  line: number;
  message: string;
  help: string;
}

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const deletedOf = (stdout: string) => (JSON.parse(stdout) as { findings: Finding[] }).findings.filter((f) => f.ruleId === 'deleted-migration');
const SUMMARY = '-- AlterTable\nALTER TABLE "Post" ADD COLUMN "summary" TEXT;\n';

describe('a committed migration deleted', () => {
  it('check warns of it for --staged, --since and the whole folder, naming what replaces it', async () => {
    const p = makeProject({ git: true });
    cleanups.push(() => p.remove());
    p.migration('20240102000000_add_summary', SUMMARY);
    p.migration('20240103000000_add_views', 'ALTER TABLE "User" ADD COLUMN "visits" INTEGER;\n');
    p.git('add', '-A');
    p.git('commit', '-qm', 'two migrations');
    rmSync(join(p.dir, 'prisma/migrations/20240102000000_add_summary'), { recursive: true });

    // The working tree: --since HEAD and the whole folder. A warning: the exit is 0.
    for (const args of [['--since', 'HEAD'], []]) {
      const r = await runZd(['check', ...args, '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
      expect(r.code, args.join(' ') + r.stderr).toBe(0);
      expect(deletedOf(r.stdout).map((f) => [f.migration, f.severity, f.path, f.line]), args.join(' ')).toEqual([
        ['20240102000000_add_summary', 'warning', 'prisma/migrations/20240102000000_add_summary/migration.sql', 2],
      ]);
    }

    // Staged (the pre-commit hook): the code frame shows the deleted text; --fail-on warning makes it fail.
    p.git('add', '-A');
    const staged = await runZd(['check', '--staged'], { cwd: p.dir, env: ZD_ENV });
    expect(staged.code, staged.stdout + staged.stderr).toBe(0);
    expect(staged.stdout).toContain('warning[deleted-migration]: 20240102000000_add_summary is committed and this change deletes it.');
    expect(staged.stdout).toContain('2 | ALTER TABLE "Post" ADD COLUMN "summary" TEXT;');
    expect(staged.stdout).toContain('= help: Instead: keep it (`git checkout HEAD -- prisma/migrations/20240102000000_add_summary`)');
    expect((await runZd(['check', '--staged', '--fail-on', 'warning'], { cwd: p.dir, env: ZD_ENV })).code).toBe(1);

    // The restore command given works, and then nothing is reported.
    expect(p.git('checkout', 'HEAD', '--', 'prisma/migrations/20240102000000_add_summary').status).toBe(0);
    const restored = await runZd(['check', '--staged'], { cwd: p.dir, env: ZD_ENV });
    expect(restored.code).toBe(0);
    expect(restored.stdout + restored.stderr).toContain('No staged migrations: nothing to check.');

    // Squashed into a new migration: the help names it and the `migrate resolve --applied` it needs.
    p.git('rm', '-rq', 'prisma/migrations/20240102000000_add_summary', 'prisma/migrations/20240103000000_add_views');
    p.migration('20240104000000_squashed', `${SUMMARY}ALTER TABLE "User" ADD COLUMN "visits" INTEGER;\n`);
    p.git('add', '-A');
    const squashed = deletedOf((await runZd(['check', '--staged', '--format', 'json'], { cwd: p.dir, env: ZD_ENV })).stdout);
    expect(squashed.map((f) => f.migration)).toEqual(['20240102000000_add_summary', '20240103000000_add_views']);
    for (const f of squashed) expect(f.help).toContain('`prisma migrate resolve --applied 20240104000000_squashed`');

    // Configured as an error, it fails the commit; turned off, it is not reported.
    p.file('prisma-zd.config.ts', "export default { check: { rules: { 'deleted-migration': 'error' } } };\n");
    expect((await runZd(['check', '--staged'], { cwd: p.dir, env: ZD_ENV })).code).toBe(1);
    p.file('prisma-zd.config.ts', "export default { check: { rules: { 'deleted-migration': 'off' } } };\n");
    expect(deletedOf((await runZd(['check', '--staged', '--format', 'json'], { cwd: p.dir, env: ZD_ENV })).stdout)).toEqual([]);
  });

  it('is not reported for a rename, a directory left without migration.sql, or a migration the base gained after the branch forked; --since restores from the ref', async () => {
    const p = makeProject({ git: true });
    cleanups.push(() => p.remove());
    p.migration('20240102000000_add_summary', SUMMARY);
    p.git('add', '-A');
    p.git('commit', '-qm', 'summary');

    // A rename (same text) is renamed-migration's.
    p.git('mv', 'prisma/migrations/20240102000000_add_summary', 'prisma/migrations/20240105000000_add_summary');
    const moved = JSON.parse((await runZd(['check', '--staged', '--format', 'json'], { cwd: p.dir, env: ZD_ENV })).stdout) as { findings: Finding[] };
    expect(moved.findings.map((f) => f.ruleId)).toEqual(['renamed-migration']);
    p.git('reset', '-q', '--hard');

    // Only migration.sql deleted, a file left in the directory: Prisma fails on the directory (P3015), said as such.
    writeFileSync(join(p.dir, 'prisma/migrations/20240102000000_add_summary/notes.md'), 'why\n');
    p.git('add', '-A');
    p.git('commit', '-qm', 'notes');
    p.git('rm', '-q', 'prisma/migrations/20240102000000_add_summary/migration.sql');
    const left = await runZd(['check', '--staged', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    expect(left.code).toBe(1);
    expect(deletedOf(left.stdout)).toEqual([]);
    expect((JSON.parse(left.stdout) as { parseErrors: Array<{ kind: string }> }).parseErrors.map((e) => e.kind)).toEqual(['folder']);
    p.git('reset', '-q', '--hard');

    // A branch forked before main gained a migration, then deleted one of its own: --since main reports only its own deletion.
    p.git('checkout', '-q', '-b', 'feature');
    p.git('checkout', '-q', 'main');
    p.migration('20240110000000_main_only', 'ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n');
    p.git('add', '-A');
    p.git('commit', '-qm', 'main gains a migration');
    p.git('checkout', '-q', 'feature');
    p.git('rm', '-rq', 'prisma/migrations/20240102000000_add_summary');
    p.git('commit', '-qm', 'feature deletes one');
    const since = await runZd(['check', '--since', 'main', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    expect(since.code, since.stderr).toBe(0);
    const found = deletedOf(since.stdout);
    expect(found.map((f) => f.migration)).toEqual(['20240102000000_add_summary']);
    expect(found[0]!.help).toContain('`git checkout main -- prisma/migrations/20240102000000_add_summary`');

    // The branch then edits a committed migration: modified-migration's restore command names the ref too.
    p.file('prisma/migrations/20240101000000_init/migration.sql', 'ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n');
    const edited = JSON.parse((await runZd(['check', '--since', 'main', '--format', 'json'], { cwd: p.dir, env: ZD_ENV })).stdout) as { findings: Finding[] };
    const modified = edited.findings.filter((f) => f.ruleId === 'modified-migration');
    expect(modified.map((f) => f.migration)).toEqual(['20240101000000_init']);
    expect(modified[0]!.help).toContain('`git checkout main -- prisma/migrations/20240101000000_init/migration.sql`');
  });

  it('Prisma: migrate deploy and migrate status say nothing of an applied migration deleted; check with the database says it applied it', async () => {
    const copy = await copySampleProject();
    cleanups.push(() => copy.cleanup());
    const db = await freshDatabase({ prefix: 'zd_deleted' });
    cleanups.push(() => db.drop());
    expect((await runPrisma(['migrate', 'deploy'], { url: db.url, cwd: copy.dir })).code).toBe(0);
    const git = (...args: string[]) => spawnSync('git', args, { cwd: copy.dir, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });
    writeFileSync(join(copy.dir, '.gitignore'), 'node_modules\n');
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'history');
    const gone = migrationNames(copy.migrationsDir).find((n) => n.endsWith('_user_username'))!;
    expect(git('rm', '-rq', join('migrations', gone)).status).toBe(0);

    const deploy = await runPrisma(['migrate', 'deploy'], { url: db.url, cwd: copy.dir });
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    expect(deploy.stdout + deploy.stderr).not.toContain(gone);
    const status = await runPrisma(['migrate', 'status'], { url: db.url, cwd: copy.dir });
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout + status.stderr).not.toContain(gone);
    expect(status.stdout).toContain('Database schema is up to date!');

    const check = await runZd(['check', '--staged', '--database-url', db.url, '--format', 'json'], { cwd: copy.dir, env: ZD_ENV });
    expect(check.code, check.stderr).toBe(0);
    expect(deletedOf(check.stdout).map((f) => [f.migration, f.message.endsWith('The database given applied it.')])).toEqual([[gone, true]]);
  });
});
