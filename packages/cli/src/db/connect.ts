/**
 * Database sessions for the CLI: one way to connect, one mapping of connection and
 * permission failures to user errors, settings through `set_config` with parameters.
 * Our sessions always carry `application_name = prisma-zd/<purpose>`, so they can be
 * recognised in `pg_stat_activity` (by us, by the blocker monitor, by a DBA).
 */
import pg from 'pg';
import { quoteIdent } from '@prisma-zd/core';
import { ExitCode, UserError } from '../errors.js';
import { redact, registerSecretsFrom } from '../util/redact.js';
import { checkDatabaseUrl, describeServer, hasPassword, resolveServer } from './url.js';

export interface ConnectOptions {
  /** Shown as `prisma-zd/<applicationName>` in pg_stat_activity. */
  applicationName: string;
  /** Milliseconds to wait for the connection (default 10 s, or PGCONNECT_TIMEOUT seconds). */
  connectTimeoutMs?: number;
}

export { checkDatabaseUrl, describeServer } from './url.js';

function userOf(url: string): string {
  return resolveServer(url)?.user || 'the connecting role';
}

interface PgErrorLike {
  code?: string;
  message?: string;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

/** The user error for a failed connection attempt; undefined for anything we do not recognise. */
export function connectionError(e: unknown, url: string): UserError | undefined {
  const err = (e ?? {}) as PgErrorLike;
  const where = describeServer(url);
  const msg = redact(err.message ?? String(e));
  // A server error other than connection classes (08, 57P01-03, 28, 3D000) is not a connection problem.
  const sqlstate = err.code && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : undefined;
  if (sqlstate && !/^(08|57P0[123]|28|3D000)/.test(sqlstate)) return undefined;
  // ENOENT on `<dir>/.s.PGSQL.<port>`: no server listens on that socket.
  const noSocket = err.code === 'ENOENT' && msg.includes('.s.PGSQL.');
  if ((err.code && UNREACHABLE.has(err.code)) || noSocket || /^(08|57P0)/.test(sqlstate ?? '') || /timeout|timed out|Connection terminated|not queryable|connection error|server closed the connection/i.test(msg)) {
    return new UserError({
      code: 'ZD_DB_UNREACHABLE',
      message: `The connection to PostgreSQL at ${where} failed: ${msg}`,
      hint: 'Check the host and port of the database URL, and that the server accepts connections from here.',
      exit: ExitCode.Connection,
    });
  }
  // node-postgres fails on its own when the server asks for a password it does not have.
  if (!sqlstate && !hasPassword(url) && (/password|SASL/i.test(msg) || e instanceof TypeError)) {
    return new UserError({
      code: 'ZD_DB_AUTH',
      message: `PostgreSQL at ${where} asks role "${userOf(url)}" for a password, and the database URL has no password (nor PGPASSWORD or ~/.pgpass): ${msg}`,
      hint: 'Put the password in the database URL: postgresql://USER:PASSWORD@HOST:PORT/DATABASE (percent-encode special characters), then run the command again.',
      exit: ExitCode.Connection,
    });
  }
  if (err.code === '28P01' || err.code === '28000') {
    return new UserError({
      code: 'ZD_DB_AUTH',
      message: `PostgreSQL at ${where} refused the credentials of role "${userOf(url)}": ${msg}`,
      hint: 'Check the user and password in the database URL (and pg_hba.conf for 28000).',
      exit: ExitCode.Connection,
    });
  }
  if (err.code === '3D000') {
    return new UserError({
      code: 'ZD_DB_MISSING',
      message: `The database does not exist on ${where}: ${msg}`,
      hint: 'Create it first (`prisma migrate deploy` does not create databases), or fix the database name in the URL.',
      exit: ExitCode.Connection,
    });
  }
  if (err.code === 'ERR_INVALID_URL' || e instanceof TypeError) {
    try {
      checkDatabaseUrl(url);
    } catch (invalid) {
      return invalid as UserError;
    }
  }
  return undefined;
}

/** A `ZD_PERMISSION` user error when `e` is SQLSTATE 42501 (insufficient privilege), naming `object`. */
export function permissionError(e: unknown, object: string, url?: string): UserError | undefined {
  const err = (e ?? {}) as PgErrorLike;
  if (err.code !== '42501') return undefined;
  const role = url ? `Role "${userOf(url)}"` : 'The connecting role';
  return new UserError({
    code: 'ZD_PERMISSION',
    message: `${role} lacks a privilege on ${object}: ${redact(err.message ?? '')}`,
    hint: 'Run prisma-zd with the role that owns the schema (the one `prisma migrate deploy` uses), or grant it the privilege.',
    exit: ExitCode.Usage,
  });
}

/** SQLSTATE 42501 while connecting: the role lacks CONNECT on the database (not an unreachable server). */
function connectDenied(e: unknown, url: string): UserError | undefined {
  const err = (e ?? {}) as PgErrorLike;
  if (err.code !== '42501') return undefined;
  const s = resolveServer(url);
  const role = s?.user ? quoteIdent(s.user) : 'the connecting role';
  return new UserError({
    code: 'ZD_PERMISSION',
    message: `Role ${role} may not connect to ${describeServer(url)}: ${redact(err.message ?? '')}`,
    hint:
      `As the database owner: GRANT CONNECT ON DATABASE ${s?.database ? quoteIdent(s.database) : '<database>'} TO ${role}; ` +
      'then run the command again (or run it with the role `prisma migrate deploy` uses).',
    exit: ExitCode.Usage,
  });
}

function connectTimeout(opts: ConnectOptions): number {
  if (opts.connectTimeoutMs !== undefined) return opts.connectTimeoutMs;
  const env = Number(process.env.PGCONNECT_TIMEOUT);
  return Number.isFinite(env) && env > 0 ? env * 1000 : 10_000;
}

/**
 * SQLSTATE 53300 while connecting: the role's CONNECTION LIMIT or the server's
 * max_connections is reached. The server answered: it is not unreachable.
 */
export function tooManyConnections(e: unknown, url: string, purpose: string): UserError | undefined {
  const err = (e ?? {}) as PgErrorLike;
  if (err.code !== '53300') return undefined;
  const s = resolveServer(url);
  const role = s?.user ? quoteIdent(s.user) : 'the connecting role';
  return new UserError({
    code: 'ZD_DB_TOO_MANY_CONNECTIONS',
    message:
      `PostgreSQL at ${describeServer(url)} refused another connection (${purpose}): ${redact(err.message ?? '')}. ` +
      'prisma-zd opens a few sessions at once (deploy: Prisma, a control and a monitor session; postponed run: a control and a worker session).',
    hint:
      `Check the limits with SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user; and SHOW max_connections; ` +
      `raise them (ALTER ROLE ${role} CONNECTION LIMIT 10;) or wait until other sessions end, then run the command again.`,
    exit: ExitCode.Connection,
  });
}

/** The server and database of the last session opened, for errors that do not carry it (main.ts). */
let lastServer: string | undefined;

/**
 * SQLSTATE 25006: the database takes no writes (`default_transaction_read_only` set on the
 * database or role, a maintenance window, a hot standby): the command stopped at its first write.
 */
export function readOnlyError(e: unknown, where = lastServer): UserError | undefined {
  const err = (e ?? {}) as PgErrorLike;
  if (err.code !== '25006') return undefined;
  const db = where ?? 'the database';
  return new UserError({
    code: 'ZD_DB_READ_ONLY',
    message:
      `${db} is read-only: ${redact(err.message ?? '')} ` +
      '(default_transaction_read_only is on for the database or role, or the URL points at a standby).',
    hint:
      'Check with SHOW default_transaction_read_only; and SELECT pg_is_in_recovery(); point the URL at the primary, ' +
      'or wait for the maintenance window to end (ALTER DATABASE … RESET default_transaction_read_only), then run the same command again.',
    exit: ExitCode.Connection,
  });
}

/** Opens a session; the caller ends it. Prefer `withClient`. */
export async function connect(url: string, opts: ConnectOptions): Promise<pg.Client> {
  registerSecretsFrom(url);
  // Before node-postgres reads it: it would try `not-a-url` as a host and echo a mistyped URL's password.
  checkDatabaseUrl(url);
  const name = `prisma-zd/${opts.applicationName}`;
  let client: pg.Client | undefined;
  try {
    // The constructor parses the URL: a malformed one throws here.
    client = new pg.Client({ connectionString: url, application_name: name, connectionTimeoutMillis: connectTimeout(opts) });
    // A session that dies under us must not crash the process: the pending query rejects instead.
    client.on('error', () => {});
    await client.connect();
  } catch (e) {
    await client?.end().catch(() => {});
    // No `cause`: errors may carry the URL (password included).
    throw tooManyConnections(e, url, `prisma-zd/${opts.applicationName}`) ?? connectionError(e, url) ?? connectDenied(e, url) ?? new UserError({
      code: 'ZD_DB_UNREACHABLE',
      message: `Could not connect to ${describeServer(url)}: ${redact(e instanceof Error ? e.message : String(e))}`,
      hint: 'Check the database URL and that the server accepts connections.',
      exit: ExitCode.Connection,
    });
  }
  // A URL's own application_name wins over the client option: ours must show.
  await setSettings(client, { application_name: name });
  // Our sessions' queries are prisma-zd's (catalog reads, the bookkeeping, waits for its own
  // locks), not the app's: a statement_timeout set on the database, the role or the server
  // must not cancel them half-way (a URL's own `options=-c statement_timeout=…` is kept).
  await client.query(
    `SELECT pg_catalog.set_config('statement_timeout', '0', false) FROM pg_catalog.pg_settings
      WHERE name = 'statement_timeout' AND setting <> '0' AND source NOT IN ('client', 'session')`,
  );
  lastServer = describeServer(url);
  return client;
}

/**
 * Runs `fn`, turning a lost connection and a missing privilege into user errors
 * (`ZD_DB_UNREACHABLE` exit 6, `ZD_PERMISSION` naming `object`); anything else is rethrown.
 */
export async function mapDbErrors<T>(url: string, object: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw connectionError(e, url) ?? permissionError(e, object, url) ?? readOnlyError(e, describeServer(url)) ?? e;
  }
}

/** Runs `fn` with a fresh session to `url` and always ends it. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>, opts: ConnectOptions): Promise<T> {
  const client = await connect(url, opts);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Session settings (`local`: until the end of the current transaction), with parameters only. */
export async function setSettings(client: pg.ClientBase, settings: Record<string, string>, local = false): Promise<void> {
  for (const [name, value] of Object.entries(settings)) {
    await client.query('SELECT set_config($1, $2, $3)', [name, value, local]);
  }
}

/** Runs `fn` in a transaction on `client`: COMMIT when it resolves, ROLLBACK when it throws. */
export async function withTransaction<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}
