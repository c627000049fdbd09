/**
 * The testing kit: test one of your own migrations with prisma-zd switched on. Apply the
 * history up to a migration (through your project's real `prisma migrate deploy`, or by
 * executing the files as Prisma's native engine does), look at the intermediate state
 * (what the queue holds, what waits for `contract`), check your app's old queries
 * against it, run the queue and contract, and compare the result with the unmanaged
 * history through the schema fingerprint.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type pg from 'pg';
import { initParser, quoteIdent } from '@prisma-zd/core';
import { ExitCode, UserError } from '../errors.js';
import { withClient } from '../db/connect.js';
import { diffFingerprints, fingerprint, formatDiff, type FingerprintDiff } from '../db/fingerprint.js';
import { appliedMigrations, readMigrationsFolder, type MigrationFile } from '../project/migrations.js';
import { assertSafeExecution, readingOf, resolvePrismaProject, schemaDatasource, type PrismaProject } from '../project/prisma-project.js';
import { runContract as runContractQueue, type ContractResult } from '../queue/contract.js';
import { entryLabel, entryTable, readEntries, type QueueEntry } from '../queue/entries.js';
import { runPostponed as runPostponedQueue, type RunResult } from '../queue/runner.js';
import { installSchema, notSetUpError, requireCurrentSchema } from '../queue/schema.js';
import { registerSecretsFrom } from '../util/redact.js';
import { prismaSchemaOf } from '../db/search-path.js';
import { applyMigrations } from '../verify/apply.js';
import { withScratchDatabase } from '../verify/scratch.js';
import { leavingMigrations, refuseSessionLeft } from '../deploy/session-left.js';
import { refuseLingeringIndexes } from '../deploy/lingering-index.js';
import { withApplicationName } from '../deploy/url.js';
import { reported } from './errors.js';
import { lockHolders, withLockWatch } from './lock-watch.js';
import { prismaEntry, prismaMigrateDeploy } from './prisma-deploy.js';
import { assertAppliedHere, failedDeployError, FAILED_HINT, timedOutError } from './prisma-outcome.js';

export type MigrationTestMode = 'prisma' | 'sql';

let deployRuns = 0;

export interface MigrationTestOptions {
  /** The database under test: empty, or at some point of this folder's history. */
  url: string;
  /** The project directory (holding prisma.config.ts or prisma/schema.prisma). Default: `process.cwd()`. */
  cwd?: string;
  /** The migrations folder, relative to `cwd`. Default: the one Prisma's config names (or `prisma/migrations`). */
  migrationsDir?: string;
  /**
   * `prisma`: the project's own `prisma migrate deploy`, as a child process;
   * `sql`: each file as one simple query, as Prisma's native engine runs it (no `prisma` needed);
   * `auto` (default): `prisma` when the project has it installed, else `sql`.
   */
  mode?: MigrationTestMode | 'auto';
  /** Install prisma-zd's bookkeeping schema first, so rewritten migrations queue their work (default true). */
  managed?: boolean;
  /** `prisma` mode: extra environment of the child (`undefined` removes a variable). */
  env?: Record<string, string | undefined>;
  /**
   * `prisma` mode: more variables that receive `url`. Always set: DATABASE_URL, those the
   * schema's datasource names and those prisma.config.ts reads it from with `env()`.
   */
  urlEnv?: string[];
  /** `prisma` mode: kill `prisma migrate deploy` after this long (default 120 s). */
  timeoutMs?: number;
  /** An empty database for `compareWithUnmanaged` when the role may not CREATE DATABASE. */
  shadowUrl?: string;
  /**
   * What `prisma-zd deploy` warns of and does not refuse, when `migrateTo` meets it: a
   * migration that leaves a search_path (with Prisma's schema still on it) or a role set for
   * the migrations after it. Each is also kept in `warnings`. Default: `console.warn`.
   */
  onWarning?: (message: string) => void;
}

/** What the database holds between two steps of a deploy. */
export interface IntermediateState {
  /** Migrations `_prisma_migrations` records as applied, in order. */
  applied: string[];
  /** Migrations of the folder not applied yet. */
  notApplied: string[];
  /** Failed migrations (Prisma's P3009 state). */
  failed: string[];
  /** prisma-zd's bookkeeping schema is installed. */
  managed: boolean;
  /** Index builds and validations `postponed run` has not done (pending, running or failed). */
  postponed: QueueEntry[];
  /** Deferred destructive statements `contract` has not applied. */
  deferred: QueueEntry[];
}

