import { conditionalBlock } from '@prisma-zd/core';
import { expect } from 'vitest';
import type { ZdRun } from '../support/cli.js';
import { TEST_PASSWORD } from '../support/postgres.js';
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

/**
 * A user error as the CLI must end with one: the exit code, `Error <code>:`, a hint, every
 * mention, and never a stack trace, "hit a bug" or the test server's password.
 */
export function expectUserError(r: ZdRun, exit: number, code: string, what: string, ...mentions: string[]): void {
  expect(r.code, `${what}: ${r.stdout}${r.stderr}`).toBe(exit);
  expect(r.stderr, what).toContain(`Error ${code}:`);
  expect(r.stderr, what).toMatch(/\nhint: /);
  for (const m of mentions) expect(r.stderr, what).toContain(m);
  expect(r.stderr, what).not.toContain('hit a bug');
  expect(r.stderr, what).not.toMatch(/\n\s+at .*\(/);
  expect(r.stdout + r.stderr, what).not.toContain(TEST_PASSWORD);
}
