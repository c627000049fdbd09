/*
 * The checkpoint cache of `check --staged`, through the built CLI in a throw-away
 * repository: a run with the cache reports exactly what a run without it reports; the
 * cache is read (a tampered checkpoint shows), keyed by the history (an edited
 * committed migration never meets a stale checkpoint), and harmless when unreadable.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { INIT, makeProject, ZD_ENV } from './fixture.js';

describe('check --staged with the checkpoint cache', () => {
  const p = makeProject({ git: true });
  afterAll(() => p.remove());
  const cache = join(p.dir, 'node_modules/.cache/prisma-zd/check');
  const files = () => (existsSync(cache) ? readdirSync(cache) : []);
  const staged = async () => {
    const r = await runZd(['check', '--staged'], { cwd: p.dir, env: ZD_ENV });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  };
  const uncached = async () => {
    rmSync(cache, { recursive: true, force: true });
    return staged();
  };

  it('reports what a run without it reports, and keeps the committed history\'s state', async () => {
    p.migration('20240102000000_title', 'CREATE INDEX "Post_title_idx" ON "Post"("title");\n');
    p.git('add', '-A');
    const cold = await uncached();
    expect(cold.code).toBe(1);
    expect(cold.stdout).toContain('require-concurrent-index-creation');
    expect(files()).toHaveLength(1);
    expect(await staged()).toEqual(cold);
  });

  it('resumes from the last commit\'s state when a commit adds a migration', async () => {
    p.git('commit', '-q', '--no-verify', '-m', 'title');
    p.migration('20240103000000_drop', 'ALTER TABLE "Post" DROP COLUMN "title";\n');
    p.git('add', '-A');
    const warm = await staged();
    expect(warm.stdout).toContain('ban-drop-column');
    expect(files()).toHaveLength(2);
    expect(await uncached()).toEqual(warm);
  });

  it('is read: a tampered checkpoint shows in the findings', async () => {
    const before = await staged();
    const [file] = files();
    const json = readFileSync(join(cache, file!), 'utf8');
    writeFileSync(join(cache, file!), json.replaceAll('"Post"', '"Elsewhere"'));
    const tampered = await staged();
    expect(tampered.stdout).not.toEqual(before.stdout);
    expect(await uncached()).toEqual(before);
  });

  it('never serves a committed migration\'s old state after it was edited', async () => {
    const init = join(p.dir, 'prisma/migrations', INIT, 'migration.sql');
    await staged();
    // The column the staged migration drops no longer exists in the edited history.
    const text = readFileSync(init, 'utf8');
    writeFileSync(init, text.replace(/^\s*"title" [^\n]*\n/m, ''));
    expect(readFileSync(init, 'utf8')).not.toBe(text);
    p.git('commit', '-q', '--no-verify', '-m', 'edit init', '--', init);
    const edited = await staged();
    expect(edited).toEqual(await uncached());
    expect(edited.stdout).not.toContain('ban-drop-column');
  });

  it('is ignored when unreadable', async () => {
    const expected = await uncached();
    for (const f of files()) writeFileSync(join(cache, f), '{"format":1,"migr');
    expect(await staged()).toEqual(expected);
  });
});
