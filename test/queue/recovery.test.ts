import { describe, expect, it } from 'vitest';
import { cli, indexesOf, managed, NOFOLDER, queue, slowTable, sql, startCli, statuses, waitForBuild } from './support.js';


describe('postponed run: interrupted and concurrent runs', () => {
  it('after SIGKILL mid-build, the next run drops the INVALID leftover and completes', async () => {
    const db = await managed();
    try {
      // Long enough that the build is still running when it is killed, whatever the load.
      const stmt = await slowTable(db.url, 'Slow', 5000);
      await queue(db.url, { table: 'Slow', object: 'Slow_slow_idx', statement: stmt, columns: ['a'] });
      const first = startCli(['postponed', 'run', '--url', db.url, ...NOFOLDER]);
      await waitForBuild(db.url, 'Slow');
      first.child.kill('SIGKILL');
      expect((await first.done).signal).toBe('SIGKILL');
      // What the kill left: an entry marked running, an INVALID index (once the orphaned build stops).
      expect((await statuses(db.url))[0]!.status).toBe('running');
      const list = await cli(['postponed', 'list', '--url', db.url]);
      expect(list.stdout).toMatch(/\[~\] #1 index "Slow_slow_idx" on "Slow" — running \(backend pid \d+, attempt 1/);

      const second = await cli(['postponed', 'run', '--url', db.url, ...NOFOLDER]);
      expect(second.code).toBe(0);
      expect(second.stderr).toContain('#1 was left running by a run that ended');
      expect(second.stdout).toContain('#1 index "Slow_slow_idx" on "Slow": built CONCURRENTLY');
      expect(await indexesOf(db.url, 'Slow')).toEqual([expect.objectContaining({ name: 'Slow_slow_idx', valid: true })]);
      expect(await sql(db.url, `SELECT status, attempts FROM prisma_zd.queue`)).toEqual([{ status: 'done', attempts: 2 }]);
    } finally {
      await db.drop();
    }
  });

  it("a build whose session is terminated is a lost connection, not a failed build: exit 6, no leftover, pending; the next run builds it", async () => {
    const db = await managed();
    try {
      const stmt = await slowTable(db.url, 'Cut', 20_000);
      await queue(db.url, { table: 'Cut', object: 'Cut_slow_idx', statement: stmt, columns: ['a'] });
      const first = startCli(['postponed', 'run', '--url', db.url, ...NOFOLDER]);
      const pid = await waitForBuild(db.url, 'Cut');
      await sql(db.url, 'SELECT pg_terminate_backend($1)', [pid]);
      const run = await first.done;
      expect(run.code, run.stdout + run.stderr).toBe(6);
      expect(run.stdout).toMatch(/! #1 index "Cut_slow_idx" on "Cut": connection lost \(57P01\): its session was ended before it finished: terminating connection due to administrator command; it is pending again/);
      expect(run.stdout).toContain('run `prisma-zd postponed run` again');
      expect(run.stdout).not.toContain('fix the cause above');
      expect(run.stdout).not.toContain('failed');
      expect(await indexesOf(db.url, 'Cut')).toEqual([]);
      expect(await sql(db.url, `SELECT status, attempts, error FROM prisma_zd.queue`)).toEqual([{ status: 'pending', attempts: 1, error: null }]);
      const list = await cli(['postponed', 'list', '--url', db.url]);
      expect(list.stdout).toMatch(/\[ \] #1 index "Cut_slow_idx" on "Cut" .*its session was ended before it finished/);

      await sql(db.url, 'TRUNCATE "Cut"; INSERT INTO "Cut" SELECT g FROM generate_series(1, 200) g');
      const second = await cli(['postponed', 'run', '--url', db.url, ...NOFOLDER]);
      expect(second.code, second.stdout + second.stderr).toBe(0);
      expect(await indexesOf(db.url, 'Cut')).toEqual([expect.objectContaining({ name: 'Cut_slow_idx', valid: true })]);
    } finally {
      await db.drop();
    }
  });

  it('two runners at once: one works, the other exits 7 naming the holder; SIGINT stops the first cleanly', async () => {
    const db = await managed();
    try {
      // Still building when the second runner starts, whatever the load (it is stopped below).
      const stmt = await slowTable(db.url, 'Busy', 60_000);
      await queue(db.url, { table: 'Busy', object: 'Busy_slow_idx', statement: stmt, columns: ['a'] });
      const first = startCli(['postponed', 'run', '--url', db.url, ...NOFOLDER]);
      await waitForBuild(db.url, 'Busy');
      const [holder] = await sql<{ pid: number }>(
        db.url,
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'prisma-zd/postponed'`,
      );
      const second = await cli(['postponed', 'run', '--url', db.url, ...NOFOLDER]);
      expect(second.code).toBe(7);
      expect(second.stderr).toContain('ZD_BUSY');
      expect(second.stderr).toContain(`pid ${holder!.pid}, application_name "prisma-zd/postponed"`);
      expect(second.stderr).toMatch(/connected since \d{4}-/);
      // The list shows the build in progress.
      expect((await cli(['postponed', 'list', '--url', db.url])).stdout).toContain('[~] #1 index "Busy_slow_idx"');

      first.child.kill('SIGINT');
      const r = await first.done;
      expect(r.code).toBe(130);
      expect(r.stdout).toContain('interrupted');
      expect(await indexesOf(db.url, 'Busy')).toEqual([]);
      expect(await statuses(db.url)).toEqual([expect.objectContaining({ status: 'pending', note: expect.stringContaining('interrupted') })]);
      // The lock was released.
      expect(
        await sql(
          db.url,
          `SELECT count(*)::int AS n FROM pg_locks
            WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        ),
      ).toEqual([{ n: 0 }]);
    } finally {
      await db.drop();
    }
  });

});
