/**
 * How a deploy reads: progress lines for its events (on stderr, as they come), a closing
 * report like Prisma's own ("The following migration(s) have been applied"), and the
 * `--json` summary. One renderer for the CLI and for tests.
 */
import { relative } from 'node:path';
import { formatBytes, formatRows, LOCK_EFFECT, quoteIdent, type LockMode } from '@prisma-zd/core';
import { formatDuration } from '../queue/progress.js';
import { runSummary } from '../queue/render.js';
import { paint, type Output } from '../util/output.js';
import type { BlockerInfo } from './blockers.js';
import type { DeployResult } from './deploy.js';
import type { DeployEvent, LockWait } from './events.js';
import type { FailedMigration } from './failed.js';
import type { Plan, PlannedStatement } from './plan.js';
import { formatMs } from './settings.js';

type Colors = Pick<Output, 'color'>;

const rel = (p: string) => relative(process.cwd(), p) || p;

function table(t: { schema: string; name: string }): string {
  return t.schema === 'public' ? quoteIdent(t.name) : `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
}

function statementLines(o: Colors, s: PlannedStatement): string[] {
  const at = paint(o, 'dim', `line ${String(s.line).padEnd(4)}`);
  if (s.zd?.role === 'postpone') {
    const after =
      s.zd.work === 'validate'
        ? 'validated by `prisma-zd postponed run` after the migration (SHARE UPDATE EXCLUSIVE: reads and writes continue)'
        : s.zd.work === 'not-null'
          ? 'the migration adds CHECK (… IS NOT NULL) NOT VALID (ACCESS EXCLUSIVE, briefly); `prisma-zd postponed run` validates it after the migration (SHARE UPDATE EXCLUSIVE: reads and writes continue), then sets NOT NULL without a scan (ACCESS EXCLUSIVE, milliseconds)'
          : 'built by `prisma-zd postponed run` after the migration, CONCURRENTLY (SHARE UPDATE EXCLUSIVE: reads and writes continue)';
    return [`${at} ${paint(o, 'green', 'postponed')}: ${s.zd.original ?? s.text}`, `           ${after}`];
  }
  if (s.zd?.role === 'defer') {
    const lines = [`${at} ${paint(o, 'green', 'deferred')} to \`prisma-zd contract\`: ${s.zd.original ?? s.text}`];
    // A deferred DROP COLUMN gives the column a placeholder default (or drops its NOT NULL) now, on this managed database.
    for (const l of s.locks) lines.push(`           until then the migration keeps the column usable (${l.what}): ${l.mode} on ${table(l)} (briefly, no scan)`);
    return lines;
  }
  const locks = s.locks.map((l) => {
    const cost = l.cost === 'build' ? ', for the whole index build' : l.cost === 'rewrite' ? ', while it rewrites the table' : l.cost === 'scan' ? ', while it scans the table' : '';
    const style = l.mode === 'ACCESS EXCLUSIVE' ? 'red' : l.mode === 'SHARE' || l.mode === 'SHARE ROW EXCLUSIVE' || l.mode === 'EXCLUSIVE' ? 'yellow' : 'dim';
    return `${paint(o, style, l.mode)} on ${table(l)} (${l.what}: ${LOCK_EFFECT[l.mode]}${cost})`;
  });
  const head = s.zd?.role === 'maintain' ? 'queue maintenance; may take ' : '';
  const lines = [`${at} ${locks.length ? head + locks.join('; ') : s.opaque ? paint(o, 'yellow', `unknown locks: ${s.opaque}`) : paint(o, 'dim', 'no table lock')}`];
  lines.push(`           ${paint(o, 'dim', s.text)}`);
  if (s.hint) lines.push(`           ${paint(o, 'yellow', 'hint:')} ${s.hint}`);
  for (const b of s.breaks ?? []) {
    const fix = b.fixedByRewrite ? 'run `prisma-zd rewrite` on this migration' : `\`prisma-zd explain ${b.rule}\``;
    lines.push(`           ${paint(o, 'red', 'breaks old app versions:')} ${b.message} (${fix})`);
  }
  return lines;
}

/** Statements worth a line: locks on tables that exist now, prisma-zd blocks, unknown code, advice. */
function notable(s: PlannedStatement, existing: ReadonlySet<string>): boolean {
  return Boolean(s.zd || s.opaque || s.hint || s.breaks || s.locks.some((l) => existing.has(l.key)));
}

