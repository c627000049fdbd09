/**
 * `deploy(request) → DeployResult`: `prisma migrate deploy`, supervised (DESIGN §4).
 *
 *  1. Preflight: Prisma's project and URL, the connection, the bookkeeping schema
 *     (`setup`), the history (edited applied migrations are refused, failed ones judged),
 *     a plan of the pending migrations with their locks and tables.
 *  2. The queue lock, so deploy and `postponed run`/`contract` never run at once; a
 *     previous `prisma migrate deploy` still holding Prisma's own lock is waited for.
 *  3. Attempts: `prisma migrate deploy` as a child process whose session carries
 *     lock_timeout, statement_timeout and application_name through its URL; a side
 *     connection watches that session and its blockers (monitor.ts). A lock timeout of
 *     an all-or-nothing migration is marked rolled back and retried after a jittered
 *     pause, with the next lock_timeout of the schedule.
 *  4. `postponed run` (the queued index builds and validations), and a reminder of the
 *     contract statements waiting for `prisma-zd contract`.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { initParser } from '@prisma-zd/core';
import { connect, connectionError, describeServer } from '../db/connect.js';
import { ExitCode, UserError } from '../errors.js';
import { readMigrationsFolder } from '../project/migrations.js';
import { assertSafeExecution, requireUrl, resolvePrismaProject, type PrismaProject } from '../project/prisma-project.js';
import { acquireQueueLock, releaseQueueLock } from '../queue/lock.js';
import { runPostponed, type RunReporter, type RunResult } from '../queue/runner.js';
import { installSchema } from '../queue/schema.js';
import { registerSecretsFrom } from '../util/redact.js';
import type { BlockerInfo } from './blockers.js';
import type { ActionRecord, DeployEvent, DeployListener, LockWait } from './events.js';
import { analyseFailed, markRolledBack, oneLine, type FailedMigration } from './failed.js';
import { historyState, isApplied, isFailed, readMigrationRows, type MigrationRow } from './history.js';
import { PrismaMonitor, prismaLockHolder, type AttemptObservation } from './monitor.js';
import { buildPlan, type Plan } from './plan.js';
import { locatePrismaCli, runMigrateDeploy, urlVariables, type ChildRun } from './prisma-cli.js';
import { retryDelay, type DeploySettings } from './settings.js';
import { looksLikeDevDatabase, poolerReason, prismaSchemaOf, sessionUrl } from './url.js';

export interface DeployRequest {
  cwd?: string;
  url?: string;
  migrations?: string;
  schema?: string;
  settings: DeploySettings;
  /** Preflight and plan only: nothing changes. */
  dryRun?: boolean;
  /** How long to wait for another session holding Prisma's migrate lock (default 60 s). */
  prismaLockWaitMs?: number;
  /** Aborting stops Prisma (its transaction rolls back) and ends the deploy. */
  signal?: AbortSignal;
  onEvent?: DeployListener;
  /** Progress of `postponed run` (index builds). */
  postponedReporter?: RunReporter;
  /** A run id (default: random); Prisma's session is `prisma-zd/deploy-<run>`. */
  run?: string;
  /** Extra environment for the Prisma child. */
  env?: NodeJS.ProcessEnv;
  /** Randomness of the retry jitter (tests). */
  random?: () => number;
}

export type DeployStatus = 'applied' | 'up-to-date' | 'dry-run' | 'migration-failed' | 'lock-timeout' | 'postponed-failed' | 'interrupted';

export interface AttemptResult {
  attempt: number;
  lockTimeoutMs: number;
  startedAt: string;
  durationMs: number;
  outcome: 'applied' | 'lock-timeout' | 'failed' | 'interrupted';
  prismaExitCode: number | null;
  /** Prisma's backend pid, as the monitor found it. */
  prismaPid: number | undefined;
  applied: string[];
  /** The migration that failed or timed out. */
  migration?: string;
  error?: string;
  /** The failed row was marked rolled back (nothing was applied). */
  rolledBack?: boolean;
  wait?: LockWait;
  longestWaitMs: number;
  blockers: BlockerInfo[];
  actions: ActionRecord[];
}

