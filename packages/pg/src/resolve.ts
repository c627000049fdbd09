/**
 * Resolving type names to one server's OIDs, and telling two servers apart.
 * One round trip: the server's identity and every requested type.
 */
import type pg from 'pg';
import { parseArray } from './parsers.js';

/** A requested type: `citext`, `public.hstore`, `"My Type"`, `mood[]`. */
export interface TypeName {
  /** As the application wrote it (the key in `parsers`). */
  readonly key: string;
  /** `null`: search the connection's `search_path`, as an unqualified name in SQL does. */
  readonly schema: string | null;
  readonly name: string;
  readonly isArray: boolean;
}

const IDENT = String.raw`(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*|"(?:[^"]|"")+")`;
const TYPE_NAME = new RegExp(`^(?:(${IDENT})\\.)?(${IDENT})(\\[\\])?$`);

function unquote(ident: string): string {
  // Unquoted identifiers fold to lower case, exactly as PostgreSQL does.
  return ident.startsWith('"') ? ident.slice(1, -1).replace(/""/g, '"') : ident.toLowerCase();
}

/** Parses a type name as written in `parsers`; `undefined` when it is not one. */
export function parseTypeName(key: string): TypeName | undefined {
  const m = TYPE_NAME.exec(key.trim());
  if (!m) return undefined;
  return { key, schema: m[1] ? unquote(m[1]) : null, name: unquote(m[2]!), isArray: m[3] !== undefined };
}

/** The server a connection reached. */
export interface ServerIdentity {
  /** `server_version_num`, e.g. 180004. */
  readonly versionNum: number;
  /** `server_version`, e.g. `18.4`. */
  readonly version: string;
  /**
   * `pg_control_system().system_identifier`: different for every `initdb`, so it tells apart
   * two servers of the same version. `null` where the function may not be executed.
   */
  readonly systemIdentifier: string | null;
  readonly database: string;
}

/** One base type as found on a server. */
export interface ResolvedType {
  readonly schema: string;
  readonly name: string;
  readonly oid: number;
  /** The OID of its array type; 0 when it has none. */
  readonly arrayOid: number;
  /** Its `typdelim`: the separator between elements of its arrays. */
  readonly delimiter: string;
  /**
   * For a domain, its base type (`text`, `public.citext`…). PostgreSQL sends a domain's
   * values under the base type's OID, so a parser registered for the domain only ever
   * sees its arrays.
   */
  readonly domainOf?: string;
  /**
   * The array types of the domains over it (and over those, at any depth). A domain's values
   * come under this type's OID, its arrays under the domain's own array OID: those arrays get
   * this type's array parser, unless the domain has an entry of its own.
   */
  readonly domainArrayOids: readonly number[];
}

/** The outcome of resolving every requested type on one connection. */
export interface ServerTypes {
  readonly server: ServerIdentity;
  /** By base type (`schema.name` as requested, without `[]`); `null` when not found. */
  readonly types: Readonly<Record<string, ResolvedType | null>>;
  readonly resolvedAt: Date;
}

/** Base types to look up, keyed by `schema.name` as requested (`.name` when unqualified). */
export function baseKey(t: TypeName): string {
  return `${t.schema ?? ''}.${t.name}`;
}

/** The one way identifiers are quoted here. */
export function quoteIdent(ident: string): string {
  return `"${ident.replace(/"/g, '""')}"`;
}

/**
 * One row per requested base type. `to_regtype` resolves names exactly as PostgreSQL does
 * (an unqualified name along `search_path`) and gives NULL for a missing type; the names are
 * quoted here, so they can never be a syntax error. Everything comes back as text so that no
 * parser of the application (int8, a replaced text parser…) applies to these rows.
 *
 * The system identifier is read through `query_to_xml` because PostgreSQL checks EXECUTE on
 * every function a statement names when it starts, even in a CASE branch never taken:
 * naming `pg_control_system()` directly would fail the whole query where it is revoked.
 *
 * Domains come as one list (`oid:base:array,…`, usually short) rather than a recursive
 * lookup per type: a new backend plans and runs this query with cold caches, and each
 * extra catalog construct there costs a measurable part of a millisecond.
 */
const RESOLVE_SQL = `
SELECT s.version_num, s.version, s.domains, s.database, s.system_identifier,
       t.typnamespace::regnamespace::text AS schema, t.typname::text AS name,
       t.oid::int8::text AS oid, t.typarray::int8::text AS array_oid, t.typdelim::text AS delimiter,
       CASE WHEN t.typtype = 'd' THEN t.typbasetype::regtype::text END AS domain_of
  FROM (SELECT current_setting('server_version_num') AS version_num,
               (SELECT string_agg(d.oid::int8 || ':' || d.typbasetype::int8 || ':' || d.typarray::int8, ',')
                  FROM pg_catalog.pg_type d WHERE d.typtype = 'd') AS domains,
               current_setting('server_version') AS version,
               current_database()::text AS database,
               CASE WHEN has_function_privilege(to_regprocedure('pg_catalog.pg_control_system()'), 'EXECUTE')
                    THEN substring(query_to_xml('SELECT system_identifier FROM pg_catalog.pg_control_system()', false, false, '')::text
                                   FROM '<system_identifier>([0-9]+)</system_identifier>') END AS system_identifier) s
 CROSS JOIN unnest($1::text[]) WITH ORDINALITY AS w(regtype, i)
  LEFT JOIN pg_catalog.pg_type t ON t.oid = to_regtype(w.regtype)
 ORDER BY w.i`;

