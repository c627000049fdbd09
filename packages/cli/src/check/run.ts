/**
 * `prisma-zd check` as a library function: choose the migrations, replay their
 * histories, run the rules, and return the report with the exit code. Rendering is the
 * caller's (the command, the git hook entry).
 */
import { resolve } from 'node:path';
import { checkHistory, initParser, type CheckOptions, type CheckReport, type Execution, type Severity } from '@prisma-zd/core';
import { loadConfig, type ResolvedConfig } from '../config.js';
import { ExitCode, UserError } from '../errors.js';
import { checkpointCache } from './cache.js';
import { readDatabaseFacts } from './database.js';
import { gitRoot, requireGitRoot } from './git.js';
import { findHistories, folderHistory, markInputs, sinceHistory, stagedHistory, type FolderCheck, type HistorySpec, type InputMarks } from './inputs.js';
import { stopEarlyWorkers } from './early.js';
import { folderProblems, withFolderProblems } from './folder-problems.js';
import { CheckWorkers, workerCount } from './parallel.js';
import { beforeParsing, restartMayCome } from './v8-flags.js';

export interface CheckRequest {
  cwd?: string;
  /** Migration files or folders; empty: the project's migrations folder. Not with `staged` or `since` (a usage error). */
  paths?: readonly string[];
  /** The migrations folder (default: from Prisma's config, or prisma/migrations). */
  migrations?: string;
  schema?: string;
  /** Path of prisma-zd.config.ts. */
  config?: string;
  /** Check the staged migrations (and staged edits of committed ones), as the next commit holds them. */
  staged?: boolean;
  /** Check the migrations added or changed since this git ref. */
  since?: string;
  /** Read table sizes and applied checksums from this database. */
  databaseUrl?: string;
  /** The lowest severity that fails the run. Default `error`. */
  failOn?: Severity;
}

export interface CheckRun {
  readonly report: CheckReport;
  readonly exit: ExitCode;
  /** Lines for stderr: what was checked, what was skipped. */
  readonly notes: string[];
  readonly config: ResolvedConfig;
  /** Several histories named: the threads that checked them, and how many histories the worker threads took. */
  readonly parallel?: { readonly threads: number; readonly inWorkers: number };
}

const RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, error: 2 };

function merge(reports: readonly CheckReport[]): CheckReport {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const r of reports) for (const k of ['error', 'warning', 'info'] as const) counts[k] += r.counts[k];
  return {
    migrations: reports.flatMap((r) => r.migrations),
    diagnostics: reports.flatMap((r) => r.diagnostics),
    counts,
    parseErrors: reports.reduce((n, r) => n + r.parseErrors, 0),
    replayed: reports.reduce((n, r) => n + r.replayed, 0),
  };
}

/** The project's migrations folder and how Prisma executes it, without loading Prisma's config (fast). */
async function projectFolder(req: CheckRequest, cwd: string): Promise<{ folder: string; execution: Execution }> {
  const { readingOf, resolvePrismaProject } = await import('../project/prisma-project.js');
  const project = await resolvePrismaProject({
    cwd,
    needUrl: false,
    ...(req.migrations === undefined ? {} : { migrations: req.migrations }),
    ...(req.schema === undefined ? {} : { schema: req.schema }),
  });
  return { folder: project.migrationsDir, execution: readingOf(project.execution) };
}

/** `--staged` and `--since` choose the migrations themselves: paths named with them would be ignored. */
function refusePathsWithGit(req: CheckRequest): void {
  if (!req.paths?.length || (!req.staged && req.since === undefined)) return;
  const [flag, what, checks] = req.staged
    ? ['--staged', 'the staged migrations', 'what is staged']
    : [`--since ${req.since}`, `the migrations added or changed since ${req.since}`, `what changed since ${req.since}`];
  throw new UserError({
    code: 'ZD_USAGE',
    message: `${flag} checks ${what} and takes no paths (got ${req.paths.join(', ')}).`,
    hint: `Drop the paths to check ${checks}, or drop ${req.staged ? '--staged' : '--since'} to check the named paths.`,
    exit: ExitCode.Usage,
  });
}

