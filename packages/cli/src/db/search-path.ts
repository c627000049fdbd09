/**
 * The session's search_path when it selects no schema to create in (`current_schema()`
 * is NULL: every schema it names is missing, or the role may not use it): Prisma's
 * `CREATE TABLE _prisma_migrations` (when missing) and every unqualified `CREATE` of a
 * migration fail with "no schema has been selected to create in" (SQLSTATE 3F000).
 * Found before anything runs, it is `ZD_SEARCH_PATH` naming the path, where it is set
 * (the URL, the role, the database, the server) and the fix for that place.
 */
import type pg from 'pg';
import { quoteIdent } from '@prisma-zd/core';
import { ExitCode, UserError } from '../errors.js';
import { redact } from '../util/redact.js';
import { describeServer } from './url.js';

export interface SearchPathEntry {
  /** As written in search_path (`$user` kept). */
  written: string;
  /** The schema it names (`$user` resolved to the role). */
  schema: string;
  exists: boolean;
  /** The role has USAGE on it (only then does PostgreSQL use it). */
  usage: boolean;
}

export interface SearchPathState {
  role: string;
  database: string;
  /** `current_setting('search_path')`. */
  path: string;
  /** `current_schema()`: where unqualified names are created; null when none. */
  current: string | null;
  /** `pg_settings.source`: `client`, `user`, `database`, `database user`, `configuration file`, `default`, … */
  source: string;
  entries: SearchPathEntry[];
}

/** The names of a search_path value (`"$user", public, "My Schema"`), unquoted. */
export function searchPathNames(path: string): string[] {
  const names: string[] = [];
  let i = 0;
  while (i < path.length) {
    while (i < path.length && /[\s,]/.test(path[i]!)) i++;
    if (i >= path.length) break;
    if (path[i] === '"') {
      let name = '';
      i++;
      while (i < path.length) {
        if (path[i] === '"' && path[i + 1] === '"') {
          name += '"';
          i += 2;
        } else if (path[i] === '"') {
          i++;
          break;
        } else name += path[i++];
      }
      names.push(name);
    } else {
      let name = '';
      while (i < path.length && path[i] !== ',') name += path[i++];
      // Unquoted identifiers fold to lower case (`$user` stays as it is).
      names.push(name.trim().toLowerCase());
    }
  }
  return names.filter((n) => n !== '');
}

/** Reads the session's search_path, what it resolves to, and where it was set. */
export async function readSearchPath(client: pg.ClientBase): Promise<SearchPathState> {
  const { rows } = await client.query<{ role: string; database: string; path: string; current: string | null; source: string | null }>(
    `SELECT current_user AS role, current_database() AS database, current_setting('search_path') AS path,
            current_schema() AS current,
            (SELECT source FROM pg_catalog.pg_settings WHERE name = 'search_path') AS source`,
  );
  const r = rows[0]!;
  const names = searchPathNames(r.path);
  const schemas = names.map((n) => (n === '$user' ? r.role : n));
  const found = schemas.length
    ? (
        await client.query<{ name: string; exists: boolean; usage: boolean }>(
          `SELECT s.name, n.oid IS NOT NULL AS exists,
                  n.oid IS NOT NULL AND pg_catalog.has_schema_privilege(n.oid, 'USAGE') AS usage
             FROM unnest($1::text[]) AS s(name) LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = s.name`,
          [schemas],
        )
      ).rows
    : [];
  const entries = names.map((written, i): SearchPathEntry => {
    const f = found.find((x) => x.name === schemas[i]);
    return { written, schema: schemas[i]!, exists: Boolean(f?.exists), usage: Boolean(f?.usage) };
  });
  return { role: r.role, database: r.database, path: r.path, current: r.current, source: r.source ?? 'default', entries };
}

/** The URL's `options` sets search_path (`options=-c search_path=…`). */
function urlSetsSearchPath(url: string): boolean {
  try {
    return /search_path/i.test(new URL(url).searchParams.get('options') ?? '');
  } catch {
    return false;
  }
}

