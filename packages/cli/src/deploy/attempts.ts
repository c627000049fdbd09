/**
 * The attempts of a deploy: `prisma migrate deploy` as a child process whose session
 * carries lock_timeout, statement_timeout and application_name through its URL, watched
 * by the blocker monitor. A lock timeout of an all-or-nothing migration is marked rolled
 * back and retried after a jittered pause with the next lock_timeout of the schedule;
 * anything else ends the loop with the failure judged (failed.ts).
 */
import type pg from 'pg';
import { quoteIdent } from '@prisma-zd/core';
import { connectionError, describeServer, readOnlyError, tooManyConnections } from '../db/connect.js';
import { ExitCode, UserError } from '../errors.js';
import type { MigrationFile } from '../project/migrations.js';
import { readSearchPath, searchPathError } from '../db/search-path.js';
import { isConnectionLoss } from '../queue/failure.js';
import { permissionDenied } from '../queue/privileges.js';
import type { PrismaProject } from '../project/prisma-project.js';
import type { BlockerInfo } from './blockers.js';
import type { ActionRecord, DeployListener, LockWait } from './events.js';
import { analyseFailed, markRolledBack, oneLine, type FailedMigration } from './failed.js';
import { isApplied, isFailed, readMigrationRows, type MigrationRow } from './history.js';
import { PrismaMonitor, type AttemptObservation } from './monitor.js';
import type { Plan } from './plan.js';
import { runMigrateDeploy, type ChildRun, type PrismaCli } from './prisma-cli.js';
import { retryDelay, type DeploySettings } from './settings.js';
import { sessionUrl } from './url.js';

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

export interface AttemptsContext {
  /** The control session (holds the queue lock; reads `_prisma_migrations`). */
  client: pg.Client;
  url: string;
  run: string;
  settings: DeploySettings;
  cli: PrismaCli;
  project: PrismaProject;
  /** Environment variables through which Prisma reads the URL. */
  variables: string[];
  /** Schema of `_prisma_migrations` and of unqualified names. */
  schema: string;
  files: MigrationFile[];
  plan: Plan | undefined;
  emit: DeployListener;
  /** Prisma's `--schema`, when the user gave one. */
  prismaSchema?: string;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  random?: () => number;
  /** The deploying role, when it may not signal other roles' sessions (no pg_signal_backend). */
  signalRole?: string;
}

export interface AttemptsOutcome {
  status: 'applied' | 'interrupted' | 'lock-timeout' | 'migration-failed';
  exitCode: ExitCode;
  attempts: AttemptResult[];
  applied: string[];
  failure?: DeployFailure;
}

/** Wait `ms`, or until `signal` aborts. The abort listener goes with the wait (a polling loop added one per turn: MaxListenersExceededWarning). */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
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

/** Ending blockers was denied (42501), or cannot work for this role (no pg_signal_backend). */
function signalDenied(ctx: AttemptsContext, attempts: readonly AttemptResult[]): boolean {
  return ctx.signalRole !== undefined || attempts.some((a) => a.actions.some((r) => r.error?.startsWith('permission denied')));
}

/** The error lines of Prisma's output (not its backtrace). */
export function prismaErrorLines(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => /^Error\b|ERROR:|^P\d{4}/.test(l));
  return oneLine(lines.slice(0, 3).join(' | '), 300);
}

