/*
 * The CLI on the Node.js lines users run (22 and 24, fetched from the npm registry,
 * beside the one running the tests): the same report and exit code, nothing on stderr
 * but what a command prints (a V8 flag a line does not know printed an error on every
 * run on Node 22), and the V8 tuning each line needs. On Node 24 the flags only count on
 * node's command line, so a large `check` starts node again with them (v8-flags.ts):
 * that node's report, exit code and signals must be the command's.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runZd, type ZdRun } from '../support/cli.js';
import { REPO_ROOT } from '../support/corpus.js';
import { NODE_LINES, nodeBinary } from '../support/node-lines.js';

const RESTART_FROM = 20;
const tmp = mkdtempSync(join(tmpdir(), 'zd-node-lines-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const nodes: Record<string, string> = {};
beforeAll(() => {
  for (const version of NODE_LINES) nodes[version] = nodeBinary(version);
}, 600_000);

const SAMPLE = join(REPO_ROOT, 'prisma/migrations');

/** A migrations folder of `count` migrations, each a table; the last adds an index on the first table (one finding). */
function history(name: string, count: number): string {
  const dir = join(tmp, name);
  for (let i = 0; i < count; i++) {
    const m = join(dir, `2024010100${String(i).padStart(4, '0')}_t${i}`);
    mkdirSync(m, { recursive: true });
    const index = i === count - 1 ? `\n-- CreateIndex\nCREATE INDEX "T0_name_idx" ON "T0"("name");\n` : '';
    writeFileSync(join(m, 'migration.sql'), `-- CreateTable\nCREATE TABLE "T${i}" (\n    "id" TEXT NOT NULL,\n    "name" TEXT,\n\n    CONSTRAINT "T${i}_pkey" PRIMARY KEY ("id")\n);\n${index}`);
  }
  return dir;
}

const show = { PRISMA_ZD_V8_TUNING: 'show' };
const tuningLines = (r: ZdRun) => r.stderr.split('\n').filter((l) => l.startsWith('prisma-zd: V8 '));
const otherStderr = (r: ZdRun) => r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('prisma-zd: V8 '));

describe.each(NODE_LINES)('on Node.js %s', (version) => {
  it('prints nothing but its output (no V8 flag error), the same version and report as on this node', async () => {
    const node = nodes[version]!;
    const v = await runZd(['--version'], { node });
    expect(v).toMatchObject({ code: 0, stderr: '' });
    expect(v.stdout.trim()).toBe((await runZd(['--version'])).stdout.trim());

    const here = await runZd(['check', SAMPLE, '--format', 'json']);
    const there = await runZd(['check', SAMPLE, '--format', 'json'], { node });
    expect(there.stderr).toBe('');
    expect(there.code).toBe(here.code);
    expect(JSON.parse(there.stdout)).toEqual(JSON.parse(here.stdout));
    expect(JSON.parse(there.stdout).findings.length).toBeGreaterThan(0);
  });

  it(`tunes V8 as this line allows; a check of ${RESTART_FROM}+ migrations gives the same report`, async () => {
    const node = nodes[version]!;
    const dir = history(`large-${version}`, RESTART_FROM + 5);
    const here = await runZd(['check', dir, '--format', 'json']);
    const there = await runZd(['check', dir, '--format', 'json'], { node, env: show });
    expect(otherStderr(there)).toEqual([]);
    expect(there.code).toBe(1);
    expect(there.code).toBe(here.code);
    expect(there.stdout).toBe(here.stdout);
    expect(JSON.parse(there.stdout).findings.map((f: { ruleId: string }) => f.ruleId)).toEqual(['require-concurrent-index-creation']);
    const lines = tuningLines(there);
    if (version.startsWith('22.')) {
      // V8 12 takes the flags at run time: one process.
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('set at run time: --liftoff-only --invocation-count-for-turbofan=');
    } else {
      // V8 13: node started again, the flags on its command line, once.
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain(`from ${RESTART_FROM} migrations parsed, node starts again`);
      expect(lines[1]).toContain('on the command line: --liftoff-only --invocation-count-for-turbofan=');
      const pids = lines.map((l) => /pid (\d+)/.exec(l)![1]);
      expect(pids[0]).not.toBe(pids[1]);
    }
    // A check that is not --staged replays a whole history: on V8 13 the tuned node starts at once, whatever its size
    // (the --staged test below shows a small parse staying in one process).
    const small = await runZd(['check', SAMPLE, '--format', 'json'], { node, env: show });
    expect(tuningLines(small)).toHaveLength(version.startsWith('22.') ? 1 : 2);
    // PRISMA_ZD_V8_TUNING=off: untuned, the same report.
    const off = await runZd(['check', dir, '--format', 'json'], { node, env: { PRISMA_ZD_V8_TUNING: 'off' } });
    expect(off).toMatchObject({ code: here.code, stdout: here.stdout, stderr: '' });
  });
});

