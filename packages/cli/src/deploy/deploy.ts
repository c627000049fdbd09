/**
 * `deploy(request) → DeployResult`: `prisma migrate deploy`, supervised (DESIGN §4).
 *
 *  1. Preflight: Prisma's project and URL, the connection, the bookkeeping schema
 *     (`setup`), the history (edited applied migrations are refused, failed ones judged),
 *     a plan of the pending migrations with their locks and tables.
 *  2. The queue lock, so deploy and `postponed run`/`contract` never run at once; a
 *     previous `prisma migrate deploy` still holding Prisma's own lock is waited for.
 *  3. The attempts (attempts.ts): `prisma migrate deploy` under lock_timeout, watched by
 *     the blocker monitor, retried after a lock timeout that left nothing applied.
 *  4. `postponed run` (the queued index builds, validations and NOT NULLs), and a reminder of the
 *     contract statements waiting for `prisma-zd contract`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type pg from 'pg';
import { initParser, quoteIdent, type RuleSetting } from '@prisma-zd/core';
import { connect, describeServer, readOnlyError } from '../db/connect.js';
import { prismaSchemaOf, readSearchPath, searchPathError, urlSchema } from '../db/search-path.js';
import { ExitCode, UserError } from '../errors.js';
import { listMigrationsFolder, refuseFolder } from '../project/migrations.js';
import { assertSafeExecution, readingOf, requireUrl, resolvePrismaProject, type PrismaProject } from '../project/prisma-project.js';
import { acquireQueueLock, releaseQueueLock } from '../queue/lock.js';
import { permissionDenied, requireCreateOfUrlSchema, requireCreateOnSchema } from '../queue/privileges.js';
import { runPostponed, type RunReporter, type RunResult } from '../queue/runner.js';
import { installSchema } from '../queue/schema.js';
import { registerSecretsFrom } from '../util/redact.js';
import { connectionLost, runAttempts, sleep, type AttemptResult, type DeployFailure } from './attempts.js';
import type { DeployEvent, DeployListener } from './events.js';
import { analyseFailed, markRolledBack, type FailedMigration } from './failed.js';
import { historyState, readMigrationRows } from './history.js';
import { prismaLockHolder } from './monitor.js';
import { buildPlan, type Plan } from './plan.js';
import { refuseLingeringIndexes } from './lingering-index.js';
import { locatePrismaCli, urlVariables } from './prisma-cli.js';
import { refuseSessionLeft } from './session-left.js';
import type { DeploySettings } from './settings.js';
import { looksLikeDevDatabase, poolerReason } from './url.js';

export type { AttemptResult, DeployFailure };

export interface DeployRequest {
  cwd?: string;
  url?: string;
  migrations?: string;
  schema?: string;
  settings: DeploySettings;
  /** `check.rules` of prisma-zd.config.ts: what the plan says breaks old app versions follows them. */
  checkRules?: Readonly<Record<string, RuleSetting>>;
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

export type DeployStatus =
  | 'applied'
  | 'up-to-date'
  | 'dry-run'
  | 'migration-failed'
  | 'lock-timeout'
  | 'postponed-failed'
  | 'postponed-connection-lost'
  | 'interrupted';

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

/** Applied migrations moved to another directory: Prisma would run each again under its new name. */
function renamedError(renamed: ReturnType<typeof historyState>['renamed']): UserError {
  const lines = renamed.map((r) => `  ${r.path}: the text this database applied as ${r.from} (checksum ${r.checksum.slice(0, 12)}…), which the folder no longer has`);
  const first = renamed[0]!;
  return new UserError({
    code: 'ZD_MIGRATION_RENAMED',
    message:
      `${renamed.length === 1 ? 'A migration this database applied was' : `${renamed.length} migrations this database applied were`} moved to another directory. ` +
      `Prisma knows a migration by its name: \`prisma migrate deploy\` would take ${renamed.length === 1 ? 'it' : 'each'} for a new migration and run it again here ` +
      `(failing on the objects it created, or running its data changes twice). Nothing was applied:\n${lines.join('\n')}`,
    hint:
      `Give the directory its applied name back (git mv ${dirname(first.path)} ${join(dirname(dirname(first.path)), first.from)}); to keep the new name, ` +
      `record it as applied here without running it (\`prisma migrate resolve --applied ${first.name}\`). Then run \`prisma-zd deploy\` again (\`prisma-zd check\` reports it as renamed-migration).`,
    exit: ExitCode.Failure,
  });
}

function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync.native(p);
    } catch {
      return resolve(p);
    }
  };
  return resolve(a) === resolve(b) || real(a) === real(b);
}

/**
 * `prisma migrate deploy` applies the migrations folder of Prisma's own config (it has no
 * option for another one): a `--migrations` folder that is not that one would be planned
 * and checked here, while Prisma applies another folder (or, when that one is absent,
 * nothing) and exits 0: refused before anything runs.
 */