export function connectionLost(e: unknown, url: string, context: string, prismaOutput: string): UserError | undefined {
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

/** `ZD_SEARCH_PATH` for Prisma's "no schema has been selected to create in", naming the path when this session sees it too. */
async function noSchemaSelected(client: pg.ClientBase, url: string, output: string): Promise<UserError> {
  const why = `\`prisma migrate deploy\` could create neither _prisma_migrations nor the migrations' tables; nothing was applied`;
  const named = searchPathError(await readSearchPath(client), { url, command: 'prisma-zd deploy', why });
  return (
    named ??
    new UserError({
      code: 'ZD_SEARCH_PATH',
      message: `Prisma's session on ${describeServer(url)} selected no schema to create in: ${prismaErrorLines(output)}. Its search_path names only schemas that do not exist or that the role may not use; nothing was applied.`,
      hint:
        "Check the schema Prisma uses (the URL's `?schema=`, or the `schema` option of the driver adapter) and the role's search_path (SHOW search_path;): " +
        'create the schema (CREATE SCHEMA <name> AUTHORIZATION <role>;) or point the search_path at one that exists, then run `prisma-zd deploy` again.',
      exit: ExitCode.Usage,
    })
  );
}

/** Prisma's P3005 ("The database schema is not empty"): `ZD_NOT_BASELINED`, naming the schema, some of its tables and the baseline commands. */
async function notBaselined(client: pg.ClientBase, url: string, schema: string, files: readonly MigrationFile[]): Promise<UserError> {
  const { rows } = await client.query<{ name: string; n: number }>(
    `SELECT c.relname AS name, count(*) OVER ()::int AS n FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY c.relname LIMIT 3`,
    [schema],
  );
  const count = rows[0]?.n ?? 0;
  const some = rows.map((r) => quoteIdent(r.name)).join(', ');
  const first = files[0]?.name ?? '<the first migration>';
  return new UserError({
    code: 'ZD_NOT_BASELINED',
    message:
      `Prisma refused to deploy (P3005): schema ${quoteIdent(schema)} on ${describeServer(url)} is not empty` +
      `${count ? ` (${count === 1 ? 'table' : `${count} tables, such as`} ${some})` : ''} but has no _prisma_migrations, ` +
      'so Prisma cannot tell which migrations it already reflects (a database made with `prisma db push` or by hand). Nothing was applied.',
    hint:
      `Baseline it (https://pris.ly/d/migrate-baseline): for each migration the database already reflects, starting with the first, run npx prisma migrate resolve --applied "${first}"; ` +
      'then run `prisma-zd deploy` again (it applies the rest). Or deploy to an empty database.',
    exit: ExitCode.Usage,
  });
}

/** The attempt loop: one `prisma migrate deploy` per lock_timeout of the schedule until one succeeds or fails otherwise. */
export async function runAttempts(ctx: AttemptsContext): Promise<AttemptsOutcome> {
  const { client, url, run, settings, cli, project, variables, schema, files, emit } = ctx;
  const out: AttemptsOutcome = { status: 'applied', exitCode: ExitCode.Ok, attempts: [], applied: [] };
  const finish = (status: AttemptsOutcome['status'], exitCode: ExitCode) => {
    out.status = status;
    out.exitCode = exitCode;
    return out;
  };
  const monitor = await PrismaMonitor.open(url, run, settings, emit);
  const applicationName = `prisma-zd/deploy-${run}`;
  const serverVersionNum = Number(
    (await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]?.v ?? 0,
  );
  try {
    for (let i = 0; i < settings.schedule.length; i++) {
      const lockTimeoutMs = settings.schedule[i]!;
      if (ctx.signal?.aborted) {
        return finish('interrupted', ExitCode.Interrupted);
      }
      emit({ type: 'attempt', attempt: i + 1, of: settings.schedule.length, lockTimeoutMs });
      const rowsBefore = (await readMigrationRows(client, schema)) ?? [];
      const appliedBefore = new Set(rowsBefore.filter(isApplied).map((r) => r.id));
      const appliedNames = new Set(rowsBefore.filter(isApplied).map((r) => r.name));
      const childUrl = sessionUrl(url, {
        lockTimeoutMs,
        statementTimeoutMs: settings.statementTimeoutMs,
        applicationName,
        ...(serverVersionNum >= 140000 ? { clientCheckMs: 1000 } : {}),
      });
      const env: NodeJS.ProcessEnv = { ...process.env, ...ctx.env };
      for (const v of variables) env[v] = childUrl;
      const startedAt = new Date();
      monitor.start({
        attempt: i + 1,
        lockTimeoutMs,
        applicationName,
        describeWait: (relation, mode) => waitStatement(ctx.plan, appliedNames, relation, mode, schema),
      });
      let child: ChildRun;
      let obs: AttemptObservation;
      try {
        child = await runMigrateDeploy({
          cli,
          cwd: project.root,
          ...(ctx.prismaSchema === undefined ? {} : { schema: ctx.prismaSchema }),
          ...(project.configFile === undefined ? {} : { config: project.configFile }),
          env,
          onLine: (stream, line) => emit({ type: 'prisma-output', stream, line }),
          ...(ctx.signal ? { signal: ctx.signal } : {}),
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
      out.applied.push(...applied);
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
      out.attempts.push(attempt);
      if (child.code === 0 && !failedRow) {
        return finish('applied', ExitCode.Ok);
      }
      const analysis = failedRow ? await analyseFailed(client, failedRow, files, project.execution, schema) : undefined;
      if (ctx.signal?.aborted) {
        attempt.outcome = 'interrupted';
        if (analysis?.autoResolve && (await markRolledBack(client, schema, analysis.row.id))) attempt.rolledBack = true;
        return finish('interrupted', ExitCode.Interrupted);
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
        const retryInMs = last ? undefined : retryDelay(settings.retryDelayMs, i + 2, ctx.random);
        emit({ type: 'lock-timeout', attempt: i + 1, migration: analysis?.row.name ?? "Prisma's migrate lock", lockTimeoutMs, retryInMs, wait: obs.lastWait });
        if (last) {
          out.failure = {
            migration: analysis?.row.name,
            message: `lock_timeout reached in ${settings.schedule.length === 1 ? 'the only attempt' : `all ${settings.schedule.length} attempts`}: nothing of ${analysis?.row.name ?? 'the migration'} was applied`,
            ...(statement ? { statement } : {}),
            fix: [
              'find out what keeps the table busy (the blockers above), then run prisma-zd deploy again',
              signalDenied(ctx, out.attempts)
                ? `or allow the deploying role to end them (it was denied): GRANT pg_signal_backend TO ${ctx.signalRole ? quoteIdent(ctx.signalRole) : '<the deploying role>'}; (only a superuser may end a superuser's session), then run this prisma-zd deploy again`
                : 'or let prisma-zd end the blockers: prisma-zd deploy --blockers terminate --blocker-grace 5s',
              'or wait longer per attempt: prisma-zd deploy --retry-schedule "5s*3,30s*2"',
            ],
          };
          return finish('lock-timeout', ExitCode.LockTimeout);
        }
        await sleep(retryInMs!, ctx.signal);
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
        // Prisma could not open its session (a role's CONNECTION LIMIT, max_connections) or write (read-only): nothing was applied.
        const refused = /too many connections|too many clients|connection slots are reserved/i.test(child.output)
          ? tooManyConnections({ code: '53300', message: prismaErrorLines(child.output) }, url, "Prisma's migrate session, attempt " + (i + 1))
          : /read-only transaction/i.test(child.output)
            ? readOnlyError({ code: '25006', message: prismaErrorLines(child.output) }, describeServer(url))
            : undefined;
        if (refused) throw refused;
        // Prisma's session selected no schema to create in: nothing was recorded or applied.
        if (/no schema has been selected to create in/i.test(child.output)) throw await noSchemaSelected(client, url, child.output);
        // P3005: tables but no _prisma_migrations (a database made by `db push` or by hand): nothing was applied.
        if (/\bP3005\b/.test(child.output)) throw await notBaselined(client, url, schema, files);
        // Prisma's own bookkeeping was denied (CREATE on the schema, _prisma_migrations): nothing was recorded or applied.
        if (/permission denied for|must be owner of/i.test(child.output)) {
          const denied = await permissionDenied({ code: '42501', message: prismaErrorLines(child.output).replace(/^Error:\s*(ERROR:\s*)?/, '') }, { url, command: 'prisma-zd deploy', client });
          if (denied) throw denied;
        }
        attempt.error = prismaErrorLines(child.output) || oneLine(child.output.trim().split('\n').slice(-3).join(' '), 300);
      }
      out.failure = {
        migration: analysis?.row.name,
        message: analysis ? (analysis.log.message ?? 'no error recorded') : `\`prisma migrate deploy\` failed (exit code ${child.code}): ${attempt.error}`,
        ...(statement && analysis?.log.kind === 'lock-timeout' ? { statement } : {}),
        ...(analysis ? { analysis } : {}),
        fix: analysis?.fix ?? ["fix what Prisma's output above names, then run prisma-zd deploy again"],
      };
      return finish('migration-failed', ExitCode.MigrationFailed);
    }
  } finally {
    await monitor.close();
  }
  return out;
}
