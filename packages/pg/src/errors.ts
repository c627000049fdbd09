/** The error `connect()` (or `attach()`) fails with when the types cannot be resolved. */
import type pg from 'pg';
import { quoteIdent } from './resolve.js';

/** Where a client connects, as its configuration says (never its password). */
export function addressOf(client: pg.ClientBase): string {
  const c = client as Partial<Pick<pg.Client, 'user' | 'host' | 'port' | 'database'>>;
  const host = c.host?.startsWith('/') ? `[${c.host}]` : (c.host ?? '?');
  return `${c.user ?? '?'}@${host}:${c.port ?? '?'}/${c.database ?? '?'}`;
}

/**
 * What tells two addresses apart: `addressOf` and the startup `options` (a `-c search_path=…`
 * there changes what unqualified names resolve to).
 */
export function addressKey(client: pg.ClientBase): string {
  const options = (client as { connectionParameters?: { options?: unknown } }).connectionParameters?.options;
  return typeof options === 'string' && options ? `${addressOf(client)} ${options}` : addressOf(client);
}

/**
 * The resolving query failed (a `types.Client` closes its connection, a `types.Pool` drops
 * it): the error
 * names the types, the address and what to do. `code` is the cause's (an SQLSTATE such as
 * `42501`, or a network code such as `ECONNRESET`), `cause` the error itself, and the
 * message keeps the cause's text, so code that matches either still does.
 */
export class NamedTypesResolveError extends Error {
  readonly code: string | undefined;
  constructor(
    readonly types: readonly string[],
    readonly address: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const code = (cause as { code?: unknown } | null)?.code;
    const user = address.slice(0, address.lastIndexOf('@')); // a user name may hold an @ (Azure's user@server)
    const instead =
      code === '42501'
        ? `Instead: let the role read the catalog, as PostgreSQL does by default: GRANT SELECT ON pg_catalog.pg_type, pg_catalog.pg_namespace TO ${quoteIdent(user)}.`
        : `Nothing was installed on this connection; a new connection resolves again.`;
    super(
      `[@prisma-zd/pg] could not resolve the type parsers for ${types.join(', ')} on ${address}: ${reason}${typeof code === 'string' ? ` (${code})` : ''}. ${instead}`,
      { cause },
    );
    this.name = 'NamedTypesResolveError';
    this.code = typeof code === 'string' ? code : undefined;
  }
}
