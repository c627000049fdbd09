/*
 * The pre-commit hook and CI's `--since` see the folder problems a change brings, not only
 * its migrations: a commit that leaves a directory of the migrations folder without
 * migration.sql (Prisma fails on it, P3015: folder-problems.test.ts measures it) or
 * changes migration_lock.toml to another database fails, as the whole-folder check does.
 * A problem the change does not touch is left to the whole-folder check (a commit of
 * something else is not blocked by it).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { makeProject, ZD_ENV } from './fixture.js';

interface Report {
  parseErrors: Array<{ migration: string; path: string; kind: string; message: string; help?: string }>;
  findings: Array<{ ruleId: string; migration: string }>;
}

const json = (stdout: string) => JSON.parse(stdout) as Report;

describe('check --staged and --since: the folder problems a change brings', () => {
  const projects: Array<ReturnType<typeof makeProject>> = [];
  afterAll(() => projects.forEach((p) => p.remove()));
  const project = () => {
    const p = makeProject({ git: true });
    projects.push(p);
    return p;
  };

  it('a staged directory without migration.sql: error[folder] with the directory and the fix; a staged migration beside it is still checked', async () => {
    const p = project();
    const dir = 'prisma/migrations/20240102000000_half';
    mkdirSync(join(p.dir, dir), { recursive: true });
    writeFileSync(join(p.dir, dir, 'README.md'), 'the SQL comes later\n');
    // Written on disk but not staged: the commit holds the directory without it.
    writeFileSync(join(p.dir, dir, 'migration.sql'), 'SELECT 1;\n');
    p.git('add', `${dir}/README.md`);

    const r = await runZd(['check', '--staged', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    expect(r.code, r.stderr).toBe(1);
    expect(json(r.stdout).parseErrors).toEqual([
      expect.objectContaining({
        migration: '20240102000000_half',
        path: dir,
        kind: 'folder',
        message: expect.stringContaining(`${dir} has no migration.sql: Prisma counts every directory of the migrations folder as a migration`),
        help: expect.stringContaining(`Delete the directory, or restore its migration.sql (\`git status ${dir}\``),
      }),
    ]);
    const pretty = await runZd(['check', '--staged'], { cwd: p.dir, env: ZD_ENV });
    expect(pretty.code).toBe(1);
    expect(pretty.stdout).toContain(`error[folder]: ${dir} has no migration.sql`);
    expect(pretty.stderr + pretty.stdout).not.toContain('No staged migrations');

    // Staging its migration.sql fixes it: the migration is checked instead.
    p.git('add', `${dir}/migration.sql`);
    const fixed = await runZd(['check', '--staged', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    expect(fixed.code, fixed.stdout).toBe(0);
    expect(json(fixed.stdout).parseErrors).toEqual([]);

    // An unsafe migration staged beside a broken directory: both are reported.
    p.git('commit', '-q', '-m', 'half');
    p.migration('20240103000000_drop', 'ALTER TABLE "Post" DROP COLUMN "content";\n');
    p.git('rm', '-q', '--cached', `${dir}/migration.sql`);
    p.git('add', 'prisma/migrations/20240103000000_drop');
    const both = await runZd(['check', '--staged', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    expect(both.code).toBe(1);
    const report = json(both.stdout);
    expect(report.parseErrors.map((e) => [e.migration, e.kind])).toEqual([['20240102000000_half', 'folder']]);
    expect(report.findings.map((f) => [f.ruleId, f.migration])).toContainEqual(['ban-drop-column', '20240103000000_drop']);
  });

  it('a staged deletion of the whole directory is no folder problem (a deleted migration: a warning); a problem the commit does not touch does not block it', async () => {
    const p = project();
    const dir = 'prisma/migrations/20240102000000_gone';
    mkdirSync(join(p.dir, dir), { recursive: true });
    writeFileSync(join(p.dir, dir, 'migration.sql'), 'SELECT 1;\n');
    writeFileSync(join(p.dir, dir, 'notes.txt'), 'x\n');
    p.git('add', '-A');
    p.git('commit', '-q', '-m', 'gone');
    rmSync(join(p.dir, dir), { recursive: true });
    p.git('add', '-A');
    const deleted = await runZd(['check', '--staged', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    expect(deleted.code, deleted.stdout).toBe(0);
    // Not a folder problem: a deleted migration, which deleted-migration warns of.
    expect(json(deleted.stdout).parseErrors).toEqual([]);
    expect(json(deleted.stdout).findings.map((f) => [f.ruleId, f.migration])).toEqual([['deleted-migration', '20240102000000_gone']]);

    // Committed broken (with --no-verify, say); the next commit touches something else.
    mkdirSync(join(p.dir, dir), { recursive: true });
    writeFileSync(join(p.dir, dir, 'notes.txt'), 'x\n');
    p.git('add', '-A');
    p.git('commit', '-q', '-m', 'broken');
    p.file('prisma/schema.prisma', 'datasource db {\n  provider = "postgresql"\n}\n');
    p.git('add', '-A');
    const other = await runZd(['check', '--staged', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    expect(other.code, other.stdout).toBe(0);
    // The whole-folder check still reports it.
    const whole = await runZd(['check', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    expect(whole.code).toBe(1);
    expect(json(whole.stdout).parseErrors.map((e) => e.path)).toEqual([dir]);
  });

  it('a staged migration_lock.toml of another database: error[folder], none of the SQL checked', async () => {
    const p = project();
    p.migration('20240102000000_drop', 'ALTER TABLE "Post" DROP COLUMN "content";\n');
    p.file('prisma/migrations/migration_lock.toml', 'provider = "mysql"\n');
    p.git('add', '-A');
    const r = await runZd(['check', '--staged', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    expect(r.code).toBe(1);
    expect(json(r.stdout)).toMatchObject({
      parseErrors: [{ path: 'prisma/migrations/migration_lock.toml', kind: 'folder', message: 'prisma/migrations/migration_lock.toml names the provider "mysql": prisma-zd works with PostgreSQL migrations only.' }],
      findings: [],
    });
    // Staged back to PostgreSQL's: the migration is checked.
    p.file('prisma/migrations/migration_lock.toml', 'provider = "postgresql"\n');
    p.git('add', '-A');
    const back = await runZd(['check', '--staged', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    expect(json(back.stdout).parseErrors).toEqual([]);
    expect(json(back.stdout).findings.map((f) => f.ruleId)).toContain('ban-drop-column');
  });

  it('--since <ref>: a directory the branch leaves without migration.sql is reported; an untouched one is not', async () => {
    const p = project();
    const dir = 'prisma/migrations/20240102000000_half';
    mkdirSync(join(p.dir, dir), { recursive: true });
    writeFileSync(join(p.dir, dir, 'notes.txt'), 'x\n');
    const r = await runZd(['check', '--since', 'HEAD', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    expect(r.code, r.stderr).toBe(1);
    expect(json(r.stdout).parseErrors).toEqual([expect.objectContaining({ path: dir, kind: 'folder' })]);
    p.git('add', '-A');
    p.git('commit', '-q', '-m', 'half');
    const later = await runZd(['check', '--since', 'HEAD', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    expect(later.code, later.stdout).toBe(0);
    const fromStart = await runZd(['check', '--since', 'HEAD~1', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    expect(json(fromStart.stdout).parseErrors.map((e) => e.path)).toEqual([dir]);
  });
});
