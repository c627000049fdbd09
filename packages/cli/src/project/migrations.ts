/**
 * The migration history as Prisma sees it: the folder on disk (in Prisma's order) and
 * the `_prisma_migrations` table of a database.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { LOCK_FILE, migrationChecksum, quoteIdent, readMigrationsFolder as interpretFolder, SCRIPT_FILE, type FolderEntry } from '@prisma-zd/core';
import { migrationText } from '../encoding.js';
import { ExitCode, UserError } from '../errors.js';

export interface MigrationFile {
  /** The directory name, e.g. `20261101120000_post_title`. */
  name: string;
  sql: string;
  /** Absolute path of its `migration.sql`. */
  path: string;
  /** Prisma's checksum of the file (sha256 of its bytes). */
  checksum: string;
}

/** What makes `prisma migrate deploy` refuse a folder, or prisma-zd refuse it (another database's). */
export interface FolderRefusal {
  readonly code: string;
  readonly exit: ExitCode;
  /** The directory (no migration.sql) or `migration_lock.toml`. */
  readonly path: string;
  readonly message: string;
  readonly hint: string;
}

export interface MigrationsListing {
  /** The migrations, in the order Prisma applies them. */
  readonly files: MigrationFile[];
  readonly refusals: readonly FolderRefusal[];
}

/**
 * The migrations of `dir` in the order Prisma applies them (core's rules: directory
 * names in code point order; top-level files such as `migration_lock.toml` ignored),
 * and what Prisma or prisma-zd refuses in it: a directory without `migration.sql` (Prisma
 * counts every directory, hidden ones too, and `prisma migrate deploy` fails with P3015
 * when it reaches it, after applying the migrations before it: measured with Prisma 6)
 * and a `migration_lock.toml` of another database. Throws `ZD_MIGRATIONS_MISSING` when `dir` does not exist and
 * `ZD_MIGRATION_UNREADABLE` for a `migration.sql` that cannot be read.
 */
export function listMigrationsFolder(dir: string): MigrationsListing {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError({
      code: 'ZD_MIGRATIONS_MISSING',
      message: `The migrations folder ${dir} ${existsSync(dir) ? 'is a file, not a folder' : 'does not exist'}.`,
      hint: "Pass --migrations <dir>, or run prisma-zd from the project that holds Prisma's config.",
      exit: ExitCode.Usage,
    });
  }
  const entries: FolderEntry[] = [];
  const bytes = new Map<string, Buffer>();
  for (const top of readdirSync(dir, { withFileTypes: true })) {
    if (top.isFile() && top.name === LOCK_FILE) {
      entries.push({ path: top.name, content: readFileSync(join(dir, top.name), 'utf8') });
    } else if (top.isDirectory()) {
      entries.push({ path: `${top.name}/` });
      const b = readIfExists(join(dir, top.name, SCRIPT_FILE));
      if (b !== undefined) {
        bytes.set(top.name, b);
        entries.push({ path: `${top.name}/${SCRIPT_FILE}`, content: migrationText(b) });
      }
    }
  }
  const folder = interpretFolder({ entries });
  const refusals: FolderRefusal[] = [];
  for (const p of folder.problems) {
    if (p.path.includes('/') || p.path === LOCK_FILE) continue;
    refusals.push(noScriptRefusal(join(dir, p.path)));
  }
  const foreign = folder.provider === undefined ? undefined : providerRefusal(join(dir, LOCK_FILE), folder.provider);
  if (foreign) refusals.push(foreign);
  const files = folder.migrations.map((m) => ({
    name: m.name,
    sql: m.sql,
    path: join(dir, m.name, SCRIPT_FILE),
    checksum: migrationChecksum(bytes.get(m.name)!),
  }));
  return { files, refusals };
}

/** A directory of the migrations folder without `migration.sql` (absolute `path`). */
export function noScriptRefusal(path: string): FolderRefusal {
  return {
    code: 'ZD_MIGRATION_NO_SCRIPT',
    exit: ExitCode.Usage,
    path,
    message: `${path} has no ${SCRIPT_FILE}: Prisma counts every directory of the migrations folder as a migration (hidden ones too), and \`prisma migrate deploy\` fails when it reaches this one (P3015), after applying the migrations before it.`,
    hint: `Delete the directory, or restore its ${SCRIPT_FILE} (\`git status ${path}\`; \`prisma-zd explain folder\`).`,
  };
}

