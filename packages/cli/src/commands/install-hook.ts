import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { requireGitRoot } from '../check/git.js';
import { defineCommand } from './command.js';

const MARKER = '# prisma-zd pre-commit hook';

/** `text` as one POSIX sh word, taken literally: single quotes, an embedded `'` as `'\''`. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The hook: from the project's directory, the fast hook entry when installed, else the CLI. */
export function hookScript(projectDir: string): string {
  // The directory's name is data: quoted, so that `$`, backticks and quotes in it are not read by the shell.
  const cd = projectDir === '' ? '' : `/${shellQuote(projectDir)}`;
  return `#!/bin/sh
${MARKER} (installed by \`prisma-zd install-hook\`; delete this file to remove it).
# Checks the staged migrations; \`git commit --no-verify\` skips it.
cd "$(git rev-parse --show-toplevel)"${cd} || exit 1
entry=node_modules/prisma-zd/dist/check/hook.js
if [ -f "$entry" ]; then
  exec node "$entry"
fi
exec npx --no-install prisma-zd check --staged
`;
}

function gitOutput(cwd: string, args: string[]): string | undefined {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export interface InstallHookResult {
  path: string;
  updated: boolean;
  /** The directory the hook runs `check --staged` in: the Prisma project's. */
  projectDir: string;
}

const PRISMA_CONFIGS = ['prisma.config.ts', 'prisma.config.mts', 'prisma.config.js', 'prisma.config.mjs', '.config/prisma.ts'];

/**
 * The Prisma project that `cwd` is in, between `cwd` and the repository's root: the nearest
 * directory with Prisma's config, else with `prisma/schema.prisma` (or `prisma/schema/`), else
 * with `schema.prisma`; `cwd` itself when there is none. The hook runs `check --staged`
 * there, as `check` finds the project from where it runs: run from `prisma/migrations`, a
 * hook that stayed there would look for `prisma/migrations/prisma/migrations`.
 */
export function projectDirOf(cwd: string, root: string): string {
  const dirs: string[] = [];
  for (let dir = cwd; ; dir = dirname(dir)) {
    dirs.push(dir);
    if (dir === root || dirname(dir) === dir || !(dir + sep).startsWith(root + sep)) break;
  }
  const markers = [PRISMA_CONFIGS, ['prisma/schema.prisma', 'prisma/schema'], ['schema.prisma']];
  for (const names of markers) {
    const found = dirs.find((d) => names.some((n) => existsSync(join(d, n))));
    if (found !== undefined) return found;
  }
  return cwd;
}

export function installHook(options: { cwd?: string; force?: boolean } = {}): InstallHookResult {
  const cwd = resolve(options.cwd ?? process.cwd());
  const root = requireGitRoot(cwd, 'install-hook');
  const hooksPath = gitOutput(cwd, ['config', 'core.hooksPath']);
  if (hooksPath) {
    throw new UserError({
      code: 'ZD_HOOKS_MANAGED',
      message: `git's core.hooksPath is ${hooksPath}: another tool (husky, lefthook…) manages the hooks of this repository.`,
      hint: 'Add `npx prisma-zd check --staged` to that tool\'s pre-commit configuration (the README shows husky, lefthook and pre-commit).',
      exit: ExitCode.Usage,
    });
  }
  const gitPath = gitOutput(cwd, ['rev-parse', '--git-path', 'hooks/pre-commit'])!;
  const path = isAbsolute(gitPath) ? gitPath : resolve(cwd, gitPath);
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (existing !== undefined && !existing.includes(MARKER) && !options.force) {
    throw new UserError({
      code: 'ZD_HOOK_EXISTS',
      message: `${relative(cwd, path)} exists and was not written by prisma-zd.`,
      hint: 'Add `npx prisma-zd check --staged` to it yourself, or pass --force to replace it.',
      exit: ExitCode.Usage,
    });
  }
  mkdirSync(dirname(path), { recursive: true });
  const projectDir = projectDirOf(cwd, resolve(root));
  writeFileSync(path, hookScript(relative(root, projectDir).split('\\').join('/')));
  chmodSync(path, 0o755);
  return { path, updated: existing !== undefined, projectDir };
}

export const installHookCommand = defineCommand({
  command: 'install-hook',
  describe: 'Install a git pre-commit hook that runs `prisma-zd check --staged`',
  builder: (y) => y.option('force', { type: 'boolean', default: false, describe: 'Replace a pre-commit hook that prisma-zd did not write' }),
  async run(argv, o) {
    const r = installHook({ force: argv.force });
    o.err(`${r.updated ? 'Updated' : 'Installed'} the pre-commit hook: ${relative(process.cwd(), r.path) || r.path}`);
    const where = relative(process.cwd(), r.projectDir);
    o.err(`Each commit now checks its staged migrations (\`prisma-zd check --staged\`${where ? `, run in ${where}` : ''}).`);
    return ExitCode.Ok;
  },
});
