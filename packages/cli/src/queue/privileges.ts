/**
 * A missing privilege (SQLSTATE 42501) as a user error: which role, which object
 * PostgreSQL denied (read from its own message, so `prisma_zd.meta` is named when the
 * denial was on `prisma_zd.meta`), and the GRANT to run next, as whom.
 */
import type pg from 'pg';
import { ZD_SCHEMA, quoteIdent } from '@prisma-zd/core';
import { connect, describeServer, mapDbErrors } from '../db/connect.js';
import { ExitCode, UserError } from '../errors.js';
import { redact } from '../util/redact.js';

/** The objects `setup` creates in the bookkeeping schema. */
const BOOKKEEPING = new Set(['meta', 'queue', 'queue_id_seq']);

export interface DeniedObject {
  /** `table`, `schema`, `database`, `sequence`, … as PostgreSQL says it. */
  kind: string;
  name: string;
  /** Part of the bookkeeping schema. */
  bookkeeping: boolean;
}

/** The object of "permission denied for table meta" / "must be owner of table queue". */
export function deniedObject(message: string): DeniedObject | undefined {
  const m = /(?:permission denied for|must be owner of) (table|schema|database|sequence|relation|function|view|materialized view) "?([^"\s]+)"?/i.exec(message);
  if (!m) return undefined;
  const kind = m[1]!.toLowerCase() === 'relation' ? 'table' : m[1]!.toLowerCase();
  const name = m[2]!;
  if (kind === 'schema') return { kind, name, bookkeeping: name === ZD_SCHEMA };
  if ((kind === 'table' || kind === 'sequence') && BOOKKEEPING.has(name)) return { kind, name: `${ZD_SCHEMA}.${name}`, bookkeeping: true };
  return { kind, name, bookkeeping: false };
}

interface Who {
  role: string;
  database: string | undefined;
  /** Owner of the bookkeeping schema, when it exists. */
  owner: string | undefined;
}

const WHO_SQL = `SELECT current_user AS role, current_database() AS database,
  (SELECT pg_catalog.pg_get_userbyid(nspowner) FROM pg_catalog.pg_namespace WHERE nspname = $1) AS owner`;

/** Who we are and who owns the bookkeeping: on `client` when it still answers, else on a fresh session. */
async function who(url: string, client: pg.ClientBase | undefined): Promise<Who> {
  const read = async (c: pg.ClientBase) => {
    const { rows } = await c.query<{ role: string; database: string; owner: string | null }>(WHO_SQL, [ZD_SCHEMA]);
    return { role: rows[0]!.role, database: rows[0]!.database, owner: rows[0]!.owner ?? undefined };
  };
  if (client) {
    try {
      return await read(client);
    } catch {
      // A session in a failed state: try a fresh one.
    }
  }
  try {
    const c = await connect(url, { applicationName: 'privileges' });
    try {
      return await read(c);
    } finally {
      await c.end().catch(() => {});
    }
  } catch {
    let role = 'the connecting role';
    try {
      role = decodeURIComponent(new URL(url).username) || role;
    } catch {
      // Malformed URLs are reported elsewhere.
    }
    return { role, database: undefined, owner: undefined };
  }
}

const grantTables = (role: string) =>
  `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${ZD_SCHEMA} TO ${role}; ` +
  `GRANT USAGE ON ALL SEQUENCES IN SCHEMA ${ZD_SCHEMA} TO ${role};`;

/**
 * `ZD_PERMISSION` (exit 2) for SQLSTATE 42501, naming the role, the denied object and
 * the GRANT to run next; undefined for any other error. `command`: what to run again.
 */
export async function permissionDenied(
  e: unknown,
  opts: { url: string; command: string; client?: pg.ClientBase },
): Promise<UserError | undefined> {
  const err = (e ?? {}) as { code?: unknown; message?: unknown };
  if (err.code !== '42501') return undefined;
  const message = redact(typeof err.message === 'string' ? err.message : '');
  const denied = deniedObject(message);
  const w = await who(opts.url, opts.client);
  const role = quoteIdent(w.role);
  const object = denied ? `${denied.kind} ${denied.name}` : 'an object it needs';
  let hint: string;
  if (denied?.bookkeeping) {
    const as = w.owner ? `As ${quoteIdent(w.owner)} (the owner of ${ZD_SCHEMA}, who ran \`prisma-zd setup\`)` : `As the owner of ${ZD_SCHEMA}`;
    hint =
      `${as}, grant ${role} the bookkeeping (its migrations queue work there too): ` +
      `${denied.kind === 'schema' ? `GRANT USAGE ON SCHEMA ${ZD_SCHEMA} TO ${role}; ` : ''}${grantTables(role)} ` +
      `Then run \`${opts.command}\` again.`;
  } else if (denied?.kind === 'database') {
    const db = quoteIdent(w.database ?? denied.name);
    hint =
      `Let ${role} create the bookkeeping schema ${ZD_SCHEMA}: as the database owner, GRANT CREATE ON DATABASE ${db} TO ${role}; ` +
      `then run \`${opts.command}\` again. Or run \`prisma-zd setup\` once as the database owner and grant ${role} the bookkeeping: ` +
      grantTables(role);
  } else if (denied?.kind === 'schema') {
    const s = quoteIdent(denied.name);
    hint =
      `As the owner of schema ${s}: GRANT USAGE, CREATE ON SCHEMA ${s} TO ${role}; ` +
      `or run \`${opts.command}\` with the role that owns the schema. Then run \`${opts.command}\` again.`;
  } else if (denied?.kind === 'table' && denied.name === '_prisma_migrations') {
    hint =
      `As its owner: GRANT SELECT, INSERT, UPDATE, DELETE ON _prisma_migrations TO ${role}; (schema-qualify it if it is not in public; Prisma records every migration there), ` +
      `or run \`${opts.command}\` with the role that owns it. Then run \`${opts.command}\` again.`;
  } else {
    hint =
      `Grant ${role} the privilege on ${object} (as its owner), or run \`${opts.command}\` with the role that owns the schema ` +
      '(the one `prisma migrate deploy` uses).';
  }
  return new UserError({
    code: 'ZD_PERMISSION',
    message: `Role ${role} lacks a privilege on ${object}: ${message}`,
    hint,
    exit: ExitCode.Usage,
  });
}

