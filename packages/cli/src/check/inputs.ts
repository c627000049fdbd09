/**
 * Which migrations `check` reads and which it reports. A migration is always checked
 * against its whole history (its migrations folder, in Prisma's order), so statements
 * on tables an earlier migration created are judged with that knowledge; only the
 * selected ones are reported.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { LOCK_FILE, readMigrationsFolder as interpretFolder, type CheckInput, type DeletedMigration } from '@prisma-zd/core';
import { ExitCode, UserError } from '../errors.js';
import { listMigrationsFolder, noScriptRefusal, providerRefusal, type FolderRefusal, type MigrationFile } from '../project/migrations.js';
import { absolutePath, changesSince, hasCommits, indexedPaths, mergeBase, readObjects, repoPath, stagedChanges, unstagedPaths, type Change } from './git.js';
import { migrationText } from '../encoding.js';

/** One migrations folder to check. */
export interface FolderCheck {
  /** Absolute path of the migrations folder. */
  readonly folder: string;
  /** The history, oldest first, with `report` set on the migrations to report. */
  readonly inputs: CheckInput[];
  /** What makes the folder itself fail (reported when the whole folder is checked). */
  readonly refusals?: readonly FolderRefusal[];
  /** Committed migrations the change deletes (git), reported by `deleted-migration`. */
  readonly deleted?: readonly DeletedMigration[];
}

const SCRIPT = 'migration.sql';

/** A glob (`*`, `**`, `?`) as a regular expression over `/`-separated paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re.replace(/\/$/, '')}(?:/.*)?$`);
}

/** A `check.exclude` glob as one relative to `root`: a leading `./` dropped, an absolute path made relative to `root`. */
export function rootGlob(glob: string, root: string): string {
  const rel = isAbsolute(glob) ? relative(root, glob).split(sep).join('/') : glob.replace(/^(?:\.\/)+/, '');
  return rel === '' || rel === '.' ? '**' : rel;
}

/** Is the migration at `file` excluded by one of the globs (relative to `root`)? */
export function excluded(file: string, root: string, globs: readonly RegExp[]): boolean {
  if (globs.length === 0) return false;
  const rel = relative(root, file).split(sep).join('/');
  const dir = rel.endsWith(`/${SCRIPT}`) ? rel.slice(0, -SCRIPT.length - 1) : rel;
  return globs.some((g) => g.test(rel) || g.test(dir));
}

function display(cwd: string, abs: string): string {
  const rel = relative(cwd, abs);
  return rel === '' || rel.startsWith('..') ? abs : rel.split(sep).join('/');
}

function toInputs(files: readonly MigrationFile[], cwd: string, report: (m: MigrationFile) => boolean): CheckInput[] {
  return files.map((m) => ({ name: m.name, sql: m.sql, path: display(cwd, m.path), report: report(m) }));
}

/** Every migrations folder under `dir` (a folder whose sub-directories hold `migration.sql`), `dir` included, with how many they hold. */
function findFolders(dir: string, out: Map<string, number>): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.') || e.name === 'node_modules') continue;
    const sub = join(dir, e.name);
    if (existsSync(join(sub, SCRIPT))) out.set(dir, (out.get(dir) ?? 0) + 1);
    else findFolders(sub, out);
  }
}

/** A history named on the command line, before it is read. */
export interface HistorySpec {
  /** Absolute path of the migrations folder. */
  readonly folder: string;
  /** The migrations to report: all, or these directory names. */
  readonly names: 'all' | readonly string[];
  /** How many migrations the folder holds (an estimate of the work, before reading). */
  readonly size: number;
}

/**
 * Histories for paths named on the command line: a `migration.sql`, a migration's
 * directory, a migrations folder, or any folder holding migrations folders. Only
 * directories are listed; `readHistorySpec` reads the files.
 */
