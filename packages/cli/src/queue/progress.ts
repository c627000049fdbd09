/**
 * What an index build is doing, read from `pg_stat_progress_create_index` on a side
 * connection, and how it is shown: a line redrawn in place on a terminal, plain lines
 * at most every few seconds elsewhere (none for a build shorter than that).
 */
import type pg from 'pg';
import { paint, type Output } from '../util/output.js';
import { redact } from '../util/redact.js';

export interface BuildProgress {
  phase: string;
  blocksTotal: number;
  blocksDone: number;
  tuplesTotal: number;
  tuplesDone: number;
  lockersTotal: number;
  lockersDone: number;
  /** While the phase is "waiting for …": the sessions the build waits for. */
  waitingFor: Array<{ pid: number; applicationName: string | null; xactStart: Date | null; state: string | null }>;
}

/** The build's progress, undefined when `pid` is not building an index (yet or any more). */
export async function readBuildProgress(client: pg.ClientBase, pid: number): Promise<BuildProgress | undefined> {
  const { rows } = await client.query<{
    phase: string;
    blocks_total: string;
    blocks_done: string;
    tuples_total: string;
    tuples_done: string;
    lockers_total: string;
    lockers_done: string;
    current_locker_pid: string | null;
  }>(
    `SELECT phase, blocks_total, blocks_done, tuples_total, tuples_done, lockers_total, lockers_done, current_locker_pid
       FROM pg_catalog.pg_stat_progress_create_index WHERE pid = $1`,
    [pid],
  );
  const r = rows[0];
  if (!r) return undefined;
  const p: BuildProgress = {
    phase: r.phase,
    blocksTotal: Number(r.blocks_total),
    blocksDone: Number(r.blocks_done),
    tuplesTotal: Number(r.tuples_total),
    tuplesDone: Number(r.tuples_done),
    lockersTotal: Number(r.lockers_total),
    lockersDone: Number(r.lockers_done),
    waitingFor: [],
  };
  if (p.phase.startsWith('waiting for')) {
    // current_locker_pid names one; pg_blocking_pids names all sessions the build waits on.
    const w = await client.query<{ pid: number; application_name: string | null; xact_start: Date | null; state: string | null }>(
      `SELECT a.pid, a.application_name, a.xact_start, a.state
         FROM pg_catalog.pg_stat_activity a
        WHERE a.pid = ANY (pg_catalog.pg_blocking_pids($1) || $2::int)
        ORDER BY a.xact_start NULLS LAST`,
      [pid, r.current_locker_pid === null ? 0 : Number(r.current_locker_pid)],
    );
    p.waitingFor = w.rows.map((x) => ({ pid: x.pid, applicationName: x.application_name, xactStart: x.xact_start, state: x.state }));
  }
  return p;
}

function pct(done: number, total: number): string {
  return total > 0 ? `${Math.min(100, Math.floor((done * 100) / total))}%` : '';
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/** `building index: scanning table 42% (10,000 of 23,810 blocks)` or the sessions waited for. */
export function describeProgress(p: BuildProgress): string {
  if (p.waitingFor.length > 0 || p.phase.startsWith('waiting for')) {
    const who = p.waitingFor
      .map((w) => {
        const since = w.xactStart ? `, transaction open ${formatDuration(Date.now() - w.xactStart.getTime())}` : '';
        return `pid ${w.pid}${w.applicationName ? ` (${w.applicationName}${since})` : since ? ` (${since.slice(2)})` : ''}`;
      })
      .join(', ');
    const count = p.lockersTotal > 0 ? ` (${p.lockersDone} of ${p.lockersTotal} done)` : '';
    return `${p.phase}${count}${who ? `: ${who}` : ''}`;
  }
  const fmt = (n: number) => n.toLocaleString('en-US');
  if (p.blocksTotal > 0) return `${p.phase} ${pct(p.blocksDone, p.blocksTotal)} (${fmt(p.blocksDone)} of ${fmt(p.blocksTotal)} blocks)`;
  if (p.tuplesTotal > 0) return `${p.phase} ${pct(p.tuplesDone, p.tuplesTotal)} (${fmt(p.tuplesDone)} of ${fmt(p.tuplesTotal)} tuples)`;
  return p.phase;
}

/** Shows progress for one build at a time. */
export interface ProgressView {
  update(label: string, p: BuildProgress | undefined, elapsedMs: number): void;
  /** Clears the redrawn line before a normal line is printed. */
  clear(): void;
}

export function progressView(out: Output, intervalMs = 5000): ProgressView {
  let lastAt = 0;
  let drawn = false;
  if (out.isTTY && process.stderr.isTTY) {
    return {
      update(label, p, elapsed) {
        const text = `${label}: ${p ? describeProgress(p) : 'starting'} [${formatDuration(elapsed)}]`;
        const width = Math.max(40, (process.stderr.columns || 100) - 1);
        process.stderr.write(`\r\u001b[2K${paint(out, 'dim', redact(text).slice(0, width))}`);
        drawn = true;
      },
      clear() {
        if (drawn) process.stderr.write('\r\u001b[2K');
        drawn = false;
      },
    };
  }
  return {
    update(label, p, elapsed) {
      if (!p || elapsed < intervalMs) return;
      const now = Date.now();
      if (now - lastAt < intervalMs) return;
      out.err(`  ${label}: ${describeProgress(p)} [${formatDuration(elapsed)}]`);
      lastAt = now;
    },
    clear() {
      lastAt = 0;
    },
  };
}