export function assertPrismaUsesFolder(project: PrismaProject, given: string): void {
  if (samePath(given, project.migrationsDir)) return;
  const where = project.configFile
    ? `${project.configFile} (migrations.path)`
    : project.schemaPath
      ? `the schema's folder (${project.schemaPath})`
      : 'its defaults';
  const relativeToConfig = project.configFile ? relative(dirname(project.configFile), given) || '.' : undefined;
  throw new UserError({
    code: 'ZD_MIGRATIONS_MISMATCH',
    message:
      `--migrations ${given} is not the folder Prisma uses: \`prisma migrate deploy\` applies ${project.migrationsDir}` +
      `${existsSync(project.migrationsDir) ? '' : ' (which does not exist)'}, from ${where}. ` +
      'prisma-zd deploy would plan and check one folder while Prisma applies the other.',
    hint: project.configFile
      ? `Point Prisma's config at the folder: in ${project.configFile} set \`migrations: { path: ${JSON.stringify(relativeToConfig)} }\`, then run prisma-zd deploy without --migrations (it reads the folder from Prisma's config).`
      : `Point Prisma at the folder: add a prisma.config.ts with \`migrations: { path: ${JSON.stringify(given)} }\` (or keep the migrations in ${project.migrationsDir}), then run prisma-zd deploy without --migrations.`,
    exit: ExitCode.Usage,
  });
}

