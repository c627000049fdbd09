/**
 * Settings in the connection URL reach the session that runs the migrations
 * (DESIGN §4: prisma-zd passes `options=-c lock_timeout=…` and `application_name=…`
 * through the URL), and that session is the one holding Prisma's migrate lock.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  PRISMA_MIGRATE_LOCK_ID,
  runPrisma,
  type ExecMode,
} from '../support/prisma.js';
import { migrationRows, query, sampleWithMigration, tableExists, withParams } from './helpers.js';


/** A database with the sample history applied, and a project copy with `sql` as one more migration. */
const setup = sampleWithMigration('zd_prisma_session');

/** Holds a lock on "Product" that any ALTER TABLE must wait for, until `release()`. */
async function lockProduct(url: string) {
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query('LOCK TABLE "Product" IN ACCESS SHARE MODE');
  const [{ pid }] = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
  return {
    pid,
    release: async () => {
      await holder.query('COMMIT');
      await holder.end();
    },
  };
}

const ALTER_PRODUCT = `-- AlterTable
ALTER TABLE "Product" ADD COLUMN "weightGrams" INTEGER;
`;

describe.concurrent.each<ExecMode>(['whole-file', 'per-statement'])('URL parameters (%s)', (mode) => {
  it('reach the session that runs migration.sql, which holds the migrate lock', async () => {
    const { url, project } = await setup(
      'session_probe',
      `CREATE TABLE "SessionProbe" AS
SELECT current_setting('lock_timeout') AS lock_timeout,
       current_setting('statement_timeout') AS statement_timeout,
       current_setting('application_name') AS application_name,
       EXISTS (SELECT 1 FROM pg_locks
                WHERE locktype = 'advisory' AND classid = 0 AND objid = ${PRISMA_MIGRATE_LOCK_ID} AND objsubid = 1
                  AND pid = pg_backend_pid() AND granted) AS holds_migrate_lock;
`,
    );
    const deployUrl = withParams(url, {
      options: '-c lock_timeout=2345ms -c statement_timeout=45s',
      application_name: 'prisma-zd/session-test',
    });
    const deploy = await runPrisma(['migrate', 'deploy'], { url: deployUrl, mode, cwd: project.dir });
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(await query(url, 'SELECT * FROM "SessionProbe"')).toEqual([
      { lock_timeout: '2345ms', statement_timeout: '45s', application_name: 'prisma-zd/session-test', holds_migrate_lock: true },
    ]);
  });
});

describe.concurrent('a migration waiting for a lock', () => {
  it('is visible from a side connection: by application_name, as the holder of the migrate lock, with its blocker', async () => {
    const { url, project } = await setup('product_weight', ALTER_PRODUCT);
    const holder = await lockProduct(url);
    try {
      const deployUrl = withParams(url, { options: '-c lock_timeout=60s', application_name: 'prisma-zd/blocked' });
      const deploying = runPrisma(['migrate', 'deploy'], { url: deployUrl, cwd: project.dir });

      let waiting: { pid: number; blockers: number[]; holds_migrate_lock: boolean } | undefined;
      const deadline = Date.now() + 60_000;
      while (!waiting && Date.now() < deadline) {
        [waiting] = await query<{ pid: number; blockers: number[]; holds_migrate_lock: boolean }>(
          url,
          `SELECT a.pid, pg_blocking_pids(a.pid) AS blockers,
                  EXISTS (SELECT 1 FROM pg_locks l
                           WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.objid = $1 AND l.granted) AS holds_migrate_lock
             FROM pg_stat_activity a
            WHERE a.datname = current_database() AND a.application_name = 'prisma-zd/blocked' AND a.wait_event_type = 'Lock'`,
          [PRISMA_MIGRATE_LOCK_ID],
        );
        if (!waiting) await new Promise((r) => setTimeout(r, 50));
      }
      expect(waiting).toMatchObject({ blockers: [holder.pid], holds_migrate_lock: true });

      await holder.release();
      const deploy = await deploying;
      expect(deploy.code, deploy.stderr).toBe(0);
      expect(await query(url, `SELECT 1 FROM information_schema.columns WHERE table_name = 'Product' AND column_name = 'weightGrams'`)).toHaveLength(1);
    } finally {
      await holder.release().catch(() => {});
    }
  });

  it('gives up after the URL’s lock_timeout; whole-file execution leaves nothing applied', async () => {
    const { url, project, migration } = await setup(
      'product_weight',
      `CREATE TABLE "Shipment" ("id" SERIAL PRIMARY KEY);\n\n${ALTER_PRODUCT}`,
    );
    const holder = await lockProduct(url);
    try {
      const deployUrl = withParams(url, { options: '-c lock_timeout=300ms' });
      const deploy = await runPrisma(['migrate', 'deploy'], { url: deployUrl, cwd: project.dir });
      expect(deploy.code).toBe(1);
      expect(deploy.stderr).toContain('canceling statement due to lock timeout');
      const row = (await migrationRows(url)).find((r) => r.migration_name === migration);
      expect(row).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });
      expect(row!.logs).toContain('ERROR: canceling statement due to lock timeout');
      expect(await tableExists(url, 'Shipment')).toBe(false);
    } finally {
      await holder.release();
    }
  });
});
