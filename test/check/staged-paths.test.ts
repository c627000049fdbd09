/*
 * `check --staged` and `check --since <ref>` choose the migrations themselves: paths
 * named with them are a usage error (exit 2), never silently ignored.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { makeProject, ZD_ENV } from './fixture.js';

describe('check --staged / --since with paths', () => {
  const p = makeProject({ git: true });
  afterAll(() => p.remove());
  // An unsafe migration the paths name: had it been checked, the run would exit 1.
  const path = p.migration('20240102000000_drop', 'ALTER TABLE "Post" DROP COLUMN "content";\n');

  it('--staged <path>: exit 2, a hint to drop the paths or --staged, nothing checked', async () => {
    p.git('add', '-A');
    const r = await runZd(['check', '--staged', path], { cwd: p.dir, env: ZD_ENV });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`ZD_USAGE: --staged checks the staged migrations and takes no paths (got ${path}).`);
    expect(r.stderr).toContain('hint: Drop the paths to check what is staged, or drop --staged to check the named paths.');
    expect(r.stderr).not.toContain('No staged migrations');
    expect(r.stdout).toBe('');
  });

  it('--since <ref> <path>: the same', async () => {
    const r = await runZd(['check', '--since', 'HEAD', path, 'prisma/migrations'], { cwd: p.dir, env: ZD_ENV });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`ZD_USAGE: --since HEAD checks the migrations added or changed since HEAD and takes no paths (got ${path}, prisma/migrations).`);
    expect(r.stderr).toContain('hint: Drop the paths to check what changed since HEAD, or drop --since to check the named paths.');
    expect(r.stdout).toBe('');
  });

  it('without paths both still run', async () => {
    const staged = await runZd(['check', '--staged'], { cwd: p.dir, env: ZD_ENV });
    expect(staged.code).toBe(1);
    expect(staged.stdout).toContain('error[ban-drop-column]');
    const since = await runZd(['check', '--since', 'HEAD'], { cwd: p.dir, env: ZD_ENV });
    expect(since.code).toBe(1);
    expect(since.stdout).toContain('error[ban-drop-column]');
  });
});