export function planLines(o: Colors, plan: Plan): string[] {
  if (plan.migrations.length === 0) return [];
  const existing = new Set(plan.tables.filter((t) => t.exists).map((t) => t.key));
  const lines = ['', paint(o, 'bold', 'Plan')];
  for (const m of plan.migrations) {
    lines.push(`  ${m.name}${m.strongest ? `  (strongest lock: ${m.strongest})` : ''}`);
    if (m.parseError) lines.push(`    ${paint(o, 'red', 'does not parse')}: ${m.parseError}`);
    if (m.unread) lines.push(`    ${paint(o, 'yellow', 'not analysed')}: ${m.unread}; its locks are not shown (PostgreSQL may well accept it)`);
    const shown = m.statements.filter((s) => notable(s, existing));
    for (const s of shown) for (const l of statementLines(o, s)) lines.push(`    ${l}`);
    const rest = m.statements.length - shown.length;
    if (rest) lines.push(`    ${paint(o, 'dim', `${shown.length ? '+ ' : ''}${rest} statement${rest === 1 ? '' : 's'} on new objects or without a table lock`)}`);
  }
  if (plan.tables.length) {
    const parts = plan.tables.map((t) =>
      !t.exists ? `${table(t)} (does not exist yet)` : `${table(t)} ${formatRows(t.rows ?? -1)}${t.bytes === null ? '' : `, ${formatBytes(t.bytes)}`}`,
    );
    lines.push(`  Tables: ${parts.join('; ')}`);
  }
  lines.push('');
  return lines;
}

function waitText(w: LockWait): string {
  const target =
    w.relation ?? (w.locktype === 'transactionid' ? 'a row another transaction changed' : w.locktype === 'advisory' ? "an advisory lock (Prisma's migrate lock?)" : `a ${w.locktype ?? '?'} lock`);
  const what = w.mode ? `${w.mode} on ${target}` : target;
  return w.statement ? `${what} — ${w.statement.migration} line ${w.statement.line}: ${w.statement.text}` : what;
}

export function blockerLine(b: BlockerInfo): string {
  const parts = [`pid ${b.pid}`];
  if (b.user) parts.push(`role "${b.user}"`);
  parts.push(b.application ? `application "${b.application}"` : 'no application_name');
  if (b.clientAddr) parts.push(`from ${b.clientAddr}`);
  if (b.state) parts.push(b.state);
  if (b.xactAgeMs !== null) parts.push(`transaction open ${formatDuration(b.xactAgeMs)}`);
  let line = parts.join(' · ');
  if (b.query === '<insufficient privilege>') line += ' · (state and query hidden: the role lacks pg_read_all_stats)';
  else if (b.query) line += ` · query: ${b.query.replace(/\s+/g, ' ').trim().slice(0, 120)}`;
  if (b.protectedReason) line += ` (never acted on: ${b.protectedReason})`;
  else if (b.filteredReason) line += ` (left alone: ${b.filteredReason})`;
  return line;
}

export function failedLines(o: Colors, f: FailedMigration): string[] {
  const lines = [
    `${paint(o, 'red', '✗')} Migration ${f.row.name} failed in an earlier deploy (started ${f.row.startedAt.toISOString()}): ${f.log.message ?? 'no error was recorded (its process ended first)'}`,
  ];
  if (f.log.sqlstate) lines.push(`    SQLSTATE ${f.log.sqlstate}`);
  const present = f.evidence.filter((e) => e.present);
  const absent = f.evidence.filter((e) => !e.present);
  const left =
    f.left === 'unknown'
      ? 'cannot tell from the catalog (it creates no object to look for)'
      : f.left === 'nothing'
        ? `nothing (absent: ${absent.map((e) => e.what).join(', ')})`
        : `${present.map((e) => e.what).join(', ')} exist${absent.length ? `; absent: ${absent.map((e) => e.what).join(', ')}` : ''}`;
  lines.push(`    left behind: ${left}`);
  if (f.autoResolve) {
    lines.push(`    ${paint(o, 'green', '→')} prisma-zd marks it rolled back and applies it again: ${f.reason}`);
  } else {
    lines.push(`    ${f.reason}`);
    lines.push(`    ${paint(o, 'dim', 'next:')}`);
    for (const step of f.fix) lines.push(`      ${step}`);
  }
  return lines;
}

