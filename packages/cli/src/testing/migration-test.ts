/**
 * The testing kit: test one of your own migrations with prisma-zd switched on. Apply the
 * history up to a migration (through your project's real `prisma migrate deploy`, or by
 * executing the files as Prisma's native engine does), look at the intermediate state
 * (what the queue holds, what waits for `contract`), check your app's old queries
 * against it, run the queue and contract, and compare the result with the unmanaged
 * history through the schema fingerprint.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type pg from 'pg';
import { quoteIdent } from '@prisma-zd/core';
import { ExitCode, UserError } from '../errors.js';
import { withClient } from '../db/connect.js';
import { diffFingerprints, fingerprint, formatDiff, type FingerprintDiff } from '../db/fingerprint.js';
import { appliedMigrations, readMigrationsFolder, type MigrationFile } from '../project/migrations.js';
import { assertSafeExecution, datasourceFromSchema, resolvePrismaProject, type PrismaProject } from '../project/prisma-project.js';
import { runContract as runContractQueue, type ContractResult } from '../queue/contract.js';
import { entryLabel, readEntries, type QueueEntry } from '../queue/entries.js';
import { runPostponed as runPostponedQueue, type RunResult } from '../queue/runner.js';
import { installSchema, notSetUpError, requireCurrentSchema } from '../queue/schema.js';
import { registerSecretsFrom } from '../util/redact.js';
import { applyMigrations, locateFailure, MigrationError, prismaSchemaOf } from '../verify/apply.js';
import { withScratchDatabase } from '../verify/scratch.js';
import { prismaEntry, prismaMigrateDeploy } from './prisma-deploy.js';
import { withApplicationName } from '../deploy/url.js';

export type MigrationTestMode = 'prisma' | 'sql';

let deployRuns = 0;

export interface MigrationTestOptions {
  /** The database under test: empty, or at some point of this folder's history. */
  url: string;
  /** The project directory (holding prisma.config.ts or prisma/schema.prisma). Default: `process.cwd()`. */
  cwd?: string;
  /** The migrations folder. Default: the one Prisma's config names (or `prisma/migrations`). */
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
  /** `prisma` mode: variables that receive `url` (default: DATABASE_URL and those the schema's datasource names). */
  urlEnv?: string[];
  /** `prisma` mode: kill `prisma migrate deploy` after this long (default 120 s). */
  timeoutMs?: number;
  /** An empty database for `compareWithUnmanaged` when the role may not CREATE DATABASE. */
  shadowUrl?: string;
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
  /** Build the reference from this folder instead (e.g. the history before `prisma-zd rewrite`). */
  migrationsDir?: string;
}

