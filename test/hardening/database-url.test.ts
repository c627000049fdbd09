/**
 * The database URL as users really type it: a mistyped scheme or another database's URL
 * is a usage error that never shows the password, a URL without a password gets an
 * authentication error, and messages name the server node-postgres really tried
 * (socket directories, `?host=&port=`, PGHOST/PGPORT).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runZd, type ZdRun } from '../support/cli.js';
import { freshDatabase, testServer } from '../support/db.js';
import { TEST_PASSWORD } from '../support/postgres.js';
import { copySampleProject, type SampleProjectCopy } from '../support/prisma.js';
import { sql } from '../queue/support.js';

const SECRET = 'Hunter2-zd-secret';

function expectNoSecret(r: ZdRun, what: string) {
  const text = r.stdout + r.stderr;
  for (const s of [SECRET, TEST_PASSWORD, encodeURIComponent(TEST_PASSWORD)]) expect(text, what).not.toContain(s);
  expect(text, what).not.toMatch(/\n\s+at .*\(/);
}

function expectUserError(r: ZdRun, exit: number, code: string, what: string, ...mentions: string[]) {
  expect(r.code, `${what}: ${r.stderr}`).toBe(exit);
  expect(r.stderr, what).toContain(`Error ${code}:`);
  expect(r.stderr, what).toMatch(/\nhint: /);
  for (const m of mentions) expect(r.stderr, what).toContain(m);
  expectNoSecret(r, what);
}

describe('database URLs', () => {
  let sample: SampleProjectCopy;
  beforeAll(async () => {
    sample = await copySampleProject();
  });
  afterAll(async () => {
    await sample?.cleanup();
  });

  it('a mistyped or foreign URL is ZD_DB_URL (exit 2) for every database command, shown with its credentials masked', async () => {
    const cases: Array<[url: string, shown: string]> = [
      [`postgres:${SECRET}@127.0.0.1:55432/d1`, `"postgres:****@127.0.0.1:55432/d1"`],
      [`postgresql:/user:${SECRET}@127.0.0.1:55432/d1`, `"postgresql:/user:****@127.0.0.1:55432/d1"`],
      [`postgresql:user:${SECRET}@127.0.0.1:55432/d1`, `"postgresql:user:****@127.0.0.1:55432/d1"`],
      [`mysql://user:${SECRET}@127.0.0.1:3306/d1`, `"mysql://user:****@127.0.0.1:3306/d1"`],
      [`postgresql://user@127.0.0.1:55432/d1?password=${SECRET}`, '?password=****'],
      ['file:./dev.db', '"file:./dev.db"'],
      ['not-a-url', '"not-a-url"'],
      [` postgresql://user:${SECRET}@127.0.0.1:55432/d1`, `" postgresql://user:****@127.0.0.1:55432/d1"`],
    ];
    const commands = [['deploy', '--json'], ['contract'], ['postponed', 'list'], ['verify'], ['setup']];
    for (const [url, shown] of cases) {
      // `password=` in a well-formed URL is fine: that one is only checked for not leaking.
      const wellFormed = url.startsWith('postgresql://');
      const runs = await Promise.all(commands.map((args) => runZd(args, { cwd: sample.dir, env: { DATABASE_URL: url } })));
      runs.forEach((r, i) => {
        const what = `${commands[i]!.join(' ')} with ${JSON.stringify(url)}`;
        if (wellFormed) {
          expect(r.code, `${what}: ${r.stderr}`).toBe(6);
          expectNoSecret(r, what);
        } else {
          expectUserError(r, 2, 'ZD_DB_URL', what, shown, 'postgresql://USER:PASSWORD@HOST:PORT/DATABASE');
        }
        expect(r.stderr, what).not.toContain('getaddrinfo');
      });
    }
    // The same through --url.
    const viaFlag = await runZd(['setup', '--url', `postgres:${SECRET}@127.0.0.1:55432/d1`]);
    expectUserError(viaFlag, 2, 'ZD_DB_URL', 'setup --url', '"postgres:****@127.0.0.1:55432/d1"');
    // A mistyped shadow database URL too.
    const shadow = await runZd(['verify', '--url', testServer().url(), '--migrations', sample.migrationsDir, '--shadow-database-url', `postgresql:u:${SECRET}@h/d`]);
    expectUserError(shadow, 2, 'ZD_DB_URL', 'verify --shadow-database-url', 'shadow database URL', '"postgresql:u:****@h/d"');
  });

  it('a URL without a password, to a server that asks for one: ZD_DB_AUTH (exit 6) saying so', async () => {
    const u = new URL(testServer().url());
    u.password = '';
    const home = mkdtempSync(join(tmpdir(), 'zd-nopass-home-')); // no ~/.pgpass
    for (const args of [['setup'], ['postponed', 'list'], ['verify', '--migrations', sample.migrationsDir]]) {
      const r = await runZd([...args, '--url', u.toString()], { env: { PGPASSWORD: undefined, PGPASSFILE: undefined, HOME: home } });
      expectUserError(r, 6, 'ZD_DB_AUTH', args[0]!, 'has no password', `${u.hostname}:${u.port}/postgres`, 'postgresql://USER:PASSWORD@');
      expect(r.stderr).not.toContain('ZD_DB_UNREACHABLE');
    }
  });

  it('messages name the server node-postgres really tried: ?host=&port=, a socket directory, PGHOST/PGPORT', async () => {
    const pw = encodeURIComponent(TEST_PASSWORD);
    const query = await runZd(['setup', '--url', `postgresql://postgres:${pw}@localhost/postgres?host=127.0.0.1&port=1`]);
    expectUserError(query, 6, 'ZD_DB_UNREACHABLE', '?host=&port=', '127.0.0.1:1/postgres');
    expect(query.stderr).not.toContain(':5432');

    const socket = await runZd(['setup', '--url', `postgresql://postgres:${pw}@/postgres?host=/nonexistent-zd/sock&port=5433`]);
    expectUserError(socket, 6, 'ZD_DB_UNREACHABLE', 'socket', '/nonexistent-zd/sock/.s.PGSQL.5433 (database postgres)');
    expect(socket.stderr).not.toContain('malformed');

    const env = { PGHOST: '127.0.0.1', PGPORT: '1' };
    const noPort = await runZd(['setup', '--url', `postgresql://postgres:${pw}@127.0.0.1/postgres`], { env });
    expectUserError(noPort, 6, 'ZD_DB_UNREACHABLE', 'PGPORT', '127.0.0.1:1/postgres');
    const noHost = await runZd(['postponed', 'list', '--url', `postgresql://postgres:${pw}@/postgres`], { env });
    expectUserError(noHost, 6, 'ZD_DB_UNREACHABLE', 'PGHOST', '127.0.0.1:1/postgres');
    expect(noPort.stderr + noHost.stderr).not.toContain('localhost:5432');
  });

  it('a socket URL that connects is named by its socket, and verify builds next to it', async (ctx) => {
    const server = testServer();
    const [dir] = await sql<{ d: string }>(server.url(), `SELECT split_part(current_setting('unix_socket_directories'), ',', 1) AS d`);
    const port = new URL(server.url()).port;
    if (server.kind !== 'embedded' || !dir?.d.startsWith('/')) ctx.skip();
    const db = await freshDatabase({ prefix: 'zd_sock' });
    try {
      const url = `postgresql://postgres:${encodeURIComponent(TEST_PASSWORD)}@/${db.name}?host=${dir!.d}&port=${port}`;
      const setup = await runZd(['setup', '--url', url]);
      expect(setup.code, setup.stderr).toBe(0);
      expect(setup.stdout + setup.stderr).toContain(`${dir!.d}/.s.PGSQL.${port} (database ${db.name})`);
      expect(setup.stdout + setup.stderr).not.toContain('malformed');
      expectNoSecret(setup, 'setup');
      const list = await runZd(['postponed', 'list', '--url', url]);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toContain(`Queue of ${dir!.d}/.s.PGSQL.${port} (database ${db.name})`);
      const verify = await runZd(['verify', '--url', url, '--migrations', sample.migrationsDir]);
      expect(verify.code, verify.stderr).toBe(1); // drift: nothing applied
      expect(verify.stderr).not.toContain('Error ');
      expectNoSecret(verify, 'verify');
    } finally {
      await db.drop();
    }
  });
});
