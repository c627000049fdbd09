/** A throw-away Prisma project for `check` tests: the example schema's migration, then what a test adds. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { EXAMPLE_SCHEMA } from '../../packages/core/src/check/examples.js';
import { query } from '../prisma/helpers.js';
import { runZd } from '../support/cli.js';
import { REPO_ROOT } from '../support/corpus.js';
import { addMigration, copySampleProject, migrationNames, runPrisma, type ExecMode } from '../support/prisma.js';

export const INIT = '20240101000000_init';

export interface Project {
  dir: string;
  /** Writes `prisma/migrations/<name>/migration.sql`. */
  migration(name: string, sql: string): string;
  file(path: string, text: string): void;
  git(...args: string[]): { status: number | null; stdout: string; stderr: string };
  remove(): void;
}

export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'prisma-zd test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'prisma-zd test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

/** A project with `prisma/schema.prisma` and the init migration; `node_modules/prisma-zd` links to this repository's CLI. */
export function makeProject(options: { git?: boolean } = {}): Project {
  const dir = mkdtempSync(join(tmpdir(), 'zd-check-'));
  const project: Project = {
    dir,
    migration(name, sql) {
      const path = join(dir, 'prisma/migrations', name);
      mkdirSync(path, { recursive: true });
      writeFileSync(join(path, 'migration.sql'), sql);
      return `prisma/migrations/${name}/migration.sql`;
    },
    file(path, text) {
      writeFileSync(join(dir, path), text);
    },
    git(...args) {
      const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  mkdirSync(join(dir, 'prisma'), { recursive: true });
  project.file('prisma/schema.prisma', 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n');
  project.migration(INIT, EXAMPLE_SCHEMA);
  project.file('prisma/migrations/migration_lock.toml', 'provider = "postgresql"\n');
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'packages/cli'), join(dir, 'node_modules/prisma-zd'), 'dir');
  if (options.git) {
    project.file('.gitignore', 'node_modules\n');
    project.git('init', '-q', '-b', 'main');
    project.git('add', '-A');
    project.git('commit', '-q', '-m', 'init');
  }
  return project;
}

/** The environment for prisma-zd runs in a fixture: no database URL leaking in from the test run. */
export const ZD_ENV = { DATABASE_URL: undefined, ...GIT_ENV };

/**
 * The sample Prisma project with a history of three migrations — `init`, `set` (the SQL
 * given, then `CREATE TABLE "A"`), `next` (`CREATE TABLE "B"`) — deployed to `url` by the
 * real `prisma migrate deploy`; then `prisma-zd check` of its folder. For the rules about
 * what a migration leaves set on Prisma's connection. `cleanup` receives what to remove.
 */
export async function deploySessionHistory(opts: {
  url: string;
  init: string;
  set: string;
  ruleId: string;
  mode?: ExecMode;
  cleanup: (f: () => Promise<unknown>) => void;
}): Promise<{ output: string; code: number | null; unfinished: string[]; findings: Array<[string, string]> }> {
  const project = await copySampleProject();
  opts.cleanup(() => project.cleanup());
  for (const name of migrationNames(project.migrationsDir)) rmSync(join(project.migrationsDir, name), { recursive: true });
  addMigration(project.migrationsDir, 'init', opts.init);
  const set = addMigration(project.migrationsDir, 'set', `${opts.set}\nCREATE TABLE "A" ("id" INTEGER);\n`);
  addMigration(project.migrationsDir, 'next', `CREATE TABLE "B" ("id" INTEGER);\n`);
  const run = await runPrisma(['migrate', 'deploy'], { url: opts.url, mode: opts.mode ?? 'whole-file', cwd: project.dir });
  const rows = await query<{ name: string; finished: boolean }>(opts.url, `SELECT migration_name AS name, finished_at IS NOT NULL AS finished FROM "_prisma_migrations" ORDER BY 1`);
  const check = await runZd(['check', project.migrationsDir, '--format', 'json'], { cwd: project.dir });
  const findings = (JSON.parse(check.stdout) as { findings: Array<{ ruleId: string; severity: string; migration: string }> }).findings
    .filter((f) => f.ruleId === opts.ruleId)
    .map((f): [string, string] => [f.migration === set ? 'set' : f.migration, f.severity]);
  return { output: run.stdout + run.stderr, code: run.code, unfinished: rows.filter((r) => !r.finished).map((r) => r.name.replace(/^\d+_/, '')), findings };
}
