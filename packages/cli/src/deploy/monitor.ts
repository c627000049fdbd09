/**
 * The side connection that watches Prisma's backend while `prisma migrate deploy` runs
 * (DESIGN §4). It finds the backend by its application_name (fallback: the holder of
 * Prisma's migrate advisory lock), notices when it waits for a lock, names the sessions
 * that block it (`pg_blocking_pids`), and acts on them per policy after the grace period.
 * A blocker is signalled by a statement that re-checks, at that instant, that it still
 * blocks Prisma's backend and is neither ours nor a replication/background process.
 */
import type pg from 'pg';
import { connect } from '../db/connect.js';
import {
  chooseTargets,
  filteredReason,
  lockModeName,
  protectedReason,
  type ActivityRow,
  type BlockedSituation,
  type BlockerAction,
  type BlockerInfo,
} from './blockers.js';
import type { ActionRecord, DeployListener, LockWait } from './events.js';
import type { DeploySettings } from './settings.js';

/** Prisma's migrate advisory lock (pg_locks: advisory, classid 0, objid 72707369, objsubid 1). */
export const PRISMA_LOCK_ID = 72707369;

export interface AttemptWatch {
  attempt: number;
  lockTimeoutMs: number;
  /** application_name of Prisma's session in this attempt. */
  applicationName: string;
  /** Maps a lock wait to the statement of the plan that takes it. */
  describeWait?: (relation: string | null, mode: string | null) => LockWait['statement'];
}

export interface AttemptObservation {
  prismaPid: number | undefined;
  via: 'application_name' | 'advisory lock' | undefined;
  /** The last lock wait seen, and the longest one. */
  lastWait: LockWait | undefined;
  longestWaitMs: number;
  /** Every session seen blocking Prisma in this attempt (last snapshot of each). */
  blockers: BlockerInfo[];
  actions: ActionRecord[];
}

interface PrismaRow {
  pid: number;
  application_name: string | null;
  wait_event_type: string | null;
  blockers: number[];
  by_name: boolean;
  wait_relation: string | null;
  wait_locktype: string | null;
  wait_mode: string | null;
}

const ACTIVITY = `SELECT a.pid, a.usename, a.application_name, host(a.client_addr) AS client_addr, a.backend_type, a.state,
       a.backend_start, a.xact_start, left(a.query, 400) AS query,
       (extract(epoch FROM clock_timestamp() - a.xact_start) * 1000)::float8 AS xact_ms
  FROM pg_catalog.pg_stat_activity a WHERE a.pid = ANY ($1::int[])`;

type FullActivityRow = ActivityRow & { backend_start: Date | null; xact_start: Date | null; query: string | null };

export class PrismaMonitor {
  /** First time each blocker (session + transaction) was seen blocking Prisma in this run. */
  private readonly firstSeen = new Map<string, number>();
  /** When the policy or hook last decided about a blocker. */
  private readonly decidedAt = new Map<string, number>();
  private readonly announced = new Set<string>();
  private permissionDenied = false;
  private stopped = true;
  private loop: Promise<void> | undefined;
  private wake: () => void = () => {};
  private obs: AttemptObservation = PrismaMonitor.emptyObservation();
  private watch: AttemptWatch | undefined;
  private announcedPid: number | undefined;
  private waitKey: string | undefined;
  private waitStarted = 0;
  private lost = false;

  private constructor(
    private readonly client: pg.Client,
    private readonly run: string,
    private readonly settings: DeploySettings,
    private readonly emit: DeployListener,
  ) {}

  static async open(url: string, run: string, settings: DeploySettings, emit: DeployListener): Promise<PrismaMonitor> {
    const client = await connect(url, { applicationName: `deploy-${run}-monitor` });
    await client.query("SELECT set_config('statement_timeout', '5s', false)");
    return new PrismaMonitor(client, run, settings, emit);
  }

  static emptyObservation(): AttemptObservation {
    return { prismaPid: undefined, via: undefined, lastWait: undefined, longestWaitMs: 0, blockers: [], actions: [] };
  }

  /** Starts watching an attempt. */
  start(watch: AttemptWatch): void {
    this.watch = watch;
    this.obs = PrismaMonitor.emptyObservation();
    this.announcedPid = undefined;
    this.waitKey = undefined;
    this.stopped = false;
    this.loop = this.poll();
  }

  /** Stops watching and returns what was seen. */
  async stop(): Promise<AttemptObservation> {
    this.stopped = true;
    this.wake();
    await this.loop;
    this.closeWait();
    return this.obs;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }

