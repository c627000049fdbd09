/**
 * Resolving type names to one server's OIDs, and telling two servers apart.
 * One round trip: the server's identity and every requested type.
 */
import type pg from 'pg';

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
 */
const RESOLVE_SQL = `
SELECT s.version_num, s.version, s.database, s.system_identifier,
       t.typnamespace::regnamespace::text AS schema, t.typname::text AS name,
       t.oid::int8::text AS oid, t.typarray::int8::text AS array_oid, t.typdelim::text AS delimiter,
       CASE WHEN t.typtype = 'd' THEN t.typbasetype::regtype::text END AS domain_of
  FROM (SELECT current_setting('server_version_num') AS version_num,
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