export async function deploy(req: DeployRequest): Promise<DeployResult> {
  const t0 = performance.now();
  await initParser();
  const events: DeployListener = req.onEvent ?? (() => {});
  const settings = req.settings;
  const run = req.run ?? randomBytes(3).toString('hex');
  // The folder Prisma will use (deploy plans from the one `prisma migrate deploy` applies).
  const project = await resolvePrismaProject({
    ...(req.cwd === undefined ? {} : { cwd: req.cwd }),
    ...(req.url === undefined ? {} : { url: req.url }),
    ...(req.schema === undefined ? {} : { schema: req.schema }),
  });
  if (req.migrations !== undefined) assertPrismaUsesFolder(project, resolve(req.cwd ?? process.cwd(), req.migrations));
  const url = requireUrl(project);
  registerSecretsFrom(url);
  assertSafeExecution(project);
  const cli = locatePrismaCli(project.root);
  // Where `_prisma_migrations` is: the URL's `?schema=`, else the session's current_schema() (read once connected).
  let schema = prismaSchemaOf(url);
  // A folder `prisma migrate deploy` would stop on (or another database's): refused before anything runs.
  const listing = listMigrationsFolder(project.migrationsDir);
  refuseFolder(listing, 'run `prisma-zd deploy` again');
  const files = listing.files;
  const variables = urlVariables(project);
  if (variables.length === 0) {
    throw new UserError({
      code: 'ZD_URL_NOT_INJECTABLE',
      message: `prisma-zd cannot pass lock_timeout to Prisma's session: the datasource URL in ${project.configFile ?? project.schemaPath ?? "Prisma's config"} is not read from an environment variable.`,
      hint: project.configFile
        ? `Read the URL from one environment variable, as Prisma recommends: \`datasource: { url: env('DATABASE_URL') }\` in ${project.configFile} (or \`url = env("DATABASE_URL")\` in the schema's datasource before Prisma 7), then run prisma-zd deploy again.`
        : 'Read the URL from an environment variable in the schema\'s datasource (url = env("DATABASE_URL")), as Prisma recommends, then run prisma-zd deploy again.',
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
          'This looks like a development database: deploying makes it managed by prisma-zd (indexes are queued, not built inline; dropped defaults and indexes wait for contract), ' +
          'and `prisma migrate dev` reports drift until `prisma-zd postponed run` and `prisma-zd contract` have run. ' +
          'To keep it unmanaged, deploy to it with `prisma migrate deploy` (or `prisma migrate dev`).',
      });
    }
    if (project.execution !== 'whole-file') {
      emit({
        type: 'warning',
        message:
          `Prisma runs migration.sql ${project.execution === 'per-statement' ? 'statement by statement' : `in a way prisma-zd cannot tell${project.executionProblem ? ` (${project.executionProblem})` : ''}`}: ` +
          'a failed migration may be partly applied. prisma-zd retries one that hit lock_timeout only when each of its statements creates an object ' +
          'and the catalog has none of them (nothing was applied); otherwise it reports it with the exact fix.',
      });
    }
    const signalling = settings.blockers === 'cancel' || settings.blockers === 'terminate' || settings.onBlocked !== undefined;
    const signalRole = signalling ? await roleWithoutSignal(control) : undefined;
    if (signalRole !== undefined) {
      emit({
        type: 'warning',
        message:
          `${settings.onBlocked && settings.blockers !== 'cancel' && settings.blockers !== 'terminate' ? 'onBlocked may ask to end blockers, but' : `--blockers ${settings.blockers}:`} ` +
          `role ${quoteIdent(signalRole)} is not a member of pg_signal_backend (nor a superuser), so it can cancel or terminate only sessions of its own role; ` +
          `other blockers will only be reported. To let it: GRANT pg_signal_backend TO ${quoteIdent(signalRole)}; (on a managed service, the role the provider allows).`,
      });
    }
    if (!urlSchema(url)) {
      // Without `?schema=`, Prisma creates `_prisma_migrations` and the migrations' objects
      // wherever the session's search_path points (with it, Prisma sets search_path itself
      // and creates the schema): a path that selects no schema fails every CREATE, so a
      // deploy with pending migrations stops here, before anything changes.
      const searchPath = await readSearchPath(control);
      schema = searchPath.current ?? schema;
      const broken = searchPathError(searchPath, {
        url,
        command: 'prisma-zd deploy',
        why: "Prisma's session would have nowhere to create _prisma_migrations and the migrations' tables, so nothing was run",
      });
      if (broken && historyState(files, await readMigrationRows(control, schema)).pending.length) throw broken;
    }
    if (!req.dryRun) {
      // A database in read-only mode (maintenance window, a standby) fails Prisma's first write, stated before it runs.
      const ro = await control.query<{ on: string }>("SELECT current_setting('transaction_read_only') AS on");
      if (ro.rows[0]?.on === 'on') {
        throw readOnlyError({ code: '25006', message: 'its sessions start read-only (transaction_read_only = on), so Prisma could record no migration' }, describeServer(url))!;
      }
      await acquireQueueLock(control, '`deploy`');
      holdsQueueLock = true;
      const setup = await installSchema(control);
      result.setupChanged = setup.changed;
      emit({ type: 'setup', changed: setup.changed, version: setup.to });
      await waitForPrismaLock(control, req.prismaLockWaitMs ?? 60_000, emit, req.signal);
    }

    const rows = await readMigrationRows(control, schema);
    let state = historyState(files, rows);
    if (state.edited.length) throw editedError(project, state.edited, `${quoteIdent(schema)}."_prisma_migrations"`);
    if (state.renamed.length) throw renamedError(state.renamed);
    if (state.missing.length) {
      // Prisma says nothing of it (measured with 6.19.3) and carries on.
      const n = state.missing.length;
      emit({
        type: 'warning',
        message:
          `${n === 1 ? 'A migration' : `${n} migrations`} applied to this database ${n === 1 ? 'is' : 'are'} not in ${project.migrationsDir}: ${state.missing.join(', ')}. ` +
          `Prisma carries on without a word, but a database built from this folder (a new environment, Prisma's shadow database) will not have what ${n === 1 ? 'it' : 'they'} did. ` +
          `Restore ${n === 1 ? 'it' : 'them'} from git (\`git log --diff-filter=D --name-only -- ${project.migrationsDir}\`), or deploy from the checkout that has ${n === 1 ? 'it' : 'them'}.`,
      });
    }
    // Prisma runs only when something is pending. With `?schema=` it first creates that schema when
    // missing (CREATE on the database). It looks for _prisma_migrations in its schema and creates it
    // only when missing (measured with prisma 6.19.3): CREATE on the schema is needed then, not on
    // every deploy (a role owning the tables without it deploys an ALTER TABLE as Prisma does).
    if (state.pending.length) {
      if (urlSchema(url)) await requireCreateOfUrlSchema(control, schema, { url, command: 'prisma-zd deploy' });
      else if (rows === undefined) await requireCreateOnSchema(control, schema, { url, command: 'prisma-zd deploy' });
    }
    if (state.pending.length && !state.applied.length) {
      const elsewhere = await historiesElsewhere(control, schema);
      if (elsewhere.length) {
        emit({
          type: 'warning',
          message:
            `Prisma starts a new history in schema ${quoteIdent(schema)} (${urlSchema(url) ? "the URL's ?schema=" : "where the session's search_path creates"}) and applies every migration there, ` +
            `while ${elsewhere.map((e) => `${quoteIdent(e)}._prisma_migrations`).join(', ')} already ${elsewhere.length === 1 ? 'records' : 'record'} migrations on this database. ` +
            `If that is not intended (a changed search_path, a missing ?schema=${elsewhere[0]}), stop and point the URL at that schema.`,
        });
      }
    }
    result.history = { total: files.length, applied: state.applied.length, pending: state.pending.map((p) => p.name) };
    emit({ type: 'history', total: files.length, applied: state.applied.length, pending: result.history.pending, failed: state.failed.map((f) => f.name) });
    for (const row of state.failed) {
      const analysis = await analyseFailed(control, row, files, project.execution, schema);
      result.failed.push(analysis);
      emit({ type: 'failed', failed: analysis });
    }
    result.plan = await buildPlan(control, files, state.pending, schema, readingOf(project.execution), req.checkRules);
    emit({ type: 'plan', plan: result.plan });
    result.durations.preflightMs = performance.now() - t0;

    const manual = result.failed.filter((f) => !f.autoResolve);
    if (manual.length) {
      const f = manual[0]!;
      result.failure = { migration: f.row.name, message: f.log.message ?? 'no error was recorded', analysis: f, fix: f.fix };
      finish('migration-failed', ExitCode.MigrationFailed);
      return result;
    }
    await refuseSessionLeft(control, result.plan.migrations, schema, {
      again: 'run `prisma-zd deploy` again',
      warn: (message) => emit({ type: 'warning', message }),
    });
    await refuseLingeringIndexes(control, state.pending, { again: 'run `prisma-zd deploy` again' });
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
      const outcome = await runAttempts({
        client: control,
        url,
        run,
        settings,
        cli,
        project,
        variables,
        schema,
        files,
        plan: result.plan,
        emit,
        // Absolute: Prisma runs in the project's root, not necessarily where --schema was given.
        ...(req.schema === undefined || project.schemaPath === undefined ? {} : { prismaSchema: project.schemaPath }),
        ...(req.signal ? { signal: req.signal } : {}),
        ...(req.env ? { env: req.env } : {}),
        ...(req.random ? { random: req.random } : {}),
        ...(signalRole === undefined ? {} : { signalRole }),
      });
      result.attempts = outcome.attempts;
      result.applied = outcome.applied;
      if (outcome.failure) result.failure = outcome.failure;
      finish(outcome.status, outcome.exitCode);
      state = historyState(files, await readMigrationRows(control, schema));
      result.history.applied = state.applied.length;
    } else {
      finish('up-to-date', ExitCode.Ok);
    }
    result.durations.migrateMs = performance.now() - migrateStarted;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw connectionLost(e, url, 'during the deploy', '') ?? (await permissionDenied(e, { url, command: 'prisma-zd deploy', client: control })) ?? e;
  } finally {
    if (holdsQueueLock) await releaseQueueLock(control).catch(() => {});
    await control.end().catch(() => {});
    result.durations.totalMs = performance.now() - t0;
  }

  if (result.exitCode === ExitCode.Ok && settings.postponed) {
    const t = performance.now();
    try {
      result.postponed = await runPostponed({
        url,
        migrationsDir: project.migrationsDir,
        schema,
        execution: readingOf(project.execution),
        // Deploy released its queue lock with its control session: a runner that took it
        // meanwhile is doing this same work, so wait for it rather than fail.
        lockWaitMs: 300_000,
        ...(req.signal ? { signal: req.signal } : {}),
        reporter: req.postponedReporter ?? { log: (text) => emit({ type: 'postponed-log', text }), progress() {}, clearProgress() {} },
      });
    } catch (e) {
      if (e instanceof UserError) throw e;
      const applied = result.applied.length ? ` (after applying ${result.applied.join(', ')})` : '';
      throw connectionLost(e, url, `during the postponed work${applied}`, '') ?? (await permissionDenied(e, { url, command: 'prisma-zd deploy' })) ?? e;
    }
    result.durations.postponedMs = performance.now() - t;
    if (result.postponed.interrupted) finish('interrupted', ExitCode.Interrupted);
    else if (result.postponed.outcomes.some((o) => o.status === 'failed')) finish('postponed-failed', ExitCode.PostponedFailed);
    else if (result.postponed.outcomes.some((o) => o.status === 'connection-lost')) finish('postponed-connection-lost', ExitCode.Connection);
  }
  await countQueue(url, result).catch(() => {});
  result.durations.totalMs = performance.now() - t0;
  return result;
}

/** Schemas other than `schema` that hold a `_prisma_migrations` table. */
async function historiesElsewhere(client: pg.ClientBase, schema: string): Promise<string[]> {
  const { rows } = await client.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = '_prisma_migrations' AND c.relkind IN ('r', 'p') AND n.nspname <> $1 ORDER BY 1`,
    [schema],
  );
  return rows.map((r) => r.nspname);
}

/** The current role when it may not signal other roles' sessions (not superuser, not in pg_signal_backend). */
async function roleWithoutSignal(client: pg.ClientBase): Promise<string | undefined> {
  const { rows } = await client.query<{ role: string; ok: boolean }>(
    `SELECT current_user AS role,
            (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
              OR pg_catalog.pg_has_role(current_user, 'pg_signal_backend', 'MEMBER') AS ok`,
  );
  return rows[0] && !rows[0].ok ? rows[0].role : undefined;
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
