/**
 * The two sessions of a queue run. `control` holds the queue lock, writes the
 * bookkeeping, watches progress and cancels; `worker` runs the queued statements with
 * its own settings (no statement or lock timeout: a concurrent build may wait for old
 * transactions as long as it must). If the worker's connection is lost, the next entry
 * gets a new one.
 */
import type pg from 'pg';
import { ExitCode, UserError } from '../errors.js';
import { connect, setSettings } from '../db/connect.js';
import { markPending, readEntries } from './entries.js';

export interface WorkerSettings {
  /** `maintenance_work_mem` for builds, e.g. `1GB`. */
  maintenanceWorkMem?: string;
  /** `max_parallel_maintenance_workers`. */
  maxParallelWorkers?: number;
}

export class QueueSessions {
  private workerClient: pg.Client | undefined;
  private workerPidValue = 0;
  private serverVersion = 0;
  /** True while a queued statement runs on the worker: an interrupt cancels it. */
  inFlight = false;

  private constructor(
    private readonly url: string,
    readonly control: pg.Client,
    private readonly purpose: string,
    private readonly settings: WorkerSettings,
  ) {}

  static async open(url: string, purpose: string, settings: WorkerSettings = {}): Promise<QueueSessions> {
    const control = await connect(url, { applicationName: purpose });
    const s = new QueueSessions(url, control, purpose, settings);
    const v = await control.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
    s.serverVersion = Number(v.rows[0]?.v ?? 0);
    return s;
  }

  get workerPid(): number {
    return this.workerPidValue;
  }

  /** The worker session, (re)connected and checked. */
  async worker(): Promise<pg.Client> {
    if (this.workerClient) {
      try {
        await this.workerClient.query('SELECT 1');
        return this.workerClient;
      } catch {
        await this.workerClient.end().catch(() => {});
        this.workerClient = undefined;
      }
    }
    const w = await connect(this.url, { applicationName: `${this.purpose}-worker` });
    const pid = await w.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    this.workerPidValue = pid.rows[0]!.pid;
    const base: Record<string, string> = { statement_timeout: '0', lock_timeout: '0', idle_in_transaction_session_timeout: '0' };
    // PostgreSQL 14+: a build whose runner was killed notices the closed socket and stops.
    if (this.serverVersion >= 140000) base.client_connection_check_interval = '1000';
    await setSettings(w, base);
    try {
      if (this.settings.maintenanceWorkMem !== undefined) {
        await setSettings(w, { maintenance_work_mem: this.settings.maintenanceWorkMem });
      }
      if (this.settings.maxParallelWorkers !== undefined) {
        await setSettings(w, { max_parallel_maintenance_workers: String(this.settings.maxParallelWorkers) });
      }
    } catch (e) {
      await w.end().catch(() => {});
      throw new UserError({
        code: 'ZD_USAGE',
        message: `PostgreSQL refused a build setting: ${(e as Error).message}`,
        hint: 'Use sizes like --maintenance-work-mem 1GB and a worker count within max_worker_processes.',
        exit: ExitCode.Usage,
      });
    }
    this.workerClient = w;
    return w;
  }

  /** Asks PostgreSQL to cancel the worker's current statement. */
  async cancelWorker(): Promise<void> {
    if (!this.workerPidValue) return;
    await this.control.query('SELECT pg_cancel_backend($1)', [this.workerPidValue]).catch(() => {});
  }

  async close(): Promise<void> {
    await this.workerClient?.end().catch(() => {});
    await this.control.end().catch(() => {});
  }
}

export interface StaleEntry {
  id: number;
  pid: number | null;
  /** Its backend was still working (its runner was killed) and was stopped. */
  stoppedBackend: boolean;
}

/**
 * Entries left `running` by a run that ended without finishing them (killed, crashed,
 * lost its connection). Only called while holding the queue lock, so no other run
 * is working on them: a backend still building for a dead runner is stopped, and the
 * entry is pending again.
 */
export async function recoverStaleEntries(control: pg.ClientBase): Promise<StaleEntry[]> {
  const running = await readEntries(control, { status: ['running'] });
  const out: StaleEntry[] = [];
  for (const e of running) {
    let stopped = false;
    if (e.pid !== null && (await ourBackendAlive(control, e.pid))) {
      await control.query('SELECT pg_cancel_backend($1)', [e.pid]).catch(() => {});
      stopped = await waitGone(control, e.pid, 10_000);
      if (!stopped) {
        await control.query('SELECT pg_terminate_backend($1)', [e.pid]).catch(() => {});
        stopped = await waitGone(control, e.pid, 10_000);
      }
    }
    await markPending(control, e.id, `the run that started it (backend pid ${e.pid ?? '?'}) ended before it finished`);
    out.push({ id: e.id, pid: e.pid, stoppedBackend: stopped });
  }
  return out;
}

async function ourBackendAlive(client: pg.ClientBase, pid: number): Promise<boolean> {
  const { rows } = await client.query(
    `SELECT 1 FROM pg_catalog.pg_stat_activity WHERE pid = $1 AND application_name LIKE 'prisma-zd/%'`,
    [pid],
  );
  return rows.length > 0;
}

async function waitGone(client: pg.ClientBase, pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await ourBackendAlive(client, pid))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
