import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
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
  writeFileSync(path, hookScript(relative(root, cwd).split('\\').join('/')));
  chmodSync(path, 0o755);
  return { path, updated: existing !== undefined };
}

export const installHookCommand = defineCommand({
  command: 'install-hook',
  describe: 'Install a git pre-commit hook that runs `prisma-zd check --staged`',
  builder: (y) => y.option('force', { type: 'boolean', default: false, describe: 'Replace a pre-commit hook that prisma-zd did not write' }),
  async run(argv, o) {
    const r = installHook({ force: argv.force });
    o.err(`${r.updated ? 'Updated' : 'Installed'} the pre-commit hook: ${relative(process.cwd(), r.path) || r.path}`);
    o.err('Each commit now checks its staged migrations (`prisma-zd check --staged`).');
    return ExitCode.Ok;
  },
});
