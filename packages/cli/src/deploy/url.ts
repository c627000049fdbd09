/**
 * Prisma's session gets our settings through its connection URL (DESIGN §4): `options=-c
 * lock_timeout=… -c statement_timeout=…` and `application_name=prisma-zd/<run>` are
 * understood by Prisma's Rust URL parser and by `pg` alike. Also: which URLs go through
 * a pooler (where session settings and advisory locks may not survive) and which look
 * like a developer's own database.
 */

export interface SessionSettings {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  applicationName: string;
  /**
   * `client_connection_check_interval` (PostgreSQL 14+): a backend waiting for a lock
   * notices within this time that its client is gone. Without it, a Prisma killed with
   * prisma-zd leaves its backend queued for the table lock — and every query on the table
   * behind it — until lock_timeout.
   */
  clientCheckMs?: number;
}

/** Encodes a query value with %20 for spaces (never `+`: not every URL parser reads it as a space). */
function encode(value: string): string {
  return encodeURIComponent(value);
}

/**
 * `url` with our settings added: appended to an existing `options` (a later `-c` wins),
 * `application_name` replaced. Other parameters are kept as they are.
 */
export function sessionUrl(url: string, s: SessionSettings): string {
  const ours =
    `-c lock_timeout=${s.lockTimeoutMs}ms -c statement_timeout=${s.statementTimeoutMs}ms` +
    (s.clientCheckMs === undefined ? '' : ` -c client_connection_check_interval=${s.clientCheckMs}ms`);
  return withParams(url, (params) => {
    const options = params.find(([k]) => k === 'options')?.[1] ?? '';
    return [
      ...params.filter(([k]) => k !== 'options' && k !== 'application_name'),
      ['options', options.trim() ? `${options.trim()} ${ours}` : ours],
      ['application_name', s.applicationName],
    ];
  });
}

/** `url` with its sessions' `application_name` replaced; everything else kept. */
export function withApplicationName(url: string, name: string): string {
  return withParams(url, (params) => [...params.filter(([k]) => k !== 'application_name'), ['application_name', name]]);
}

/** `url` with its query parameters edited; the part before `?` stays byte for byte (no re-encoding of the password). */
function withParams(url: string, edit: (params: Array<[string, string]>) => Array<[string, string]>): string {
  const params = edit([...new URL(url).searchParams]);
  const query = params.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
  const base = url.split('?')[0]!.split('#')[0]!;
  return `${base}?${query}`;
}

/** Why `url` probably goes through a connection pooler, or undefined. */
export function poolerReason(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.searchParams.get('pgbouncer') === 'true') return 'it has pgbouncer=true';
  if (/-pooler\./i.test(u.hostname)) return `its host ${u.hostname} is a pooler endpoint`;
  if (/pooler\.supabase\.com$/i.test(u.hostname)) return `its host ${u.hostname} is Supabase's pooler`;
  if (u.port === '6432') return 'its port is 6432 (PgBouncer)';
  if (u.port === '6543') return "its port is 6543 (Supabase's transaction pooler)";
  return undefined;
}

/** True when `url` looks like a developer's own database (local host, a database name with "dev"). */
export function looksLikeDevDatabase(url: string): boolean {
  try {
    const u = new URL(url);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const local = ['localhost', '127.0.0.1', '::1', 'host.docker.internal', ''].includes(host);
    const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
    return local && /dev/i.test(db);
  } catch {
    return false;
  }
}

