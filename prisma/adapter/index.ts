/**
 * The driver adapter behind this sample project's `prisma.config.ts`.
 *
 * Offline, only prisma@6.19.3's WebAssembly schema engine runs, and it reaches
 * PostgreSQL through a driver adapter. The stock `@prisma/adapter-pg` is almost right
 * for it; this factory wraps it and changes four things:
 *
 * 1. `executeScript` — the only method the schema engine uses to apply a
 *    `migration.sql` — runs the script the way a real engine does, instead of the
 *    stock adapter's split-on-every-`;` with autocommitted pieces on a pool (which
 *    partially applies failing files and breaks every `DO $$ … $$` block):
 *      - `whole-file` (default): the whole file as ONE simple query on one connection,
 *        like the native schema engine up to Prisma 7.3 (one implicit transaction;
 *        `CREATE INDEX CONCURRENTLY` only works alone in its file);
 *      - `per-statement` (`PRISMA_ZD_EXEC_MODE=per-statement`): statements found by
 *        the real PostgreSQL parser, each sent as its own simple query (autocommitted),
 *        like an engine that splits scripts.
 * 2. One session: the pool holds a single connection, so Prisma's migrate advisory
 *    lock, its `_prisma_migrations` bookkeeping and the migration itself share one
 *    backend, as with the native engine. A side connection can find the backend
 *    running a migration as the holder of that lock.
 * 3. `"char"` (type OID 18) result columns read as text: adapter-pg 7.10.1 rejects
 *    them, and Prisma's schema describer reads `"char"` catalog columns.
 * 4. `?schema=<name>` is honoured as the native engine (quaint) honours it. The native
 *    engine sends `search_path="<name>"` as a startup parameter of every connection it
 *    opens (main, temporary shadow database — whose URL keeps the main one's query —,
 *    given shadow database with its own `?schema=`), and its schema engine then creates
 *    the schema when it is missing and keeps `_prisma_migrations` there. prisma@6.19.3's
 *    WebAssembly engine does the second half itself, from the adapter's
 *    `getConnectionInfo().schemaName` (adapter-pg's `schema` option): it checks
 *    `pg_namespace` for that name and runs `CREATE SCHEMA "<name>"` when missing, looks
 *    for `_prisma_migrations` in it and describes it for `migrate dev`/`diff`/`reset`;
 *    but it never sets search_path, so its unqualified `CREATE TABLE _prisma_migrations`
 *    and every migration would land in the session's default schema (`public`), and the
 *    next deploy would not find its history. So every connection of this adapter sends
 *    the same startup parameter as the native engine, with the name quoted as an
 *    identifier (`"` doubled: the native engine does not escape it, and the engine's own
 *    `CREATE SCHEMA "<name>"` fails for such a name unless the schema exists). Being a
 *    startup parameter, it is applied after the URL's `options=-c search_path=…` and
 *    wins over it, as with the native engine (quaint sends both, `search_path` on its
 *    own). Without `?schema=` nothing is sent and the URL's options, the role's or the
 *    database's search_path apply; an empty `?schema=` counts as none here (as prisma-zd
 *    reads it), where the native engine would send `""`.
 *
 * The connection string goes to `pg` untouched, so URL parameters such as
 * `options=-c lock_timeout=5s` and `application_name=…` reach the session.
 */
import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import type {
  IsolationLevel,
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
  SqlQuery,
} from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { splitStatements } from './statements.js';

export const EXEC_MODES = ['whole-file', 'per-statement'] as const;
export type ExecMode = (typeof EXEC_MODES)[number];

export interface SampleAdapterOptions {
  /** The database URL, passed to `pg` as-is. */
  url: string;
  /**
   * A database Prisma may use as its shadow database. Without it, a temporary
   * database is created on the same server (as `prisma migrate dev` does with the
   * native engine) and dropped afterwards.
   */
  shadowUrl?: string;
  /** How `migration.sql` is executed; see the module comment. */
  mode?: ExecMode;
}

/** The execution mode named by `value` (an environment variable), `whole-file` when unset. */
export function execModeFrom(value: string | undefined): ExecMode {
  if (value === undefined || value === '') return 'whole-file';
  if ((EXEC_MODES as readonly string[]).includes(value)) return value as ExecMode;
  throw new Error(`PRISMA_ZD_EXEC_MODE must be one of ${EXEC_MODES.join(', ')}; got "${value}".`);
}

export function sampleAdapter(opts: SampleAdapterOptions): SqlMigrationAwareDriverAdapterFactory {
  const mode = opts.mode ?? 'whole-file';
  return {
    // Tells prisma-zd how this adapter runs migration.sql (it refuses a naive `;`
    // splitter). A symbol, because Prisma's config loader wraps the factory and keeps
    // only its symbol keys (as `true`).
    [Symbol.for(`prisma-zd.execution:${mode}`)]: true,
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: () => connect(opts.url, mode),
    connectToShadowDb: () => (opts.shadowUrl ? connectToGivenShadow(opts.shadowUrl, mode) : connectToTemporaryDatabase(opts.url, mode)),
  };
}

