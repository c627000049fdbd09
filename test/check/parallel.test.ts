/*
 * `check` on several histories at once (a folder of projects, a monorepo) spreads them
 * over worker threads: the report must be the serial one, byte for byte, and the
 * workers must really have taken part. Uses the corpus (11 histories) when present, and
 * always a folder of copies of the sample project's history.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { renderJson } from '../../packages/core/src/index.js';
import { runZd } from '../support/cli.js';
import { CORPUS_DIR, CORPUS_PRESENT, REPO_ROOT } from '../support/corpus.js';

// The built CLI's library functions: the worker thread is the compiled worker beside them.
const { runCheck } = (await import(join(REPO_ROOT, 'packages/cli/dist/check/run.js'))) as typeof import('../../packages/cli/src/check/run.js');
const { CheckWorkers, checkSpec } = (await import(join(REPO_ROOT, 'packages/cli/dist/check/parallel.js'))) as typeof import('../../packages/cli/src/check/parallel.js');
const { findHistories } = (await import(join(REPO_ROOT, 'packages/cli/dist/check/inputs.js'))) as typeof import('../../packages/cli/src/check/inputs.js');

const tmp = mkdtempSync(join(tmpdir(), 'zd-check-parallel-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Four copies of the sample history, each with one migration of its own (an index on an existing table). */
function sampleProjects(): string {
  const dir = join(tmp, 'projects');
  if (existsSync(dir)) return dir;
  for (const name of ['api', 'billing', 'search', 'worker']) {
    const migrations = join(dir, name, 'migrations');
    cpSync(join(REPO_ROOT, 'prisma/migrations'), migrations, { recursive: true });
    mkdirSync(join(migrations, '20991231000000_local'));
    writeFileSync(join(migrations, '20991231000000_local/migration.sql'), `-- CreateIndex\nCREATE INDEX "User_${name}_idx" ON "User"("email");\n`);
  }
  return dir;
}

async function withThreads<T>(threads: string, run: () => Promise<T>): Promise<T> {
  const before = process.env['PRISMA_ZD_CHECK_THREADS'];
  process.env['PRISMA_ZD_CHECK_THREADS'] = threads;
  try {
    return await run();
  } finally {
    if (before === undefined) delete process.env['PRISMA_ZD_CHECK_THREADS'];
    else process.env['PRISMA_ZD_CHECK_THREADS'] = before;
  }
}

describe('check on several histories', () => {
  it('gives the serial report on several threads (sample copies)', async () => {
    const dir = sampleProjects();
    const serial = await withThreads('1', () => runCheck({ cwd: tmp, paths: [dir] }));
    const parallel = await withThreads('3', () => runCheck({ cwd: tmp, paths: [dir] }));
    expect(serial.parallel).toEqual({ threads: 1, inWorkers: 0 });
    expect(parallel.parallel?.threads).toBe(3);
    expect(renderJson(parallel.report)).toBe(renderJson(serial.report));
    expect(parallel.report.diagnostics.filter((d) => d.migration === '20991231000000_local' && d.ruleId === 'require-concurrent-index-creation')).toHaveLength(4);
    expect(parallel.exit).toBe(serial.exit);
  });

  it.skipIf(!CORPUS_PRESENT)('gives the serial report on the corpus, with the workers taking histories', async () => {
    const serial = await withThreads('1', () => runCheck({ cwd: REPO_ROOT, paths: [CORPUS_DIR] }));
    // 11 histories, the largest first on this thread: the worker starts long before they are
    // done — unless the machine is so loaded (the whole suite on two cores) that this warm
    // thread takes them all first. Every run must give the serial report; one of a few must
    // have the worker take histories.
    let inWorkers = 0;
    for (let run = 0; run < 5 && inWorkers === 0; run++) {
      const parallel = await withThreads('2', () => runCheck({ cwd: REPO_ROOT, paths: [CORPUS_DIR] }));
      expect(parallel.parallel?.threads).toBe(2);
      expect(renderJson(parallel.report)).toBe(renderJson(serial.report));
      inWorkers = parallel.parallel?.inWorkers ?? 0;
    }
    expect(inWorkers).toBeGreaterThan(0);
  });

  it.skipIf(!CORPUS_PRESENT)('prints the same report through the CLI, one thread or several', async () => {
    const one = await runZd(['check', CORPUS_DIR, '--format', 'json'], { env: { PRISMA_ZD_CHECK_THREADS: '1' } });
    const many = await runZd(['check', CORPUS_DIR, '--format', 'json'], { env: { PRISMA_ZD_CHECK_THREADS: '3' } });
    expect(one.code).toBe(1);
    expect(many.code).toBe(one.code);
    expect(many.stdout).toBe(one.stdout);
    expect(many.stderr).toBe(one.stderr);
  });

  it('loses no history when a worker dies holding one, or never starts', async () => {
    const dir = sampleProjects();
    const specs = findHistories([dir], tmp);
    const jobs = { specs, marks: { cwd: tmp, root: tmp, exclude: [] }, options: {} };
    const serial = await Promise.all(specs.map((_, i) => checkSpec(jobs, i)));
    const scripts = {
      // Takes the first history of the queue, then exits without a report.
      dies: `import { parentPort } from 'node:worker_threads';
parentPort.once('message', ({ next }) => { Atomics.add(next, 0, 1); process.exit(3); });`,
      // Throws while loading: it never takes a history.
      broken: `throw new Error('cannot start');`,
    };
    for (const [name, code] of Object.entries(scripts)) {
      const script = join(tmp, `${name}-worker.mjs`);
      writeFileSync(script, code);
      const workers = new CheckWorkers(2, pathToFileURL(script));
      // The workers get the queue first: the dying one takes a history before this thread does.
      await new Promise((r) => setTimeout(r, name === 'dies' ? 300 : 0));
      const reports = await workers.check(jobs);
      workers.close();
      expect(workers.threads, name).toBe(3);
      expect(reports.map((r) => r && renderJson(r)), name).toEqual(serial.map((r) => r && renderJson(r)));
    }
  });

  it("the entry's early worker, taken or stopped unused, changes nothing in the output", async () => {
    const dir = sampleProjects();
    const serial = await runZd(['check', dir, '--format', 'json'], { cwd: tmp, env: { PRISMA_ZD_CHECK_THREADS: '1' } });
    // Default threads: four small histories want no worker, so the early one is stopped unused
    // (the process must not wait on it); with threads asked for, CheckWorkers takes it.
    for (const threads of [undefined, '2', '3']) {
      const r = await runZd(['check', dir, '--format', 'json'], { cwd: tmp, env: { PRISMA_ZD_CHECK_THREADS: threads }, timeoutMs: 30_000 });
      expect(r.signal, String(threads)).toBeNull();
      expect(r.code, String(threads)).toBe(serial.code);
      expect(r.stdout, String(threads)).toBe(serial.stdout);
      expect(r.stderr, String(threads)).toBe(serial.stderr);
    }
  });

  it('a missing path is reported as before, with workers asked for', async () => {
    const r = await runZd(['check', join(tmp, 'nowhere'), join(tmp, 'projects')], { env: { PRISMA_ZD_CHECK_THREADS: '3' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ZD_PATH_MISSING');
  });
});
