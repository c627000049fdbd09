/**
 * A `postponed run` in a test, watched. An index built CONCURRENTLY waits for every
 * transaction that started before it, so a session the test holds in a transaction (the
 * old app's report, a forgotten BEGIN) makes it wait as long as that session stays open:
 * the test's own `await` never returns. The worker's lock waits are polled; one that lasts
 * `lockWaitMs` stops the run (its entry stays pending) and is reported with its blockers.
 */
import { withClient } from '../db/connect.js';
import { ExitCode, UserError } from '../errors.js';

/** The queue worker's application_name (queue/session.ts: `prisma-zd/<purpose>-worker`). */
const WORKER = 'prisma-zd/postponed-worker';
const POLL_MS = 200;

interface LockWait {
  /** Continuous waiting so far. */
  ms: number;
  blockers: string[];
}

/**
 * Runs `run` with a signal that is aborted once the queue worker has waited for a lock
 * for `lockWaitMs` without a break; resolves with its result, or throws a `UserError`
 * naming what held the lock.
 */
export async function withLockWatch<T>(url: string, lockWaitMs: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let done = false;
  let wake = () => {};
  let stuck: LockWait | undefined;
  const watch = withClient(
    url,
    async (c) => {
      let since: number | undefined;
      while (!done) {
        await new Promise<void>((r) => {
          const timer = setTimeout(r, POLL_MS);
          wake = () => {
            clearTimeout(timer);
            r();
          };
        });
        if (done) return;
        const { rows } = await c.query<{ waiting: boolean; blockers: string | null }>(
          `SELECT a.wait_event_type = 'Lock' AS waiting,
                  (SELECT string_agg(format('pid %s (%s, %s: %s)', b.pid, coalesce(nullif(b.application_name, ''), 'no application_name'), b.state, left(b.query, 80)), '; ')
                     FROM pg_catalog.pg_stat_activity b WHERE b.pid = ANY (pg_catalog.pg_blocking_pids(a.pid))) AS blockers
             FROM pg_catalog.pg_stat_activity a WHERE a.application_name = $1 AND a.datname = current_database()`,
          [WORKER],
        );
        const row = rows[0];
        if (!row?.waiting) {
          since = undefined;
          continue;
        }
        since ??= Date.now();
        if (Date.now() - since >= lockWaitMs) {
          stuck = { ms: Date.now() - since, blockers: row.blockers ? [row.blockers] : [] };
          controller.abort();
          return;
        }
      }
    },
    { applicationName: 'testing-watch' },
  ).catch(() => {
    // A watch that cannot connect leaves the run unwatched, as before.
  });
  try {
    const result = await run(controller.signal);
    if (stuck) throw blockedError(stuck, lockWaitMs);
    return result;
  } finally {
    done = true;
    wake();
    await watch;
  }
}

function blockedError(wait: LockWait, lockWaitMs: number): UserError {
  return new UserError({
    code: 'ZD_POSTPONED_BLOCKED',
    message:
      `\`prisma-zd postponed run\` waited ${wait.ms} ms (lockWaitMs: ${lockWaitMs}) for a lock` +
      (wait.blockers.length ? ` held by ${wait.blockers.join('; ')}` : '') +
      ': an index built CONCURRENTLY (or a constraint validated) waits for every transaction that started before it. ' +
      'The run was stopped; its entry is pending again (see `state().postponed`).',
    hint: "End that transaction in the test (COMMIT or ROLLBACK the old app's session) before runPostponed(), or end it while runPostponed() waits; raise lockWaitMs to wait longer.",
    exit: ExitCode.PostponedFailed,
  });
}

/** The other sessions of this database holding a lock on `table` (an SQL name), described. */
export async function lockHolders(url: string, table: string): Promise<string[]> {
  return withClient(
    url,
    async (c) => {
      const { rows } = await c.query<{ holder: string }>(
        `SELECT format('pid %s (%s, %s: %s)', a.pid, coalesce(nullif(a.application_name, ''), 'no application_name'), a.state, left(a.query, 80)) AS holder
           FROM pg_catalog.pg_stat_activity a
          WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
            AND a.pid IN (SELECT l.pid FROM pg_catalog.pg_locks l WHERE l.granted AND l.relation = to_regclass($1))
          ORDER BY a.pid`,
        [table],
      );
      return rows.map((r) => r.holder);
    },
    { applicationName: 'testing' },
  ).catch(() => []);
}
