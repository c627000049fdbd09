import { isAbsolute, relative, resolve, sep } from 'node:path';
import { renderGithub, renderGitlab, renderJson, renderPretty, renderSarif, renderSummary, type Severity } from '@prisma-zd/core';
import { gitRoot } from '../check/git.js';
import { runCheck } from '../check/run.js';
import { configOption, defineCommand, projectOptions } from './command.js';
import { VERSION } from '../main.js';

const FORMATS = ['pretty', 'json', 'github', 'sarif', 'gitlab'] as const;

export const checkCommand = defineCommand({
  command: 'check [paths..]',
  describe: 'Lint migrations for risks to a live app during a rolling deploy (locks, old app versions)',
  builder: (y) =>
    configOption(projectOptions(y))
      // check connects only when asked: --url is --database-url here, not Prisma's datasource.
      .option('url', { type: 'string', describe: 'The same as --database-url (check never connects without one of them)' })
      .positional('paths', { type: 'string', array: true, describe: "Migration files or folders (default: the project's migrations folder; not with --staged or --since)" })
      .option('staged', { type: 'boolean', describe: 'Check the staged migrations and staged edits of committed ones (pre-commit hook)' })
      .option('since', { type: 'string', describe: 'Check the migrations added or changed since this git ref (CI: origin/main)' })
      .option('database-url', { type: 'string', describe: 'Read table sizes (small tables lower the severity) and applied checksums from this database' })
      .option('format', { choices: FORMATS, default: 'pretty' as (typeof FORMATS)[number], describe: 'pretty (code frames), json, github (workflow annotations), sarif (code scanning) or gitlab (Code Quality report); the last two print the pretty report on stderr' })
      .option('fail-on', { choices: ['error', 'warning'] as const, default: 'error' as 'error' | 'warning', describe: 'Lowest severity that makes the exit code 1' })
      .conflicts('staged', 'since'),
  async run(argv, o) {
    const databaseUrl = argv.databaseUrl ?? argv.url;
    const result = await runCheck({
      paths: (argv.paths as string[] | undefined) ?? [],
      staged: argv.staged === true,
      failOn: argv.failOn as Severity,
      ...(argv.since === undefined ? {} : { since: argv.since }),
      ...(databaseUrl === undefined ? {} : { databaseUrl }),
      ...(argv.migrations === undefined ? {} : { migrations: argv.migrations }),
      ...(argv.schema === undefined ? {} : { schema: argv.schema }),
      ...(argv.config === undefined ? {} : { config: argv.config }),
    });
    for (const note of result.notes) o.err(note);
    const format = argv.json ? 'json' : argv.format;
    if (format === 'json') o.out(renderJson(result.report));
    else if (format === 'github') {
      const text = renderGithub(result.report, { path: fromWorkspace(process.cwd()) });
      if (text) o.out(text);
      o.err(renderSummary(result.report, { color: o.color }));
    } else if (format === 'sarif' || format === 'gitlab') {
      // The document for the tool on stdout (redirected to the artifact); the job log keeps the findings.
      const path = fromWorkspace(process.cwd(), process.env, format === 'gitlab' ? 'CI_PROJECT_DIR' : 'GITHUB_WORKSPACE');
      o.out(format === 'sarif' ? renderSarif(result.report, { path, version: VERSION }) : renderGitlab(result.report, { path }));
      if (result.report.migrations.length || !result.notes.length) o.err(renderPretty(result.report, { color: o.color }));
    } else if (result.report.migrations.length || !result.notes.length) o.out(renderPretty(result.report, { color: o.color }));
    return result.exit;
  },
});

/**
 * A report path (relative to `cwd`) as GitHub wants it for an annotation (and GitLab for
 * Code Quality): from the workspace (`GITHUB_WORKSPACE`, GitLab's `CI_PROJECT_DIR`: the
 * checkout), else from the repository's root — so that findings attach when the job runs
 * in a sub-directory (`working-directory`).
 */
export function fromWorkspace(cwd: string, env: NodeJS.ProcessEnv = process.env, workspace = 'GITHUB_WORKSPACE'): (path: string) => string {
  const root = env[workspace] || gitRoot(cwd);
  if (root === undefined) return (p) => p;
  return (p) => {
    const rel = relative(resolve(root), resolve(cwd, p));
    return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? p : rel.split(sep).join('/');
  };
}