export function findHistories(paths: readonly string[], cwd: string): HistorySpec[] {
  const selected = new Map<string, Set<string> | 'all'>();
  const sizes = new Map<string, number>();
  for (const p of paths) {
    const abs = resolve(cwd, p);
    if (!existsSync(abs)) {
      throw new UserError({ code: 'ZD_PATH_MISSING', message: `${p} does not exist.`, hint: 'Name migration files or folders, or run `prisma-zd check` without paths for the project\'s migrations.', exit: ExitCode.Usage });
    }
    const stat = statSync(abs);
    const migrationDir = stat.isFile() ? dirname(abs) : existsSync(join(abs, SCRIPT)) ? abs : undefined;
    if (stat.isFile() && basename(abs) !== SCRIPT) {
      throw new UserError({ code: 'ZD_NOT_A_MIGRATION', message: `${p} is not a migration.sql.`, hint: 'Name a migration.sql, its directory, or a migrations folder.', exit: ExitCode.Usage });
    }
    if (migrationDir !== undefined) {
      const folder = dirname(migrationDir);
      const current = selected.get(folder);
      if (current !== 'all') selected.set(folder, new Set([...(current ?? []), basename(migrationDir)]));
      continue;
    }
    const folders = new Map<string, number>();
    findFolders(abs, folders);
    if (folders.size === 0) {
      throw new UserError({ code: 'ZD_NO_MIGRATIONS', message: `No migration.sql under ${p}.`, hint: 'Name a Prisma migrations folder (prisma/migrations) or migration files.', exit: ExitCode.Usage });
    }
    for (const [f, n] of folders) {
      selected.set(f, 'all');
      sizes.set(f, n);
    }
  }
  return [...selected]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([folder, names]) => ({ folder, names: names === 'all' ? names : [...names], size: sizes.get(folder) ?? (names === 'all' ? 0 : names.size) }));
}

/** Read a history named on the command line. */
export function readHistorySpec(spec: HistorySpec, cwd: string): FolderCheck {
  const names = spec.names === 'all' ? undefined : new Set(spec.names);
  const listing = listMigrationsFolder(spec.folder);
  const folder = { folder: spec.folder, inputs: toInputs(listing.files, cwd, (m) => names === undefined || names.has(m.name)) };
  return names === undefined ? withRefusals(folder, listing.refusals) : folder;
}

/**
 * `folder` with the refusals of its listing; another database's folder has nothing
 * checked (its SQL is not PostgreSQL's).
 */
function withRefusals(folder: FolderCheck, refusals: readonly FolderRefusal[]): FolderCheck {
  if (refusals.length === 0) return folder;
  const foreign = refusals.some((r) => r.code === 'ZD_PROVIDER');
  if (foreign) return { folder: folder.folder, inputs: [], refusals };
  // A directory left without migration.sql is reported as such, not as a deleted migration.
  const left = new Set(refusals.map((r) => basename(r.path)));
  const deleted = folder.deleted?.filter((d) => !left.has(d.name));
  return { folder: folder.folder, inputs: folder.inputs, refusals, ...(deleted?.length ? { deleted } : {}) };
}

/** What decides, beyond the paths, which inputs are reported and what they are compared with. */
export interface InputMarks {
  readonly cwd: string;
  /** The folder of `prisma-zd.config.ts` (excluded globs are relative to it). */
  readonly root: string;
  /** `check.exclude` globs. */
  readonly exclude: readonly string[];
  /** `_prisma_migrations.checksum` by migration name, from `--database-url`. */
  readonly applied?: ReadonlyMap<string, string>;
}

/** `folder` with excluded inputs not reported and applied checksums attached. */
export function markInputs(folder: FolderCheck, marks: InputMarks): FolderCheck {
  const globs = marks.exclude.map((glob) => globToRegExp(rootGlob(glob, marks.root)));
  const inputs = folder.inputs.map((input) => {
    if (input.report === false) return input;
    if (excluded(resolve(marks.cwd, input.path ?? ''), marks.root, globs)) return { ...input, report: false };
    const checksum = marks.applied?.get(input.name);
    const renamedApplied = input.renamedFrom !== undefined && marks.applied?.has(input.renamedFrom) === true;
    return { ...input, ...(checksum === undefined ? {} : { appliedChecksum: checksum }), ...(renamedApplied ? { renamedApplied } : {}) };
  });
  // An excluded directory (or migration_lock.toml) is not reported either.
  const refusals = folder.refusals?.filter((r) => !excluded(r.path, marks.root, globs));
  const deleted = folder.deleted
    ?.filter((d) => !excluded(resolve(marks.cwd, d.path), marks.root, globs))
    .map((d) => (marks.applied?.has(d.name) ? { ...d, applied: true } : d));
  return { folder: folder.folder, inputs, ...(refusals?.length ? { refusals } : {}), ...(deleted?.length ? { deleted } : {}) };
}

/** `findHistories`, read. */
export function pathHistories(paths: readonly string[], cwd: string): FolderCheck[] {
  return findHistories(paths, cwd).map((spec) => readHistorySpec(spec, cwd));
}

