/*
 * A Prisma migrations folder, interpreted from a listing the caller read from disk
 * (core does no I/O). Prisma's rules: every directory directly under the folder is a
 * migration, applied in lexicographic order of its name (Rust's byte order, which is
 * code point order, not JavaScript's UTF-16 order); its script is `migration.sql`;
 * `migration_lock.toml` at the top names the provider; other top-level files are ignored.
 */

export interface FolderEntry {
  /**
   * Path relative to the migrations folder, with `/` separators, e.g.
   * `20240101000000_init/migration.sql`. Directories are implied by the files in them;
   * list a directory itself with a trailing `/` (only needed for one without files).
   */
  readonly path: string;
  /** File content; needed for `migration.sql` and `migration_lock.toml`. Absent for directories. */
  readonly content?: string;
}

export interface FolderMigration {
  /** The directory name, e.g. `20240101000000_init` (spaces allowed). */
  readonly name: string;
  /** Path of the script relative to the migrations folder. */
  readonly path: string;
  readonly sql: string;
}

export interface FolderProblem {
  readonly path: string;
  readonly message: string;
}

export interface MigrationsFolder {
  /** `provider` from `migration_lock.toml`, when present. */
  readonly provider?: string;
  readonly migrations: readonly FolderMigration[];
  /** Paths that are not part of any migration (top-level files, extra files in migration directories). */
  readonly ignored: readonly string[];
  readonly problems: readonly FolderProblem[];
}

export const LOCK_FILE = 'migration_lock.toml';
export const SCRIPT_FILE = 'migration.sql';

export function readMigrationsFolder(input: { readonly entries: readonly FolderEntry[] }): MigrationsFolder {
  const directories = new Set<string>();
  const scripts = new Map<string, FolderEntry>();
  const ignored: string[] = [];
  const problems: FolderProblem[] = [];
  let provider: string | undefined;
  for (const entry of input.entries) {
    const isDirectory = entry.path.endsWith('/');
    const path = entry.path.replace(/^\.\//, '').replace(/\/+$/, '');
    if (path === '') continue;
    const parts = path.split('/');
    const [top, file] = parts;
    if (top === undefined) continue;
    if (parts.length === 1) {
      if (isDirectory) directories.add(top);
      else if (top === LOCK_FILE && entry.content !== undefined) provider = lockProvider(entry.content, problems);
      else ignored.push(path);
      continue;
    }
    if (isDirectory && parts.length > 1) {
      directories.add(top);
      continue;
    }
    directories.add(top);
    if (parts.length === 2 && file === SCRIPT_FILE) scripts.set(top, entry);
    else ignored.push(path);
  }
  const migrations: FolderMigration[] = [];
  for (const name of [...directories].sort(compareCodePoints)) {
    const script = scripts.get(name);
    const path = `${name}/${SCRIPT_FILE}`;
    if (!script) {
      ignored.push(name);
      problems.push({ path: name, message: `directory "${name}" has no ${SCRIPT_FILE}: it is not a migration (prisma migrate deploy fails on it)` });
      continue;
    }
    if (script.content === undefined) {
      problems.push({ path, message: `${path} was listed without its content` });
      continue;
    }
    migrations.push({ name, path, sql: script.content });
  }
  return { ...(provider === undefined ? {} : { provider }), migrations, ignored, problems };
}

/** Compare strings by code point, like Rust's `str` ordering (Prisma sorts migration names so). */
export function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i] as string).codePointAt(0)! - (y[i] as string).codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function lockProvider(content: string, problems: FolderProblem[]): string | undefined {
  const match = /^\s*provider\s*=\s*"([^"]*)"\s*(?:#.*)?$/m.exec(content);
  if (!match) {
    problems.push({ path: LOCK_FILE, message: `${LOCK_FILE} does not name a provider` });
    return undefined;
  }
  return match[1];
}
