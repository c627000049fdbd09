/**
 * How queue entries and run results read on a terminal. One renderer for the CLI and
 * for tests.
 */
import { paint, type Output, type Style } from '../util/output.js';
import type { ContractResult } from './contract.js';
import { entryLabel, type EntryStatus, type QueueEntry } from './entries.js';
import { nextStep } from './failure.js';
import { formatDuration } from './progress.js';
import { RUN_COMMAND, type RunResult } from './runner.js';

const MARKERS: Record<EntryStatus, [string, Style]> = {
  pending: ['[ ]', 'cyan'],
  running: ['[~]', 'yellow'],
  done: ['[X]', 'green'],
  failed: ['[E]', 'red'],
  cancelled: ['[-]', 'dim'],
};

function time(d: Date | null): string {
  return d ? d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '?';
}

/** One entry: `[E] #6 index "User_email_key" on "User" — failed (23505): …` plus a `next:` line for failures. */
export function entryLines(o: Pick<Output, 'color'>, e: QueueEntry): string[] {
  // A status outside the set (the queue's CHECK constraint was dropped and a row edited by hand).
  const [mark, style]: [string, Style] = Object.hasOwn(MARKERS, e.status) ? MARKERS[e.status] : ['[?]', 'red'];
  const head = `${paint(o, style, mark)} #${e.id} ${entryLabel(e)}`;
  const from = e.migration ? paint(o, 'dim', `  (${e.migration})`) : '';
  switch (e.status) {
    case 'pending':
      return [`${head}${from}${e.note ? paint(o, 'dim', ` — ${e.note}`) : ''}`];
    case 'running':
      return [`${head} — running (backend pid ${e.pid ?? '?'}, attempt ${e.attempts}, since ${time(e.startedAt)})`];
    case 'done': {
      const took = e.startedAt && e.finishedAt ? `, took ${formatDuration(e.finishedAt.getTime() - e.startedAt.getTime())}` : '';
      return [`${head} — done ${time(e.finishedAt)}${took}${e.note ? ` (${e.note})` : ''}`];
    }
    case 'failed':
      return [
        `${head} — failed${e.sqlstate ? ` (${e.sqlstate})` : ''}${e.attempts ? ` after ${e.attempts} attempt${e.attempts === 1 ? '' : 's'}` : ''}: ${e.error ?? '?'}`,
        `    ${paint(o, 'dim', 'next:')} ${nextStep(e, e.kind === 'contract' ? 'prisma-zd contract' : RUN_COMMAND)}`,
      ];
    case 'cancelled':
      return [`${head} — cancelled${e.note ? `: ${e.note}` : ''}`];
    default:
      return [
        `${head} — unknown status ${JSON.stringify(e.status)} (prisma_zd.queue was edited by hand); no prisma-zd command runs it`,
        `    ${paint(o, 'dim', 'next:')} UPDATE prisma_zd.queue SET status = 'pending' WHERE id = ${e.id}; then run \`${e.kind === 'contract' ? 'prisma-zd contract' : RUN_COMMAND}\``,
      ];
  }
}

export function countsLine(entries: readonly QueueEntry[]): string {
  const counts = new Map<EntryStatus, number>();
  for (const e of entries) counts.set(e.status, (counts.get(e.status) ?? 0) + 1);
  const parts = (['pending', 'running', 'failed', 'done', 'cancelled'] as const)
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s}`);
  const other = entries.filter((e) => !Object.hasOwn(MARKERS, e.status)).length;
  if (other) parts.push(`${other} with an unknown status`);
  return `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

