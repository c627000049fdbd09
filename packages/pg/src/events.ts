/** What `namedTypes` reports, and the log lines it writes for it. */
import { parseTypeName, type TypeName, type ChangeReason, type ResolvedType, type ServerTypes, type TypeChange } from './resolve.js';

/** A connection reached a different server than the previous resolution saw. */
export interface ServerChange {
  readonly before: ServerTypes;
  readonly after: ServerTypes;
  /** Any of: `version`, `systemIdentifier`, `database`, `oids`. */
  readonly reasons: readonly ChangeReason[];
  /** The requested types whose OIDs differ (empty when only the identity changed). */
  readonly changed: readonly TypeChange[];
}

export interface NamedTypesEvents {
  serverChange: [change: ServerChange];
}

const PREFIX = '[@prisma-zd/pg]';

function describeServer(s: ServerTypes): string {
  const id = s.server.systemIdentifier ? `system ${s.server.systemIdentifier}` : 'system id not readable';
  return `PostgreSQL ${s.server.version} (${id}), database "${s.server.database}"`;
}

function describeType(t: ResolvedType | null): string {
  if (!t) return 'missing';
  return t.arrayOid ? `${t.oid} (array ${t.arrayOid})` : String(t.oid);
}

/** `.citext` → `citext`; `public.hstore` stays. */
export function displayType(key: string): string {
  return key.startsWith('.') ? key.slice(1) : key;
}

/** The base keys of the types `s` did not find. */
export function missingTypes(s: ServerTypes): string[] {
  return Object.entries(s.types)
    .filter(([, t]) => t === null)
    .map(([k]) => k);
}

/** How a base key is shown: as the application wrote it (`"Role"`), by default without its dot. */
export type NameOf = (key: string) => string;

export function resolvedLine(s: ServerTypes, name: NameOf = displayType): string {
  const types = Object.entries(s.types)
    .map(([k, t]) => `${name(k)}=${describeType(t)}`)
    .join(', ');
  return `${PREFIX} type parsers resolved on ${describeServer(s)}: ${types}`;
}

export function changeLine(c: ServerChange, name: NameOf = displayType): string {
  const types = c.changed.length
    ? c.changed.map((t) => `${name(t.type)} ${describeType(t.before)} → ${describeType(t.after)}`).join(', ')
    : 'type OIDs unchanged';
  const what =
    c.reasons.length === 1 && c.reasons[0] === 'oids'
      ? `type OIDs changed on ${describeServer(c.after)} (a type created, or dropped and created again)`
      : `server changed (${c.reasons.join(', ')}): ${describeServer(c.before)} → ${describeServer(c.after)}`;
  return (
    `${PREFIX} ${what}; ${types}. New connections get parsers for the new OIDs; ` +
    `connections of a types.Pool resolved before resolve again on their next checkout.`
  );
}

/** Domains registered for their scalar values: the protocol sends those under the base type. */
export function domainLine(s: ServerTypes, domains: ReadonlyArray<readonly [string, string]>): string {
  return (
    `${PREFIX} ${domains.map(([d, base]) => `${d} is a domain over ${base}`).join(', ')} on ${describeServer(s)}: PostgreSQL sends a domain's values ` +
    `with its base type's OID, so the parser registered for ${domains.length === 1 ? 'it' : 'them'} applies to ${domains.length === 1 ? 'its arrays' : 'their arrays'} only. ` +
    `Instead: register the parser for the base type, or cast in SQL.`
  );
}

/**
 * `missing`: each type not found, as the application wrote it, with the server's types of
 * that name in another letter case or schema (as SQL writes them).
 */
export function missingLine(
  s: ServerTypes,
  missing: ReadonlyArray<{ written: string; type: TypeName; candidates: readonly string[] }>,
): string {
  const items = missing.map(({ written, type, candidates }) => {
    if (candidates.length === 0) return written;
    const first = candidates[0]!;
    const found = parseTypeName(first);
    const why =
      found?.name !== type.name
        ? `unquoted names fold to lower case, as in SQL`
        : type.schema !== null
          ? `not in schema ${type.schema}`
          : `outside the connection's search_path`;
    return `${written} (the server has ${candidates.join(' and ')}: write '${first}' in parsers; ${why})`;
  });
  const instead = missing.every((m) => m.candidates.length > 0)
    ? 'Instead: name them as the server has them.'
    : 'Instead: CREATE EXTENSION for them, or check search_path.';
  return `${PREFIX} type(s) not found on ${describeServer(s)}: ${items.join(', ')}; their values come back as text. ${instead}`;
}
