/**
 * `verify` as a library function: builds what the migrations folder produces in a
 * throw-away, unmanaged database (the migrations the live database records as applied,
 * executed like the native engine), compares its schema fingerprint with the live
 * database's, and sorts every difference into drift or work prisma-zd still has queued.
 * Also lists what is left to do (queue, contract, migrations not applied yet), invalid
 * indexes and unvalidated constraints.
 */
import type pg from 'pg';
import { initParser, ZD_SCHEMA, quoteIdent } from '@prisma-zd/core';
import { ExitCode } from '../errors.js';
import { describeServer, withClient } from '../db/connect.js';
import { diffFingerprints, fingerprint, type FingerprintDiff, type SchemaFingerprint } from '../db/fingerprint.js';
import { appliedMigrations, readMigrationsFolder, type AppliedMigration, type MigrationFile } from '../project/migrations.js';
import { entryLabel, readEntries, type QueueEntry } from '../queue/entries.js';
import { CONTRACT_COMMAND, isDropIndex } from '../queue/contract.js';
import { RUN_COMMAND } from '../queue/runner.js';
import { requireCurrentSchema } from '../queue/schema.js';
import { readSearchPath, searchPathError, urlSchema, type SearchPathState } from '../db/search-path.js';
import { applyMigrations } from './apply.js';
import { buildDenied, requireBuildPrivileges, requireVerifyPrivileges } from './privileges.js';
import { classifyDiffs } from './classify.js';
import { withScratchDatabase } from './scratch.js';

export const LABELS = { a: 'the migrations folder', b: 'the database' } as const;

export interface VerifyOptions {
  url: string;
  migrationsDir: string;
  /** Schema of `_prisma_migrations` and default schema of unqualified names (the URL's `?schema=`; default `public`). */
  prismaSchema?: string;
  /** Schemas Prisma manages (the datasource's `schemas`); those the folder creates are compared too. Default `[prismaSchema]`. */
  schemas?: string[];
  /** An empty database to build the folder in when the role lacks CREATEDB. */
  shadowUrl?: string;
  /** Pending queue and contract work, and migrations not applied yet, count as drift. */
  strict?: boolean;
  /** Problems cleaning up the throw-away database. */
  warn?: (text: string) => void;
}

/** Something that makes the database differ from what the folder produces. */
export interface DriftItem {
  /** `schema`: a catalog difference; `history`: `_prisma_migrations` vs the folder; `queue`: failed postponed work. */
  source: 'schema' | 'history' | 'queue';
  /** The kind of object: `index`, `column`, `migration`, `queue entry`… */
  kind: string;
  object: string;
  message: string;
  /** For `schema`: the difference as data. */
  diff?: FingerprintDiff;
}

/** Work that is expected to be left: reported, drift only with `strict`. */
export interface PendingItem {
  kind: 'index' | 'validate' | 'not-null' | 'contract' | 'migration';
  object: string;
  message: string;
  /** The command that does it. */
  next: string;
  migration: string | null;
  /** The schema differences this work accounts for. */
  explains: string[];
}

export interface InvalidIndex {
  table: string;
  index: string;
  /** An open queue entry will build it again (`postponed run`). */
  queued: boolean;
  /** An open deferred DROP INDEX will drop it (`contract`). */
  dropQueued: boolean;
}

export interface UnvalidatedConstraint {
  table: string;
  constraint: string;
  queued: boolean;
  /** The migrations themselves leave it NOT VALID. */
  byMigrations: boolean;
}

export interface VerifyReport {
  database: string;
  /** Where the folder was built. */
  reference: { kind: 'created' | 'shadow'; where: string };
  migrationsDir: string;
  /** The bookkeeping schema is installed: the database is managed by prisma-zd. */
  managed: boolean;
  /** False when the database has no `_prisma_migrations` (then the whole folder is compared). */
  prismaHistory: boolean;
  /** Migrations built in the reference (those applied on the database, in folder order). */
  compared: string[];
  schemas: string[];
  drift: DriftItem[];
  pending: PendingItem[];
  invalidIndexes: InvalidIndex[];
  unvalidatedConstraints: UnvalidatedConstraint[];
  strict: boolean;
  /** 0: no drift (and, with `strict`, nothing pending); 1 otherwise. */
  exitCode: ExitCode;
}

