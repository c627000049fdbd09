/**
 * A removed `@@index` end to end: `prisma migrate dev` writes a plain `DROP INDEX`, which
 * needs an ACCESS EXCLUSIVE lock on the table; `rewrite` defers it to `contract`, which
 * drops the index CONCURRENTLY. The built CLI runs the sample project's real `prisma
 * migrate deploy` (prisma@6.19.3) against a real PostgreSQL while an old app version's
 * report transaction holds the table.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/db.js';
import { runZd } from '../support/cli.js';
import { sampleTemplate } from '../prisma/helpers.js';
import { addMigration } from '../support/prisma.js';
import { addRewrittenMigration, deployProject, query, Resources, session, waitFor, zdDeploy } from './support.js';

let template: string;
const res = new Resources();
const newDatabase = () => freshDatabase({ template, prefix: 'zd_dropidx' });

beforeAll(async () => {
  template = await sampleTemplate();
});
afterAll(() => res.cleanup());

const INDEX = 'Comment_postId_createdAt_idx';
const indexExists = async (url: string) => (await query<{ ok: boolean }>(url, `SELECT to_regclass('"${INDEX}"') IS NOT NULL AS ok`))[0]!.ok;

describe('a removed @@index (DROP INDEX deferred to contract)', () => {
  it('deploys without waiting for a long report on the table, keeps the index for old versions, refuses a later CREATE INDEX CONCURRENTLY of its name until contract, which drops it CONCURRENTLY without blocking reads (interrupted, the next run completes it); verify agrees throughout', async () => {
    const p = await deployProject(res, newDatabase);
    const name = await addRewrittenMigration(p.project.migrationsDir, 'drop_comment_index', `-- DropIndex\nDROP INDEX "${INDEX}";\n`);
    const file = readFileSync(join(p.project.migrationsDir, name, 'migration.sql'), 'utf8');
    expect(file).toContain(`-- prisma-zd: deferred: index "${INDEX}" is dropped CONCURRENTLY by \`prisma-zd contract\``);

    // An old app version's report: a transaction that has read "Comment" and stays open.
    const report = await session(p.url, 'old-app-report', 'SELECT count(*) FROM "Comment"');
    try {
      // The plan says so before anything runs: deferred, no lock.
      const dry = await zdDeploy(p, ['--dry-run', '--json']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.json!.plan.migrations[0].statements.map((st: { zd?: string; locks: unknown[] }) => [st.zd, st.locks.length])).toEqual([['deferred', 0]]);
      expect(dry.stderr).toContain(`deferred to \`prisma-zd contract\`: DROP INDEX "${INDEX}"`);

      // The plain DROP INDEX would wait for the report (lock_timeout, retries, exit 4); the rewritten one takes no lock on "Comment".
      const deployed = await zdDeploy(p, ['--json', '--lock-timeout', '500ms', '--blockers', 'show']);
      expect(deployed.code, deployed.stderr).toBe(0);
      expect(deployed.json).toMatchObject({ status: 'applied', contractPending: 1 });
      expect(await indexExists(p.url)).toBe(true);
      const queued = await query(p.url, `SELECT kind, object_name, table_name, status FROM prisma_zd.queue`);
      expect(queued).toEqual([{ kind: 'contract', object_name: INDEX, table_name: 'Comment', status: 'pending' }]);

      // The index that stands until contract is the queue's, not drift.
      const before = await runZd(['verify', '--url', p.url, '--migrations', p.project.migrationsDir, '--json'], { cwd: p.project.dir });
      const pendingReport = JSON.parse(before.stdout) as { drift: unknown[]; pending: Array<{ explains: string[] }> };
      expect(pendingReport.drift).toEqual([]);
      expect(pendingReport.pending).toHaveLength(1);
      expect(pendingReport.pending[0]!.explains.join()).toContain(INDEX);

      // A later migration that builds an index of that name CONCURRENTLY (alone in its file, it carries no queue
      // maintenance) would fail here with "already exists": refused before anything runs, naming what to run.
      const again = addMigration(p.project.migrationsDir, 'comment_index_again', `CREATE INDEX CONCURRENTLY "${INDEX}" ON "Comment"("createdAt");\n`);
      const refused = await zdDeploy(p);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`Error ZD_INDEX_STILL_STANDS: Migration ${again} creates index "${INDEX}" CONCURRENTLY (migrations/${again}/migration.sql:1), but on this database "${INDEX}" still stands: migration ${name} dropped it`);
      expect(refused.stderr).toContain('hint: Run `prisma-zd contract`');
      expect(await query(p.url, `SELECT 1 FROM _prisma_migrations WHERE migration_name = $1`, [again])).toEqual([]);

      // contract waits for the report without queueing anyone behind it: a new read of "Comment" goes through meanwhile.
      const contractWaits = () =>
        waitFor('contract to wait for the report', async () =>
          (await query(p.url, `SELECT 1 FROM pg_stat_activity WHERE application_name = 'prisma-zd/contract-worker' AND wait_event_type = 'Lock'`)).length > 0,
        );
      let pid = 0;
      const first = runZd(['contract', '--url', p.url, '--migrations', p.project.migrationsDir], { cwd: p.project.dir, onSpawn: (n) => (pid = n) });
      await contractWaits();
      const reader = await session(p.url, 'new-app-read');
      try {
        await reader.client.query(`SET statement_timeout = '3s'`);
        const { rows } = await reader.client.query<{ n: string }>(`SELECT count(*) AS n FROM "Comment"`);
        expect(Number(rows[0]!.n)).toBeGreaterThanOrEqual(0);
      } finally {
        await reader.end();
      }
      // Interrupted (Ctrl-C, a CD job cancelled): the index is left invalid, still the entry's, which verify says.
      process.kill(pid, 'SIGINT');
      expect((await first).code).toBe(130);
      const mid = JSON.parse((await runZd(['verify', '--url', p.url, '--migrations', p.project.migrationsDir, '--json'], { cwd: p.project.dir })).stdout);
      expect(mid.drift).toEqual([]);
      expect(mid.invalidIndexes).toEqual([{ table: '"public"."Comment"', index: INDEX, queued: false, dropQueued: true }]);

      const contract = runZd(['contract', '--url', p.url, '--migrations', p.project.migrationsDir, '--json'], { cwd: p.project.dir });
      await contractWaits();
      expect(await indexExists(p.url)).toBe(true);
      await report.end();
      const done = await contract;
      expect(done.code, done.stderr).toBe(0);
      expect(JSON.parse(done.stdout).entries).toMatchObject([{ status: 'applied', label: expect.stringContaining(`DROP INDEX "${INDEX}"`) }]);
      expect(await indexExists(p.url)).toBe(false);
      expect(await query(p.url, `SELECT status FROM prisma_zd.queue`)).toEqual([{ status: 'done' }]);

      // The way is clear: the later migration deploys, and the schema is exactly the history's (I2).
      const redeployed = await zdDeploy(p);
      expect(redeployed.code, redeployed.stderr).toBe(0);
      expect(await indexExists(p.url)).toBe(true);
      const after = await runZd(['verify', '--url', p.url, '--migrations', p.project.migrationsDir, '--json'], { cwd: p.project.dir });
      expect(after.code, after.stdout).toBe(0);
      expect(JSON.parse(after.stdout)).toMatchObject({ equal: true, drift: [], pending: [] });
    } finally {
      await report.end();
    }
  });
});