/** Postponed or contract work that failed, naming the entry, its migration and statement. */
export class PostponedWorkError extends UserError {
  constructor(readonly failures: Array<{ entry: QueueEntry | undefined; label: string; error: string }>, phase: 'postponed run' | 'contract') {
    super({
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

function schemaEnvNames(project: PrismaProject): string[] {
  if (!project.schemaPath || !statSync(project.schemaPath).isFile()) return [];
  const ds = datasourceFromSchema(readFileSync(project.schemaPath, 'utf8'));
  return [ds.url?.env, ds.directUrl?.env].filter((n): n is string => Boolean(n));
}

export class MigrationTest {
  /** The migration folder names, in Prisma's order. */
  readonly migrations: readonly string[];
  readonly prismaSchema: string;
  private setUpDone = false;

  /** Use `createMigrationTest`. */
  constructor(
    readonly url: string,
    readonly mode: MigrationTestMode,
    readonly project: PrismaProject,
    private readonly files: readonly MigrationFile[],
    private readonly opts: MigrationTestOptions & { urlEnv: string[] },
  ) {
    this.migrations = files.map((m) => m.name);
    this.prismaSchema = prismaSchemaOf(url);
  }

  /** Installs the bookkeeping schema (done before the first migration unless `managed: false`). */
  async setup(): Promise<void> {
    await withClient(this.url, (c) => installSchema(c), { applicationName: 'testing' });
    this.setUpDone = true;
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
   * statement that failed.
   */
  async migrateTo(name?: string): Promise<string[]> {
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
    if (this.mode === 'sql') {
      await withClient(this.url, (c) => applyMigrations(c, todo, { schema: this.prismaSchema }), { applicationName: 'testing' });
    } else {
      await this.prismaDeploy(last);
    }
    return todo.map((m) => m.name);
  }

  /**
   * `prisma migrate deploy` was killed after `timeoutMs`: its sessions still wait (for a
   * lock, typically) and would apply the migration behind the test's back once they get
   * it. They are ended, and the error names what they waited for.
   */
  private async timedOut(session: string, upTo: string): Promise<UserError> {
    const waits = await withClient(
      this.url,
      async (c) => {
        const { rows } = await c.query<{ pid: number; blockers: string | null }>(
          `SELECT a.pid,
                  (SELECT string_agg(format('pid %s (%s, %s: %s)', b.pid, coalesce(nullif(b.application_name, ''), 'no application_name'), b.state, left(b.query, 80)), '; ')
                     FROM pg_stat_activity b WHERE b.pid = ANY (pg_blocking_pids(a.pid))) AS blockers
             FROM pg_stat_activity a WHERE a.application_name = $1`,
          [session],
        );
        for (const r of rows) await c.query('SELECT pg_terminate_backend($1)', [r.pid]);
        return rows.map((r) => r.blockers).filter((b): b is string => Boolean(b));
      },
      { applicationName: 'testing' },
    );
    const timeout = this.opts.timeoutMs ?? 120_000;
    return new UserError({
      code: 'ZD_TIMEOUT',
      message:
        `\`prisma migrate deploy\` (up to ${upTo}) did not finish within timeoutMs (${timeout} ms)` +
        (waits.length ? `: it was waiting for a lock held by ${waits.join('; ')}` : '') +
        '. Its sessions were ended, so nothing more of it is applied; the migration it was running is left as Prisma recorded it (see `state()`).',
      hint: 'End what holds the lock in the test (or raise timeoutMs) before migrating; to test a migration against a lock, give the blocker its own session and release it.',
      exit: ExitCode.Failure,
    });
  }

  private async prismaDeploy(last: number): Promise<void> {
    const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
    // Prisma's sessions carry a name of their own, so that a run that times out can be ended on the server too.
    const session = `prisma-zd-testing-deploy-${process.pid}-${++deployRuns}`;
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
    if (run.code === 0) return;
    if (run.timedOut) throw await this.timedOut(session, this.files[last]!.name);
    const failed = await withClient(
      this.url,
      async (c) => {
        if (!(await this.hasPrismaTable(c))) return undefined;
        const { rows } = await c.query<{ migration_name: string; logs: string | null }>(
          `SELECT migration_name, logs FROM ${this.prismaTable} WHERE finished_at IS NULL AND rolled_back_at IS NULL ORDER BY started_at DESC LIMIT 1`,
        );
        const row = rows[0];
        const file = row && this.files.find((f) => f.name === row.migration_name);
        if (!row || !file) return undefined;
        // Whole-file execution left nothing of the failed file behind: its statements can be replayed to name the one that fails.
        const where = await locateFailure(c, file.sql, {}, this.project.execution === 'whole-file');
        return { file, logs: row.logs, where };
      },
      { applicationName: 'testing' },
    );
    const tail = run.output.trim().split('\n').slice(-15).join('\n');
    if (failed) {
      // Prisma's log (the adapter path maps some errors to its own words): the first lines, not the engine's trace.
      const logs = (failed.logs ?? '').split('\n').filter((l) => l.trim() && !/^\s+(\d+:|at |with )/.test(l)).slice(0, 2).join(' ').trim();
      const { replayed, ...where } = failed.where;
      throw new MigrationError({
        migration: failed.file.name,
        path: failed.file.path,
        ...where,
        ...(replayed?.code ? { sqlstate: replayed.code } : {}),
        error: replayed?.message ? `ERROR: ${replayed.message}` : logs || `prisma migrate deploy exited with ${run.code ?? run.signal}`,
        detail: `prisma migrate deploy: ${logs || tail}`,
      });
    }
    throw new UserError({
      code: 'ZD_PRISMA_DEPLOY',
      message: `\`prisma migrate deploy\` exited with ${run.code ?? run.signal} before applying a migration:\n${tail}`,
      hint: "Check that the project's Prisma config loads and reaches the database (the URL is passed in " + this.opts.urlEnv.join(', ') + ').',
      exit: ExitCode.Failure,
    });
  }

  /** What the database holds now: applied migrations, queued and deferred work. */
  async state(): Promise<IntermediateState> {
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
  }

  private failure(entry: QueueEntry | undefined, label: string, error: string) {
    return { entry, label: entry ? entryLabel(entry) : label, error };
  }

  private async entriesById(): Promise<Map<number, QueueEntry>> {
    const all = await withClient(this.url, (c) => readEntries(c), { applicationName: 'testing' });
    return new Map(all.map((e) => [e.id, e]));
  }

  /** `prisma-zd postponed run`: builds the queued indexes, validates the queued constraints. Throws a `PostponedWorkError` on failure. */
  async runPostponed(): Promise<RunResult> {
    const r = await runPostponedQueue({ url: this.url, migrationsDir: this.project.migrationsDir, schema: this.prismaSchema });
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
  }

  /** `prisma-zd contract`: applies the deferred statements. Throws a `PostponedWorkError` on failure. */
  async runContract(options: { lockTimeoutMs?: number; attempts?: number } = {}): Promise<ContractResult> {
    const r = await runContractQueue({ url: this.url, migrationsDir: this.project.migrationsDir, schema: this.prismaSchema, ...options });
    if (!r.setUp) throw notSetUpError();
    const failed = r.outcomes.filter((o) => o.status !== 'applied');
    if (failed.length) {
      const byId = await this.entriesById();
      throw new PostponedWorkError(
        failed.map((o) => this.failure(byId.get(o.id), o.label, `${o.status}: ${o.error ?? ''}${o.sqlstate ? ` (SQLSTATE ${o.sqlstate})` : ''}`)),
        'contract',
      );
    }
    return r;
  }

  /**
   * Builds the migrations applied here, from this folder (or `opts.migrationsDir`), in a
   * throw-away database without prisma-zd, and returns how this database's schema differs
   * from it (empty: the same). Before `runPostponed` and `runContract`, the queued work
   * shows up here as differences.
   */
  async compareWithUnmanaged(opts: CompareOptions = {}): Promise<FingerprintDiff[]> {
    const folder = opts.migrationsDir ? readMigrationsFolder(resolve(opts.migrationsDir)) : this.files;
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
  }

  /** `compareWithUnmanaged`, throwing a `SchemaMismatchError` that lists every difference. */
  async expectMatchesUnmanaged(opts: CompareOptions = {}): Promise<void> {
    const diffs = await this.compareWithUnmanaged(opts);
    if (diffs.length) throw new SchemaMismatchError(diffs);
  }

  /** Runs one statement on the database under test (e.g. an old app version's INSERT) and returns its rows. */
  async query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return withClient(this.url, async (c) => (await c.query<R>(sql, params)).rows, { applicationName: 'testing' });
  }
}

/** Sets up a migration test on the database at `options.url`. */
export async function createMigrationTest(options: MigrationTestOptions): Promise<MigrationTest> {
  registerSecretsFrom(options.url);
  const cwd = resolve(options.cwd ?? process.cwd());
  const urlEnv = [...new Set(['DATABASE_URL', ...(options.urlEnv ?? [])])];
  // Prisma's config may read the URL while it loads (an adapter factory): give it this one.
  const project = await withEnv({ ...Object.fromEntries(urlEnv.map((v) => [v, options.url])), ...options.env }, () =>
    resolvePrismaProject({ cwd, url: options.url, ...(options.migrationsDir ? { migrations: resolve(cwd, options.migrationsDir) } : {}) }),
  );
  const requested = options.mode ?? 'auto';
  const mode: MigrationTestMode =
    requested !== 'auto' ? requested : prismaEntry(project.root) && (project.configFile || project.schemaPath) ? 'prisma' : 'sql';
  if (mode === 'prisma') assertSafeExecution(project);
  const files = readMigrationsFolder(project.migrationsDir);
  return new MigrationTest(options.url, mode, project, files, { ...options, urlEnv: [...new Set([...urlEnv, ...schemaEnvNames(project)])] });
}