/** Progress lines for one event (stderr). */
export function eventLines(o: Colors, e: DeployEvent): string[] {
  switch (e.type) {
    case 'start':
      return [
        `${paint(o, 'bold', 'prisma-zd deploy')} (run ${e.run}) — PostgreSQL ${e.serverVersion} at ${e.server}`,
        `Prisma ${e.prismaVersion ?? '(version unknown)'}; migration.sql runs ${e.execution}`,
      ];
    case 'warning':
      return [`${paint(o, 'yellow', 'warning:')} ${e.message}`];
    case 'monitor-error':
      return [`${paint(o, 'yellow', 'warning:')} ${e.message}`];
    case 'setup':
      return e.changed ? [`${paint(o, 'green', '✓')} Installed the prisma-zd bookkeeping schema prisma_zd (version ${e.version}): this database is now managed.`] : [];
    case 'history':
      return [
        `${e.total} migration${e.total === 1 ? '' : 's'} found; ${e.applied} applied, ${e.pending.length} pending${e.failed.length ? `, ${e.failed.length} failed` : ''}.`,
      ];
    case 'plan':
      return planLines(o, e.plan);
    case 'failed':
      return failedLines(o, e.failed);
    case 'resolved':
      return [`${paint(o, 'green', '✓')} Marked ${e.migration} rolled back (as \`prisma migrate resolve --rolled-back\` does).`];
    case 'prisma-lock-busy':
      return [`Waiting for Prisma's migrate lock, held by backend pid ${e.pid}${e.application ? ` (application_name "${e.application}")` : ''}…`];
    case 'attempt':
      return [`${paint(o, 'bold', `Attempt ${e.attempt} of ${e.of}`)}: prisma migrate deploy with lock_timeout ${formatMs(e.lockTimeoutMs)}`];
    case 'prisma-output':
      return [`  ${paint(o, 'dim', '│')} ${e.line}`];
    case 'prisma-backend':
      return [`  Prisma's session: backend pid ${e.pid} (${e.via === 'application_name' ? `application_name "${e.application}"` : "found as the holder of Prisma's migrate lock"})`];
    case 'lock-wait':
      return [`  ${paint(o, 'yellow', 'waiting')} for ${waitText(e.wait)}`];
    case 'blockers':
      return [`  blocked by:`, ...e.blockers.map((b) => `    ${blockerLine(b)}`)];
    case 'blocker-action': {
      const r = e.record;
      const verb = r.action === 'terminate' ? 'terminated' : 'cancelled the query of';
      if (r.error) return [`  ${paint(o, 'red', '✗')} could not ${r.action} pid ${r.pid}: ${r.error}`];
      if (r.skipped) return [`  pid ${r.pid} no longer blocks Prisma: left alone`];
      const note = r.action === 'cancel' && e.blocker?.state?.startsWith('idle in transaction') ? ' (an idle transaction ignores a cancel: use --blockers terminate)' : '';
      return [`  ${paint(o, 'yellow', '!')} ${r.ok ? verb : `could not ${r.action}`} pid ${r.pid}${e.blocker ? ` after it blocked Prisma for ${formatDuration(e.blocker.blockingMs)}` : ''}${r.reason ? ` (${r.reason})` : ''}${note}`];
    }
    case 'lock-timeout':
      return [
        `  ${paint(o, 'yellow', 'lock_timeout')} (${formatMs(e.lockTimeoutMs)}) reached${e.wait ? ` waiting for ${waitText({ ...e.wait, statement: undefined })}` : ''}: nothing of ${e.migration} was applied` +
          (e.retryInMs === undefined ? '; no attempts left.' : `; retrying in ${formatMs(e.retryInMs)}.`),
      ];
    case 'applied':
      return [];
    case 'postponed-log':
      return [`  ${e.text}`];
  }
}

function uniqueBlockers(r: DeployResult): BlockerInfo[] {
  const byPid = new Map<number, BlockerInfo>();
  for (const a of r.attempts) for (const b of a.blockers) byPid.set(b.pid, b);
  return [...byPid.values()];
}

