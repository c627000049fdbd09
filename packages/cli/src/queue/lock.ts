/**
 * One prisma-zd worker per database: `setup` (when it changes something), `postponed
 * run`, `postponed cleanup` and `contract` take the same session-level advisory lock.
 * When it is taken, the error names the session that holds it.
 */
import type pg from 'pg';
import { ExitCode, UserError } from '../errors.js';

/** The lock key: the bytes of "pzd_lock" as a bigint (pg_locks shows classid 0x707a645f, objid 0x6c6f636b, objsubid 1). */
export const QUEUE_LOCK_KEY = '8104900840410538859';
const CLASSID = 0x707a645f;
const OBJID = 0x6c6f636b;

export interface LockHolder {
  pid: number;
  applicationName: string | null;
  user: string | null;
  clientAddr: string | null;
  /** When the holder's session started (the lock is taken right after connecting). */
  since: Date | null;
  state: string | null;
  query: string | null;
}

/** The session holding the queue lock on this database, if any. */
export async function lockHolder(client: pg.ClientBase): Promise<LockHolder | undefined> {
  const { rows } = await client.query<{
    pid: number;
    application_name: string | null;
    usename: string | null;
    client_addr: string | null;
    backend_start: Date | null;
    state: string | null;
    query: string | null;
  }>(
    `SELECT l.pid, a.application_name, a.usename, host(a.client_addr) AS client_addr, a.backend_start, a.state, a.query
       FROM pg_catalog.pg_locks l
       LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted
        AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
        AND l.classid = $1::oid AND l.objid = $2::oid AND l.objsubid = 1
      LIMIT 1`,
    [CLASSID, OBJID],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    pid: r.pid,
    applicationName: r.application_name,
    user: r.usename,
    clientAddr: r.client_addr,
    since: r.backend_start,
    state: r.state,
    query: r.query,
  };
}

export function describeHolder(h: LockHolder): string {
  const parts = [`pid ${h.pid}`];
  parts.push(h.applicationName ? `application_name "${h.applicationName}"` : 'application_name not visible to this role');
  if (h.user) parts.push(`role "${h.user}"`);
  if (h.clientAddr) parts.push(`from ${h.clientAddr}`);
  if (h.since) parts.push(`connected since ${h.since.toISOString()}`);
  return parts.join(', ');
}

/**
 * Takes the queue lock on `client`'s session or throws `ZD_BUSY` (exit 7) naming the
 * holder. `waitMs`: how long to wait for it (default: not at all).
 */
export async function acquireQueueLock(client: pg.ClientBase, purpose: string, waitMs = 0): Promise<void> {
  if (waitMs > 0) {
    await client.query('SELECT set_config($1, $2, false)', ['lock_timeout', `${waitMs}ms`]);
    try {
      await client.query('SELECT pg_advisory_lock($1::bigint)', [QUEUE_LOCK_KEY]);
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== '55P03') throw e;
    } finally {
      await client.query('RESET lock_timeout');
    }
  } else {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [QUEUE_LOCK_KEY]);
    if (rows[0]?.ok) return;
  }
  const holder = await lockHolder(client);
  throw new UserError({
    code: 'ZD_BUSY',
    message:
      `Another prisma-zd run holds the queue lock of this database: ${holder ? describeHolder(holder) : 'a session that just ended'}. ` +
      (waitMs > 0 ? `${purpose} waited ${waitMs / 1000} s for it.` : `${purpose} does not wait for it.`),
    hint: holder
      ? 'Wait for it to finish (`prisma-zd postponed list` shows what it is working on), or stop that process with Ctrl-C/SIGTERM: the next run completes what it started.'
      : 'Run the command again.',
    exit: ExitCode.Busy,
  });
}

export async function releaseQueueLock(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1::bigint)', [QUEUE_LOCK_KEY]);
}

/** Runs `fn` holding the queue lock on `client`'s session. */
export async function withQueueLock<T>(client: pg.ClientBase, purpose: string, fn: () => Promise<T>): Promise<T> {
  await acquireQueueLock(client, purpose);
  try {
    return await fn();
  } finally {
    await releaseQueueLock(client).catch(() => {});
  }
}