/** Where the search_path was set, and how to change it there. */
function origin(s: SearchPathState, url: string): { where: string; fix: string } {
  const role = quoteIdent(s.role);
  const db = quoteIdent(s.database);
  switch (s.source) {
    case 'client':
      return urlSetsSearchPath(url)
        ? {
            where: "by the database URL's options parameter (options=-c search_path=…)",
            fix: "remove `-c search_path=…` from the URL's options, or name a schema that exists (Prisma's own way is `?schema=<name>`, which `prisma migrate deploy` creates)",
          }
        : process.env.PGOPTIONS && /search_path/i.test(process.env.PGOPTIONS)
          ? { where: 'by the PGOPTIONS environment variable', fix: 'unset PGOPTIONS (or name a schema that exists in it)' }
          : { where: 'by the client when connecting', fix: "remove search_path from the connection's options" };
    case 'user':
      return { where: `for role ${role} (ALTER ROLE … SET search_path)`, fix: `ALTER ROLE ${role} RESET search_path;` };
    case 'database user':
      return {
        where: `for role ${role} in database ${db} (ALTER ROLE … IN DATABASE … SET search_path)`,
        fix: `ALTER ROLE ${role} IN DATABASE ${db} RESET search_path;`,
      };
    case 'database':
      return { where: `for database ${db} (ALTER DATABASE … SET search_path)`, fix: `ALTER DATABASE ${db} RESET search_path;` };
    case 'default':
      return { where: "by PostgreSQL's default", fix: `ALTER ROLE ${role} SET search_path = public; (after CREATE SCHEMA public if it was dropped)` };
    default:
      return { where: `by the server (${s.source}: postgresql.conf or ALTER SYSTEM)`, fix: `ALTER ROLE ${role} SET search_path = public;` };
  }
}

/**
 * `ZD_SEARCH_PATH` (exit 2) when `s` selects no schema to create in; undefined otherwise.
 * `command`: what to run again; `why`: what would fail (e.g. "Prisma could create neither
 * _prisma_migrations nor the migrations' tables").
 */
export function searchPathError(
  s: SearchPathState,
  opts: {
    url: string;
    command: string;
    why: string;
    /** Where the session is, when not `url`'s database. */
    place?: string;
    /** A throw-away database: creating the schema there is no fix. */
    scratch?: boolean;
  },
): UserError | undefined {
  if (s.current !== null) return undefined;
  const role = quoteIdent(s.role);
  const { where, fix } = origin(s, opts.url);
  const missing = s.entries.filter((e) => !e.exists);
  const unusable = s.entries.filter((e) => e.exists && !e.usage);
  const state = s.entries.length
    ? s.entries.map((e) => `${quoteIdent(e.schema)}${e.written === '$user' ? ' ($user)' : ''} ${e.exists ? `exists, but role ${role} lacks USAGE on it` : 'does not exist'}`).join('; ')
    : 'it is empty';
  const steps: string[] = [];
  const first = missing.find((e) => e.written !== '$user') ?? missing[0];
  if (unusable.length) {
    const u = quoteIdent(unusable[0]!.schema);
    steps.push(`as the owner of schema ${u}: GRANT USAGE, CREATE ON SCHEMA ${u} TO ${role}`);
  }
  if (first && !opts.scratch) steps.push(`create the schema (as the database owner): CREATE SCHEMA ${quoteIdent(first.schema)} AUTHORIZATION ${role}`);
  steps.push(`fix the search_path where it is set: ${fix}`);
  if (opts.scratch) steps.push("name Prisma's schema in the URL (`?schema=<name>`): verify then builds the folder there");
  return new UserError({
    code: 'ZD_SEARCH_PATH',
    message: redact(
      `The search_path of role ${role} ${opts.place ?? `on ${describeServer(opts.url)}`} is \`${s.path}\`, set ${where}, and selects no schema: ${state}. ` +
        `${opts.why} (PostgreSQL: "no schema has been selected to create in", SQLSTATE 3F000).`,
    ),
    hint: `${steps.map((t, i) => (i === 0 ? t[0]!.toUpperCase() + t.slice(1) : `or ${t}`)).join('; ').replace(/;;/g, ';').replace(/;?$/, ';')} then run \`${opts.command}\` again.`,
    exit: ExitCode.Usage,
  });
}

/** The URL names Prisma's schema (`?schema=`): Prisma then sets its session's search_path to it (and creates it). */
export function urlSchema(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('schema') || undefined;
  } catch {
    return undefined;
  }
}

/** The URL's `?schema=` (where Prisma keeps `_prisma_migrations` when it is given), else `public`. */
export function prismaSchemaOf(url: string): string {
  return urlSchema(url) ?? 'public';
}

/**
 * Where Prisma keeps `_prisma_migrations` and creates unqualified names: the URL's
 * `?schema=`; without it, the schema the session's search_path creates in
 * (`current_schema()`: Prisma creates `_prisma_migrations` unqualified, measured with
 * prisma 6.19.3 and a role whose search_path is `app`), `public` when it selects none.
 */
export async function prismaMigrationsSchema(client: pg.ClientBase, url: string): Promise<string> {
  const named = urlSchema(url);
  if (named) return named;
  const { rows } = await client.query<{ s: string | null }>('SELECT current_schema() AS s');
  return rows[0]?.s ?? 'public';
}