interface LiveState {
  managed: boolean;
  applied: AppliedMigration[] | undefined;
  failed: Array<{ name: string; logs: string | null }>;
  entries: QueueEntry[];
  searchPath: SearchPathState;
  /** Schema of `_prisma_migrations` and of unqualified names. */
  prismaSchema: string;
}

async function readLive(c: pg.ClientBase, url: string, given: string | undefined): Promise<LiveState> {
  const searchPath = await readSearchPath(c);
  // With `?schema=`, Prisma keeps `_prisma_migrations` there (the option's documented default);
  // without it, where the search_path creates.
  const named = urlSchema(url);
  const prismaSchema = named ? (given ?? named) : (searchPath.current ?? given ?? 'public');
  await requireVerifyPrivileges(c, url, prismaSchema);
  const applied = await appliedMigrations(c, prismaSchema);
  let failed: LiveState['failed'] = [];
  if (applied) {
    const { rows } = await c.query<{ migration_name: string; logs: string | null }>(
      `SELECT migration_name, logs FROM ${quoteIdent(prismaSchema)}._prisma_migrations
        WHERE finished_at IS NULL AND rolled_back_at IS NULL ORDER BY started_at`,
    );
    failed = rows.map((r) => ({ name: r.migration_name, logs: r.logs }));
  }
  const managed = await requireCurrentSchema(c);
  const entries = managed ? await readEntries(c, { status: ['pending', 'running', 'failed'] }) : [];
  return { managed, applied, failed, entries, searchPath, prismaSchema };
}

/** Schemas that a database holds besides PostgreSQL's own and prisma-zd's. */
async function userSchemas(c: pg.ClientBase): Promise<string[]> {
  const { rows } = await c.query<{ nspname: string }>(
    `SELECT nspname FROM pg_catalog.pg_namespace
      WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', $1) AND nspname NOT LIKE 'pg\\_%'`,
    [ZD_SCHEMA],
  );
  return rows.map((r) => r.nspname);
}

/** Only extensions installed into the compared schemas: a platform's own (in its schemas) are not the app's. */
function scoped(fp: SchemaFingerprint, schemas: readonly string[]): SchemaFingerprint {
  return { ...fp, extensions: fp.extensions.filter((e) => schemas.includes(e.schema)) };
}

const firstLine = (text: string | null) => (text ?? '').split('\n').find((l) => l.trim())?.trim() ?? 'no error recorded';

function historyDrift(folder: MigrationFile[], live: LiveState): DriftItem[] {
  const drift: DriftItem[] = [];
  const byName = new Map(folder.map((m) => [m.name, m]));
  for (const f of live.failed) {
    drift.push({
      source: 'history',
      kind: 'migration',
      object: f.name,
      message: `migration ${f.name}: failed and not rolled back (${firstLine(f.logs)}); \`prisma migrate deploy\` stops here (P3009)`,
    });
  }
  for (const a of live.applied ?? []) {
    const file = byName.get(a.name);
    if (!file) {
      drift.push({ source: 'history', kind: 'migration', object: a.name, message: `migration ${a.name}: applied on the database but not in the migrations folder` });
    } else if (a.checksum !== null && file.checksum !== a.checksum) {
      drift.push({
        source: 'history',
        kind: 'migration',
        object: a.name,
        message: `migration ${a.name}: edited after it was applied (checksum ${a.checksum.slice(0, 12)}… on the database, ${file.checksum.slice(0, 12)}… in the folder)`,
      });
    }
  }
  return drift;
}

