/**
 * Processes that end badly and runs that overlap:
 * - `deploy` killed (SIGKILL) or interrupted (SIGINT) while Prisma waits for its table:
 *   Prisma does not outlive it (an orphan would keep the app's queries queued behind its
 *   lock request), nothing of ours stays locked, the next deploy completes;
 * - two `contract`s at once, and `deploy` racing `postponed run`: one proceeds, the other
 *   exits 7 naming the holder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractWaiting, queueDeferredDefault } from './support.js';
import { freshDatabase } from '../support/db.js';
import { sampleTemplate } from '../prisma/helpers.js';
import { cli, slowTable, startCli, queue as enqueue, waitForBuild } from '../queue/support.js';
import { ADD_WEIGHT, columnExists, deployProject, HOLD_PRODUCT, prismaWaiting, query, Resources, session, waitFor, zdDeploy } from '../deploy/support.js';

let template: string;
const res = new Resources();
beforeAll(async () => {
  template = await sampleTemplate();
});
afterAll(() => res.cleanup());

const prismaSessions = async (url: string) =>
  (await query<{ n: number }>(url, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'prisma-zd/deploy%'`))[0]!.n;

describe.concurrent('overlapping and interrupted runs', () => {
  for (const signal of ['SIGKILL', 'SIGINT'] as const) {
    it(`deploy ${signal}ed while Prisma waits for its lock: Prisma's session ends with it; the next deploy applies`, async () => {
      const p = await deployProject(res, () => freshDatabase({ template, prefix: 'zd_conc' }), { name: 'product_weight', sql: ADD_WEIGHT });
      const blocker = await session(p.url, 'report-job', HOLD_PRODUCT);
      res.add(() => blocker.end());
      let pid = 0;
      const run = zdDeploy(p, ['--lock-timeout', '30s'], { onSpawn: (x) => (pid = x) });
      await waitFor("Prisma's session to wait for its lock", () => prismaWaiting(p.url));
      process.kill(pid, signal);
      const r = await run;
      if (signal === 'SIGINT') expect(r.code, r.stderr).toBe(130);
      else expect(r.signal).toBe('SIGKILL');
      // Within seconds, not after Prisma's 30 s lock_timeout.
      await waitFor('Prisma to be gone', async () => (await prismaSessions(p.url)) === 0, 10_000);
      expect(await blocker.alive()).toBe(true); // never touched
      await blocker.end();
      const next = await zdDeploy(p, ['--lock-timeout', '2s']);
      expect(next.code, next.stderr).toBe(0);
      expect(await columnExists(p.url, 'Product', 'weightGrams')).toBe(true);
    });
  }

  it('two contracts at once: one waits for its table, the other exits 7 naming it', async () => {
    const db = await freshDatabase({ prefix: 'zd_conc' });
    res.add(() => db.drop());
    expect((await cli(['setup', '--url', db.url])).code).toBe(0);
    await queueDeferredDefault(db.url);
    const holder = await session(db.url, 'report-job', 'LOCK TABLE "P" IN ACCESS SHARE MODE');
    res.add(() => holder.end());
    const first = startCli(['contract', '--url', db.url, '--lock-timeout', '10s', '--migrations', '/nonexistent']);
    await waitFor('the first contract to wait', () => contractWaiting(db.url));
    const second = await cli(['contract', '--url', db.url, '--migrations', '/nonexistent']);
    expect(second.code).toBe(7);
    expect(second.stderr).toMatch(/ZD_BUSY.*prisma-zd\/contract/s);
    await holder.end();
    expect((await first.done).code).toBe(0);
  });

  it('deploy racing postponed run: the runner works, deploy exits 7 naming it', async () => {
    const p = await deployProject(res, () => freshDatabase({ template, prefix: 'zd_conc' }), { name: 'product_weight', sql: ADD_WEIGHT });
    expect((await cli(['setup', '--url', p.url])).code).toBe(0);
    // A build of about 60 s: long enough whatever the machine's load; stopped once seen.
    const stmt = await slowTable(p.url, 'Slow', 60_000);
    await enqueue(p.url, { table: 'Slow', object: 'Slow_slow_idx', statement: stmt, columns: ['a'] });
    const runner = startCli(['postponed', 'run', '--url', p.url, '--migrations', '/nonexistent']);
    await waitForBuild(p.url, 'Slow');
    const d = await zdDeploy(p, []);
    expect(d.code, d.stderr).toBe(7);
    expect(d.stderr).toMatch(/prisma-zd\/postponed/);
    expect(await columnExists(p.url, 'Product', 'weightGrams')).toBe(false);
    runner.child.kill('SIGINT');
    expect((await runner.done).code).toBe(130);
  });
});
