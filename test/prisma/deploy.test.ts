import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/postgres.js';
import { migrationNames, PRISMA_MIGRATE_LOCK_ID, runPrisma, type ExecMode } from '../support/prisma.js';
import { migrationRows, query } from './helpers.js';

const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
});

describe.concurrent.each<ExecMode>(['whole-file', 'per-statement'])('prisma migrate deploy of the sample history (%s)', (mode) => {
  it('applies every migration, records one row each, and status reports the database up to date', async () => {
    const db = await freshDatabase({ prefix: 'zd_prisma_deploy' });
    databases.push(db);

    const deploy = await runPrisma(['migrate', 'deploy'], { url: db.url, mode });
    expect(deploy.code, deploy.stderr).toBe(0);
    const names = migrationNames();
    expect(names.length).toBeGreaterThanOrEqual(8);
    expect(deploy.stdout).toContain(`${names.length} migrations found in prisma/migrations`);
    expect(deploy.stdout).toContain('All migrations have been successfully applied.');

    const rows = await migrationRows(db.url);
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    for (const row of rows) {
      expect(row.finished_at, row.migration_name).not.toBeNull();
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }

    // The end state of the history, spot-checked: the enum swap ran (BEGIN … COMMIT
    // inside the file), the added value and the column default are there.
    const [role] = await query<{ values: string[]; def: string }>(
      db.url,
      `SELECT enum_range(NULL::"Role")::text[] AS values,
              (SELECT column_default FROM information_schema.columns
                WHERE table_name = 'User' AND column_name = 'role') AS def`,
    );
    expect(role).toEqual({ values: ['READER', 'AUTHOR', 'ADMIN'], def: `'READER'::"Role"` });
    const [status] = await query<{ values: string[] }>(db.url, `SELECT enum_range(NULL::"OrderStatus")::text[] AS values`);
    expect(status!.values).toContain('CANCELLED');

    // The CLI exited right after its last line, not ~10 s later when the WebAssembly
    // engine's never-cleared timer fires (prisma/adapter/engine-timers.ts), and its
    // session, with the migrate lock, is gone.
    expect(deploy.lingerMs).toBeLessThan(3_000);
    const locks = await query(
      db.url,
      `SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND objid = $1
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [PRISMA_MIGRATE_LOCK_ID],
    );
    expect(locks).toEqual([]);

    const status2 = await runPrisma(['migrate', 'status'], { url: db.url, mode });
    expect(status2.code, status2.stderr).toBe(0);
    expect(status2.stdout).toContain('Database schema is up to date!');
  });
});