export interface DeployFailure {
  migration: string | undefined;
  message: string;
  /** The statement that failed, when known. */
  statement?: LockWait['statement'];
  analysis?: FailedMigration;
  fix: string[];
}

export interface DeployResult {
  run: string;
  exitCode: ExitCode;
  status: DeployStatus;
  server: string;
  serverVersion: string;
  prismaVersion: string | undefined;
  execution: string;
  migrationsDir: string;
  warnings: string[];
  setupChanged: boolean;
  history: { total: number; applied: number; pending: string[] };
  plan: Plan | undefined;
  /** Failed migrations found before running (Prisma's P3009 state). */
  failed: FailedMigration[];
  /** Of those, the ones marked rolled back because nothing of them was applied. */
  resolved: Array<{ migration: string; reason: string }>;
  attempts: AttemptResult[];
  applied: string[];
  failure?: DeployFailure;
  postponed: RunResult | undefined;
  /** Open queue entries after the run. */
  postponedPending: number;
  contractPending: number;
  durations: { preflightMs: number; migrateMs: number; postponedMs: number; totalMs: number };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/** `"public"."Product"` and regclass text (`"Product"`, `app."Order"`) as comparable `schema.name`. */
function relName(text: string, defaultSchema: string): string {
  const parts = text.match(/"(?:[^"]|"")*"|[^.]+/g) ?? [text];
  const names = parts.map((p) => (p.startsWith('"') ? p.slice(1, -1).replaceAll('""', '"') : p));
  return names.length > 1 ? `${names[0]}.${names[1]}` : `${defaultSchema}.${names[0]}`;
}

/** The statement of the plan's pending migrations (not yet applied) that takes `mode` on `relation`. */
function waitStatement(plan: Plan | undefined, appliedNames: ReadonlySet<string>, relation: string | null, mode: string | null, schema: string) {
  if (!plan || !relation) return undefined;
  const target = relName(relation, schema);
  for (const m of plan.migrations) {
    if (appliedNames.has(m.name)) continue;
    const hits = m.statements.filter((s) => s.locks.some((l) => `${l.schema}.${l.name}` === target));
    const exact = hits.find((s) => s.locks.some((l) => `${l.schema}.${l.name}` === target && l.mode === mode)) ?? hits[0];
    if (exact) return { migration: m.name, line: exact.line, text: exact.text };
  }
  return undefined;
}

/** A lost session: connection-class SQLSTATEs, admin shutdown, or pg's own errors about a dead socket. */
function isConnectionLoss(e: unknown): boolean {
  const err = (e ?? {}) as { code?: string; message?: string };
  if (err.code && /^(08|57P0[123])/.test(err.code)) return true;
  if (err.code && ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(err.code)) return true;
  return /Connection terminated|not queryable|connection error|terminating connection|server closed the connection/i.test(err.message ?? '');
}

/** The error lines of Prisma's output (not its backtrace). */
function prismaErrorLines(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => /^Error\b|ERROR:|^P\d{4}/.test(l));
  return oneLine(lines.slice(0, 3).join(' | '), 300);
}

function connectionLost(e: unknown, url: string, context: string, prismaOutput: string): UserError | undefined {
  if (!connectionError(e, url) && !isConnectionLoss(e)) return undefined;
  const tail = prismaErrorLines(prismaOutput);
  return new UserError({
    code: 'ZD_DB_CONNECTION_LOST',
    message:
      `The connection to PostgreSQL at ${describeServer(url)} was lost ${context} (${(e as Error)?.message ?? String(e)})` +
      (tail ? `. Prisma's last output: ${tail}` : ''),
    hint: 'When the server is reachable again, run `prisma-zd deploy` again: it checks what the interrupted attempt left behind and continues.',
    exit: ExitCode.Connection,
  });
}

