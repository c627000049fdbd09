/** What `namedTypes` reports, and the log lines it writes for it. */
import type { ChangeReason, ResolvedType, ServerTypes, TypeChange } from './resolve.js';

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

export function missingTypes(s: ServerTypes): string[] {
  return Object.entries(s.types)
    .filter(([, t]) => t === null)
    .map(([k]) => displayType(k));
}

export function resolvedLine(s: ServerTypes): string {
  const types = Object.entries(s.types)
    .map(([k, t]) => `${displayType(k)}=${describeType(t)}`)
    .join(', ');
  return `${PREFIX} type parsers resolved on ${describeServer(s)}: ${types}`;
}

export function changeLine(c: ServerChange): string {
  const types = c.changed.length
    ? c.changed.map((t) => `${displayType(t.type)} ${describeType(t.before)} → ${describeType(t.after)}`).join(', ')
    : 'type OIDs unchanged';
  return (
    `${PREFIX} server changed (${c.reasons.join(', ')}): ${describeServer(c.before)} → ${describeServer(c.after)}; ` +
    `${types}. New connections get parsers for the new OIDs.`
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

export function missingLine(s: ServerTypes, missing: readonly string[]): string {
  return (
    `${PREFIX} type(s) not found on ${describeServer(s)}: ${missing.join(', ')}; their values come back as text. ` +
    `Instead: CREATE EXTENSION for them, or check search_path.`
  );
}