/** The stock adapter as a value, with the parts of it we need that its types keep protected. */
type StockAdapter = SqlDriverAdapter & {
  underlyingDriver(): pg.Pool;
  /** Throws the stock adapter's DriverAdapterError for a `pg` error (its own error mapping). */
  onError(error: unknown): never;
};

/** The schema named by the URL's `?schema=` (percent-decoded); undefined when absent or empty. */
export function urlSchema(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('schema') || undefined;
  } catch {
    return undefined;
  }
}

/** `name` as a search_path value: one quoted identifier, as the native engine writes it (`"` doubled). */
export function searchPathValue(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function connect(url: string, mode: ExecMode, onDispose?: () => Promise<void>): Promise<SqlDriverAdapter> {
  const schema = urlSchema(url);
  const pool = new pg.Pool({
    connectionString: url,
    // One session for everything, like the native engine (see the module comment).
    max: 1,
    // An idle connection must not keep the CLI alive once Prisma is done.
    allowExitOnIdle: true,
    Client: schema === undefined ? CharAsTextClient : withSearchPath(searchPathValue(schema)),
  });
  // `schema` is what getConnectionInfo() reports to the engine (schemaName).
  const stock = (await new PrismaPg(pool, { disposeExternalPool: true, ...(schema === undefined ? {} : { schema }) }).connect()) as unknown as StockAdapter;
  return {
    provider: stock.provider,
    adapterName: stock.adapterName,
    queryRaw: (query: SqlQuery) => stock.queryRaw(query),
    executeRaw: (query: SqlQuery) => stock.executeRaw(query),
    startTransaction: (isolationLevel?: IsolationLevel) => stock.startTransaction(isolationLevel),
    getConnectionInfo: () => stock.getConnectionInfo!(),
    executeScript: async (script: string) => {
      try {
        await runScript(pool, script, mode);
      } catch (error) {
        stock.onError(error);
      }
    },
    dispose: async () => {
      await stock.dispose();
      await onDispose?.();
    },
  };
}

async function runScript(pool: pg.Pool, script: string, mode: ExecMode): Promise<void> {
  const client = await pool.connect();
  try {
    if (mode === 'whole-file') {
      // No parameters: pg sends the text as one simple Query message.
      await client.query(script);
      return;
    }
    let statements: string[];
    try {
      statements = await splitStatements(script);
    } catch {
      // Not valid SQL: let the server reject it (a syntax error anywhere in a simple
      // query runs nothing), so Prisma records PostgreSQL's own error message.
      await client.query(script);
      return;
    }
    for (const statement of statements) await client.query(statement);
  } finally {
    client.release();
  }
}

/**
 * The shadow database given by the user, emptied first as the native engine resets it (every
 * schema but the system's dropped, `public` created again): without that, a second
 * `migrate dev` replays the history onto the first one's objects (P3006 "already exists").
 */
async function connectToGivenShadow(url: string, mode: ExecMode): Promise<SqlDriverAdapter> {
  await withClient(url, (c) =>
    c.query(`DO $$
DECLARE s name;
BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
  CREATE SCHEMA public;
END $$`),
  );
  return connect(url, mode);
}

/** A shadow database created next to `url`'s database, dropped when Prisma disposes of it. */
async function connectToTemporaryDatabase(url: string, mode: ExecMode): Promise<SqlDriverAdapter> {
  const name = `prisma_migrate_shadow_db_${randomUUID()}`;
  await withClient(url, (c) => c.query(`CREATE DATABASE "${name}"`));
  const shadowUrl = new URL(url);
  shadowUrl.pathname = `/${name}`;
  return connect(shadowUrl.toString(), mode, () =>
    withClient(url, async (c) => {
      await c.query(`DROP DATABASE IF EXISTS "${name}"`);
    }),
  );
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const CHAR_OID = 18;
const TEXT_OID = 25;

/** Reports `"char"` result columns as `text` (the value is already a string either way). */
function charAsText<R>(result: R): R {
  for (const r of Array.isArray(result) ? result : [result]) {
    for (const field of (r as pg.QueryResult | undefined)?.fields ?? []) {
      if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
    }
  }
  return result;
}

/** A `pg` client whose results never show a `"char"` column (see `charAsText`). */
class CharAsTextClient extends pg.Client {
  // `query` has many overloads; this covers its two result paths: callback and promise.
  override query(...args: unknown[]): never {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (error: unknown, result: unknown) => callback(error, error ? result : charAsText(result));
      return (super.query as (...a: unknown[]) => never)(...args);
    }
    const returned = (super.query as (...a: unknown[]) => unknown)(...args);
    return (returned instanceof Promise ? returned.then(charAsText) : returned) as never;
  }
}

/**
 * A client that sends `search_path` as a startup parameter, as the native engine does for
 * `?schema=` (see the module comment): PostgreSQL applies it after the `options` parameter's
 * `-c` switches, so it wins over a URL's `options=-c search_path=…`; RESET returns to it.
 */
function withSearchPath(value: string): typeof pg.Client {
  return class SearchPathClient extends CharAsTextClient {
    // Not in @types/pg: node-postgres builds the startup message with it.
    getStartupConf(): Record<string, string> {
      const conf = (pg.Client.prototype as unknown as { getStartupConf(this: pg.Client): Record<string, string> }).getStartupConf.call(this);
      return { ...conf, search_path: value };
    }
  };
}