/** The run's report: what was done, each failure with its next step, and what is left. */
export function runSummary(o: Pick<Output, 'color'>, r: RunResult): string[] {
  const lines: string[] = [];
  const failed = r.outcomes.filter((x) => x.status === 'failed');
  const ok = r.outcomes.filter((x) => x.status === 'built' || x.status === 'validated' || x.status === 'set-not-null' || x.status === 'set-not-null-scanned' || x.status === 'already');
  if (r.outcomes.length === 0 && !r.interrupted) {
    lines.push('Nothing to build: no postponed index, validation or NOT NULL is pending.');
  } else {
    for (const x of r.outcomes) {
      if (x.status === 'failed') {
        lines.push(`${paint(o, 'red', '✗')} ${x.label}: failed${x.sqlstate ? ` (${x.sqlstate})` : ''}: ${x.error}`);
        lines.push(`    ${paint(o, 'dim', 'next:')} ${x.next}`);
      } else if (x.status === 'interrupted') {
        lines.push(`${paint(o, 'yellow', '!')} ${x.label}: interrupted; its leftover was dropped and it is pending again`);
      } else if (x.status === 'connection-lost') {
        lines.push(`${paint(o, 'yellow', '!')} ${x.label}: connection lost${x.sqlstate ? ` (${x.sqlstate})` : ''}: ${x.error}; it is pending again`);
        lines.push(`    ${paint(o, 'dim', 'next:')} ${x.next}`);
      } else {
        const what =
          x.status === 'already'
            ? x.kind === 'not-null' ? 'already NOT NULL' : 'already built'
            : x.status === 'built' ? 'built CONCURRENTLY' : x.status === 'set-not-null'
                ? 'validated and set NOT NULL (no scan under lock)'
                : x.status === 'set-not-null-scanned' ? 'validated and set NOT NULL (PostgreSQL scanned the table under its lock)' : 'validated';
        lines.push(`${paint(o, 'green', '✓')} ${x.label}: ${what}${x.status === 'already' ? '' : ` in ${formatDuration(x.durationMs)}`}`);
      }
    }
    lines.push('');
    lines.push(
      `${ok.length} of ${r.outcomes.length} postponed entr${r.outcomes.length === 1 ? 'y' : 'ies'} done` +
        (failed.length ? `, ${paint(o, 'red', `${failed.length} failed`)}: do not roll out code that relies on ${failed.length === 1 ? 'it' : 'them'}` : '') +
        '.',
    );
  }
  if (r.interrupted) lines.push(`Interrupted: run \`${RUN_COMMAND}\` again to finish.`);
  if (r.outcomes.some((x) => x.status === 'connection-lost')) {
    lines.push(`The connection to the database was lost: the run stopped; run \`${RUN_COMMAND}\` again to finish.`);
  }
  if (r.remaining > 0) lines.push(`${r.remaining} postponed entr${r.remaining === 1 ? 'y is' : 'ies are'} still open: run \`${RUN_COMMAND}\`.`);
  if (r.contractPending > 0) {
    lines.push(
      `${r.contractPending} contract statement${r.contractPending === 1 ? ' waits' : 's wait'} for \`prisma-zd contract\` (run it once no old app version is left).`,
    );
  }
  return lines;
}

export function contractSummary(o: Pick<Output, 'color'>, r: ContractResult): string[] {
  const lines: string[] = [];
  if (r.outcomes.length === 0 && !r.interrupted) lines.push('Nothing to contract: no deferred statement is pending.');
  for (const x of r.outcomes) {
    if (x.status === 'applied') {
      const how = [x.note, x.attempts > 1 ? `attempt ${x.attempts}` : undefined].filter(Boolean).join('; ');
      lines.push(`${paint(o, 'green', '✓')} ${x.label}: applied${how ? ` (${how})` : ''}`);
    } else if (x.status === 'interrupted') {
      lines.push(`${paint(o, 'yellow', '!')} ${x.label}: interrupted; nothing of it was applied`);
    } else {
      const why = x.status === 'lock-timeout' ? `lock not available after ${x.attempts} attempts` : 'failed';
      lines.push(`${paint(o, 'red', '✗')} ${x.label}: ${why}${x.sqlstate ? ` (${x.sqlstate})` : ''}: ${x.error}`);
      lines.push(`    ${paint(o, 'dim', 'next:')} ${x.next}`);
    }
  }
  if (r.interrupted) lines.push('Interrupted: run `prisma-zd contract` again to finish.');
  else if (r.remaining > 0) {
    lines.push(`${r.remaining} contract statement${r.remaining === 1 ? ' is' : 's are'} still pending (contract stops at the first failure).`);
  }
  if (r.postponedPending > 0) {
    lines.push(
      `reminder: ${r.postponedPending} postponed index/validation entr${r.postponedPending === 1 ? 'y is' : 'ies are'} still open: run \`${RUN_COMMAND}\`.`,
    );
  }
  return lines;
}