function pendingOf(entry: QueueEntry, explains: FingerprintDiff[]): PendingItem {
  const what =
    entry.kind === 'index' ? 'not built yet' : entry.kind === 'validate' ? 'not validated yet' : entry.kind === 'not-null' ? 'not set NOT NULL yet' : 'deferred until contract';
  return {
    kind: entry.kind,
    object: entryLabel(entry),
    message: `${entryLabel(entry)}${entry.migration ? ` (${entry.migration})` : ''}: ${entry.status === 'running' ? 'running now' : what}`,
    next: entry.kind === 'contract' ? CONTRACT_COMMAND : RUN_COMMAND,
    migration: entry.migration,
    explains: explains.map((d) => d.message),
  };
}

/**
 * Without `?schema=`, Prisma builds where the session's search_path points. A path that
 * selects no schema on the database is `ZD_SEARCH_PATH` (deploy could not run either). One
 * that selects a schema made outside the migrations (`ALTER ROLE … SET search_path = app`
 * after `CREATE SCHEMA app`) gets that schema, empty, in the throw-away database, so the
 * folder is built where it was built on the database.
 */
async function matchSearchPath(c: pg.ClientBase, livePath: SearchPathState, url: string, scratch: { kind: string; where: string }): Promise<void> {
  let here = await readSearchPath(c);
  const want = livePath.current;
  if (want !== null && here.current !== want && here.entries.some((e) => e.schema === want && !e.exists)) {
    await c.query(`CREATE SCHEMA ${quoteIdent(want)}`).catch(() => {});
    here = await readSearchPath(c);
  }
  const broken = searchPathError(here, {
    url,
    command: 'prisma-zd verify',
    scratch: true,
    place:
      scratch.kind === 'created'
        ? `in the throw-away database verify builds the migrations folder in (${scratch.where}; same role and URL options as ${describeServer(url)})`
        : `on the shadow database ${scratch.where}`,
    why: "The migrations folder cannot be built there as `prisma migrate deploy` would build it: _prisma_migrations and the migrations' unqualified tables have nowhere to go",
  });
  if (broken) throw broken;
}