export async function runCheck(req: CheckRequest): Promise<CheckRun> {
  refusePathsWithGit(req);
  const cwd = resolve(req.cwd ?? process.cwd());
  // Paths named: list the histories first, so that workers load while the rest is read.
  let specs: HistorySpec[] | undefined;
  let pathError: unknown;
  if (!req.staged && req.since === undefined && req.paths?.length) {
    try {
      specs = findHistories(req.paths, cwd);
    } catch (e) {
      pathError = e;
    }
  }
  if (specs) await beforeParsing(specs.reduce((n, s) => n + s.size, 0));
  const workers = new CheckWorkers(specs ? workerCount(specs) : 0);
  // One the entry started for histories too few to want it (early.ts).
  stopEarlyWorkers();
  // Everything but a pre-commit check parses: load the parser while the files are read
  // (a commit that stages no migration never loads it; nor does a process that may yet be
  // replaced by a tuned one). Its failure surfaces where it is awaited.
  if (!req.staged && !restartMayCome()) initParser().catch(() => undefined);
  try {
    const config = await loadConfig({ cwd, ...(req.config === undefined ? {} : { config: req.config }) });
    if (pathError !== undefined) throw pathError;
    const one = specs ? undefined : await oneHistory(req, cwd);
    const db = req.databaseUrl === undefined ? undefined : await readDatabaseFacts(req.databaseUrl);
    const marks: InputMarks = { cwd, root: config.root, exclude: config.check.exclude, ...(db ? { applied: db.applied } : {}) };
    const options: CheckOptions = {
      execution: 'unknown',
      postgresVersion: config.check.postgresVersion,
      rules: config.check.rules,
      ...(db ? { sizes: db.sizes, defaultSchema: db.defaultSchema } : {}),
    };
    const notes = one?.notes ?? [];
    let reports: CheckReport[];
    if (specs) {
      reports = (await workers.check({ specs, marks, options })).filter((r): r is CheckReport => r !== null);
    } else {
      const marked = one?.folder && markInputs(one.folder, marks);
      const checked = marked && (marked.inputs.some((i) => i.report !== false) || marked.deleted) ? await checkFolder(marked, { ...options, execution: one!.execution }, one!.cacheRoot) : null;
      const report = withFolderProblems(checked, folderProblems(marked ? marked.refusals : undefined, cwd));
      reports = report ? [report] : [];
    }
    const report = merge(reports);
    const failOn = RANK[req.failOn ?? 'error'];
    const failed = report.parseErrors > 0 || report.diagnostics.some((d) => RANK[d.severity] >= failOn);
    const parallel = specs ? { parallel: { threads: workers.threads, inWorkers: workers.inWorkers } } : {};
    return { report, exit: failed ? ExitCode.Failure : ExitCode.Ok, notes, config, ...parallel };
  } finally {
    workers.close();
  }
}

/** The project's history (`--staged`, `--since`, or all of it), when no path is named. */
async function oneHistory(req: CheckRequest, cwd: string): Promise<{ folder: FolderCheck | undefined; execution: Execution; notes: string[]; cacheRoot?: string }> {
  if (req.staged || req.since !== undefined) {
    const root = requireGitRoot(cwd, req.staged ? '--staged' : '--since');
    const project = await projectFolder(req, cwd);
    const folder = req.staged ? stagedHistory(project.folder, cwd, root) : sinceHistory(project.folder, cwd, root, req.since!);
    const some = folder?.inputs.some((i) => i.report !== false) || Boolean(folder?.refusals?.length) || Boolean(folder?.deleted?.length);
    const notes = some ? [] : [req.staged ? 'No staged migrations: nothing to check.' : `No migration added or changed since ${req.since}: nothing to check.`];
    return { folder: some ? folder : undefined, execution: project.execution, notes, ...(req.staged ? { cacheRoot: root } : {}) };
  }
  const project = await projectFolder(req, cwd);
  // The repository that holds the migrations folder (not necessarily the one of cwd).
  return { folder: folderHistory(project.folder, cwd, gitRoot(project.folder)), execution: project.execution, notes: [] };
}

/** One history checked; with `cacheRoot` (the pre-commit hook), the committed history's state is cached and a commit replays what is new. */
async function checkFolder(folder: FolderCheck, options: CheckOptions, cacheRoot: string | undefined): Promise<CheckReport> {
  if (folder.deleted) options = { ...options, deleted: folder.deleted };
  // Only deletions to report: no history to read.
  if (!folder.inputs.some((i) => i.report !== false)) return checkHistory(folder.inputs, options);
  const cache = cacheRoot === undefined ? undefined : checkpointCache(folder.folder, cacheRoot, options.defaultSchema, options.execution);
  const resume = cache?.load(folder.inputs);
  await beforeParsing(folder.inputs.length - (resume?.migrations ?? 0));
  await initParser();
  const report = checkHistory(folder.inputs, { ...options, ...(resume ? { resume } : {}), ...(cache ? { checkpoint: true } : {}) });
  if (cache && report.checkpoint) cache.save(folder.inputs, report.checkpoint, resume);
  return report;
}