/** The closing report (stdout without --json). */
export function summaryLines(o: Colors, r: DeployResult): string[] {
  const lines: string[] = [];
  if (r.status === 'dry-run') {
    lines.push(r.history.pending.length ? `Dry run: ${r.history.pending.length} migration${r.history.pending.length === 1 ? '' : 's'} would be applied; nothing was changed.` : 'Dry run: no pending migrations to apply.');
    return lines;
  }
  const timeouts = r.attempts.filter((a) => a.outcome === 'lock-timeout').length;
  if (r.applied.length) {
    lines.push(
      `Applied ${r.applied.length} migration${r.applied.length === 1 ? '' : 's'} in ${r.attempts.length} attempt${r.attempts.length === 1 ? '' : 's'}` +
        `${timeouts ? ` (${timeouts} lock timeout${timeouts === 1 ? '' : 's'})` : ''}, ${formatDuration(r.durations.migrateMs)}: ${r.applied.join(', ')}`,
    );
  } else if (r.attempts.length > 1) {
    lines.push(`${r.attempts.length} attempts, ${timeouts} lock timeout${timeouts === 1 ? '' : 's'}.`);
  }
  const actions = r.attempts.flatMap((a) => a.actions).filter((a) => a.ok);
  for (const a of actions) lines.push(`Blocker pid ${a.pid} was ${a.action === 'terminate' ? 'terminated' : 'cancelled'} (attempt ${a.attempt}).`);
  if (r.failure) {
    const f = r.failure;
    lines.push(`${paint(o, 'red', 'Error')}: ${f.migration ? `${f.migration}: ` : ''}${f.message}`);
    if (f.statement) lines.push(`  statement: ${f.statement.migration} line ${f.statement.line}: ${f.statement.text}`);
    if (f.analysis && r.status !== 'lock-timeout') {
      const a = f.analysis;
      const present = a.evidence.filter((e) => e.present).map((e) => e.what);
      const absent = a.evidence.filter((e) => !e.present).map((e) => e.what);
      if (a.evidence.length) lines.push(`  left behind: ${present.join(', ') || 'nothing'}${present.length && absent.length ? `; not applied: ${absent.join(', ')}` : ''}`);
      lines.push(`  ${a.reason}`);
    }
    if (r.status === 'lock-timeout') {
      const blockers = uniqueBlockers(r);
      if (blockers.length) {
        lines.push('  blocked by:');
        for (const b of blockers) lines.push(`    ${blockerLine(b)}`);
      }
    }
    lines.push(`  ${paint(o, 'dim', 'next:')}`);
    for (const step of f.fix) lines.push(`    ${step}`);
    return lines;
  }
  if (r.status === 'interrupted' && !r.postponed?.interrupted) {
    lines.push('Interrupted: nothing more was started. Run `prisma-zd deploy` again to continue.');
    return lines;
  }
  if (r.applied.length === 0 && r.history.pending.length === 0) lines.push('No pending migrations to apply.');
  else if (r.applied.length) lines.push(`${paint(o, 'green', 'All migrations have been successfully applied.')}`);
  if (r.postponed) {
    const post = runSummary(o, r.postponed);
    if (r.postponed.outcomes.length || r.postponed.interrupted) lines.push('', paint(o, 'bold', 'Postponed work'), ...post);
    else if (r.contractPending > 0) lines.push(post[post.length - 1]!);
  } else {
    if (r.postponedPending > 0) lines.push(`${r.postponedPending} postponed entr${r.postponedPending === 1 ? 'y is' : 'ies are'} open (--no-postponed): run \`prisma-zd postponed run\` before rolling out code that needs them.`);
    if (r.contractPending > 0) lines.push(`${r.contractPending} contract statement${r.contractPending === 1 ? ' waits' : 's wait'} for \`prisma-zd contract\` (run it once no old app version is left).`);
  }
  return lines;
}

/** The `--json` summary (stdout). */
export function deployJson(r: DeployResult): Record<string, unknown> {
  return {
    command: 'deploy',
    exitCode: r.exitCode,
    status: r.status,
    run: r.run,
    server: r.server,
    serverVersion: r.serverVersion,
    prismaVersion: r.prismaVersion,
    execution: r.execution,
    warnings: r.warnings,
    setupChanged: r.setupChanged,
    migrations: { total: r.history.total, applied: r.history.applied, pending: r.history.pending, appliedNow: r.applied },
    plan: r.plan && {
      migrations: r.plan.migrations.map((m) => ({
        name: m.name,
        strongestLock: m.strongest ?? null,
        statements: m.statements.map((s) => ({
          line: s.line,
          text: s.text,
          locks: s.locks.map((l) => ({ table: `${l.schema}.${l.name}`, mode: l.mode as LockMode, what: l.what, ...(l.cost ? { cost: l.cost } : {}) })),
          ...(s.zd ? { zd: s.zd.role === 'postpone' ? 'postponed' : s.zd.role === 'defer' ? 'deferred' : 'maintenance' } : {}),
          // What `postponed run` does of a postponed statement: 'index', 'validate' or 'not-null'.
          ...(s.zd?.work ? { postponed: s.zd.work } : {}),
          ...(s.hint ? { hint: s.hint } : {}),
          ...(s.breaks ? { breaks: s.breaks } : {}),
        })),
      })),
      tables: r.plan.tables,
    },
    failed: r.failed.map((f) => ({
      migration: f.row.name,
      error: f.log.message ?? null,
      kind: f.log.kind,
      leftBehind: f.left,
      evidence: f.evidence,
      autoResolve: f.autoResolve,
      reason: f.reason,
      fix: f.autoResolve ? [] : f.fix,
    })),
    resolved: r.resolved,
    attempts: r.attempts,
    blockers: uniqueBlockers(r),
    actions: r.attempts.flatMap((a) => a.actions),
    failure: r.failure
      ? { migration: r.failure.migration ?? null, message: r.failure.message, statement: r.failure.statement ?? null, fix: r.failure.fix }
      : null,
    postponed: r.postponed
      ? { entries: r.postponed.outcomes, interrupted: r.postponed.interrupted, remaining: r.postponed.remaining, reconcile: r.postponed.reconcile }
      : null,
    postponedPending: r.postponedPending,
    contractPending: r.contractPending,
    durations: Object.fromEntries(Object.entries(r.durations).map(([k, v]) => [k, Math.round(v)])),
  };
}