/** A `migration_lock.toml` (absolute `path`) naming `provider`; undefined when it is PostgreSQL's. */
export function providerRefusal(path: string, provider: string): FolderRefusal | undefined {
  if (POSTGRES_PROVIDERS.has(provider)) return undefined;
  return {
    code: 'ZD_PROVIDER',
    exit: ExitCode.Usage,
    path,
    message: `${path} names the provider "${provider}": prisma-zd works with PostgreSQL migrations only.`,
    hint: 'Run prisma-zd on a PostgreSQL project (`provider = "postgresql"` in its datasource and in migration_lock.toml).',
  };
}

/** What Prisma writes in migration_lock.toml for PostgreSQL (and its alias). */
const POSTGRES_PROVIDERS = new Set(['postgresql', 'postgres']);

/**
 * The migrations of `dir` in the order Prisma applies them (`listMigrationsFolder`,
 * directories without a `migration.sql` skipped).
 */
export function readMigrationsFolder(dir: string): MigrationFile[] {
  return listMigrationsFolder(dir).files;
}

/** Throws the first refusal of `listing` as a usage error (exit 2): before anything runs. */
export function refuseFolder(listing: MigrationsListing, next: string): void {
  const r = listing.refusals[0];
  if (!r) return;
  const more = listing.refusals.length > 1 ? ` (and ${listing.refusals.length - 1} more: ${listing.refusals.slice(1).map((x) => x.path).join(', ')})` : '';
  throw new UserError({ code: r.code, message: `${r.message}${more}`, hint: `${r.hint} Then ${next}.`, exit: r.exit });
}

/** The file's bytes, or undefined when it does not exist (one system call where exists-then-read takes two). */
function readIfExists(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new UserError({
      code: 'ZD_MIGRATION_UNREADABLE',
      message: `Cannot read ${path}: ${code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (e as Error).message}. Prisma would fail on it too.`,
      hint: `Make it a readable file (ls -l ${path}), then run the command again.`,
      exit: ExitCode.Usage,
    });
  }
}

/**
 * Reads Prisma's `_prisma_migrations` with `query`; a table edited by hand (a column
 * dropped or renamed) is `ZD_PRISMA_MIGRATIONS_DAMAGED`, naming the table and the column.
 */
export async function readPrismaTable<T>(table: string, query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code !== '42703') throw e;
    const column = /column "?([^"\s]+)"? does not exist/.exec(err.message ?? '')?.[1] ?? 'a column';
    throw new UserError({
      code: 'ZD_PRISMA_MIGRATIONS_DAMAGED',
      message:
        `Prisma's migrations table ${table} lacks the column "${column}" that \`prisma migrate deploy\` writes (it was changed by hand): ${err.message ?? ''}. ` +
        'Nothing was changed.',
      hint:
        column === 'checksum'
          ? `Restore the column: ALTER TABLE ${table} ADD COLUMN "checksum" VARCHAR(64); (rows left without a checksum are not compared), then run the command again.`
          : `Restore the column as Prisma creates it (see a fresh database after \`prisma migrate deploy\`), then run the command again.`,
      exit: ExitCode.Usage,
    });
  }
}

export interface AppliedMigration {
  name: string;
  /** NULL only when the table was edited by hand (Prisma's column is NOT NULL): nothing to compare. */
  checksum: string | null;
  finishedAt: Date;
}

/**
 * The migrations `_prisma_migrations` records as applied (finished, not rolled back),
 * in the order they finished. `undefined` when the table does not exist (Prisma never
 * ran here). `schema`: where Prisma keeps the table (the URL's `?schema=`, else `public`).
 */
export async function appliedMigrations(client: pg.ClientBase, schema = 'public'): Promise<AppliedMigration[] | undefined> {
  const table = `${quoteIdent(schema)}.${quoteIdent('_prisma_migrations')}`;
  const exists = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [table]);
  if (!exists.rows[0]?.ok) return undefined;
  const { rows } = await readPrismaTable(table, () =>
    client.query<{ migration_name: string; checksum: string | null; finished_at: Date }>(
      `SELECT migration_name, checksum, finished_at FROM ${table}
        WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL
        ORDER BY finished_at, started_at, migration_name`,
    ),
  );
  return rows.map((r) => ({ name: r.migration_name, checksum: r.checksum, finishedAt: r.finished_at }));
}
