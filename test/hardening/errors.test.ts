/**
 * Every failure a user can cause ends with a stable code, a message naming the file,
 * key or object, a hint with the next command, the documented exit code — and no stack
 * trace and no password.
 */
import { cpSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { freshDatabase, testServer } from '../support/db.js';
import { TEST_PASSWORD } from '../support/postgres.js';
import { sql } from '../queue/support.js';
import { REPO_ROOT } from '../support/corpus.js';

/** Every file under `dir` with its text. */
function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    if (statSync(p).isFile()) out[name] = readFileSync(p, 'utf8');
  }
  return out;
}

function project(config?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'zd-errors-'));
  mkdirSync(join(dir, 'prisma', 'migrations'), { recursive: true });
  if (config !== undefined) writeFileSync(join(dir, 'prisma-zd.config.ts'), config);
  return dir;
}

function expectUserError(r: { code: number | null; stdout: string; stderr: string }, exit: number, code: string, ...mentions: string[]) {
  expect(r.code, r.stderr).toBe(exit);
  expect(r.stderr).toContain(`Error ${code}:`);
  expect(r.stderr).toMatch(/hint: /);
  for (const m of mentions) expect(r.stderr).toContain(m);
  expect(r.stderr).not.toMatch(/\n\s+at .*\(/);
  expect(r.stdout + r.stderr).not.toContain(TEST_PASSWORD);
}

describe('user errors', () => {
  it('a wrong command line runs nothing: an unknown option to rewrite leaves every file as it was (exit 2)', async () => {
    const dir = project();
    cpSync(join(REPO_ROOT, 'prisma/migrations'), join(dir, 'prisma/migrations'), { recursive: true });
    const before = readTree(join(dir, 'prisma/migrations'));
    const rewrite = await runZd(['rewrite', '--all', '--dry-run'], { cwd: dir });
    expectUserError(rewrite, 2, 'ZD_USAGE', 'Unknown argument', 'dry-run');
    expect(rewrite.stdout).toBe('');
    expect(readTree(join(dir, 'prisma/migrations'))).toEqual(before);
    // The same migrations do need rewriting: without the stray option, rewrite changes them.
    const real = await runZd(['rewrite', '--all'], { cwd: dir });
    expect(real.code, real.stderr).toBe(0);
    expect(readTree(join(dir, 'prisma/migrations'))).not.toEqual(before);

    const check = await runZd(['check', '--format', 'xml'], { cwd: dir });
    expectUserError(check, 2, 'ZD_USAGE', 'format', 'xml');
    expect(check.stdout).toBe('');
    expect(check.stderr).not.toContain('migration');
  });

  it('config: unknown keys and wrong types, all reported at once (exit 2)', async () => {
    const dir = project(`export default { chek: {}, check: { rules: { "ban-drop-table": "loud" }, postgresVersion: "x" } };\n`);
    const r = await runZd(['check'], { cwd: dir });
    expectUserError(r, 2, 'ZD_CONFIG_INVALID', 'prisma-zd.config.ts', 'unknown key "chek"', 'check.rules.ban-drop-table', 'check.postgresVersion');
  });

  it('config: the deploy section is checked with the rest, by any command that loads the file; a section nothing reads is an unknown key (exit 2)', async () => {
    const dir = project(`export default { queue: {}, deploy: { retries: "many", blokers: "terminate" }, check: { rules: { nope: "error" } } };\n`);
    for (const args of [['check'], ['deploy', '--dry-run', '--url', `postgresql://postgres:${TEST_PASSWORD}@127.0.0.1:1/postgres`]]) {
      const r = await runZd(args, { cwd: dir });
      expectUserError(r, 2, 'ZD_CONFIG_INVALID', 'unknown key "queue" (known: check, deploy)', '"deploy.retries"', 'unknown key "deploy.blokers"', 'check.rules.nope');
    }
    // A flag's bad value is a usage error, once the file is fine.
    const ok = project(`export default { deploy: { retries: 2 } };\n`);
    const flag = await runZd(['deploy', '--dry-run', '--retry-delay', 'soon', '--url', `postgresql://postgres:${TEST_PASSWORD}@127.0.0.1:1/postgres`], { cwd: ok });
    expectUserError(flag, 2, 'ZD_USAGE', '--retry-delay soon is not valid');
  });

  it('setup reads no migrations folder: --migrations is refused, not accepted and ignored (exit 2)', async () => {
    const r = await runZd(['setup', '--migrations', 'prisma/migrations', '--url', `postgresql://postgres:${TEST_PASSWORD}@127.0.0.1:1/postgres`]);
    expectUserError(r, 2, 'ZD_USAGE', 'Unknown argument: --migrations', 'prisma-zd setup --help');
  });

  it('postponed list, cleanup and cancel read no migrations folder: --migrations is refused for them, read by run (exit 2)', async () => {
    const url = `postgresql://postgres:${TEST_PASSWORD}@127.0.0.1:1/postgres`;
    for (const args of [['postponed'], ['postponed', 'list'], ['postponed', 'cleanup'], ['postponed', 'cancel', '--id', '1']]) {
      const r = await runZd([...args, '--migrations', 'prisma/migrations', '--url', url]);
      expectUserError(r, 2, 'ZD_USAGE', '--migrations is read by `postponed run` only', `\`postponed ${args[1] ?? 'list'}\` reads the database alone`);
    }
    // run takes it: it gets as far as connecting (nothing listens on port 1).
    const run = await runZd(['postponed', 'run', '--migrations', 'prisma/migrations', '--url', url]);
    expect(run.stderr).not.toContain('ZD_USAGE');
    expect(run.code).not.toBe(2);
  });

  it('config that does not load (syntax error) names the file (exit 2)', async () => {
    const dir = project(`export default { check: ;\n`);
    const r = await runZd(['check'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('prisma-zd.config.ts');
  });

  it('no datasource anywhere (exit 2)', async () => {
    const r = await runZd(['postponed', 'list'], { cwd: project(), env: { DATABASE_URL: undefined } });
    expectUserError(r, 2, 'ZD_NO_DATABASE_URL', '--url');
  });

  it('rewrite with a path that is not a migration (a file that does not exist inside one, a folder elsewhere): ZD_NOT_A_MIGRATION (exit 2)', async () => {
    const dir = project();
    cpSync(join(REPO_ROOT, 'prisma/migrations'), join(dir, 'prisma/migrations'), { recursive: true });
    for (const path of ['prisma/migrations/20261123203511_init/nope.sql', 'prisma', 'prisma/migrations/20990101000000_missing']) {
      const r = await runZd(['rewrite', '--check', path], { cwd: dir });
      expectUserError(r, 2, 'ZD_NOT_A_MIGRATION', path);
    }
    for (const path of ['prisma/migrations/20261123203511_init', 'prisma/migrations/20261123203511_init/migration.sql']) {
      expect((await runZd(['rewrite', '--check', path], { cwd: dir })).code).toBe(0);
    }
  });

  it('missing migrations folder (exit 2)', async () => {
    const r = await runZd(['rewrite', '--all', '--migrations', '/nonexistent/migrations']);
    expectUserError(r, 2, 'ZD_MIGRATIONS_MISSING', '/nonexistent/migrations');
  });

  it('unreachable database (exit 6), wrong credentials (exit 6), missing database (exit 6)', async () => {
    const server = new URL(testServer().url());
    const unreachable = await runZd(['setup', '--url', `postgresql://postgres:${TEST_PASSWORD}@127.0.0.1:1/postgres`]);
    expectUserError(unreachable, 6, 'ZD_DB_UNREACHABLE', '127.0.0.1:1');
    const bad = new URL(server);
    bad.password = `${TEST_PASSWORD}-wrong`;
    const auth = await runZd(['setup', '--url', bad.toString()]);
    expectUserError(auth, 6, 'ZD_DB_AUTH', 'postgres');
    expect(auth.stderr).not.toContain(`${TEST_PASSWORD}-wrong`);
    const missing = new URL(server);
    missing.pathname = '/no_such_database_zd';
    expectUserError(await runZd(['setup', '--url', missing.toString()]), 6, 'ZD_DB_MISSING');
  });

  it('with --json (or --format json) a user error is also one JSON object on stdout, never an empty document', async () => {
    const unreachable = `postgresql://postgres:${TEST_PASSWORD}@127.0.0.1:1/postgres`;
    for (const args of [['postponed', 'list', '--json', '--url', unreachable], ['contract', '--list', '--json', '--url', unreachable]]) {
      const r = await runZd(args);
      expectUserError(r, 6, 'ZD_DB_UNREACHABLE');
      expect(JSON.parse(r.stdout)).toMatchObject({ exitCode: 6, error: { code: 'ZD_DB_UNREACHABLE', message: expect.stringContaining('127.0.0.1:1'), hint: expect.any(String) } });
      expect(r.stdout).not.toContain(TEST_PASSWORD);
    }
    const dir = project(`export default { chek: {} };\n`);
    const check = await runZd(['check', '--format', 'json'], { cwd: dir });
    expectUserError(check, 2, 'ZD_CONFIG_INVALID');
    expect(JSON.parse(check.stdout)).toMatchObject({ exitCode: 2, error: { code: 'ZD_CONFIG_INVALID' } });
  });

  it('a database without the bookkeeping schema: list says so (exit 0), run and contract refuse (exit 2)', async () => {
    const db = await freshDatabase({ prefix: 'zd_err' });
    try {
      const list = await runZd(['postponed', 'list', '--url', db.url]);
      expect(list.code).toBe(0);
      expect(list.stdout + list.stderr).toContain('prisma-zd setup');
      expectUserError(await runZd(['postponed', 'run', '--url', db.url, '--migrations', '/nonexistent']), 2, 'ZD_NOT_SET_UP', 'prisma-zd setup');
      expectUserError(await runZd(['contract', '--url', db.url, '--migrations', '/nonexistent']), 2, 'ZD_NOT_SET_UP');
    } finally {
      await db.drop();
    }
  });

  it('a bookkeeping schema from a newer prisma-zd (exit 2)', async () => {
    const db = await freshDatabase({ prefix: 'zd_err' });
    try {
      expect((await runZd(['setup', '--url', db.url])).code).toBe(0);
      await sql(db.url, `UPDATE prisma_zd.meta SET value = '99' WHERE key = 'schema_version'`);
      for (const args of [['setup'], ['postponed', 'run', '--migrations', '/nonexistent'], ['contract', '--migrations', '/nonexistent']]) {
        expectUserError(await runZd([...args, '--url', db.url]), 2, 'ZD_SCHEMA_NEWER', '99');
      }
    } finally {
      await db.drop();
    }
  });

  it('a migration that does not parse is located (file:line:col) by rewrite and check', async () => {
    const dir = project();
    mkdirSync(join(dir, 'prisma', 'migrations', '20260101000000_bad'));
    writeFileSync(join(dir, 'prisma', 'migrations', '20260101000000_bad', 'migration.sql'), `CREATE TABLE "a" ("id" INT);\nCREATE TABLE oops (;\n`);
    const rw = await runZd(['rewrite', '--all', '--migrations', 'prisma/migrations'], { cwd: dir });
    expect(rw.code).toBe(1);
    expect(rw.stderr).toContain('20260101000000_bad/migration.sql:2:');
    expect(rw.stderr).toContain('syntax error at or near ";"');
    const check = await runZd(['check', '--migrations', 'prisma/migrations'], { cwd: dir });
    expect(check.code).not.toBe(0);
    expect(check.stdout + check.stderr).toContain('migration.sql:2:');
  });

  it('usage errors exit 2', async () => {
    const db = await freshDatabase({ prefix: 'zd_err' });
    try {
      expect((await runZd(['setup', '--url', db.url])).code).toBe(0);
      const r = await runZd(['postponed', 'run', '--maintenance-work-mem', 'lots', '--url', db.url, '--migrations', '/nonexistent']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('lots');
    } finally {
      await db.drop();
    }
    expect((await runZd(['no-such-command'])).code).toBe(2);
    expect((await runZd(['rewrite', '--no-such-flag'])).code).toBe(2);
  });

  it('a mistyped command or option is named as typed, with the nearest one and the command\'s own --help', async () => {
    const command = await runZd(['chek']);
    expectUserError(command, 2, 'ZD_USAGE', 'There is no command "chek". Did you mean check?', 'hint: prisma-zd --help');
    expectUserError(await runZd(['frobnicate']), 2, 'ZD_USAGE', 'There is no command "frobnicate".');
    const option = await runZd(['check', '--stagd'], { cwd: project() });
    expectUserError(option, 2, 'ZD_USAGE', 'Unknown argument: --stagd (did you mean --staged?)', 'hint: prisma-zd check --help');
    const dry = await runZd(['deploy', '--dryrun']);
    expectUserError(dry, 2, 'ZD_USAGE', 'Unknown argument: --dryrun (did you mean --dry-run?)', 'hint: prisma-zd deploy --help');
    // yargs lists an unknown --dry-run also as dryRun: named once.
    expect((await runZd(['rewrite', '--dry-run'])).stderr).toContain('Unknown argument: --dry-run\n');
    // --config is declared only by the commands that read prisma-zd.config.ts (check, deploy).
    for (const cmd of ['rewrite', 'setup', 'verify', 'postponed', 'contract']) {
      expectUserError(await runZd([cmd, '--config', 'prisma-zd.config.ts']), 2, 'ZD_USAGE', 'Unknown argument: --config');
    }
  });

  it('-h and -v are --help and --version, for every command', async () => {
    const help = await runZd(['-h']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('prisma-zd <command> [options]');
    const deployHelp = await runZd(['deploy', '-h']);
    expect(deployHelp.code).toBe(0);
    expect(deployHelp.stdout).toContain('--retry-schedule');
    const version = await runZd(['-v']);
    expect(version.code).toBe(0);
    // The version printed is the package's (main.ts spells it out for a fast start).
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(REPO_ROOT, 'packages/cli/package.json'), 'utf8')).version);
  });

  it('an option given without its value (an unset variable) is refused, never taken as the default (exit 2)', async () => {
    // DATABASE_URL points at a real server: --url "" must not fall back to it.
    const env = { DATABASE_URL: testServer().url() };
    for (const args of [['verify', '--url', ''], ['deploy', '--dry-run', '--url='], ['postponed', 'list', '--url', '', '--json'], ['check', '--format']]) {
      const r = await runZd(args, { cwd: project(), env });
      const option = args.find((a) => a.startsWith('--') && a !== '--dry-run' && a !== '--json')!.replace(/=$/, '');
      expectUserError(r, 2, 'ZD_USAGE', `${option} needs a value`);
      expect(r.stderr).not.toContain('Verifying');
      expect(r.stderr).not.toContain('prisma-zd deploy (run');
    }
  });

  it('with --json a usage error is one JSON line on stdout too', async () => {
    for (const args of [['deploy', '--json', '--blockers', 'kill'], ['postponed', 'list', '--json', '--stat', 'x']]) {
      const r = await runZd(args, { cwd: project(), env: { DATABASE_URL: undefined } });
      expectUserError(r, 2, 'ZD_USAGE');
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ exitCode: 2, error: { code: 'ZD_USAGE', hint: `prisma-zd ${args[0]} --help` } });
    }
    // A user error after parsing is one line as well (GitHub's recipe stores `head -n 1`).
    const r = await runZd(['postponed', 'list', '--json'], { cwd: project(), env: { DATABASE_URL: undefined } });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ exitCode: 2, error: { code: 'ZD_NO_DATABASE_URL' } });
  });

  it('numbers that are not numbers: named without "NaN", and contract --attempts below 1 refused (exit 2)', async () => {
    const cancel = await runZd(['postponed', 'cancel', '--id', 'abc', '--reason', 'x']);
    expectUserError(cancel, 2, 'ZD_USAGE', '--id takes entry ids');
    expect(cancel.stderr).not.toContain('NaN');
    const retries = await runZd(['deploy', '--retries', 'many']);
    expectUserError(retries, 2, 'ZD_USAGE', '--retries takes a whole number');
    expect(retries.stderr).not.toContain('NaN');
    for (const n of ['0', 'x', '1.5']) {
      const r = await runZd(['contract', '--attempts', n, '--url', 'postgresql://u@127.0.0.1:1/x']);
      expectUserError(r, 2, 'ZD_USAGE', '--attempts takes a whole number of attempts, 1 or more');
      expect(r.stderr).not.toContain('NaN');
    }
    expectUserError(await runZd(['contract', '--lock-timeout', '0']), 2, 'ZD_USAGE', 'above 0');
  });
});
