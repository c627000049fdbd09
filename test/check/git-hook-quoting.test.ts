/*
 * The pre-commit hook of a project in a sub-directory whose name the shell would read:
 * `$`, a backtick command, `"` and `'`. The hook must cd there literally: nothing
 * expanded, nothing run, and commits go through.
 */
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { GIT_ENV, makeProject, ZD_ENV } from './fixture.js';

describe('pre-commit hook of a project in a sub-directory with shell characters in its name', () => {
  const root = mkdtempSync(join(tmpdir(), 'zd-hook-quoting-'));
  // Git runs the hook at the top of the work tree: a backtick command that ran leaves its file there.
  const name = 'svc $HOME `touch backtick-ran` "q" it\'s';
  const marker = join(root, 'backtick-ran');
  const dir = join(root, name);
  renameSync(makeProject().dir, dir);
  const git = (...args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });
  writeFileSync(join(root, '.gitignore'), 'node_modules\n');
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('cds into the directory literally: a commit of an unrelated file goes through, the backtick command never runs', async () => {
    const r = await runZd(['install-hook'], { cwd: dir, env: ZD_ENV });
    expect(r.code).toBe(0);
    writeFileSync(join(dir, 'README.md'), 'hello\n');
    git('add', '-A');
    const commit = git('commit', '-m', 'readme');
    expect(existsSync(marker)).toBe(false);
    expect(commit.stderr).toContain('No staged migrations');
    expect(commit.status).toBe(0);
    expect(git('log', '--oneline').stdout.trim().split('\n')).toHaveLength(2);
  });
});
