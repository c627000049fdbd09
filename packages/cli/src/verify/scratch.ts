/**
 * Throw-away databases, for building "what the migrations folder produces" without
 * prisma-zd's bookkeeping (unmanaged): `CREATE DATABASE prisma_zd_<purpose>_<random>` on
 * the server of a given URL (the role needs CREATEDB), dropped at the end even on
 * failure. Where CREATEDB is refused, an empty database given by the user serves
 * instead, like Prisma's shadow database: it must be empty, and it is emptied again
 * afterwards.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { quoteIdent } from '@prisma-zd/core';
import { ExitCode, UserError } from '../errors.js';
import { checkDatabaseUrl, describeServer, withClient } from '../db/connect.js';
import { resolveServer, withDatabase } from '../db/url.js';
import { registerSecretsFrom } from '../util/redact.js';

export interface ScratchDatabase {
  /** A URL of the throw-away database (the server URL's parameters kept). */
  url: string;
  /** `created`: made here, dropped by `drop()`; `shadow`: given by the user, emptied by `drop()`. */
  kind: 'created' | 'shadow';
  /** `host:port/database`, for messages. */
  where: string;
  /** Drops (or empties) the database; idempotent, never throws. Returns what could not be cleaned. */
  drop(): Promise<string[]>;
}

export interface ScratchOptions {
  /** `prisma_zd_<prefix>_<random>`; default `scratch`. */
  prefix?: string;
  /** An empty database to use instead of creating one (when the role lacks CREATEDB). */
  shadowUrl?: string;
  /** How to pass `shadowUrl` in the caller's words, for the hint when CREATEDB is refused. */
  shadowHint?: string;
  /** application_name suffix of our sessions. */
  purpose?: string;
}

function databaseOf(url: string): { host: string; port: number; database: string } {
  const s = resolveServer(url);
  if (!s) throw new TypeError('Invalid URL');
  return { host: s.host.toLowerCase(), port: s.port, database: s.database };
}

