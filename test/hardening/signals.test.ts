/**
 * SIGINT and SIGKILL in the middle of `contract` (while its statement waits for a lock
 * held by an old transaction, a DROP INDEX CONCURRENTLY too): exit 130 on SIGINT, no
 * advisory lock left held by us after either, nothing applied twice or lost — the next
 * run applies the entry once.
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { conditionalBlock } from '@prisma-zd/core';
import { freshDatabase } from '../support/db.js';
import { cli, sql, startCli, statuses } from '../queue/support.js';
import { contractWaiting, queueDeferredDefault } from './support.js';

const NOFOLDER = ['--migrations', '/nonexistent-migrations'];

async function interruptWaitingContract(signal: NodeJS.Signals) {
  const db = await freshDatabase({ prefix: 'zd_sig' });
  expect((await cli(['setup', '--url', db.url])).code).toBe(0);
  await queueDeferredDefault(db.url);
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  await holder.query(`BEGIN; SELECT * FROM "P"`);
  const run = startCli(['contract', '--url', db.url, '--lock-timeout', '10s', ...NOFOLDER]);
  for (let i = 0; i < 300 && !(await contractWaiting(db.url)); i++) await new Promise((res) => setTimeout(res, 100));
  run.child.kill(signal);
  const r = await run.done;
  await holder.query('ROLLBACK');
  await holder.end();
  // Our sessions end with the process: no advisory lock of ours is left.
  let locks = -1;
  for (let i = 0; i < 200 && locks !== 0; i++) {
    const [row] = await sql<{ n: number }>(
      db.url,
      `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid)
        WHERE l.locktype = 'advisory' AND a.datname = current_database() AND a.application_name LIKE 'prisma-zd/%'`,
    );
    locks = row!.n;
    if (locks) await new Promise((res) => setTimeout(res, 100));
  }
  expect(locks).toBe(0);
  expect((await statuses(db.url))[0]!.status).not.toBe('done');
  const again = await cli(['contract', '--url', db.url, ...NOFOLDER]);
  expect(again.code, again.stderr).toBe(0);
  expect(await statuses(db.url)).toEqual([expect.objectContaining({ status: 'done' })]);
  expect(await sql(db.url, `SELECT column_default FROM information_schema.columns WHERE table_name = 'P' AND column_name = 'cur'`)).toEqual([{ column_default: null }]);
  await db.drop();
  return r;
}

describe('signals during contract', () => {
  it('SIGINT: exit 130, lock released, the next run applies the entry once', async () => {
    const r = await interruptWaitingContract('SIGINT');
    expect(r.code).toBe(130);
  });
  it('SIGKILL: lock released with the session, the next run applies the entry once', async () => {
    const r = await interruptWaitingContract('SIGKILL');
    expect(r.signal).toBe('SIGKILL');
  });
});

describe('signals while contract drops a deferred index CONCURRENTLY (it waits for an old transaction)', () => {
  it.each(['SIGINT', 'SIGKILL'] as const)('%s: the entry stays open (the index stands, maybe left invalid, or its session finished the drop after the client died); the next run completes it, once', async (signal) => {
    const db = await freshDatabase({ prefix: 'zd_sig' });
    try {
      expect((await cli(['setup', '--url', db.url])).code).toBe(0);
      await sql(db.url, `CREATE TABLE "P" (id int, title text); CREATE INDEX "P_title_idx" ON "P"(title);`);
      await sql(
        db.url,
        conditionalBlock('defer', 'DROP INDEX "P_title_idx"', { kind: 'contract', migration: '20260101000000_test', objectName: 'P_title_idx', tableName: 'P', columns: ['title'], statement: 'DROP INDEX "P_title_idx"' }),
      );
      const holder = new pg.Client({ connectionString: db.url });
      await holder.connect();
      await holder.query(`BEGIN; SELECT * FROM "P"`);
      const run = startCli(['contract', '--url', db.url, ...NOFOLDER]);
      for (let i = 0; i < 300 && !(await contractWaiting(db.url)); i++) await new Promise((res) => setTimeout(res, 100));
      expect(await contractWaiting(db.url)).toBe(true);
      run.child.kill(signal);
      const r = await run.done;
      if (signal === 'SIGINT') expect(r.code).toBe(130);
      await holder.query('ROLLBACK');
      await holder.end();
      expect((await statuses(db.url))[0]!.status).toBe('pending');
      // SIGINT cancels the statement: the index stands. After SIGKILL its session may still finish the drop.
      // (PostgreSQL marks it invalid before it waits: no query uses it any more.)
      if (signal === 'SIGINT') expect(await sql(db.url, `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = '"P_title_idx"'::regclass`)).toEqual([{ valid: false }]);
      const again = await cli(['contract', '--url', db.url, ...NOFOLDER]);
      expect(again.code, again.stderr).toBe(0);
      expect(await statuses(db.url)).toEqual([expect.objectContaining({ status: 'done' })]);
      expect(await sql(db.url, `SELECT count(*)::int AS n FROM pg_class WHERE relname = 'P_title_idx'`)).toEqual([{ n: 0 }]);
    } finally {
      await db.drop();
    }
  });
});

describe('signals during postponed run: mid-validate', () => {
  it('SIGKILL while a constraint is validated: the next run validates it, once', async () => {
    const db = await freshDatabase({ prefix: 'zd_sig' });
    try {
      expect((await cli(['setup', '--url', db.url])).code).toBe(0);
      await sql(
        db.url,
        `CREATE OR REPLACE FUNCTION slow(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.001); RETURN $1; END $$;
         CREATE TABLE "V" (a int);
         INSERT INTO "V" SELECT g FROM generate_series(1, 3000) g;
         ALTER TABLE "V" ADD CONSTRAINT "V_a_check" CHECK (slow(a) > 0) NOT VALID;`,
      );
      const statement = `ALTER TABLE "V" VALIDATE CONSTRAINT "V_a_check"`;
      await sql(db.url, conditionalBlock('postpone', statement, { kind: 'validate', migration: 'm1', objectName: 'V_a_check', tableName: 'V', columns: ['a'], statement }));
      const run = startCli(['postponed', 'run', '--url', db.url, ...NOFOLDER]);
      for (let i = 0; i < 200; i++) {
        const [r] = await sql<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%VALIDATE CONSTRAINT%' AND state = 'active' AND pid <> pg_backend_pid()`);
        if (r!.n > 0) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      run.child.kill('SIGKILL');
      expect((await run.done).signal).toBe('SIGKILL');
      expect((await statuses(db.url))[0]!.status).toBe('running');
      const again = await cli(['postponed', 'run', '--url', db.url, ...NOFOLDER]);
      expect(again.code, again.stderr).toBe(0);
      expect(await sql(db.url, `SELECT convalidated FROM pg_constraint WHERE conname = 'V_a_check'`)).toEqual([{ convalidated: true }]);
      expect(await sql(db.url, `SELECT status, attempts FROM prisma_zd.queue`)).toEqual([{ status: 'done', attempts: 2 }]);
    } finally {
      await db.drop();
    }
  });
});
