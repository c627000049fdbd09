/**
 * The error surface, code by code. Every `ZD_*` code the source can end a CLI run with
 * is listed in the README's "Exit codes" section with the exit code the source gives it
 * (a new code fails the first test until it is documented, or allow-listed below with the
 * reason). The codes no other test produced are produced here through the real CLI, on a
 * real PostgreSQL where a database is involved: exit code, `Error <CODE>:`, the file or
 * object named, a `hint:` with the next step, no stack trace and no password.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../packages/cli/src/errors.js';
import { runZd, type ZdRun } from '../support/cli.js';
import { REPO_ROOT } from '../support/corpus.js';
import { freshDatabase, testServer } from '../support/db.js';
import { TEST_PASSWORD } from '../support/postgres.js';
import { copySampleProject, SAMPLE_DIR } from '../support/prisma.js';
import { sql } from '../queue/support.js';

/**
 * Codes in the source that no CLI command ends with, so the README's exit-code table
 * does not list them. Each entry says why; remove it when the code goes or reaches the CLI.
 */
const NOT_CLI_CODES: ReadonlyMap<string, string> = new Map([
  // The testing kit (`prisma-zd/testing`, packages/cli/src/testing) throws these inside the
  // user's own test run; docs/recipes/testing-migrations.md describes the kit.
  ['ZD_POSTPONED_BLOCKED', 'testing kit: runPostponed() waited lockWaitMs for a lock'],
  ['ZD_POSTPONED_FAILED', 'testing kit: runPostponed() saw an entry fail'],
  ['ZD_UNKNOWN_MIGRATION', 'testing kit: a migration name not in the folder'],
  ['ZD_ALREADY_PAST', 'testing kit: migrateTo() a migration already applied'],
  ['ZD_MIGRATION_FAILED_BEFORE', 'testing kit: an earlier migration failed'],
  ['ZD_PRISMA_DEPLOY', "testing kit: Prisma's own migrate deploy failed"],
  ['ZD_PRISMA_SCHEMA', 'testing kit: the URL names a schema the Prisma config ignores'],
  ['ZD_PRISMA_ELSEWHERE', 'testing kit: Prisma reached another database than the test one'],
  ['ZD_TIMEOUT', 'testing kit: a Prisma child process timed out'],
  // fingerprintUrl() (packages/cli/src/db/fingerprint.ts) is used by the testing kit; it gives
  // the CLI's ZD_DB_UNREACHABLE/ZD_DB_AUTH/ZD_DB_MISSING where db/connect.ts knows the failure.
  ['ZD_DB_CONNECT', 'fingerprintUrl() (testing kit) could not connect, for a reason the CLI does not name'],
]);

interface Emission {
  code: string;
  file: string;
  /** The `ExitCode` member named in the same `UserError({ … })`, if any. */
  exit: string | undefined;
}

function sourceFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/** Every `code: 'ZD_…'` in the CLI's and core's source, with the exit code written beside it. */
function emissions(): Emission[] {
  const out: Emission[] = [];
  for (const file of [...sourceFiles(join(REPO_ROOT, 'packages/cli/src')), ...sourceFiles(join(REPO_ROOT, 'packages/core/src'))]) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bcode:\s*'(ZD_[A-Z0-9_]+)'/g)) {
      // The rest of this error's object literal: up to the next code, at most a screenful.
      const rest = text.slice(m.index! + m[0].length, m.index! + 1500);
      const next = rest.search(/\bcode:\s*'ZD_/);
      const own = next === -1 ? rest : rest.slice(0, next);
      out.push({ code: m[1]!, file: relative(REPO_ROOT, file), exit: /\bexit:\s*ExitCode\.(\w+)/.exec(own)?.[1] });
    }
  }
  return out;
}

/** The README's `| \`ZD_…\` | exit | … |` rows of its "Exit codes" section. */
function documentedCodes(): Map<string, number> {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Exit codes');
  expect(start, 'README.md has an "## Exit codes" section').toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return new Map([...section.matchAll(/^\| `(ZD_[A-Z0-9_]+)` \| (\d+) \|/gm)].map((m) => [m[1]!, Number(m[2])]));
}

