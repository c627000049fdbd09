/**
 * The database restarting in the middle of `postponed run` (mid-build) and of
 * `contract` (waiting for its lock): a clear error with the connection exit code, no
 * stack trace, and the re-run completes. A private server: the restart must not touch
 * other tests' databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createDatabase, startEmbedded, TEST_PASSWORD, type PgServer } from '../support/postgres.js';
import { cli, indexesOf, queue, slowTable, startCli, statuses, waitForBuild } from '../queue/support.js';
import { contractWaiting, queueDeferredDefault } from './support.js';

const NOFOLDER = ['--migrations', '/nonexistent-migrations'];
let server: PgServer;

beforeAll(async () => {
  server = await startEmbedded();
});
afterAll(async () => {
  await server?.stop();
});

async function managed() {
  const db = await createDatabase(server, { prefix: 'zd_restart' });
  const r = await cli(['setup', '--url', db.url]);
  if (r.code !== 0) throw new Error(`setup failed: ${r.stderr}`);
  return db;
}

describe('database restarts', () => {
  it('mid-build: postponed run exits 6 with a clear message; the re-run builds the index', async () => {
    const db = await managed();
    const stmt = await slowTable(db.url, 'Slow', 5000);
    await queue(db.url, { table: 'Slow', object: 'Slow_slow_idx', statement: stmt, columns: ['a'] });
    const run = startCli(['postponed', 'run', '--url', db.url, ...NOFOLDER]);
    await waitForBuild(db.url, 'Slow');
    await server.restart!('immediate');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/ZD_DB_UNREACHABLE|connection/i);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stdout + r.stderr).not.toContain(TEST_PASSWORD);
    const again = await cli(['postponed', 'run', '--url', db.url, ...NOFOLDER]);
    expect(again.code, again.stderr).toBe(0);
    expect(await indexesOf(db.url, 'Slow')).toEqual([expect.objectContaining({ name: 'Slow_slow_idx', valid: true })]);
  });

  it('while contract waits for its lock: exits 6; the re-run applies the entry', async () => {
    const db = await managed();
    await queueDeferredDefault(db.url);
    // A long transaction holds the table, so contract waits (and retries) on its lock.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    await holder.query(`BEGIN; SELECT * FROM "P"`);
    const contract = startCli(['contract', '--url', db.url, '--lock-timeout', '5s', ...NOFOLDER]);
    // Up to 30 s for the CLI to start and reach the lock on a loaded machine; the restart must find it waiting.
    let waiting = false;
    for (let i = 0; i < 300 && !(waiting = await contractWaiting(db.url)); i++) await new Promise((res) => setTimeout(res, 100));
    expect(waiting).toBe(true);
    holder.on('error', () => {});
    await server.restart!('immediate');
    const r = await contract.done;
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    await holder.end().catch(() => {});
    const again = await cli(['contract', '--url', db.url, ...NOFOLDER]);
    expect(again.code, again.stderr).toBe(0);
    expect((await statuses(db.url))[0]).toEqual(expect.objectContaining({ status: 'done' }));
  });
});