  private async poll(): Promise<void> {
    while (!this.stopped && !this.lost) {
      try {
        await this.tick();
      } catch (e) {
        const err = e as { code?: string; message?: string };
        if (this.stopped) break;
        this.lost = !err.code || /^(08|57P0)/.test(err.code);
        this.emit({ type: 'monitor-error', message: `the blocker monitor ${this.lost ? 'lost its connection' : 'failed'}: ${err.message ?? String(e)}` });
        if (this.lost) break;
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, this.settings.pollMs);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  private closeWait(): void {
    if (this.waitKey !== undefined) this.obs.longestWaitMs = Math.max(this.obs.longestWaitMs, Date.now() - this.waitStarted);
    this.waitKey = undefined;
  }

  private async tick(): Promise<void> {
    const watch = this.watch!;
    const { rows } = await this.client.query<PrismaRow>(
      `SELECT a.pid, a.application_name, a.wait_event_type, pg_catalog.pg_blocking_pids(a.pid) AS blockers,
              (a.application_name = $1) AS by_name,
              w.relation::regclass::text AS wait_relation, w.locktype AS wait_locktype, w.mode AS wait_mode
         FROM pg_catalog.pg_stat_activity a
         LEFT JOIN LATERAL (SELECT l.relation, l.locktype, l.mode FROM pg_catalog.pg_locks l
                             WHERE l.pid = a.pid AND NOT l.granted LIMIT 1) w ON true
        WHERE a.datname = current_database()
          AND (a.application_name = $1 OR a.pid IN (
                SELECT l.pid FROM pg_catalog.pg_locks l
                 WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $2 AND l.objsubid = 1
                   AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())))
        ORDER BY (a.application_name = $1) DESC, (a.wait_event_type = 'Lock') DESC`,
      [watch.applicationName, PRISMA_LOCK_ID],
    );
    const prisma = rows[0];
    if (!prisma) {
      this.closeWait();
      return;
    }
    if (this.announcedPid !== prisma.pid) {
      this.announcedPid = prisma.pid;
      this.obs.prismaPid = prisma.pid;
      this.obs.via = prisma.by_name ? 'application_name' : 'advisory lock';
      this.emit({ type: 'prisma-backend', pid: prisma.pid, application: prisma.application_name, via: this.obs.via });
    }
    if (prisma.wait_event_type !== 'Lock') {
      this.closeWait();
      return;
    }
    const relation = prisma.wait_relation;
    const mode = lockModeName(prisma.wait_mode);
    const key = `${relation ?? prisma.wait_locktype}|${mode}`;
    const statement = watch.describeWait?.(relation, mode);
    const wait: LockWait = { relation, locktype: prisma.wait_locktype, mode, ...(statement ? { statement } : {}) };
    if (this.waitKey !== key) {
      this.closeWait();
      this.waitKey = key;
      this.waitStarted = Date.now();
      this.obs.lastWait = wait;
      this.emit({ type: 'lock-wait', wait });
    }
    if (this.settings.blockers === 'off' || prisma.blockers.length === 0) return;
    await this.blockers(prisma, wait, prisma.wait_locktype !== 'advisory');
  }

  /** `mayAct`: false while Prisma waits for an advisory lock (its migrate lock: another migration holds it, never to be ended). */
  private async blockers(prisma: PrismaRow, wait: LockWait, mayAct: boolean): Promise<void> {
    const watch = this.watch!;
    const now = Date.now();
    const { rows } = await this.client.query<FullActivityRow>(ACTIVITY, [prisma.blockers]);
    const byPid = new Map(rows.map((r) => [r.pid, r]));
    const current: Array<{ id: string; info: BlockerInfo }> = [];
    for (const pid of prisma.blockers) {
      const row = byPid.get(pid);
      const id = `${pid}@${row?.backend_start?.getTime() ?? 0}@${row?.xact_start?.getTime() ?? 0}`;
      if (!this.firstSeen.has(id)) this.firstSeen.set(id, now);
      const base = {
        pid,
        user: row?.usename ?? null,
        application: row?.application_name ?? null,
        clientAddr: row?.client_addr ?? null,
        backendType: row?.backend_type ?? null,
        state: row?.state ?? null,
        xactAgeMs: row?.xact_ms == null ? null : Math.round(row.xact_ms),
        query: row?.query ?? null,
        blockingMs: now - this.firstSeen.get(id)!,
      };
      const prot = protectedReason(pid, row);
      const filtered = prot ? undefined : filteredReason(base, this.settings.filters);
      current.push({ id, info: { ...base, ...(prot ? { protectedReason: prot } : {}), ...(filtered ? { filteredReason: filtered } : {}) } });
    }
    // Grace counts continuous blocking: a session seen not blocking while Prisma waits starts again.
    const ids = new Set(current.map((c) => c.id));
    for (const id of [...this.firstSeen.keys()]) if (!ids.has(id)) this.firstSeen.delete(id);
    for (const c of current) {
      const i = this.obs.blockers.findIndex((b) => b.pid === c.info.pid);
      if (i === -1) this.obs.blockers.push(c.info);
      else this.obs.blockers[i] = c.info;
    }
    const fresh = current.filter((c) => !this.announced.has(c.id));
    if (fresh.length) {
      for (const c of fresh) this.announced.add(c.id);
      this.emit({ type: 'blockers', attempt: watch.attempt, wait, blockers: current.map((c) => c.info) });
    }
    // Decide once the grace period is over, then again at most every grace period (at least 2 s).
    const again = Math.max(this.settings.graceMs, 2000);
    const due = current.filter((c) => c.info.blockingMs >= this.settings.graceMs && now - (this.decidedAt.get(c.id) ?? -Infinity) >= again);
    if (!mayAct || due.length === 0 || due.every((c) => c.info.protectedReason)) return;
    for (const c of due) this.decidedAt.set(c.id, now);
    let decision;
    if (this.settings.onBlocked) {
      const situation: BlockedSituation = {
        run: this.run,
        attempt: watch.attempt,
        prisma: { pid: prisma.pid, waitingForMs: now - this.waitStarted, relation: wait.relation, mode: wait.mode, lockTimeoutMs: watch.lockTimeoutMs },
        blockers: due.map((c) => c.info),
        policy: this.settings.blockers,
      };
      try {
        decision = await this.settings.onBlocked(situation);
      } catch (e) {
        this.emit({ type: 'monitor-error', message: `onBlocked in prisma-zd.config.ts threw: ${(e as Error).message}; only reporting` });
        decision = 'show' as const;
      }
    }
    const target = chooseTargets(due.map((c) => c.info), this.settings.blockers, decision);
    if (target.action === 'show' || this.permissionDenied) return;
    for (const pid of target.pids) await this.act(prisma.pid, pid, target.action, target.reason, due.find((c) => c.info.pid === pid)?.info);
  }

  private async act(prismaPid: number, pid: number, action: BlockerAction, reason: string | undefined, blocker: BlockerInfo | undefined): Promise<void> {
    const record: ActionRecord = { at: new Date().toISOString(), attempt: this.watch!.attempt, pid, action, ok: false, ...(reason ? { reason } : {}) };
    try {
      const { rows } = await this.client.query<{ ok: boolean }>(
        `SELECT CASE WHEN $3 THEN pg_catalog.pg_terminate_backend(p) ELSE pg_catalog.pg_cancel_backend(p) END AS ok
           FROM (SELECT $1::int AS p) t
          WHERE p = ANY (pg_catalog.pg_blocking_pids($2))
            AND EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                         WHERE a.pid = t.p AND coalesce(a.backend_type, 'client backend') = 'client backend'
                           AND coalesce(a.application_name, '') NOT LIKE 'prisma-zd/%' AND a.pid <> pg_backend_pid())
            AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_replication r WHERE r.pid = t.p)`,
        [pid, prismaPid, action === 'terminate'],
      );
      if (rows.length === 0) record.skipped = true;
      else record.ok = rows[0]!.ok;
    } catch (e) {
      const err = e as { code?: string; message?: string };
      record.error = err.message ?? String(e);
      if (err.code === '42501') {
        this.permissionDenied = true;
        record.error =
          `permission denied: ${record.error}. The connecting role needs the pg_signal_backend role (GRANT pg_signal_backend TO <role>; ` +
          'on managed services, a role the provider allows it), and only a superuser may signal a superuser\'s session. ' +
          'Blockers are only reported for the rest of this run.';
      }
    }
    this.obs.actions.push(record);
    this.emit({ type: 'blocker-action', record, blocker });
  }
}

/** The session holding Prisma's migrate lock on this database, if any. */
export async function prismaLockHolder(client: pg.ClientBase): Promise<{ pid: number; application: string | null } | undefined> {
  const { rows } = await client.query<{ pid: number; application_name: string | null }>(
    `SELECT l.pid, a.application_name FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
      LIMIT 1`,
    [PRISMA_LOCK_ID],
  );
  const r = rows[0];
  return r && { pid: r.pid, application: r.application_name };
}