export interface CompareOptions {
  /** Build the reference from this folder instead (e.g. the history before `prisma-zd rewrite`), relative to `cwd`. */
  migrationsDir?: string;
}

/** Postponed or contract work that failed, naming the entry, its migration and statement. */
export class PostponedWorkError extends UserError {
  constructor(
    readonly failures: Array<{ entry: QueueEntry | undefined; label: string; error: string }>,
    phase: 'postponed run' | 'contract',
    hint?: string,
  ) {
    super({
      hint,
      code: 'ZD_POSTPONED_FAILED',
      message: [
        `\`prisma-zd ${phase}\` failed for ${failures.length} entr${failures.length === 1 ? 'y' : 'ies'}:`,
        ...failures.map(
          (f) =>
            `- ${f.label}${f.entry?.migration ? ` (queued by migration ${f.entry.migration})` : ''}: ${f.error}` +
            (f.entry ? `\n    statement: ${f.entry.statement.replace(/\s+/g, ' ').trim()}` : ''),
        ),
      ].join('\n'),
      exit: ExitCode.PostponedFailed,
    });
    this.name = 'PostponedWorkError';
  }
}

/** The database's schema differs from the unmanaged history's. */
export class SchemaMismatchError extends Error {
  constructor(readonly diffs: FingerprintDiff[]) {
    super(`The schema differs from the unmanaged history's.\n${formatDiff(diffs)}`);
    this.name = 'SchemaMismatchError';
  }
}

/** Runs `fn` with some environment variables set, and puts them back. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const put = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) delete process.env[k];
      else process.env[k] = x;
    }
  };
  put(vars);
  try {
    return await fn();
  } finally {
    put(before);
  }
}

/**
 * The variables Prisma reads the URL from: those the schema's datasource names (a file or
 * a folder of `.prisma` files) and those prisma.config.ts reads it from.
 */
function urlEnvNames(project: PrismaProject): string[] {
  const ds = schemaDatasource(project.schemaPath);
  return [ds?.url?.env, ds?.directUrl?.env, ...(project.urlEnv ?? [])].filter((n): n is string => Boolean(n));
}

/**
 * `createMigrationTest` sets the URL variables in `process.env` while Prisma's config loads:
 * two at once (it.concurrent, Promise.all) would read each other's URL and leave one set.
 */
let loading: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
  const run = loading.then(fn, fn);
  loading = run.catch(() => {});
  return run;
}

export class MigrationTest {
  /** The migration folder names, in Prisma's order. */
  readonly migrations: readonly string[];
  readonly prismaSchema: string;
  /** What `migrateTo` warned of so far (see `MigrationTestOptions.onWarning`). */
  readonly warnings: string[] = [];
  private setUpDone = false;

  /** Use `createMigrationTest`. */
  constructor(
    readonly url: string,
    readonly mode: MigrationTestMode,
    readonly project: PrismaProject,
    private readonly files: readonly MigrationFile[],
    private readonly opts: MigrationTestOptions & { urlEnv: string[]; cwd: string },
  ) {
    this.migrations = files.map((m) => m.name);
    this.prismaSchema = prismaSchemaOf(url);
  }

  /** Installs the bookkeeping schema (done before the first migration unless `managed: false`). */
  setup(): Promise<void> {
    return reported(async () => {
      await withClient(this.url, (c) => installSchema(c), { applicationName: 'testing' });
      this.setUpDone = true;
    });
  }

  private get prismaTable(): string {
    return `${quoteIdent(this.prismaSchema)}.${quoteIdent('_prisma_migrations')}`;
  }

