/**
 * What git knows about migration files: what is staged, what changed since a ref, and
 * a file's text in the index, in HEAD or at a ref. Few processes: the pre-commit hook
 * runs on every commit.
 */
import { spawnSync } from 'node:child_process';
import { relative, resolve, sep } from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { migrationText } from '../encoding.js';

function git(cwd: string, args: string[], input?: string): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...(input === undefined ? {} : { input }) });
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The repository's top directory, or undefined outside a git repository. */
export function gitRoot(cwd: string): string | undefined {
  const r = git(cwd, ['rev-parse', '--show-toplevel']);
  return r.ok ? r.stdout.trim() : undefined;
}

export function requireGitRoot(cwd: string, flag: string): string {
  const root = gitRoot(cwd);
  if (root === undefined) {
    throw new UserError({
      code: 'ZD_NOT_A_GIT_REPOSITORY',
      message: `${flag} needs a git repository, and ${cwd} is not in one.`,
      hint:
        flag === 'install-hook'
          ? 'Run it inside the repository the hook is for (`git init` first for a new project).'
          : 'Run it inside the repository, or name the migrations to check: `prisma-zd check <paths…>`.',
      exit: ExitCode.Usage,
    });
  }
  return root;
}

/** Repository-relative path with `/` separators. */
export function repoPath(root: string, abs: string): string {
  return relative(root, abs).split(sep).join('/');
}

export interface Change {
  /** A (added), M (modified), R (renamed), C (copied), D (deleted). */
  readonly status: string;
  /** Repository-relative path (the new path of a rename). */
  readonly path: string;
}

function parseNameStatus(out: string): Change[] {
  const fields = out.split('\0');
  const changes: Change[] = [];
  for (let i = 0; i < fields.length - 1; ) {
    const status = fields[i++]!;
    if (status === '') continue;
    const letter = status[0]!;
    if (letter === 'R' || letter === 'C') {
      i++; // old path
      changes.push({ status: letter, path: fields[i++]! });
    } else changes.push({ status: letter, path: fields[i++]! });
  }
  return changes;
}

/** Changes staged for the next commit under `dir`. */
export function stagedChanges(root: string, dir: string): Change[] {
  const r = git(root, ['diff', '--cached', '--name-status', '-z', '--no-renames', '--', repoPath(root, dir) || '.']);
  return r.ok ? parseNameStatus(r.stdout) : [];
}

/** Does the repository have a commit yet (a new repository has no HEAD to compare with)? */
export function hasCommits(root: string): boolean {
  return git(root, ['rev-parse', '--verify', '--quiet', 'HEAD']).ok;
}

/** Changes between `ref` and the working tree under `dir`, untracked files included (as added). `shown`: how messages name `ref`. */
export function changesSince(root: string, ref: string, dir: string, shown = ref): Change[] {
  const path = repoPath(root, dir) || '.';
  const r = git(root, ['diff', '--name-status', '-z', '--no-renames', ref, '--', path]);
  if (!r.ok) {
    throw new UserError({
      code: 'ZD_GIT_REF',
      message: `git could not compare with ${shown}: ${r.stderr.trim()}`,
      hint: 'Name a ref git knows (e.g. origin/main); in CI, fetch it first (actions/checkout with fetch-depth: 0).',
      exit: ExitCode.Usage,
    });
  }
  const untracked = git(root, ['ls-files', '--others', '--exclude-standard', '-z', '--', path]);
  return [
    ...parseNameStatus(r.stdout),
    ...untracked.stdout.split('\0').filter(Boolean).map((p) => ({ status: 'A', path: p })),
  ];
}

/** The commit where HEAD forked from `ref` (`git merge-base`); undefined when they share none. */
export function mergeBase(root: string, ref: string): string | undefined {
  const r = git(root, ['merge-base', ref, 'HEAD']);
  return r.ok ? r.stdout.trim() || undefined : undefined;
}

/** Paths (repository-relative) under `dir` whose working-tree file differs from the index. */
export function unstagedPaths(root: string, dir: string): Set<string> {
  const r = git(root, ['diff', '--name-only', '-z', '--no-renames', '--', repoPath(root, dir) || '.']);
  return new Set(r.ok ? r.stdout.split('\0').filter(Boolean) : []);
}

/** Repository-relative paths of the files under `dir` in the index. */
export function indexedPaths(root: string, dir: string): string[] {
  const r = git(root, ['ls-files', '-z', '--', repoPath(root, dir) || '.']);
  return r.ok ? r.stdout.split('\0').filter(Boolean) : [];
}

/**
 * Texts of objects by git revision syntax (`:path` for the index, `HEAD:path`,
 * `origin/main:path`), in one `git cat-file --batch`. Missing objects are absent; bytes
 * that are not UTF-8 are escaped (see encoding.ts).
 */
export function readObjects(root: string, specs: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (specs.length === 0) return out;
  const r = spawnSync('git', ['cat-file', '--batch'], { cwd: root, input: `${specs.join('\n')}\n`, maxBuffer: 256 * 1024 * 1024 });
  const buf = r.stdout ?? Buffer.alloc(0);
  let at = 0;
  for (const spec of specs) {
    const nl = buf.indexOf(10, at);
    if (nl === -1) break;
    const header = buf.subarray(at, nl).toString('utf8');
    at = nl + 1;
    const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
    if (!m) continue; // "<spec> missing"
    const size = Number(m[2]);
    const bytes = buf.subarray(at, at + size);
    out.set(spec, migrationText(bytes));
    at += size + 1;
  }
  return out;
}

/** Absolute path of a repository-relative one. */
export function absolutePath(root: string, path: string): string {
  return resolve(root, path);
}