/** The project's migrations folder, every migration reported; edits since HEAD are compared when in git. */
export function folderHistory(folder: string, cwd: string, gitRoot: string | undefined): FolderCheck {
  const listing = listMigrationsFolder(folder);
  const files = listing.files;
  const inputs = toInputs(files, cwd, () => true);
  if (gitRoot !== undefined) {
    let changes: Change[] | undefined;
    try {
      changes = changesSince(gitRoot, 'HEAD', folder);
    } catch (e) {
      // A repository without a commit yet has nothing committed to compare with.
      if (hasCommits(gitRoot)) throw e;
    }
    if (changes) {
      attachCommitted(gitRoot, folder, inputs, files, 'HEAD', new Set(changes.filter((c) => c.status === 'M').map((c) => c.path)));
      const deleted = markRenames(gitRoot, 'HEAD', files, inputs, changes, cwd);
      return withRefusals({ folder, inputs, ...(deleted.length ? { deleted } : {}) }, listing.refusals);
    }
  }
  return withRefusals({ folder, inputs }, listing.refusals);
}

function attachCommitted(root: string, folder: string, inputs: CheckInput[], files: readonly MigrationFile[], ref: string, modified: ReadonlySet<string>, shownRef = ref): void {
  const specs = files.map((f) => repoPath(root, f.path)).filter((p) => modified.has(p)).map((p) => `${ref}:${p}`);
  const texts = readObjects(root, specs);
  files.forEach((f, i) => {
    const text = texts.get(`${ref}:${repoPath(root, f.path)}`);
    if (text !== undefined) inputs[i] = { ...inputs[i]!, committed: text, ...(shownRef === 'HEAD' ? {} : { committedRef: shownRef }) };
  });
}

/**
 * Marks the inputs that are a committed migration moved to another directory with its
 * text unchanged (`renamedFrom`): a `migration.sql` deleted since `ref` whose text there
 * is the text of one added since. Returns the other deleted migrations. `files[i]` is
 * `inputs[i]`'s file; one read of git's objects, only when a migration was deleted.
 */
function markRenames(root: string, ref: string, files: ReadonlyArray<{ path: string; sql: string }>, inputs: CheckInput[], changes: readonly Change[], cwd: string, shownRef = ref): DeletedMigration[] {
  const deleted = changes.filter((c) => c.status === 'D' && isScript(c.path)).map((c) => c.path);
  if (deleted.length === 0) return [];
  const added = new Set(changes.filter((c) => c.status === 'A').map((c) => c.path));
  const texts = readObjects(root, deleted.map((p) => `${ref}:${p}`));
  const byText = new Map<string, string>();
  for (const p of deleted) {
    const text = texts.get(`${ref}:${p}`);
    if (text !== undefined && !byText.has(text)) byText.set(text, basename(dirname(p)));
  }
  const renamed = new Set<string>();
  files.forEach((f, i) => {
    if (!added.has(repoPath(root, f.path))) return;
    const from = byText.get(f.sql);
    if (from !== undefined && from !== inputs[i]!.name) {
      inputs[i] = { ...inputs[i]!, renamedFrom: from };
      renamed.add(from);
    }
  });
  const addedNames = files
    .filter((f, i) => added.has(repoPath(root, f.path)) && inputs[i]!.renamedFrom === undefined)
    .map((f) => basename(dirname(f.path)));
  const present = new Set(files.map((f) => basename(dirname(f.path))));
  return deleted
    .filter((p) => texts.has(`${ref}:${p}`) && !renamed.has(basename(dirname(p))) && !present.has(basename(dirname(p))))
    .map((p) => ({
      name: basename(dirname(p)),
      sql: texts.get(`${ref}:${p}`)!,
      path: display(cwd, absolutePath(root, p)),
      ...(shownRef === 'HEAD' ? {} : { ref: shownRef }),
      ...(addedNames.length ? { added: addedNames } : {}),
    }))
    .sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
}

/** A migration's script: `<folder>/<directory>/migration.sql`. */
const isScript = (p: string) => p.endsWith(`/${SCRIPT}`);

/**
 * Migrations changed since `ref` (added, modified, untracked) are reported; modified ones
 * are compared with `ref`. The changes are the branch's: from the commit where it forked
 * from `ref` (`git merge-base`; `ref` itself when they share none, as in a shallow clone),
 * so what `ref` gained since (a migration added or edited there) is not taken for a
 * deletion or an edit of the branch's. The folder's problems are reported where the
 * changes touch them (a directory they leave without migration.sql, a lock file they change).
 */
export function sinceHistory(folder: string, cwd: string, root: string, ref: string): FolderCheck {
  const listing = listMigrationsFolder(folder);
  const files = listing.files;
  const base = (hasCommits(root) ? mergeBase(root, ref) : undefined) ?? ref;
  const changes = changesSince(root, base, folder, ref);
  const touched = new Set(changes.filter((c) => c.status !== 'D').map((c) => c.path));
  const inputs = toInputs(files, cwd, (m) => touched.has(repoPath(root, m.path)));
  attachCommitted(root, folder, inputs, files, base, new Set(changes.filter((c) => c.status === 'M').map((c) => c.path)), ref);
  const deleted = markRenames(root, base, files, inputs, changes, cwd, ref);
  return withRefusals({ folder, inputs, ...(deleted.length ? { deleted } : {}) }, touchedRefusals(listing.refusals, root, changes));
}