interface ResolveRow {
  version_num: string;
  version: string;
  domains: string | null;
  database: string;
  system_identifier: string | null;
  schema: string | null;
  name: string | null;
  oid: string | null;
  array_oid: string | null;
  delimiter: string | null;
  domain_of: string | null;
}

/** Runs the one resolving query on `client` for the base types in `wanted`. */
export async function resolveTypes(client: pg.ClientBase, wanted: readonly TypeName[]): Promise<ServerTypes> {
  const bases = new Map<string, TypeName>();
  for (const t of wanted) bases.set(baseKey(t), t);
  const list = [...bases.values()];
  const text = (v: string) => v; // every column as text, whatever parsers the client has
  const { rows } = await client.query<ResolveRow>({
    text: RESOLVE_SQL,
    values: [list.map((t) => (t.schema === null ? '' : `${quoteIdent(t.schema)}.`) + quoteIdent(t.name))],
    types: { getTypeParser: () => text } as unknown as pg.CustomTypesConfig,
  });
  const domainArrays = domainArraysByBase(rows[0]!.domains);
  const types: Record<string, ResolvedType | null> = {};
  list.forEach((t, i) => {
    const r = rows[i]!;
    types[baseKey(t)] =
      r.oid === null
        ? null
        : {
            schema: r.schema!,
            name: r.name!,
            oid: Number(r.oid),
            arrayOid: Number(r.array_oid),
            delimiter: r.delimiter!,
            domainArrayOids: domainArrays(Number(r.oid)),
            ...(r.domain_of === null ? {} : { domainOf: r.domain_of }),
          };
  });
  const first = rows[0]!;
  return {
    server: {
      versionNum: Number(first.version_num),
      version: first.version,
      systemIdentifier: first.system_identifier,
      database: first.database,
    },
    types,
    resolvedAt: new Date(),
  };
}

/** From `oid:base:array,…`: the array OIDs of the domains over a type, at any depth, sorted. */
function domainArraysByBase(list: string | null): (oid: number) => number[] {
  const over = new Map<number, Array<{ oid: number; array: number }>>();
  for (const item of list ? list.split(',') : []) {
    const [oid, base, array] = item.split(':').map(Number) as [number, number, number];
    over.set(base, [...(over.get(base) ?? []), { oid, array }]);
  }
  return (oid) => {
    const arrays: number[] = [];
    const seen = new Set<number>();
    const walk = (base: number) => {
      for (const d of over.get(base) ?? []) {
        if (seen.has(d.oid)) continue;
        seen.add(d.oid);
        if (d.array) arrays.push(d.array);
        walk(d.oid);
      }
    };
    walk(oid);
    return arrays.sort((a, b) => a - b);
  };
}

/**
 * For types not found: the server's types of the same name in another letter case or schema
 * (`Role` written unquoted is looked up as `role`; Prisma creates `"Role"`), written as SQL
 * needs them (`"Role"`, `app.mood`), by base key. Run only when a warning is about to say so.
 */
export async function findCandidates(client: pg.ClientBase, missing: readonly TypeName[]): Promise<Record<string, string[]>> {
  const text = (v: string) => v;
  const { rows } = await client.query<{ i: string; candidates: string | null }>({
    text: `
SELECT w.i::text AS i,
       (SELECT array_agg(c.written ORDER BY c.written)::text
          FROM (SELECT CASE WHEN pg_catalog.pg_type_is_visible(x.oid) THEN pg_catalog.format('%I', x.typname)
                            ELSE pg_catalog.format('%I.%I', n.nspname, x.typname) END AS written
                  FROM pg_catalog.pg_type x JOIN pg_catalog.pg_namespace n ON n.oid = x.typnamespace
                 WHERE lower(x.typname) = lower(w.name) AND n.nspname !~ '^pg_(toast|temp)'
                 ORDER BY 1 LIMIT 3) c) AS candidates
  FROM unnest($1::text[]) WITH ORDINALITY AS w(name, i)`,
    values: [missing.map((t) => t.name)],
    types: { getTypeParser: () => text } as unknown as pg.CustomTypesConfig,
  });
  const out: Record<string, string[]> = {};
  for (const r of rows) {
    if (r.candidates !== null) out[baseKey(missing[Number(r.i) - 1]!)] = parseArray(r.candidates, String) as string[];
  }
  return out;
}

/** Why two resolutions differ. */
export type ChangeReason = 'version' | 'systemIdentifier' | 'database' | 'oids';

/** One base type whose OIDs differ between two resolutions. */
export interface TypeChange {
  /** `schema.name` as requested (`.name` when unqualified). */
  readonly type: string;
  readonly before: ResolvedType | null;
  readonly after: ResolvedType | null;
}

export function compareServerTypes(before: ServerTypes, after: ServerTypes): { reasons: ChangeReason[]; changed: TypeChange[] } {
  const reasons: ChangeReason[] = [];
  if (before.server.versionNum !== after.server.versionNum) reasons.push('version');
  if (before.server.systemIdentifier !== after.server.systemIdentifier) reasons.push('systemIdentifier');
  if (before.server.database !== after.server.database) reasons.push('database');
  const changed: TypeChange[] = [];
  const keys = new Set([...Object.keys(before.types), ...Object.keys(after.types)]);
  for (const type of keys) {
    const b = before.types[type] ?? null;
    const a = after.types[type] ?? null;
    if (b?.oid !== a?.oid || b?.arrayOid !== a?.arrayOid || b?.delimiter !== a?.delimiter) {
      changed.push({ type, before: b, after: a });
    }
  }
  if (changed.length > 0) reasons.push('oids');
  return { reasons, changed };
}