  private async hasPrismaTable(c: pg.ClientBase): Promise<boolean> {
    return Boolean((await c.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [this.prismaTable])).rows[0]?.ok);
  }

  private async applied(): Promise<string[]> {
    return withClient(this.url, async (c) => (await appliedMigrations(c, this.prismaSchema))?.map((a) => a.name) ?? [], { applicationName: 'testing' });
  }

  private indexOf(name: string): number {
    const i = this.migrations.indexOf(name);
    if (i >= 0) return i;
    throw new UserError({
      code: 'ZD_UNKNOWN_MIGRATION',
      message: `No migration ${name} in ${this.project.migrationsDir}. Its migrations: ${this.migrations.join(', ') || '(none)'}.`,
      exit: ExitCode.Usage,
    });
  }

  /**
   * Applies the migrations up to and including `name` (default: all) that are not applied
   * yet, and returns their names. Throws a `MigrationError` naming the migration and the
   * statement that failed. Refuses, as `prisma-zd deploy` does and before anything runs, a
   * migration that leaves a search_path without Prisma's schema (`ZD_SEARCH_PATH_LEFT`) or a
   * role that may not update "_prisma_migrations" (`ZD_ROLE_LEFT`) set for Prisma's bookkeeping.
   */
  migrateTo(name?: string): Promise<string[]> {
    return reported(async () => {
      if (this.opts.managed !== false && !this.setUpDone) await this.setup();
      const last = name === undefined ? this.files.length - 1 : this.indexOf(name);
      const applied = new Set(await this.applied());
      const beyond = this.migrations.slice(last + 1).filter((n) => applied.has(n));
      if (beyond.length) {
        throw new UserError({
          code: 'ZD_ALREADY_PAST',
          message: `Cannot migrate to ${name}: later migrations are applied already (${beyond.join(', ')}).`,
          hint: 'Use a fresh database for each test (createScratchDatabase).',
          exit: ExitCode.Usage,
        });
      }
      const todo = this.files.slice(0, last + 1).filter((m) => !applied.has(m.name));
      if (todo.length === 0) return [];
      const { failed } = await this.state();
      if (failed.length) {
        throw new UserError({
          code: 'ZD_MIGRATION_FAILED_BEFORE',
          message:
            `Migration ${failed.join(', ')} failed earlier on this database and is in Prisma's failed state: ` +
            '`prisma migrate deploy` applies nothing more here (P3009), and neither does the testing kit.',
          hint: 'Use a fresh database for each attempt (createScratchDatabase). On a real database: `prisma migrate resolve --rolled-back <migration>` once nothing of it is applied, then deploy again.',
          exit: ExitCode.Usage,
        });
      }
      // What `prisma-zd deploy` refuses before anything runs, refused here too (session-left.ts).
      await initParser();
      const leaving = [...leavingMigrations(this.files, new Set(todo.map((m) => m.name)), this.prismaSchema, readingOf(this.project.execution)).values()];
      if (leaving.length) {
        const warn = (message: string) => {
          this.warnings.push(message);
          (this.opts.onWarning ?? ((m: string) => console.warn(`prisma-zd: ${m}`)))(message);
        };
        await withClient(this.url, (c) => refuseSessionLeft(c, leaving, this.prismaSchema, { again: 'run the test again', warn }), { applicationName: 'testing' });
      }
      // A deferred DROP INDEX's index still stands under a name a CONCURRENTLY migration creates (lingering-index.ts).
      const again = { again: `${name === undefined ? 'migrateTo()' : `migrateTo(${JSON.stringify(name)})`} again`, contract: '`runContract()`' };
      await withClient(this.url, (c) => refuseLingeringIndexes(c, todo, again), { applicationName: 'testing' });
      if (this.mode === 'sql') {
        await withClient(this.url, (c) => applyMigrations(c, todo, { schema: this.prismaSchema, failureHint: FAILED_HINT }), {
          applicationName: 'testing',
        });
      } else {
        await this.prismaDeploy(last, todo);
      }
      return todo.map((m) => m.name);
    });
  }

  private async prismaDeploy(last: number, todo: readonly MigrationFile[]): Promise<void> {
    const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
    // Prisma's sessions carry a name of their own, so that a run that times out can be ended on the server too.
    // Unique across worker threads too (vitest's `threads` pool: one pid, a module instance per thread).
    const session = `prisma-zd-testing-deploy-${process.pid}-${++deployRuns}-${randomBytes(3).toString('hex')}`;
    for (const v of this.opts.urlEnv) env[v] = withApplicationName(this.url, session);
    for (const [k, v] of Object.entries(this.opts.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    const run = await prismaMigrateDeploy({
      root: this.project.root,
      configFile: this.project.configFile,
      schemaPath: this.project.schemaPath,
      migrationsDir: this.project.migrationsDir,
      migrations: this.files.slice(0, last + 1),
      env,
      timeoutMs: this.opts.timeoutMs ?? 120_000,
    });
    const target = { url: this.url, prismaSchema: this.prismaSchema, urlEnv: this.opts.urlEnv };
    if (run.code === 0) return assertAppliedHere(target, todo, run.output);
    if (run.timedOut) throw await timedOutError(target, session, this.files[last]!.name, this.opts.timeoutMs ?? 120_000);
    throw await failedDeployError(target, this.files, this.project.execution, run);
  }

  /** What the database holds now: applied migrations, queued and deferred work. */
  state(): Promise<IntermediateState> {
    return reported(async () => {
      return withClient(
        this.url,
        async (c) => {
          const applied = (await appliedMigrations(c, this.prismaSchema))?.map((a) => a.name) ?? [];
          let failed: string[] = [];
          if (await this.hasPrismaTable(c)) {
            const { rows } = await c.query<{ migration_name: string }>(
              `SELECT migration_name FROM ${this.prismaTable} WHERE finished_at IS NULL AND rolled_back_at IS NULL ORDER BY started_at`,
            );
            failed = rows.map((r) => r.migration_name);
          }
          const managed = await requireCurrentSchema(c);
          const open = managed ? await readEntries(c, { status: ['pending', 'running', 'failed'] }) : [];
          return {
            applied,
            notApplied: this.migrations.filter((n) => !applied.includes(n) && !failed.includes(n)),
            failed,
            managed,
            postponed: open.filter((e) => e.kind !== 'contract'),
            deferred: open.filter((e) => e.kind === 'contract'),
          };
        },
        { applicationName: 'testing' },
      );
    });
  }

  private failure(entry: QueueEntry | undefined, label: string, error: string) {
    return { entry, label: entry ? entryLabel(entry) : label, error };
  }

  private async entriesById(): Promise<Map<number, QueueEntry>> {
    const all = await withClient(this.url, (c) => readEntries(c), { applicationName: 'testing' });
    return new Map(all.map((e) => [e.id, e]));
  }

  /**
   * `prisma-zd postponed run`: builds the queued indexes, validates the queued constraints.
   * Throws a `PostponedWorkError` on failure, and stops once a build has waited `lockWaitMs`
   * (default 10 s) for a lock, naming what holds it (a transaction the test left open).
   */
  runPostponed(options: { lockWaitMs?: number } = {}): Promise<RunResult> {
    return reported(async () => {
      const r = await withLockWatch(this.url, options.lockWaitMs ?? 10_000, (signal) =>
        runPostponedQueue({ url: this.url, migrationsDir: this.project.migrationsDir, schema: this.prismaSchema, execution: readingOf(this.project.execution), signal }),
      );
      if (!r.setUp) throw notSetUpError();
      // A build whose session ended (connection-lost) did not happen either: the test must not pass over it.
      const failed = r.outcomes.filter((o) => o.status === 'failed' || o.status === 'connection-lost');
      if (failed.length) {
        const byId = await this.entriesById();
        throw new PostponedWorkError(
          failed.map((o) => this.failure(byId.get(o.id), o.label, `${o.error ?? o.status}${o.sqlstate ? ` (SQLSTATE ${o.sqlstate})` : ''}`)),
          'postponed run',
        );
      }
      return r;
    });
  }

  /** `prisma-zd contract`: applies the deferred statements. Throws a `PostponedWorkError` on failure. */
  runContract(options: { lockTimeoutMs?: number; attempts?: number } = {}): Promise<ContractResult> {
    return reported(async () => {
      const r = await runContractQueue({ url: this.url, migrationsDir: this.project.migrationsDir, schema: this.prismaSchema, ...options });
      if (!r.setUp) throw notSetUpError();
      const failed = r.outcomes.filter((o) => o.status !== 'applied');
      if (failed.length) {
        const byId = await this.entriesById();
        const failures = [];
        for (const o of failed) {
          const entry = byId.get(o.id);
          let error = `${o.status}: ${o.error ?? ''}${o.sqlstate ? ` (SQLSTATE ${o.sqlstate})` : ''}`;
          // A lock timeout: whoever still holds the table, typically a transaction the test left open.
          const holders = o.sqlstate === '55P03' && entry?.tableName ? await lockHolders(this.url, entryTable(entry)) : [];
          if (holders.length) error += `; ${entryTable(entry!)} is locked by ${holders.join('; ')}`;
          failures.push(this.failure(entry, o.label, error));
        }
        const lockTimedOut = failed.some((o) => o.sqlstate === '55P03');
        throw new PostponedWorkError(
          failures,
          'contract',
          lockTimedOut ? 'End that transaction in the test before runContract() (COMMIT or ROLLBACK), or give it more time with lockTimeoutMs and attempts.' : undefined,
        );
      }
      return r;
    });
  }

  /**
   * Builds the migrations applied here, from this folder (or `opts.migrationsDir`), in a
   * throw-away database without prisma-zd, and returns how this database's schema differs
   * from it (empty: the same). Before `runPostponed` and `runContract`, the queued work
   * shows up here as differences.
   */
  compareWithUnmanaged(opts: CompareOptions = {}): Promise<FingerprintDiff[]> {
    return reported(async () => {
      const folder = opts.migrationsDir ? readMigrationsFolder(resolve(this.opts.cwd, opts.migrationsDir)) : this.files;
      const applied = await this.applied();
      const missing = applied.filter((n) => !folder.some((m) => m.name === n));
      if (missing.length) {
        throw new UserError({
          code: 'ZD_UNKNOWN_MIGRATION',
          message: `The reference folder ${opts.migrationsDir ?? this.project.migrationsDir} lacks migrations applied here: ${missing.join(', ')}.`,
          exit: ExitCode.Usage,
        });
      }
      const reference = folder.filter((m) => applied.includes(m.name));
      return withScratchDatabase(
        this.url,
        {
          prefix: 'test',
          purpose: 'testing',
          ...(this.opts.shadowUrl ? { shadowUrl: this.opts.shadowUrl } : {}),
          shadowHint: 'Grant CREATEDB to the test role, or pass shadowUrl (an empty database) to createMigrationTest.',
        },
        async (scratch) => {
          const want = await withClient(
            scratch.url,
            async (c) => {
              await applyMigrations(c, reference, { record: false, schema: this.prismaSchema });
              return fingerprint(c);
            },
            { applicationName: 'testing' },
          );
          const have = await withClient(this.url, (c) => fingerprint(c), { applicationName: 'testing' });
          return diffFingerprints(want, have, { labels: { a: 'the unmanaged history', b: 'this database' } });
        },
      );
    });
  }

  /** `compareWithUnmanaged`, throwing a `SchemaMismatchError` that lists every difference. */
  expectMatchesUnmanaged(opts: CompareOptions = {}): Promise<void> {
    return reported(async () => {
      const diffs = await this.compareWithUnmanaged(opts);
      if (diffs.length) throw new SchemaMismatchError(diffs);
    });
  }

  /** Runs one statement on the database under test (e.g. an old app version's INSERT) and returns its rows. */
  async query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return withClient(this.url, async (c) => (await c.query<R>(sql, params)).rows, { applicationName: 'testing' });
  }
}