async function waitForPrismaLock(client: pg.ClientBase, waitMs: number, emit: DeployListener, signal?: AbortSignal): Promise<void> {
  const started = Date.now();
  let announced = false;
  for (;;) {
    const holder = await prismaLockHolder(client);
    if (!holder) return;
    if (!announced) {
      emit({ type: 'prisma-lock-busy', pid: holder.pid, application: holder.application, waitedMs: 0 });
      announced = true;
    }
    if (Date.now() - started >= waitMs || signal?.aborted) {
      throw new UserError({
        code: 'ZD_BUSY',
        message:
          `Prisma's migrate lock (advisory lock 72707369) is held by backend pid ${holder.pid}` +
          `${holder.application ? ` (application_name "${holder.application}")` : ''}: another \`prisma migrate deploy\` is running. Waited ${Math.round((Date.now() - started) / 1000)} s.`,
        hint: holder.application?.startsWith('prisma-zd/')
          ? 'It is the Prisma process of an earlier prisma-zd deploy (perhaps one that was killed): wait for it to end, or end it (SELECT pg_terminate_backend(<pid>)), then run prisma-zd deploy again.'
          : 'Wait for it to finish, then run prisma-zd deploy again.',
        exit: ExitCode.Busy,
      });
    }
    await sleep(250, signal);
  }
}

function editedError(project: PrismaProject, edited: ReturnType<typeof historyState>['edited'], table: string): UserError {
  const lines = edited.map(
    (e) =>
      `  ${e.path}: applied with checksum ${e.stored.slice(0, 12)}…, the file now has ${e.actual.slice(0, 12)}…\n` +
      `    if the change is intended: UPDATE ${table} SET checksum = '${e.actual}' WHERE migration_name = '${e.name}' AND checksum = '${e.stored}';`,
  );
  return new UserError({
    code: 'ZD_MIGRATION_EDITED',
    message:
      `${edited.length === 1 ? 'A migration was' : `${edited.length} migrations were`} edited after being applied to this database ` +
      `(Prisma never runs an applied migration again, so the edit would silently not reach it; \`prisma migrate deploy\` does not check this):\n${lines.join('\n')}`,
    hint: `Restore the file as it was applied (git log -p -- ${project.migrationsDir}), or, when the change is intended (e.g. \`prisma-zd rewrite --all\` when adopting prisma-zd), record the new checksum with the UPDATE above.`,
    exit: ExitCode.Failure,
  });
}

