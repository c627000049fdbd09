/**
 * `prisma-zd check` as a library function: choose the migrations, replay their
 * histories, run the rules, and return the report with the exit code. Rendering is the
 * caller's (the command, the git hook entry).
 */
import { resolve } from 'node:path';
import { checkHistory, initParser, type CheckReport, type Execution, type Severity } from '@prisma-zd/core';
import { loadConfig, type ResolvedConfig } from '../config.js';
import { ExitCode } from '../errors.js';
import { checkpointCache } from './cache.js';
import { readDatabaseFacts } from './database.js';
import { gitRoot, requireGitRoot } from './git.js';
import { excluded, folderHistory, globToRegExp, pathHistories, sinceHistory, stagedHistory, type FolderCheck } from './inputs.js';

export interface CheckRequest {
  cwd?: string;
  /** Migration files or folders; empty: the project's migrations folder. */
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
  const { resolvePrismaProject } = await import('../project/prisma-project.js');
  const project = await resolvePrismaProject({
    cwd,
    needUrl: false,
    ...(req.migrations === undefined ? {} : { migrations: req.migrations }),
    ...(req.schema === undefined ? {} : { schema: req.schema }),
  });
  const execution: Execution = project.execution === 'whole-file' || project.execution === 'per-statement' ? project.execution : 'unknown';
  return { folder: project.migrationsDir, execution };
}

export async function runCheck(req: CheckRequest): Promise<CheckRun> {
  const cwd = resolve(req.cwd ?? process.cwd());
  const config = await loadConfig({ cwd, ...(req.config === undefined ? {} : { config: req.config }) });
  const notes: string[] = [];
  let folders: FolderCheck[];
  let execution: Execution = 'unknown';
  let root: string | undefined;
  if (req.staged || req.since !== undefined) {
    root = requireGitRoot(cwd, req.staged ? '--staged' : '--since');
    const project = await projectFolder(req, cwd);
    execution = project.execution;
    const folder = req.staged ? stagedHistory(project.folder, cwd, root) : sinceHistory(project.folder, cwd, root, req.since!);
    folders = folder && folder.inputs.some((i) => i.report !== false) ? [folder] : [];
    if (folders.length === 0) notes.push(req.staged ? 'No staged migrations: nothing to check.' : `No migration added or changed since ${req.since}: nothing to check.`);
  } else if (req.paths?.length) {
    folders = pathHistories(req.paths, cwd);
  } else {
    const project = await projectFolder(req, cwd);
    execution = project.execution;
    // The repository that holds the migrations folder (not necessarily the one of cwd).
    folders = [folderHistory(project.folder, cwd, gitRoot(project.folder))];
  }
  const globs = config.check.exclude.map(globToRegExp);
  for (const f of folders) {
    f.inputs.forEach((input, i) => {
      if (input.report !== false && excluded(resolve(cwd, input.path ?? ''), config.root, globs)) f.inputs[i] = { ...input, report: false };
    });
  }
  const db = req.databaseUrl === undefined ? undefined : await readDatabaseFacts(req.databaseUrl);
  if (db) {
    for (const f of folders) {
      f.inputs.forEach((input, i) => {
        const checksum = db.applied.get(input.name);
        if (checksum !== undefined && input.report !== false) f.inputs[i] = { ...input, appliedChecksum: checksum };
      });
    }
  }
  const reported = folders.reduce((n, f) => n + f.inputs.filter((i) => i.report !== false).length, 0);
  if (reported > 0) await initParser();
  const options = {
    execution,
    postgresVersion: config.check.postgresVersion,
    rules: config.check.rules,
    ...(db ? { sizes: db.sizes } : {}),
  };
  const report = merge(
    folders
      .filter((f) => f.inputs.some((i) => i.report !== false))
      .map((f) => {
        // The pre-commit hook: the committed history's state is cached, a commit replays what is new.
        const cache = req.staged && root !== undefined ? checkpointCache(f.folder, root) : undefined;
        const resume = cache?.load(f.inputs);
        const r = checkHistory(f.inputs, { ...options, ...(resume ? { resume } : {}), ...(cache ? { checkpoint: true } : {}) });
        if (cache && r.checkpoint) cache.save(f.inputs, r.checkpoint, resume);
        return r;
      }),
  );
  const failOn = RANK[req.failOn ?? 'error'];
  const failed = report.parseErrors > 0 || report.diagnostics.some((d) => RANK[d.severity] >= failOn);
  return { report, exit: failed ? ExitCode.Failure : ExitCode.Ok, notes, config };
}