describe(`on Node.js ${NODE_LINES[1]}, where a large check starts node again`, () => {
  const version = NODE_LINES[1];

  it('check --staged: the first commit (whole history to replay) starts node again, the next (from the cache) does not; both report the staged migration', async () => {
    const node = nodes[version]!;
    const repo = join(tmp, 'repo');
    mkdirSync(join(repo, 'prisma'), { recursive: true });
    cpSync(history('repo-history', RESTART_FROM + 5), join(repo, 'prisma/migrations'), { recursive: true });
    writeFileSync(join(repo, 'prisma/schema.prisma'), 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n');
    // The checkpoint cache lives in the project's node_modules (ignored by git).
    mkdirSync(join(repo, 'node_modules'));
    writeFileSync(join(repo, '.gitignore'), 'node_modules\n');
    const git = (...args: string[]) => {
      const r = spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: repo, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    };
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'history');
    const next = join(repo, 'prisma/migrations/20991231000000_next');
    mkdirSync(next);
    writeFileSync(join(next, 'migration.sql'), '-- CreateIndex\nCREATE INDEX "T1_name_idx" ON "T1"("name");\n');
    git('add', '-A');

    const first = await runZd(['check', '--staged', '--format', 'json'], { cwd: repo, node, env: show });
    const second = await runZd(['check', '--staged', '--format', 'json'], { cwd: repo, node, env: show });
    expect(tuningLines(first)).toHaveLength(2);
    expect(tuningLines(second)).toHaveLength(1);
    for (const r of [first, second]) {
      expect(otherStderr(r)).toEqual([]);
      expect(r.code).toBe(1);
      const findings = JSON.parse(r.stdout).findings as Array<{ migration: string; ruleId: string }>;
      expect(findings.map((f) => [f.migration, f.ruleId])).toEqual([['20991231000000_next', 'require-concurrent-index-creation']]);
    }
    expect(second.stdout).toBe(first.stdout);
  });

  it('a signal to the command reaches the node started again: both end, by that signal', async () => {
    const node = nodes[version]!;
    const dir = history('signalled', 1500);
    let parent = 0;
    let stderr = '';
    let child: number | undefined;
    const result = await runZd(['check', dir, '--format', 'json'], {
      node,
      env: show,
      onSpawn: (pid) => (parent = pid),
      onStderr: (chunk) => {
        stderr += chunk;
        const pids = [...stderr.matchAll(/^prisma-zd: V8 .*pid (\d+)/gm)].map((m) => Number(m[1]));
        // The second line is the tuned node's, at its start: well before its check of 1,500 migrations ends.
        if (child === undefined && pids.length === 2) {
          child = pids[1];
          process.kill(parent, 'SIGTERM');
        }
      },
      timeoutMs: 60_000,
    });
    expect(child).toBeDefined();
    expect(child).not.toBe(parent);
    expect(result).toMatchObject({ code: null, signal: 'SIGTERM', stdout: '' });
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 50 && alive(child!); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(child!)).toBe(false);
  });
});
