/**
 * Database URLs as node-postgres reads them. One check that a URL is a PostgreSQL URL
 * before anything connects (node-postgres would otherwise try `not-a-url` as a host
 * named `base`, and read `postgres:SECRET@host` as a path), and the server a URL names,
 * resolved the way node-postgres resolves it: the `host`/`port` query parameters over the
 * URL's own host and port, then PGHOST/PGPORT, then `localhost:5432`.
 */
import { ExitCode, UserError } from '../errors.js';
import { maskCredentials } from '../util/redact.js';

/** Stands in for the empty host of a socket URL (`postgresql://u:p@/db?host=/sock`), which `new URL()` refuses. */
const NO_HOST = 'zd-no-host.invalid';

interface ParsedUrl {
  url: URL;
  /** The URL names no host of its own (a socket URL with `?host=`). */
  hostless: boolean;
}

/** `url` parsed as node-postgres parses it; undefined for anything but a `postgres(ql)://` URL. */
function parsePostgresUrl(url: string): ParsedUrl | undefined {
  if (!/^postgres(?:ql)?:\/\//i.test(url)) return undefined;
  // node-postgres percent-encodes spaces and stray `%` before parsing.
  const text = / |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(url) ? encodeURI(url).replace(/%25(\d\d)/g, '%$1') : url;
  try {
    return { url: new URL(text), hostless: false };
  } catch {
    try {
      return { url: new URL(text.replace('@/', `@${NO_HOST}/`)), hostless: true };
    } catch {
      return undefined;
    }
  }
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const HINT =
  'Set the datasource URL (the environment variable in Prisma\'s config, or --url) to postgresql://USER:PASSWORD@HOST:PORT/DATABASE ' +
  '(percent-encode special characters in the password; a Unix socket: postgresql://USER:PASSWORD@/DATABASE?host=/var/run/postgresql), then run the command again.';

function urlError(what: string, url: string, problem: string): UserError {
  return new UserError({
    code: 'ZD_DB_URL',
    message: `${what} ${JSON.stringify(maskCredentials(url))} ${problem}`,
    hint: HINT,
    exit: ExitCode.Usage,
  });
}

/**
 * Throws `ZD_DB_URL` (exit 2) unless `url` is a well-formed `postgresql://` (or
 * `postgres://`) URL naming a host, or a socket directory in `?host=` (or with PGHOST set,
 * which node-postgres takes for a URL without a host). The message shows
 * the URL with its credentials masked. `what` names the URL (default "The database URL").
 */
export function checkDatabaseUrl(url: string, what = 'The database URL'): void {
  if (url.trim() !== url) throw urlError(what, url, 'starts or ends with white space.');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1];
  if (!scheme || !/^postgres(ql)?$/i.test(scheme)) {
    throw urlError(what, url, `is not a PostgreSQL URL: it must start with postgresql:// (or postgres://)${scheme ? `, not ${scheme}:` : ''}.`);
  }
  if (!url.slice(scheme.length + 1).startsWith('//')) {
    throw urlError(what, url, `is not a well-formed PostgreSQL URL: "//" must follow "${scheme}:".`);
  }
  const parsed = parsePostgresUrl(url);
  if (!parsed) throw urlError(what, url, 'is malformed (a port that is not a number, or an unencoded "@", "/", "?" or "#" in the password?).');
  const host = parsed.url.searchParams.get('host') || (parsed.hostless ? '' : parsed.url.hostname) || process.env.PGHOST;
  if (!host) throw urlError(what, url, 'names no host (nor a socket directory in ?host=, nor does PGHOST).');
}

export interface ServerAddress {
  /** Host name, IP address, or the directory of a Unix socket. */
  host: string;
  port: number;
  database: string;
  user: string;
  /** `host` is a socket directory. */
  socket: boolean;
}

/** The server, database and role node-postgres connects to for `url`; undefined for a URL it cannot parse. */
export function resolveServer(url: string, env: NodeJS.ProcessEnv = process.env): ServerAddress | undefined {
  const parsed = parsePostgresUrl(url);
  if (!parsed) return undefined;
  const { url: u, hostless } = parsed;
  const param = (name: string) => u.searchParams.get(name) || undefined;
  const urlHost = hostless ? '' : decode(u.hostname.replace(/^\[(.+)\]$/, '$1'));
  const host = param('host') || urlHost || env.PGHOST || 'localhost';
  const port = Number.parseInt(param('port') || u.port || env.PGPORT || '5432', 10);
  const user = param('user') || decode(u.username) || env.PGUSER || (process.platform === 'win32' ? env.USERNAME : env.USER) || '';
  const database = decode(u.pathname.slice(1)) || env.PGDATABASE || user;
  return { host, port: Number.isFinite(port) ? port : 5432, database, user, socket: host.startsWith('/') };
}

/** True when node-postgres has a password to offer for `url`: in the URL, as `password=`, or in PGPASSWORD. */
export function hasPassword(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const parsed = parsePostgresUrl(url);
  return Boolean(parsed?.url.password || parsed?.url.searchParams.get('password') || env.PGPASSWORD);
}

/**
 * `host:port/database` (`/dir/.s.PGSQL.port (database d)` for a Unix socket), never user
 * or password: names the server in messages. `database: false` leaves the database out.
 */
export function describeServer(url: string, opts: { database?: boolean } = {}): string {
  const s = resolveServer(url);
  if (!s) return 'the database (malformed URL)';
  const withDb = opts.database !== false && s.database !== '';
  if (s.socket) return `${s.host.replace(/\/$/, '')}/.s.PGSQL.${s.port}${withDb ? ` (database ${s.database})` : ''}`;
  const host = s.host.includes(':') ? `[${s.host}]` : s.host;
  return `${host}:${s.port}${withDb ? `/${s.database}` : ''}`;
}

/** `url` with its database replaced (a socket URL without a host stays one). */
export function withDatabase(url: string, database: string): string {
  const parsed = parsePostgresUrl(url);
  if (!parsed) throw new TypeError('Invalid URL');
  parsed.url.pathname = `/${encodeURIComponent(database)}`;
  const text = parsed.url.toString();
  return parsed.hostless ? text.replace(`@${NO_HOST}/`, '@/') : text;
}