export async function verifyDatabase(opts: VerifyOptions): Promise<VerifyReport> {
  const folder = readMigrationsFolder(opts.migrationsDir);
  const live = await withClient(opts.url, (c) => readLive(c, opts.url, opts.prismaSchema), { applicationName: 'verify' });
  const prismaSchema = live.prismaSchema;
  if (!urlSchema(opts.url)) {
    const broken = searchPathError(live.searchPath, {
      url: opts.url,
      command: 'prisma-zd verify',
      why: "`prisma migrate deploy` could not create _prisma_migrations nor the migrations' tables on this database, and verify cannot build the folder as Prisma would",
    });
    if (broken) throw broken;
  }
  const appliedNames = live.applied ? new Set(live.applied.map((a) => a.name)) : undefined;
  const compared = appliedNames ? folder.filter((m) => appliedNames.has(m.name)) : folder;
  const notApplied = appliedNames ? folder.filter((m) => !appliedNames.has(m.name) && !live.failed.some((f) => f.name === m.name)) : [];

  const result = await withScratchDatabase(
    opts.url,
    {
      prefix: 'verify',
      purpose: 'verify',
      ...(opts.shadowUrl ? { shadowUrl: opts.shadowUrl } : {}),
      shadowHint:
        'Grant CREATEDB to the role, or pass --shadow-database-url with the URL of an empty database ' +
        "(like Prisma's shadowDatabaseUrl): verify builds the migrations folder there and empties it again.",
      ...(opts.warn ? { warn: opts.warn } : {}),
    },
    async (scratch) => {
      const built = await withClient(
        scratch.url,
        async (c) => {
          if (!urlSchema(opts.url)) await matchSearchPath(c, live.searchPath, opts.url, scratch);
          await requireBuildPrivileges(c, scratch);
          await applyMigrations(
            c,
            compared.map((m) => ({ name: m.name, sql: m.sql, path: m.path, checksum: m.checksum })),
            {
              record: false,
              // `?schema=` sets the search_path, as Prisma does; without it, the session's own (matched above) stays.
              schema: urlSchema(opts.url) ? prismaSchema : 'public',
              failureHint: 'The migrations folder does not build on an empty database: fix that migration (or restore the file that was applied).',
            },
          ).catch(async (e: unknown) => {
            const role = await c.query<{ u: string }>('SELECT current_user AS u').then((r) => r.rows[0]!.u, () => live.searchPath.role);
            throw buildDenied(e, scratch, role) ?? e;
          });
          return { schemas: await userSchemas(c) };
        },
        { applicationName: 'verify' },
      );
      const schemas = [...new Set([...(opts.schemas ?? [prismaSchema]), ...built.schemas])].filter((s) => s !== ZD_SCHEMA).sort();
      const [want, have] = await Promise.all([
        withClient(scratch.url, (c) => fingerprint(c, { schemas }), { applicationName: 'verify' }),
        withClient(opts.url, (c) => fingerprint(c, { schemas }), { applicationName: 'verify' }),
      ]);
      return { schemas, want: scoped(want, schemas), have: scoped(have, schemas), reference: { kind: scratch.kind, where: scratch.where } };
    },
  );

  const diffs = diffFingerprints(result.want, result.have, { labels: LABELS });
  const classified = await classifyDiffs(diffs, live.entries, prismaSchema);
  const drift: DriftItem[] = [
    ...historyDrift(folder, live),
    ...classified.drift.map((d): DriftItem => ({ source: 'schema', kind: d.kind, object: d.object, message: d.message, diff: d })),
    ...live.entries
      .filter((e) => e.status === 'failed')
      .map((e): DriftItem => ({
        source: 'queue',
        kind: 'queue entry',
        object: entryLabel(e),
        message: `${entryLabel(e)}${e.migration ? ` (${e.migration})` : ''}: postponed work failed${e.sqlstate ? ` (${e.sqlstate})` : ''}: ${e.error ?? '?'}`,
      })),
  ];
  const pending: PendingItem[] = [
    ...classified.pending.map((p) => pendingOf(p.entry, p.explains)),
    ...notApplied.map((m): PendingItem => ({
      kind: 'migration',
      object: m.name,
      message: `migration ${m.name}: in the folder, not applied yet`,
      next: 'prisma-zd deploy',
      migration: m.name,
      explains: [],
    })),
  ];

  const openIndex = new Set(live.entries.filter((e) => e.kind === 'index' && e.status !== 'failed').map((e) => e.objectName));
  // A deferred DROP INDEX interrupted in `contract` leaves its index invalid until the next run drops it.
  await initParser();
  const openDrop = new Set(live.entries.filter((e) => e.kind === 'contract' && e.status !== 'failed' && isDropIndex(e.statement)).map((e) => e.objectName));
  const openValidate = new Set(live.entries.filter((e) => (e.kind === 'validate' || e.kind === 'not-null') && e.status !== 'failed').map((e) => e.objectName));
  const invalidIndexes: InvalidIndex[] = [];
  const unvalidatedConstraints: UnvalidatedConstraint[] = [];
  for (const t of result.have.tables) {
    const table = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
    const wanted = result.want.tables.find((w) => w.schema === t.schema && w.name === t.name);
    for (const i of t.indexes) if (!i.valid) invalidIndexes.push({ table, index: i.name, queued: openIndex.has(i.name), dropQueued: openDrop.has(i.name) });
    for (const k of t.constraints) {
      if (k.validated) continue;
      const byMigrations = wanted?.constraints.some((w) => w.name === k.name && !w.validated) ?? false;
      unvalidatedConstraints.push({ table, constraint: k.name, queued: openValidate.has(k.name), byMigrations });
    }
  }

  const strict = Boolean(opts.strict);
  return {
    database: describeServer(opts.url),
    reference: result.reference,
    migrationsDir: opts.migrationsDir,
    managed: live.managed,
    prismaHistory: live.applied !== undefined,
    compared: compared.map((m) => m.name),
    schemas: result.schemas,
    drift,
    pending,
    invalidIndexes,
    unvalidatedConstraints,
    strict,
    exitCode: drift.length > 0 || (strict && pending.length > 0) ? ExitCode.Failure : ExitCode.Ok,
  };
}
