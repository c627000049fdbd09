/*
 * A committed migration moved to another directory: what Prisma does with it, measured with
 * the real prisma CLI, and `check` reporting it wherever git shows the rename — `--staged`
 * (the index against HEAD), `--since <ref>` and a whole-folder check (the working tree) —
 * with, given `--database-url`, whether that database applied the old name.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { freshDatabase } from '../support/db.js';
import { copySampleProject, migrationNames, runPrisma } from '../support/prisma.js';
import { GIT_ENV, makeProject, ZD_ENV } from './fixture.js';
import { zdDeploy } from '../deploy/support.js';
import { query } from '../prisma/helpers.js';

interface Finding {
  ruleId: string;
  migration: string;
  message: string;
}

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const renamed = (stdout: string) => (JSON.parse(stdout) as { findings: Finding[] }).findings.filter((f) => f.ruleId === 'renamed-migration');

describe('a committed migration renamed', () => {
  it('check reports it for --staged, --since and the whole folder; a rename with an edit is not one', async () => {
    const p = makeProject({ git: true });
    cleanups.push(() => p.remove());
    p.migration('20240102000000_add_summary', 'ALTER TABLE "Post" ADD COLUMN "summary" TEXT;\n');
    p.git('add', '-A');
    p.git('commit', '-qm', 'summary');
    const dir = join(p.dir, 'prisma/migrations');
    renameSync(join(dir, '20240102000000_add_summary'), join(dir, '20240105000000_add_summary'));

    // The working tree (untracked new directory): --since HEAD and the whole folder.
    for (const args of [['--since', 'HEAD'], []]) {
      const r = await runZd(['check', ...args, '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
      expect(r.code, args.join(' ')).toBe(1);
      expect(renamed(r.stdout).map((f) => [f.migration, f.message.split(' (')[0]]), args.join(' ')).toEqual([
        ['20240105000000_add_summary', '20240105000000_add_summary is 20240102000000_add_summary renamed'],
      ]);
    }

    // Staged: the pre-commit hook's view.
    p.git('add', '-A');
    const staged = await runZd(['check', '--staged'], { cwd: p.dir, env: ZD_ENV });
    expect(staged.code).toBe(1);
    expect(staged.stdout).toContain('error[renamed-migration]: 20240105000000_add_summary is 20240102000000_add_summary renamed');
    expect(staged.stdout).toContain('= help: Instead: keep its name (`git mv` the directory back to 20240102000000_add_summary)');

    // Renamed and edited: a deleted migration and a new one, not a rename.
    writeFileSync(join(dir, '20240105000000_add_summary/migration.sql'), 'ALTER TABLE "Post" ADD COLUMN "summary" TEXT NOT NULL DEFAULT \'\';\n');
    p.git('add', '-A');
    const edited = await runZd(['check', '--staged', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    expect(renamed(edited.stdout)).toEqual([]);

    // Moved back: nothing staged under the folder, nothing to report.
    renameSync(join(dir, '20240105000000_add_summary'), join(dir, '20240102000000_add_summary'));
    writeFileSync(join(dir, '20240102000000_add_summary/migration.sql'), 'ALTER TABLE "Post" ADD COLUMN "summary" TEXT;\n');
    p.git('add', '-A');
    const back = await runZd(['check', '--staged'], { cwd: p.dir, env: ZD_ENV });
    expect(back.code, back.stdout).toBe(0);
  });

  it('check, given the database, says that it applied the old name; prisma-zd deploy refuses it; plain prisma migrate deploy runs it again and fails', async () => {
    const copy = await copySampleProject();
    cleanups.push(() => copy.cleanup());
    const db = await freshDatabase({ prefix: 'zd_renamed' });
    cleanups.push(() => db.drop());
    const first = await runPrisma(['migrate', 'deploy'], { url: db.url, cwd: copy.dir });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const git = (...args: string[]) => spawnSync('git', args, { cwd: copy.dir, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });
    writeFileSync(join(copy.dir, '.gitignore'), 'node_modules\n');
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'history');
    // A migration that adds a column: run again, it fails (one that only swaps an enum would run again quietly).
    const last = migrationNames(copy.migrationsDir).find((n) => n.endsWith('_user_username'))!;
    const moved = `20991231000000_${last.slice(15)}`;
    expect(git('mv', join('migrations', last), join('migrations', moved)).status).toBe(0);

    const check = await runZd(['check', '--staged', '--database-url', db.url, '--format', 'json'], { cwd: copy.dir, env: ZD_ENV });
    expect(check.code).toBe(1);
    expect(renamed(check.stdout).map((f) => f.message)).toEqual([expect.stringMatching(new RegExp(`The database given applied it as ${last}\\.$`))]);

    // prisma-zd deploy refuses it before anything runs, naming both names and the ways out.
    const refused = await zdDeploy({ url: db.url, project: copy });
    expect(refused.code, refused.stdout + refused.stderr).toBe(1);
    expect(refused.stderr).toContain('Error ZD_MIGRATION_RENAMED: A migration this database applied was moved to another directory.');
    expect(refused.stderr).toContain(`${join(copy.migrationsDir, moved, 'migration.sql')}: the text this database applied as ${last}`);
    expect(refused.stderr).toContain(`git mv ${join(copy.migrationsDir, moved)} ${join(copy.migrationsDir, last)}`);
    expect(refused.stderr).toContain(`prisma migrate resolve --applied ${moved}`);
    expect(await query(db.url, `SELECT count(*)::int AS n FROM "_prisma_migrations" WHERE migration_name = $1`, [moved])).toEqual([{ n: 0 }]);

    // Why: plain Prisma takes it for a new migration and runs it again.
    const again = await runPrisma(['migrate', 'deploy'], { url: db.url, cwd: copy.dir });
    expect(again.code).not.toBe(0);
    expect(again.stdout + again.stderr).toContain(moved);
    expect(again.stdout + again.stderr).toMatch(/already exists/);
  });
});