const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'zd-error-codes-')));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let dirs = 0;
/** An empty project directory (a `prisma/migrations` folder, nothing else). */
function project(files: Record<string, string> = {}): string {
  const dir = join(tmp, `p${++dirs}`);
  mkdirSync(join(dir, 'prisma', 'migrations'), { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** A URL with the test password on a port nothing listens on. */
const DEAD_URL = `postgresql://postgres:${TEST_PASSWORD}@127.0.0.1:1/postgres`;

function expectUserError(r: ZdRun, exit: number, code: string, ...mentions: string[]) {
  expect(r.code, r.stderr).toBe(exit);
  expect(r.stderr).toContain(`Error ${code}:`);
  expect(r.stderr).toMatch(/\nhint: \S/);
  for (const m of mentions) expect(r.stderr).toContain(m);
  expect(r.stderr).not.toMatch(/\n\s+at .*\(/);
  expect(r.stderr).not.toContain('hit a bug');
  expect(r.stdout + r.stderr).not.toContain(TEST_PASSWORD);
}

describe('the documented codes', () => {
  it("every ZD_* code in the source is in the README's exit-code table with the exit code the source gives it, or allow-listed with a reason", () => {
    const found = emissions();
    const documented = documentedCodes();
    const codes = new Set(found.map((e) => e.code));
    expect(codes.size, 'the scan finds the codes').toBeGreaterThan(30);

    const undocumented = [...codes].filter((c) => !documented.has(c) && !NOT_CLI_CODES.has(c)).sort();
    expect(undocumented, 'add these to README.md "Exit codes" (code, exit, when), or to NOT_CLI_CODES with the reason').toEqual([]);
    const neverEmitted = [...documented.keys(), ...NOT_CLI_CODES.keys()].filter((c) => !codes.has(c)).sort();
    expect(neverEmitted, 'documented or allow-listed, but no source emits them any more').toEqual([]);

    // The exit code: written out beside each CLI code, and the one the README gives.
    const exitOf = ExitCode as Record<string, number>;
    const mismatched: string[] = [];
    for (const e of found.filter((x) => documented.has(x.code) && !x.file.startsWith('packages/cli/src/testing/'))) {
      if (e.exit === undefined || exitOf[e.exit] === undefined) mismatched.push(`${e.code} in ${e.file}: no \`exit: ExitCode.…\` beside it`);
      else if (exitOf[e.exit] !== documented.get(e.code)) {
        mismatched.push(`${e.code} in ${e.file}: exits ${exitOf[e.exit]} (${e.exit}), the README says ${documented.get(e.code)}`);
      }
    }
    expect(mismatched).toEqual([]);
  });
});

describe.concurrent('codes produced through the CLI', () => {
  it('ZD_CONFIG_MISSING: --config names a file that does not exist (exit 2)', async () => {
    const r = await runZd(['check', '--config', 'nope.config.ts'], { cwd: project() });
    expectUserError(r, 2, 'ZD_CONFIG_MISSING', 'nope.config.ts', '--config');
  });

  it('ZD_NO_MIGRATIONS / ZD_NOT_A_MIGRATION: check given a folder without migration.sql, or another file (exit 2)', async () => {
    const dir = project({ 'empty/README.txt': 'not a migration\n' });
    const r = await runZd(['check', 'empty'], { cwd: dir });
    expectUserError(r, 2, 'ZD_NO_MIGRATIONS', 'empty', 'prisma/migrations');
    // A file that is not a migration.sql (errors.test.ts covers rewrite's own check).
    const notSql = await runZd(['check', 'empty/README.txt'], { cwd: dir });
    expectUserError(notSql, 2, 'ZD_NOT_A_MIGRATION', 'empty/README.txt', 'migration.sql');
  });

  it('ZD_GIT_REF: check --since a ref git does not know (exit 2), naming the ref and how to fetch it', async () => {
    const dir = project();
    const { spawnSync } = await import('node:child_process');
    expect(spawnSync('git', ['init', '-q', dir]).status).toBe(0);
    const r = await runZd(['check', '--since', 'origin/no-such-branch'], { cwd: dir });
    expectUserError(r, 2, 'ZD_GIT_REF', 'origin/no-such-branch', 'fetch-depth');
  });

  it('ZD_MIGRATIONS_MISSING: --migrations naming a file says so, not "does not exist" (exit 2)', async () => {
    const dir = project({ 'notes.txt': 'not a folder\n' });
    const r = await runZd(['verify', '--url', DEAD_URL, '--migrations', 'notes.txt'], { cwd: dir });
    expectUserError(r, 2, 'ZD_MIGRATIONS_MISSING', `The migrations folder ${join(dir, 'notes.txt')} is a file, not a folder.`, '--migrations <dir>');
  });

  it('ZD_USAGE: deploy --prisma-lock-wait that is not a duration (exit 2), hint names the option', async () => {
    const r = await runZd(['deploy', '--prisma-lock-wait', 'soon', '--url', DEAD_URL], { cwd: project() });
    expectUserError(r, 2, 'ZD_USAGE', '--prisma-lock-wait soon is not a duration', 'hint: Use e.g. --prisma-lock-wait 60s');
  });

  it('ZD_PRISMA_NOT_INSTALLED: a Prisma config without the prisma package (exit 2); deploy without it (exit 2); queue commands given --url still run', async () => {
    const withConfig = project({ 'prisma.config.ts': 'export default {};\n' });
    const rewrite = await runZd(['rewrite', '--check', '--all'], { cwd: withConfig, env: { DATABASE_URL: DEAD_URL } });
    expectUserError(rewrite, 2, 'ZD_PRISMA_NOT_INSTALLED', join(withConfig, 'prisma.config.ts'), 'npm i -D prisma');
    // The hint's alternative holds: `postponed list --url` gets as far as connecting.
    const list = await runZd(['postponed', 'list', '--url', DEAD_URL], { cwd: withConfig });
    expectUserError(list, 6, 'ZD_DB_UNREACHABLE', '127.0.0.1:1');

    const bare = project();
    const deploy = await runZd(['deploy', '--dry-run', '--url', DEAD_URL], { cwd: bare });
    expectUserError(deploy, 2, 'ZD_PRISMA_NOT_INSTALLED', bare, 'prisma migrate deploy', 'npm i -D prisma');
  });

  it('ZD_PRISMA_CONFIG: a prisma.config.ts that Prisma cannot load (exit 2), for rewrite and deploy; the error names the file', async () => {
    const copy = await copySampleProject();
    try {
      writeFileSync(join(copy.dir, 'prisma.config.ts'), `throw new Error('config exploded');\nexport default {};\n`);
      for (const args of [['rewrite', '--check', '--all'], ['deploy', '--dry-run']]) {
        const r = await runZd(args, { cwd: copy.dir, env: { DATABASE_URL: DEAD_URL } });
        expectUserError(r, 2, 'ZD_PRISMA_CONFIG', join(copy.dir, 'prisma.config.ts'), 'config exploded', 'prisma migrate status');
      }
    } finally {
      await copy.cleanup();
    }
  });

  it("ZD_URL_NOT_INJECTABLE: deploy with the datasource URL written into schema.prisma (exit 2): names the schema, never prints the URL's password", async () => {
    const dir = project({
      'package.json': '{ "name": "literal-url", "private": true }\n',
      'prisma/schema.prisma': `datasource db {\n  provider = "postgresql"\n  url      = "${DEAD_URL}"\n}\n`,
    });
    symlinkSync(join(SAMPLE_DIR, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const r = await runZd(['deploy', '--dry-run'], { cwd: dir, env: { DATABASE_URL: undefined } });
    expectUserError(r, 2, 'ZD_URL_NOT_INJECTABLE', join(dir, 'prisma/schema.prisma'), 'env("DATABASE_URL")', 'prisma-zd deploy again');
  });

  it('ZD_SCHEMA_FOREIGN: a prisma_zd schema prisma-zd did not create (exit 2); setup leaves it alone', async () => {
    const db = await freshDatabase({ prefix: 'zd_codes' });
    try {
      await sql(db.url, `CREATE SCHEMA prisma_zd; CREATE TABLE prisma_zd.queue (id int); INSERT INTO prisma_zd.queue VALUES (42)`);
      for (const args of [['postponed', 'list'], ['setup']]) {
        expectUserError(await runZd([...args, '--url', db.url]), 2, 'ZD_SCHEMA_FOREIGN', 'prisma_zd.queue', 'prisma-zd setup');
      }
      expect(await sql(db.url, `SELECT id, to_regclass('prisma_zd.meta') IS NULL AS no_meta FROM prisma_zd.queue`)).toEqual([{ id: 42, no_meta: true }]);
    } finally {
      await db.drop();
    }
  });

  // ZD_SCHEMA_OLD cannot be reached yet: version 1 is the first, and a 0 is damage (below).
  it('a schema_version of 0 written by hand is ZD_SCHEMA_DAMAGED (exit 2), not ZD_SCHEMA_OLD, whose `prisma-zd setup` crashed on it; the repair named works', async () => {
    const db = await freshDatabase({ prefix: 'zd_codes' });
    try {
      expect((await runZd(['setup', '--url', db.url])).code).toBe(0);
      await sql(db.url, `UPDATE prisma_zd.meta SET value = '0' WHERE key = 'schema_version'`);
      let hint = '';
      for (const args of [['setup'], ['postponed', 'list'], ['contract', '--migrations', '/nonexistent']]) {
        const r = await runZd([...args, '--url', db.url]);
        expectUserError(r, 2, 'ZD_SCHEMA_DAMAGED', 'prisma_zd.meta', 'schema_version "0"');
        hint = r.stderr;
      }
      await sql(db.url, /hint: .*?(INSERT INTO [^;]+;)/.exec(hint)![1]!);
      expect((await runZd(['setup', '--url', db.url])).code).toBe(0);
      expect((await runZd(['postponed', 'list', '--url', db.url])).code).toBe(0);
    } finally {
      await db.drop();
    }
  });

  it('ZD_PERMISSION, not ZD_DB_UNREACHABLE: a role without CONNECT on the database (exit 2) is told the GRANT, not to check the host', async () => {
    const db = await freshDatabase({ prefix: 'zd_codes' });
    const role = `zd_codes_nc_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
    try {
      await sql(db.url, `CREATE ROLE ${role} LOGIN PASSWORD '${TEST_PASSWORD}-nc'; REVOKE CONNECT ON DATABASE ${db.name} FROM PUBLIC`);
      const as = new URL(db.url);
      as.username = role;
      as.password = `${TEST_PASSWORD}-nc`;
      for (const args of [['setup'], ['postponed', 'list'], ['verify', '--migrations', 'prisma/migrations']]) {
        const r = await runZd([...args, '--url', as.toString()], { cwd: project() });
        expectUserError(r, 2, 'ZD_PERMISSION', `Role "${role}" may not connect to`, db.name, `GRANT CONNECT ON DATABASE "${db.name}" TO "${role}";`);
      }
    } finally {
      await db.drop();
      await sql(testServer().url(), `DROP ROLE IF EXISTS ${role}`);
    }
  });

  it('ZD_PERMISSION from verify: a role that may not read _prisma_migrations (exit 2) is named with the object denied; its password is never printed', async () => {
    const db = await freshDatabase({ prefix: 'zd_codes' });
    const role = `zd_codes_ro_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
    try {
      await sql(db.url, `CREATE TABLE "_prisma_migrations" (
        "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
        "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
        "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0);
      REVOKE ALL ON "_prisma_migrations" FROM PUBLIC`);
      await sql(db.url, `CREATE ROLE ${role} LOGIN PASSWORD '${TEST_PASSWORD}-ro'`);
      const as = new URL(db.url);
      as.username = role;
      as.password = `${TEST_PASSWORD}-ro`;
      const dir = project();
      const r = await runZd(['verify', '--url', as.toString(), '--migrations', 'prisma/migrations'], { cwd: dir });
      expectUserError(r, 2, 'ZD_PERMISSION', `"${role}"`, '_prisma_migrations');
    } finally {
      await db.drop();
      await sql(testServer().url(), `DROP ROLE IF EXISTS ${role}`);
    }
  });
});
