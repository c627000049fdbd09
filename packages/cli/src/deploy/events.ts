/**
 * What a deploy reports while it runs, as data: the CLI renders these lines as they come
 * (render.ts); a library caller may collect or ignore them. The final `DeployResult`
 * holds the same facts.
 */
import type { BlockerAction, BlockerInfo } from './blockers.js';
import type { FailedMigration } from './failed.js';
import type { Plan } from './plan.js';

export interface LockWait {
  /** The relation (as `regclass` text) for a table lock. */
  relation: string | null;
  /** pg_locks.locktype: `relation`, `transactionid` (a row another transaction changed), `advisory`, … */
  locktype?: string | null;
  mode: string | null;
  /** The statement of the pending migration that takes this lock, when the plan knows it. */
  statement?: { migration: string; line: number; text: string };
}

export interface ActionRecord {
  at: string;
  attempt: number;
  pid: number;
  action: BlockerAction;
  /** The signal was delivered (PostgreSQL returned true). */
  ok: boolean;
  /** It no longer blocked Prisma when we looked again (the statement acts only on current blockers). */
  skipped?: boolean;
  error?: string;
  reason?: string;
}

export type DeployEvent =
  | { type: 'start'; run: string; server: string; serverVersion: string; prismaVersion: string | undefined; execution: string; migrationsDir: string }
  | { type: 'warning'; message: string }
  | { type: 'setup'; changed: boolean; version: number }
  | { type: 'history'; total: number; applied: number; pending: string[]; failed: string[] }
  | { type: 'plan'; plan: Plan }
  | { type: 'failed'; failed: FailedMigration }
  | { type: 'resolved'; migration: string; reason: string }
  | { type: 'prisma-lock-busy'; pid: number; application: string | null; waitedMs: number }
  | { type: 'attempt'; attempt: number; of: number; lockTimeoutMs: number }
  | { type: 'prisma-output'; stream: 'stdout' | 'stderr'; line: string }
  | { type: 'prisma-backend'; pid: number; application: string | null; via: 'application_name' | 'advisory lock' }
  | { type: 'lock-wait'; wait: LockWait }
  | { type: 'blockers'; attempt: number; wait: LockWait; blockers: BlockerInfo[] }
  | { type: 'blocker-action'; record: ActionRecord; blocker: BlockerInfo | undefined }
  | { type: 'monitor-error'; message: string }
  | { type: 'lock-timeout'; attempt: number; migration: string; lockTimeoutMs: number; retryInMs: number | undefined; wait: LockWait | undefined }
  | { type: 'applied'; migrations: string[] }
  | { type: 'postponed-log'; text: string };

export type DeployListener = (event: DeployEvent) => void;