/**
 * `mapDbErrors` for commands on the queue: a lost connection exits 6; a missing
 * privilege is `ZD_PERMISSION` naming the object PostgreSQL denied.
 */
export async function mapQueueErrors<T>(url: string, command: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const denied = e instanceof UserError ? undefined : await permissionDenied(e, { url, command });
    if (denied) throw denied;
    return mapDbErrors(url, 'the bookkeeping', () => Promise.reject(e));
  }
}

/**
 * Prisma creates `_prisma_migrations` (`CREATE TABLE _prisma_migrations`, unqualified) in
 * its schema when it is not there yet: a role without CREATE on that schema (PostgreSQL 15+
 * grants it on `public` to the database owner only) fails the first deploy with "permission
 * denied for schema". `ZD_PERMISSION` naming the schema and the GRANT, before anything runs.
 * (Prisma looks for the table first, measured with prisma 6.19.3: once it exists, deploys
 * need no CREATE on the schema unless a migration creates something.)
 */
export async function requireCreateOnSchema(client: pg.ClientBase, schema: string, opts: { url: string; command: string }): Promise<void> {
  const { rows } = await client.query<{ role: string; owner: string | null; ok: boolean | null }>(
    `SELECT current_user AS role, pg_catalog.pg_get_userbyid(n.nspowner) AS owner,
            pg_catalog.has_schema_privilege(n.oid, 'CREATE') AS ok
       FROM pg_catalog.pg_namespace n WHERE n.nspname = $1`,
    [schema],
  );
  const r = rows[0];
  if (!r || r.ok !== false) return;
  const role = quoteIdent(r.role);
  const s = quoteIdent(schema);
  const owner = !r.owner || r.owner === 'pg_database_owner' ? 'the database owner' : quoteIdent(r.owner);
  throw new UserError({
    code: 'ZD_PERMISSION',
    message:
      `Role ${role} may not create in schema ${s} on ${describeServer(opts.url)} (it lacks CREATE on it; the schema belongs to ${owner}): ` +
      `Prisma's first deploy creates _prisma_migrations there (\`CREATE TABLE _prisma_migrations\`), which needs that privilege, so nothing was run.`,
    hint:
      `As ${owner}: GRANT CREATE ON SCHEMA ${s} TO ${role}; (PostgreSQL 15 and later no longer grant it on public to every role), ` +
      `or run \`${opts.command}\` with the role that owns the schema. Then run \`${opts.command}\` again.`,
    exit: ExitCode.Usage,
  });
}

/**
 * The URL's `?schema=` names a schema that does not exist: Prisma creates it
 * (`CREATE SCHEMA "<name>"`) before anything else, which needs CREATE on the database. A role
 * without it fails there with "permission denied for database", which is not about prisma-zd's
 * bookkeeping: `ZD_PERMISSION` naming the schema and both fixes, before anything runs.
 */
export async function requireCreateOfUrlSchema(client: pg.ClientBase, schema: string, opts: { url: string; command: string }): Promise<void> {
  const { rows } = await client.query<{ role: string; db: string; exists: boolean; ok: boolean }>(
    `SELECT current_user AS role, current_database() AS db,
            EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS exists,
            pg_catalog.has_database_privilege(current_database(), 'CREATE') AS ok`,
    [schema],
  );
  const r = rows[0];
  if (!r || r.exists || r.ok) return;
  const role = quoteIdent(r.role);
  const s = quoteIdent(schema);
  const db = quoteIdent(r.db);
  throw new UserError({
    code: 'ZD_PERMISSION',
    message:
      `The database URL's ?schema= names schema ${s}, which does not exist on ${describeServer(opts.url)}, and role ${role} may not create it (it lacks CREATE on database ${db}): ` +
      `Prisma runs \`CREATE SCHEMA ${s}\` before anything else, so nothing was run.`,
    hint:
      `As the database owner: CREATE SCHEMA ${s} AUTHORIZATION ${role}; (or GRANT CREATE ON DATABASE ${db} TO ${role};), ` +
      `or fix the schema name in the URL. Then run \`${opts.command}\` again.`,
    exit: ExitCode.Usage,
  });
}