/** Sets up a migration test on the database at `options.url`. */
export function createMigrationTest(options: MigrationTestOptions): Promise<MigrationTest> {
  return reported(async () => {
    registerSecretsFrom(options.url);
    const cwd = resolve(options.cwd ?? process.cwd());
    const urlEnv = [...new Set(['DATABASE_URL', ...(options.urlEnv ?? [])])];
    // Prisma's config may read the URL while it loads (an adapter factory): give it this one.
    const project = await oneAtATime(() =>
      withEnv({ ...Object.fromEntries(urlEnv.map((v) => [v, options.url])), ...options.env }, () =>
        resolvePrismaProject({ cwd, url: options.url, ...(options.migrationsDir ? { migrations: resolve(cwd, options.migrationsDir) } : {}) }),
      ),
    );
    const requested = options.mode ?? 'auto';
    const mode: MigrationTestMode =
      requested !== 'auto' ? requested : prismaEntry(project.root) && (project.configFile || project.schemaPath) ? 'prisma' : 'sql';
    if (mode === 'prisma') assertSafeExecution(project);
    const files = readMigrationsFolder(project.migrationsDir);
    return new MigrationTest(options.url, mode, project, files, { ...options, cwd, urlEnv: [...new Set([...urlEnv, ...urlEnvNames(project)])] });
  });
}
