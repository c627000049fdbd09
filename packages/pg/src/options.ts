/**
 * The options of `namedTypes`: the written type, the resolved type, and one validation
 * that reports every problem at once.
 */
import { parseTypeName, type TypeName } from './resolve.js';
import type { TextParser } from './parsers.js';
import type { ServerChange } from './events.js';

/** Where log lines go; `console` fits. */
export interface NamedTypesLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface NamedTypesOptions {
  /**
   * Parsers by type name: `citext`, `public.hstore`, `"My Type"`, `mood[]`. A parser gets the
   * text of one non-NULL value of that type. For a scalar entry, its array type gets an array
   * parser built from it, unless `arrays: false` or the array type has its own entry.
   */
  parsers: Record<string, TextParser>;
  /** Derive array parsers from scalar entries (default `true`). */
  arrays?: boolean;
  /**
   * Pools only: when a pooled connection is checked out and its types were last resolved more
   * than this many milliseconds ago, resolve them again first (one round trip). For poolers in
   * transaction mode, where the server behind one open connection can change. Default: off.
   */
  recheckAfterMs?: number;
  /**
   * Queries that bring their own `types` (Prisma's `@prisma/adapter-pg` does, on every query)
   * bypass per-connection parsers. By default (`true`) the connection's resolved OIDs are
   * consulted first for such queries and the query's own `types` for every other OID.
   * `false`: such queries keep exactly their own `types`. See docs/pg.md.
   */
  overrideQueryTypes?: boolean;
  /** Called after the `serverChange` event, with the same argument. */
  onServerChange?: (change: ServerChange) => void;
  /** One line when types are first resolved, one warning per server change. `false`: silent. Default `console`. */
  logger?: NamedTypesLogger | false;
}

/** A parser entry, with its name parsed. */
export interface ParserEntry {
  readonly type: TypeName;
  readonly parse: TextParser;
}

export interface ResolvedOptions {
  readonly entries: readonly ParserEntry[];
  readonly arrays: boolean;
  readonly recheckAfterMs: number;
  readonly overrideQueryTypes: boolean;
  readonly onServerChange: ((change: ServerChange) => void) | undefined;
  readonly logger: NamedTypesLogger | undefined;
}

/** Thrown by `namedTypes` for options it cannot use; `problems` lists every one of them. */
export class NamedTypesOptionsError extends Error {
  readonly code = 'PRISMA_ZD_PG_OPTIONS';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid @prisma-zd/pg namedTypes options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'NamedTypesOptionsError';
  }
}

const KNOWN_KEYS = new Set(['parsers', 'arrays', 'recheckAfterMs', 'overrideQueryTypes', 'onServerChange', 'logger']);

export function resolveOptions(options: NamedTypesOptions): ResolvedOptions {
  const problems: string[] = [];
  if (options === null || typeof options !== 'object') throw new NamedTypesOptionsError(['options must be an object']);
  for (const key of Object.keys(options)) {
    if (!KNOWN_KEYS.has(key)) problems.push(`unknown option "${key}" (known: ${[...KNOWN_KEYS].join(', ')})`);
  }
  const entries: ParserEntry[] = [];
  const parsers: unknown = options.parsers;
  if (parsers === null || typeof parsers !== 'object') {
    problems.push('"parsers" must be an object of type name → parser function');
  } else {
    for (const [key, parse] of Object.entries(parsers)) {
      const type = parseTypeName(key);
      if (!type) problems.push(`parsers: "${key}" is not a type name (expected name, schema.name, "Quoted Name" or name[])`);
      if (typeof parse !== 'function') problems.push(`parsers: "${key}" must be a function (text) => value`);
      if (type && typeof parse === 'function') entries.push({ type, parse: parse as TextParser });
    }
    if (Object.keys(parsers).length === 0) problems.push('"parsers" is empty: name at least one type');
  }
  if (options.arrays !== undefined && typeof options.arrays !== 'boolean') problems.push('"arrays" must be a boolean');
  const recheck = options.recheckAfterMs;
  if (recheck !== undefined && !(typeof recheck === 'number' && Number.isFinite(recheck) && recheck >= 0)) {
    problems.push('"recheckAfterMs" must be a number of milliseconds ≥ 0');
  }
  if (options.overrideQueryTypes !== undefined && typeof options.overrideQueryTypes !== 'boolean') {
    problems.push('"overrideQueryTypes" must be a boolean');
  }
  if (options.onServerChange !== undefined && typeof options.onServerChange !== 'function') {
    problems.push('"onServerChange" must be a function');
  }
  const logger = options.logger;
  if (logger !== undefined && logger !== false && (typeof logger?.info !== 'function' || typeof logger?.warn !== 'function')) {
    problems.push('"logger" must have info() and warn(), or be false');
  }
  if (problems.length > 0) throw new NamedTypesOptionsError(problems);
  return {
    entries,
    arrays: options.arrays ?? true,
    recheckAfterMs: recheck ?? 0,
    overrideQueryTypes: options.overrideQueryTypes ?? true,
    onServerChange: options.onServerChange,
    logger: logger === false ? undefined : (logger ?? console),
  };
}
