/**
 * What `verify` reads on the live database besides the catalogs: Prisma's
 * `_prisma_migrations` (which migrations to build) and, when the database is managed, the
 * bookkeeping (`prisma_zd.meta`, `prisma_zd.queue`: which differences are queued work).
 * Checked before anything runs, all at once: each missing privilege is named with its
 * object, and the GRANTs to run, grouped by the owner who may run them.
 */
import type pg from 'pg';
import { ZD_SCHEMA, quoteIdent } from '@prisma-zd/core';
import { ExitCode, UserError } from '../errors.js';
import { describeServer } from '../db/connect.js';

interface Missing {
  kind: 'schema' | 'table';
  /** Quoted, qualified. */
  object: string;
  privilege: 'USAGE' | 'SELECT';
  owner: string;
  why: string;
}

const SQL = `
WITH wanted(ord, kind, schema, name, privilege, why) AS (
  VALUES (1, 'schema', $1::text, NULL::text, 'USAGE', 'holds _prisma_migrations'),
         (2, 'table', $1, '_prisma_migrations', 'SELECT', 'which migrations the database applied'),
         (3, 'schema', $2, NULL, 'USAGE', 'the bookkeeping'),
         (4, 'table', $2, 'meta', 'SELECT', 'the bookkeeping version'),
         (5, 'table', $2, 'queue', 'SELECT', 'which differences are queued work'))
SELECT w.kind, w.schema, w.name, w.privilege, w.why,
       pg_catalog.pg_get_userbyid(COALESCE(c.relowner, n.nspowner)) AS owner,
       CASE WHEN w.kind = 'schema' THEN pg_catalog.has_schema_privilege(n.oid, 'USAGE')
            ELSE pg_catalog.has_table_privilege(c.oid, 'SELECT') END AS granted
  FROM wanted w
  JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
  LEFT JOIN pg_catalog.pg_class c ON w.kind = 'table' AND c.relnamespace = n.oid AND c.relname = w.name
 WHERE w.kind = 'schema' OR c.oid IS NOT NULL
 ORDER BY w.ord`;

/** The privileges verify lacks on what it reads (objects that do not exist are not asked for). */
async function missingPrivileges(c: pg.ClientBase, prismaSchema: string): Promise<{ role: string; missing: Missing[] }> {
  const role = (await c.query<{ r: string }>('SELECT current_user AS r')).rows[0]!.r;
  const { rows } = await c.query<{ kind: 'schema' | 'table'; schema: string; name: string | null; privilege: 'USAGE' | 'SELECT'; why: string; owner: string; granted: boolean }>(
    SQL,
    [prismaSchema, ZD_SCHEMA],
  );
  const missing = rows
    .filter((r) => !r.granted)
    .map((r): Missing => ({
      kind: r.kind,
      object: r.name === null ? quoteIdent(r.schema) : `${quoteIdent(r.schema)}.${quoteIdent(r.name)}`,
      privilege: r.privilege,
      owner: r.owner,
      why: r.why,
    }));
  return { role, missing };
}

/**
 * `ZD_PERMISSION` (exit 2) naming every object verify may not read on the live database,
 * the privilege, and the GRANTs (as each object's owner); nothing when all is readable.
 */
export async function requireVerifyPrivileges(c: pg.ClientBase, url: string, prismaSchema: string): Promise<void> {
  const { role, missing } = await missingPrivileges(c, prismaSchema);
  if (!missing.length) return;
  const r = quoteIdent(role);
  const byOwner = new Map<string, string[]>();
  for (const m of missing) {
    const grant = m.kind === 'schema' ? `GRANT USAGE ON SCHEMA ${m.object} TO ${r};` : `GRANT SELECT ON ${m.object} TO ${r};`;
    byOwner.set(m.owner, [...(byOwner.get(m.owner) ?? []), grant]);
  }
  const grants = [...byOwner].map(([owner, g]) => `as ${quoteIdent(owner)}: ${g.join(' ')}`);
  throw new UserError({
    code: 'ZD_PERMISSION',
    message:
      `Role ${r} may not read what verify compares on ${describeServer(url)}:\n` +
      missing.map((m) => `  ${m.privilege} on ${m.kind} ${m.object} (${m.why}), owned by ${quoteIdent(m.owner)}`).join('\n'),
    hint:
      `Grant the read-only privileges, ${grants.join('; ')} then run \`prisma-zd verify\` again ` +
      '(or run it with the role `prisma migrate deploy` uses).',
    exit: ExitCode.Usage,
  });
}

/** Where verify builds the folder, for messages. */
export interface BuildPlace {
  kind: 'created' | 'shadow';
  where: string;
}

function buildHint(place: BuildPlace, role: string, grant: string | undefined): string {
  const own =
    place.kind === 'shadow'
      ? `or pass a --shadow-database-url of an empty database the role owns (as an administrator: CREATE DATABASE <name> OWNER ${role};)`
      : 'or run verify with the role `prisma migrate deploy` uses';
  return `${grant ? `${grant}; ` : ''}${own}. Then run \`prisma-zd verify\` again.`;
}

/**
 * The role may create in the schema the build starts in (`current_schema()` of the
 * shadow database): a shadow database owned by another role denies it on PostgreSQL 15+
 * (`public` belongs to pg_database_owner). `ZD_PERMISSION` naming it, not a migration
 * that "does not build".
 */
export async function requireBuildPrivileges(c: pg.ClientBase, place: BuildPlace): Promise<void> {
  const { rows } = await c.query<{ role: string; schema: string | null; owner: string | null; ok: boolean | null }>(
    `SELECT current_user AS role, current_schema() AS schema,
            (SELECT pg_catalog.pg_get_userbyid(nspowner) FROM pg_catalog.pg_namespace WHERE nspname = current_schema()) AS owner,
            pg_catalog.has_schema_privilege(current_schema(), 'CREATE') AS ok`,
  );
  const r = rows[0]!;
  if (r.schema === null || r.ok !== false) return;
  const role = quoteIdent(r.role);
  const schema = quoteIdent(r.schema);
  const owner = !r.owner || r.owner === 'pg_database_owner' ? 'the database owner' : quoteIdent(r.owner);
  throw new UserError({
    code: 'ZD_PERMISSION',
    message:
      `Role ${role} may not create objects in schema ${schema} of the ${place.kind === 'shadow' ? 'shadow' : 'throw-away'} database ${place.where}, ` +
      `where verify builds the migrations folder (it lacks CREATE on the schema, owned by ${owner}).`,
    hint: buildHint(place, role, `As ${owner}, in that database: GRANT CREATE ON SCHEMA ${schema} TO ${role}`),
    exit: ExitCode.Usage,
  });
}

/** A migration of the build denied a privilege (SQLSTATE 42501): `ZD_PERMISSION` about the build's database, not "fix that migration". */
export function buildDenied(e: unknown, place: BuildPlace, role: string): UserError | undefined {
  if (!(e instanceof UserError) || (e as { sqlstate?: string }).sqlstate !== '42501') return undefined;
  const r = quoteIdent(role);
  return new UserError({
    code: 'ZD_PERMISSION',
    message:
      `Role ${r} lacks a privilege in the ${place.kind === 'shadow' ? 'shadow' : 'throw-away'} database ${place.where}, where verify builds the migrations folder ` +
      `(the migration is not at fault: \`prisma migrate deploy\` ran it with the privileges of its own role):\n${e.message}`,
    hint: buildHint(place, r, 'Grant the role there what the statement above needs (as the owner of the object PostgreSQL names)'),
    exit: ExitCode.Usage,
    cause: e,
  });
}
