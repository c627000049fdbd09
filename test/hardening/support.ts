import { conditionalBlock } from '@prisma-zd/core';
import { sql } from '../queue/support.js';

/**
 * Table "P" with a default on "cur", and a queued contract entry that drops it — what a
 * rewritten `ALTER COLUMN … DROP DEFAULT` leaves on a managed database.
 */
export async function queueDeferredDefault(url: string): Promise<void> {
  await sql(url, `CREATE TABLE "P" ("id" INT PRIMARY KEY, "cur" TEXT DEFAULT 'EUR')`);
  const statement = `ALTER TABLE "P" ALTER COLUMN "cur" DROP DEFAULT`;
  await sql(url, conditionalBlock('defer', statement, { kind: 'contract', migration: 'm1', objectName: 'cur', tableName: 'P', columns: ['cur'], statement }));
}

/** True once a `prisma-zd contract` session waits for a lock. */
export async function contractWaiting(url: string): Promise<boolean> {
  const [r] = await sql<{ n: number }>(
    url,
    // This test's database only: tests in other databases of the server run contracts too.
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND application_name LIKE 'prisma-zd/contract%' AND wait_event_type = 'Lock'`,
  );
  return r!.n > 0;
}