/** Creates a throw-away database next to the one at `serverUrl` (or takes `shadowUrl`). */
export async function createScratchDatabase(serverUrl: string, opts: ScratchOptions = {}): Promise<ScratchDatabase> {
  registerSecretsFrom(serverUrl);
  checkDatabaseUrl(serverUrl);
  const applicationName = opts.purpose ?? 'scratch';
  if (opts.shadowUrl) return useShadow(serverUrl, opts.shadowUrl, applicationName);
  const name = `prisma_zd_${opts.prefix ?? 'scratch'}_${randomBytes(5).toString('hex')}`;
  const url = withDatabase(serverUrl, name);
  await withClient(
    serverUrl,
    async (c) => {
      try {
        await c.query(`CREATE DATABASE ${quoteIdent(name)}`);
      } catch (e) {
        if ((e as { code?: string }).code !== '42501') throw e;
        throw new UserError({
          code: 'ZD_CREATEDB_REFUSED',
          message:
            `The role of the database URL may not create databases on ${describeServer(serverUrl, { database: false })} ` +
            `(it lacks CREATEDB): a throw-away database is needed to build the schema the migrations folder produces.`,
          hint: opts.shadowHint ?? 'Grant CREATEDB to the role, or give an empty database to use instead.',
          exit: ExitCode.Usage,
        });
      }
    },
    { applicationName },
  );
  let dropped = false;
  return {
    url,
    kind: 'created',
    where: describeServer(url),
    async drop() {
      if (dropped) return [];
      dropped = true;
      try {
        await withClient(
          serverUrl,
          async (c) => {
            const v = await c.query<{ n: number }>(`SELECT current_setting('server_version_num')::int AS n`);
            const force = (v.rows[0]?.n ?? 0) >= 130000 ? ' WITH (FORCE)' : '';
            await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}${force}`);
          },
          { applicationName },
        );
        return [];
      } catch (e) {
        return [`database ${quoteIdent(name)} on ${describeServer(serverUrl)} could not be dropped: ${(e as Error).message}`];
      }
    },
  };
}

interface UserObject {
  kind: 'extension' | 'schema' | 'relation' | 'type' | 'routine';
  /** Display name. */
  name: string;
  drop: string;
}

/**
 * What a user (a migration) made in this database: extensions but plpgsql, schemas but
 * PostgreSQL's own and `keepSchemas`, and the relations, types and routines of every
 * other schema (not those of extensions).
 */
async function userObjects(c: pg.ClientBase, keepSchemas: readonly string[]): Promise<UserObject[]> {
  const { rows } = await c.query<{ kind: UserObject['kind']; name: string; drop: string }>(
    `WITH user_ns AS (
       SELECT oid, nspname FROM pg_catalog.pg_namespace
        WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE 'pg\\_%'
     ), ext AS (
       SELECT objid FROM pg_catalog.pg_depend WHERE deptype = 'e'
     )
     SELECT 'extension' AS kind, quote_ident(extname) AS name, format('DROP EXTENSION IF EXISTS %I CASCADE', extname) AS drop
       FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql'
     UNION ALL
     SELECT 'schema', quote_ident(nspname), format('DROP SCHEMA IF EXISTS %I CASCADE', nspname)
       FROM user_ns WHERE NOT nspname = ANY ($1::text[])
     UNION ALL
     SELECT 'relation', format('%I.%I', n.nspname, c.relname),
            format('DROP %s IF EXISTS %I.%I CASCADE',
                   CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                                  WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, n.nspname, c.relname)
       FROM pg_catalog.pg_class c JOIN user_ns n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.oid NOT IN (SELECT objid FROM ext) AND NOT c.relispartition
     UNION ALL
     SELECT 'type', format('%I.%I', n.nspname, t.typname), format('DROP TYPE IF EXISTS %I.%I CASCADE', n.nspname, t.typname)
       FROM pg_catalog.pg_type t JOIN user_ns n ON n.oid = t.typnamespace
      WHERE t.oid NOT IN (SELECT objid FROM ext)
        AND (t.typtype IN ('e', 'd', 'r')
             OR (t.typtype = 'c' AND (SELECT relkind FROM pg_catalog.pg_class WHERE oid = t.typrelid) = 'c'))
     UNION ALL
     SELECT 'routine', format('%I.%I(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)),
            format('DROP ROUTINE IF EXISTS %I.%I(%s) CASCADE', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
       FROM pg_catalog.pg_proc p JOIN user_ns n ON n.oid = p.pronamespace
      WHERE p.oid NOT IN (SELECT objid FROM ext)`,
    [keepSchemas],
  );
  return rows;
}

async function useShadow(serverUrl: string, shadowUrl: string, applicationName: string): Promise<ScratchDatabase> {
  registerSecretsFrom(shadowUrl);
  checkDatabaseUrl(shadowUrl, 'The shadow database URL');
  const a = databaseOf(serverUrl);
  const b = databaseOf(shadowUrl);
  if (a.host === b.host && a.port === b.port && a.database === b.database) {
    throw new UserError({
      code: 'ZD_SHADOW_IS_LIVE',
      message: `The shadow database URL names the database itself (${describeServer(shadowUrl)}); it must be another, empty database.`,
      hint: 'Create an empty database for it (e.g. CREATE DATABASE app_shadow) and pass its URL.',
      exit: ExitCode.Usage,
    });
  }
  const keep = await withClient(
    shadowUrl,
    async (c) => {
      const schemas = await c.query<{ nspname: string }>(
        `SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE 'pg\\_%'`,
      );
      const keep = schemas.rows.map((r) => r.nspname);
      const objects = (await userObjects(c, keep)).filter((o) => o.kind !== 'schema');
      if (objects.length) {
        const shown = objects.slice(0, 5).map((o) => `${o.kind} ${o.name}`);
        throw new UserError({
          code: 'ZD_SHADOW_NOT_EMPTY',
          message:
            `The shadow database ${describeServer(shadowUrl)} is not empty (${objects.length} object${objects.length === 1 ? '' : 's'}: ` +
            `${shown.join(', ')}${objects.length > 5 ? ', …' : ''}). prisma-zd builds the migrations folder in it and empties it again, so it only takes an empty one.`,
          hint: 'Pass the URL of an empty database (one used only for this), e.g. created with CREATE DATABASE app_shadow.',
          exit: ExitCode.Usage,
        });
      }
      return keep;
    },
    { applicationName },
  );
  let dropped = false;
  return {
    url: shadowUrl,
    kind: 'shadow',
    where: describeServer(shadowUrl),
    async drop() {
      if (dropped) return [];
      dropped = true;
      try {
        return await withClient(
          shadowUrl,
          async (c) => {
            // Extensions and new schemas first (CASCADE takes their contents), then what is left in the kept schemas.
            for (const kind of ['extension', 'schema', 'relation', 'type', 'routine'] as const) {
              for (const o of (await userObjects(c, keep)).filter((x) => x.kind === kind)) {
                await c.query(o.drop).catch(() => {});
              }
            }
            return (await userObjects(c, keep)).map((o) => `${o.kind} ${o.name} is left in the shadow database ${describeServer(shadowUrl)}`);
          },
          { applicationName },
        );
      } catch (e) {
        return [`the shadow database ${describeServer(shadowUrl)} could not be emptied: ${(e as Error).message}`];
      }
    },
  };
}

/**
 * Runs `fn` with a throw-away database and always drops it; what could not be cleaned goes
 * to `warn`. SIGINT/SIGTERM (Ctrl-C, a cancelled CI job) drop it too, then end the process
 * with 130; a second signal exits at once.
 */
export async function withScratchDatabase<T>(
  serverUrl: string,
  opts: ScratchOptions & { warn?: (text: string) => void },
  fn: (db: ScratchDatabase) => Promise<T>,
): Promise<T> {
  // Listening from before the database exists: a signal while it is being created drops it once it is.
  let db: ScratchDatabase | undefined;
  let signalled = false;
  let cleaning: Promise<void> | undefined;
  const clean = (scratch: ScratchDatabase) =>
    (cleaning ??= scratch.drop().then((problems) => {
      for (const problem of problems) opts.warn?.(problem);
      process.exit(130);
    }));
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(130);
    signalled = true;
    opts.warn?.(`${signal}: stopping — cleaning up ${opts.shadowUrl ? 'the shadow' : 'the throw-away'} database (press Ctrl-C again to exit at once)…`);
    if (db) void clean(db);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    db = await createScratchDatabase(serverUrl, opts);
    if (signalled) await clean(db);
    try {
      return await fn(db);
    } finally {
      // Interrupted: what `fn` failed with is the cleanup's doing; end as the signal asked, once it is clean.
      if (cleaning) await cleaning;
      for (const problem of await db.drop()) opts.warn?.(problem);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