export async function deploy(req: DeployRequest): Promise<DeployResult> {
  const t0 = performance.now();
  await initParser();
  const events: DeployListener = req.onEvent ?? (() => {});
  const settings = req.settings;
  const run = req.run ?? randomBytes(3).toString('hex');
  const project = await resolvePrismaProject({
    ...(req.cwd === undefined ? {} : { cwd: req.cwd }),
    ...(req.url === undefined ? {} : { url: req.url }),
    ...(req.migrations === undefined ? {} : { migrations: req.migrations }),
    ...(req.schema === undefined ? {} : { schema: req.schema }),
  });
  const url = requireUrl(project);
  registerSecretsFrom(url);
  assertSafeExecution(project);
  const cli = locatePrismaCli(project.root);
  const schema = prismaSchemaOf(url);
  const files = readMigrationsFolder(project.migrationsDir);
  const variables = urlVariables(project);
  if (variables.length === 0) {
    throw new UserError({
      code: 'ZD_URL_NOT_INJECTABLE',
      message: `prisma-zd cannot pass lock_timeout to Prisma's session: the datasource URL in ${project.configFile ?? project.schemaPath ?? "Prisma's config"} is not read from an environment variable.`,
      hint: 'Read the URL from an environment variable in the datasource (env("DATABASE_URL")), as Prisma recommends.',
      exit: ExitCode.Usage,
    });
  }
  const warnings: string[] = [];
  const emit = (e: DeployEvent) => {
    if (e.type === 'warning') warnings.push(e.message);
    events(e);
  };
  const result: DeployResult = {
    run,
    exitCode: ExitCode.Ok,
    status: 'up-to-date',
    server: describeServer(url),
    serverVersion: '',
    prismaVersion: cli.version ?? project.prismaVersion,
    execution: project.execution,
    migrationsDir: project.migrationsDir,
    warnings,
    setupChanged: false,
    history: { total: files.length, applied: 0, pending: [] },
    plan: undefined,
    failed: [],
    resolved: [],
    attempts: [],
    applied: [],
    postponed: undefined,
    postponedPending: 0,
    contractPending: 0,
    durations: { preflightMs: 0, migrateMs: 0, postponedMs: 0, totalMs: 0 },
  };
  const finish = (status: DeployStatus, exitCode: ExitCode) => {
    result.status = status;
    result.exitCode = exitCode;
  };

  const control = await connect(url, { applicationName: `deploy-${run}-control` });
  let holdsQueueLock = false;
  let migrateStarted = 0;
  try {
    result.serverVersion = (await control.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    emit({ type: 'start', run, server: result.server, serverVersion: result.serverVersion, prismaVersion: result.prismaVersion, execution: project.execution, migrationsDir: project.migrationsDir });
    const pooler = poolerReason(url);
    if (pooler) {
      emit({
        type: 'warning',
        message: `The database URL looks like a connection pooler (${pooler}): session settings (lock_timeout) and advisory locks may not survive it. Use a direct URL for migrations (Prisma's directUrl).`,
      });
    }
    if (looksLikeDevDatabase(url)) {
      emit({
        type: 'warning',
        message:
          'This looks like a development database: deploying makes it managed by prisma-zd (indexes are queued, not built inline), ' +
          'and `prisma migrate dev` reports drift until `prisma-zd postponed run` has built them.',
      });
    }
    if (project.execution !== 'whole-file') {
      emit({
        type: 'warning',
        message: `Prisma runs migration.sql ${project.execution === 'per-statement' ? 'statement by statement' : 'in a way prisma-zd cannot tell'}: a failed migration may be partly applied, so prisma-zd reports it and does not retry it.`,
      });
    }
    if (!req.dryRun) {
      await acquireQueueLock(control, '`deploy`');
      holdsQueueLock = true;
      const setup = await installSchema(control);
      result.setupChanged = setup.changed;
      emit({ type: 'setup', changed: setup.changed, version: setup.to });
      await waitForPrismaLock(control, req.prismaLockWaitMs ?? 60_000, emit, req.signal);
    }

    let state = historyState(files, await readMigrationRows(control, schema));
    if (state.edited.length) throw editedError(project, state.edited, `"${schema}"."_prisma_migrations"`);
    result.history = { total: files.length, applied: state.applied.length, pending: state.pending.map((p) => p.name) };
    emit({ type: 'history', total: files.length, applied: state.applied.length, pending: result.history.pending, failed: state.failed.map((f) => f.name) });
    for (const row of state.failed) {
      const analysis = await analyseFailed(control, row, files, project.execution, schema);
      result.failed.push(analysis);
      emit({ type: 'failed', failed: analysis });
    }
    result.plan = await buildPlan(control, files, state.pending, schema);
    emit({ type: 'plan', plan: result.plan });
    result.durations.preflightMs = performance.now() - t0;

    const manual = result.failed.filter((f) => !f.autoResolve);
    if (manual.length) {
      const f = manual[0]!;
      result.failure = { migration: f.row.name, message: f.log.message ?? 'no error was recorded', analysis: f, fix: f.fix };
      finish('migration-failed', ExitCode.MigrationFailed);
      return result;
    }
    if (req.dryRun) {
      finish('dry-run', ExitCode.Ok);
      return result;
    }
    for (const f of result.failed) {
      if (await markRolledBack(control, schema, f.row.id)) {
        result.resolved.push({ migration: f.row.name, reason: f.reason });
        emit({ type: 'resolved', migration: f.row.name, reason: f.reason });
      }
    }

    migrateStarted = performance.now();
    if (state.pending.length) {
      await attempts(control);
      state = historyState(files, await readMigrationRows(control, schema));
      result.history.applied = state.applied.length;
    } else {
      finish('up-to-date', ExitCode.Ok);
    }
    result.durations.migrateMs = performance.now() - migrateStarted;
  } catch (e) {
    throw (e instanceof UserError ? undefined : connectionLost(e, url, 'during the deploy', '')) ?? e;
  } finally {
    if (holdsQueueLock) await releaseQueueLock(control).catch(() => {});
    await control.end().catch(() => {});
    result.durations.totalMs = performance.now() - t0;
  }

  if (result.exitCode === ExitCode.Ok && settings.postponed) {
    const t = performance.now();
    result.postponed = await runPostponed({
      url,
      migrationsDir: project.migrationsDir,
      schema,
      ...(req.signal ? { signal: req.signal } : {}),
      reporter: req.postponedReporter ?? { log: (text) => emit({ type: 'postponed-log', text }), progress() {}, clearProgress() {} },
    });
    result.durations.postponedMs = performance.now() - t;
    if (result.postponed.interrupted) finish('interrupted', ExitCode.Interrupted);
    else if (result.postponed.outcomes.some((o) => o.status === 'failed')) finish('postponed-failed', ExitCode.PostponedFailed);
  }
  await countQueue(url, result).catch(() => {});
  result.durations.totalMs = performance.now() - t0;
  return result;

  /** The attempt loop (see the module comment). */
  async function attempts(client: pg.Client): Promise<void> {
    const monitor = await PrismaMonitor.open(url, run, settings, emit);
    const applicationName = `prisma-zd/deploy-${run}`;
    try {
      for (let i = 0; i < settings.schedule.length; i++) {
        const lockTimeoutMs = settings.schedule[i]!;
        if (req.signal?.aborted) {
          finish('interrupted', ExitCode.Interrupted);
          return;
        }
        emit({ type: 'attempt', attempt: i + 1, of: settings.schedule.length, lockTimeoutMs });
        const rowsBefore = (await readMigrationRows(client, schema)) ?? [];
        const appliedBefore = new Set(rowsBefore.filter(isApplied).map((r) => r.id));
        const appliedNames = new Set(rowsBefore.filter(isApplied).map((r) => r.name));
        const childUrl = sessionUrl(url, { lockTimeoutMs, statementTimeoutMs: settings.statementTimeoutMs, applicationName });
        const env: NodeJS.ProcessEnv = { ...process.env, ...req.env };
        for (const v of variables) env[v] = childUrl;
        const startedAt = new Date();
        monitor.start({
          attempt: i + 1,
          lockTimeoutMs,
          applicationName,
          describeWait: (relation, mode) => waitStatement(result.plan, appliedNames, relation, mode, schema),
        });
        let child: ChildRun;
        let obs: AttemptObservation;
        try {
          child = await runMigrateDeploy({
            cli,
            cwd: project.root,
            ...(req.schema === undefined ? {} : { schema: req.schema }),
            env,
            onLine: (stream, line) => emit({ type: 'prisma-output', stream, line }),
            ...(req.signal ? { signal: req.signal } : {}),
          });
        } finally {
          obs = await monitor.stop();
        }
        let rowsAfter: MigrationRow[];
        try {
          rowsAfter = (await readMigrationRows(client, schema)) ?? [];
        } catch (e) {
          throw connectionLost(e, url, `while \`prisma migrate deploy\` ran (attempt ${i + 1})`, child.output) ?? e;
        }
        const applied = rowsAfter.filter((r) => isApplied(r) && !appliedBefore.has(r.id)).map((r) => r.name);
        result.applied.push(...applied);
        if (applied.length) emit({ type: 'applied', migrations: applied });
        const failedRow = rowsAfter.find(isFailed);
        const attempt: AttemptResult = {
          attempt: i + 1,
          lockTimeoutMs,
          startedAt: startedAt.toISOString(),
          durationMs: Date.now() - startedAt.getTime(),
          outcome: 'applied',
          prismaExitCode: child.code,
          prismaPid: obs.prismaPid,
          applied,
          ...(obs.lastWait ? { wait: obs.lastWait } : {}),
          longestWaitMs: obs.longestWaitMs,
          blockers: obs.blockers,
          actions: obs.actions,
        };
        result.attempts.push(attempt);
        if (child.code === 0 && !failedRow) {
          finish('applied', ExitCode.Ok);
          return;
        }
        const analysis = failedRow ? await analyseFailed(client, failedRow, files, project.execution, schema) : undefined;
        if (req.signal?.aborted) {
          attempt.outcome = 'interrupted';
          if (analysis?.autoResolve && (await markRolledBack(client, schema, analysis.row.id))) attempt.rolledBack = true;
          finish('interrupted', ExitCode.Interrupted);
          return;
        }
        const statement = obs.lastWait?.statement;
        if (analysis) {
          attempt.migration = analysis.row.name;
          attempt.error = analysis.log.message ?? 'no error recorded';
        }
        const timedOut = analysis ? analysis.log.kind === 'lock-timeout' : /lock timeout/i.test(child.output);
        if (timedOut && (!analysis || analysis.autoResolve)) {
          attempt.outcome = 'lock-timeout';
          if (analysis) attempt.rolledBack = await markRolledBack(client, schema, analysis.row.id);
          const last = i + 1 >= settings.schedule.length;
          const retryInMs = last ? undefined : retryDelay(settings.retryDelayMs, i + 2, req.random);
          emit({ type: 'lock-timeout', attempt: i + 1, migration: analysis?.row.name ?? "Prisma's migrate lock", lockTimeoutMs, retryInMs, wait: obs.lastWait });
          if (last) {
            result.failure = {
              migration: analysis?.row.name,
              message: `lock_timeout reached in ${settings.schedule.length === 1 ? 'the only attempt' : `all ${settings.schedule.length} attempts`}: nothing of ${analysis?.row.name ?? 'the migration'} was applied`,
              ...(statement ? { statement } : {}),
              fix: [
                'find out what keeps the table busy (the blockers above), then run prisma-zd deploy again',
                'or let prisma-zd end the blockers: prisma-zd deploy --blockers terminate --blocker-grace 5s',
                'or wait longer per attempt: prisma-zd deploy --retry-schedule "5s*3,30s*2"',
              ],
            };
            finish('lock-timeout', ExitCode.LockTimeout);
            return;
          }
          await sleep(retryInMs!, req.signal);
          continue;
        }
        attempt.outcome = 'failed';
        if (!analysis) {
          const lost = child.output.match(/terminating connection|Connection terminated|ECONNREFUSED|server closed the connection|Can't reach database server|P1001|P1017/i);
          if (lost) {
            throw new UserError({
              code: 'ZD_DB_CONNECTION_LOST',
              message: `\`prisma migrate deploy\` lost its connection to PostgreSQL at ${describeServer(url)} (attempt ${i + 1}): ${prismaErrorLines(child.output)}`,
              hint: 'When the server is reachable again, run `prisma-zd deploy` again: it checks what the interrupted attempt left behind and continues.',
              exit: ExitCode.Connection,
            });
          }
          attempt.error = prismaErrorLines(child.output) || oneLine(child.output.trim().split('\n').slice(-3).join(' '), 300);
        }
        result.failure = {
          migration: analysis?.row.name,
          message: analysis ? (analysis.log.message ?? 'no error recorded') : `\`prisma migrate deploy\` failed (exit code ${child.code}): ${attempt.error}`,
          ...(statement && analysis?.log.kind === 'lock-timeout' ? { statement } : {}),
          ...(analysis ? { analysis } : {}),
          fix: analysis?.fix ?? ["fix what Prisma's output above names, then run prisma-zd deploy again"],
        };
        finish('migration-failed', ExitCode.MigrationFailed);
        return;
      }
    } finally {
      await monitor.close();
    }
  }
}

/** Open queue entries (for the reminder), read after everything else. */
async function countQueue(url: string, result: DeployResult): Promise<void> {
  const client = await connect(url, { applicationName: `deploy-${result.run}-summary` });
  try {
    const { rows } = await client.query<{ kind: string; n: string }>(
      `SELECT kind, count(*) AS n FROM prisma_zd.queue WHERE status IN ('pending', 'failed', 'running') GROUP BY kind`,
    );
    result.contractPending = Number(rows.find((r) => r.kind === 'contract')?.n ?? 0);
    result.postponedPending = rows.filter((r) => r.kind !== 'contract').reduce((n, r) => n + Number(r.n), 0);
  } finally {
    await client.end().catch(() => {});
  }
}