/** The refusals at a path the changes touch: the lock file itself, or a file inside the directory. */
function touchedRefusals(refusals: readonly FolderRefusal[], root: string, changes: readonly Change[]): FolderRefusal[] {
  return refusals.filter((r) => {
    const p = repoPath(root, r.path);
    return changes.some((c) => c.path === p || c.path.startsWith(`${p}/`));
  });
}

/**
 * The history as the next commit will hold it (the index), reporting the staged
 * migrations; staged edits of committed migrations are compared with HEAD. The problems
 * the commit brings to the folder itself are reported too: a directory it leaves holding
 * files but no migration.sql (Prisma fails on it, P3015), a lock file of another database.
 * Undefined when nothing under the folder is staged (the common commit: nothing to read).
 */
export function stagedHistory(folder: string, cwd: string, root: string): FolderCheck | undefined {
  const all = stagedChanges(root, folder);
  if (all.length === 0) return undefined;
  const changes = all.filter((c) => c.status !== 'D' && c.path.endsWith(`/${SCRIPT}`));
  const prefix = repoPath(root, folder);
  const indexed = indexedPaths(root, folder);
  const refusals = stagedRefusals(root, folder, prefix, indexed, all);
  if (changes.length === 0 && refusals.length === 0 && !all.some((c) => c.status === 'D' && isScript(c.path))) return undefined;
  const scripts = indexed.filter((p) => {
    const rest = prefix === '' ? p : p.slice(prefix.length + 1);
    return rest.split('/').length === 2 && rest.endsWith(`/${SCRIPT}`);
  });
  const unstaged = unstagedPaths(root, folder);
  const modified = changes.filter((c) => c.status === 'M').map((c) => c.path);
  const objects = readObjects(root, [
    ...scripts.filter((p) => unstaged.has(p)).map((p) => `:${p}`),
    ...modified.map((p) => `HEAD:${p}`),
  ]);
  const staged = new Set(changes.map((c) => c.path));
  const files: MigrationFile[] = scripts
    .map((p) => {
      const path = absolutePath(root, p);
      const sql = unstaged.has(p) ? objects.get(`:${p}`) : migrationText(readFileSync(path));
      return sql === undefined ? undefined : { name: basename(dirname(path)), sql, path };
    })
    .filter((f): f is MigrationFile => f !== undefined)
    .sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const inputs: CheckInput[] = files.map((f) => {
    const p = repoPath(root, f.path);
    const committed = objects.get(`HEAD:${p}`);
    return { name: f.name, sql: f.sql, path: display(cwd, f.path), report: staged.has(p), ...(committed === undefined ? {} : { committed }) };
  });
  const deleted = markRenames(root, 'HEAD', files, inputs, all, cwd);
  return withRefusals({ folder, inputs, ...(deleted.length ? { deleted } : {}) }, refusals);
}

/**
 * The folder problems in the index that the staged changes touch: a directory of the
 * folder whose files are staged but holds no migration.sql, and a staged lock file of
 * another database. `indexed`: repository paths under the folder in the index.
 */
function stagedRefusals(root: string, folder: string, prefix: string, indexed: readonly string[], changes: readonly Change[]): FolderRefusal[] {
  const rest = (p: string) => (prefix === '' ? p : p.slice(prefix.length + 1));
  const withScript = new Set<string>();
  const directories = new Set<string>();
  for (const p of indexed) {
    const parts = rest(p).split('/');
    if (parts.length < 2) continue;
    directories.add(parts[0]!);
    if (parts.length === 2 && parts[1] === SCRIPT) withScript.add(parts[0]!);
  }
  const touched = new Set(changes.map((c) => rest(c.path).split('/')).filter((parts) => parts.length > 1).map((parts) => parts[0]!));
  const refusals: FolderRefusal[] = [...directories]
    .filter((d) => !withScript.has(d) && touched.has(d))
    .sort()
    .map((d) => noScriptRefusal(join(folder, d)));
  const lock = prefix === '' ? LOCK_FILE : `${prefix}/${LOCK_FILE}`;
  if (changes.some((c) => c.path === lock && c.status !== 'D')) {
    const text = readObjects(root, [`:${lock}`]).get(`:${lock}`);
    const provider = text === undefined ? undefined : interpretFolder({ entries: [{ path: LOCK_FILE, content: text }] }).provider;
    const foreign = provider === undefined ? undefined : providerRefusal(join(folder, LOCK_FILE), provider);
    if (foreign) refusals.push(foreign);
  }
  return refusals;
}
