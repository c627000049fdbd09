/**
 * `pnpm bench:check [dir]`: `prisma-zd check` against squawk (the `squawk-cli` npm
 * package) on every `migration.sql` under a directory (default ../shared/corpus), each
 * timed from process start to exit, runs interleaved, medians reported; then the
 * pre-commit path: `check --staged` with one new migration in a git repository holding
 * the largest history found, through the CLI and through the hook entry.
 *
 * prisma-zd checks the corpus's histories on worker threads, as many as the machine's
 * cores allow (zdThreads); squawk runs as its npm package runs it.
 *
 * Last line: one JSON object with files, zdMs, squawkMs, zdThreads, zdOneThreadMs (the same
 * check with PRISMA_ZD_CHECK_THREADS=1), nodeStartMs (`node -e 0`: the start both pay, squawk
 * through its npm wrapper), zdFindings, squawkFindings,
 * zdFindingsByRule, squawkFindingsByRule, zdNode (the Node.js version that ran prisma-zd:
 * BENCH_NODE=/path/to/node picks another), zdReportSha256 (of prisma-zd's whole JSON
 * report: compare it across commits), ratio, stagedMs, hookMs, stagedColdMs (the
 * first run, before the checkpoint cache holds the history), stagedNoMigrationMs.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = resolve(process.cwd(), process.argv[2] ?? join(repo, '../shared/corpus'));
const runs = Number(process.env['BENCH_RUNS'] ?? 5);
const cli = join(repo, 'packages/cli/bin/prisma-zd.js');
const hook = join(repo, 'packages/cli/dist/check/hook.js');
const squawk = join(repo, 'node_modules/.bin/squawk');
// The node that runs prisma-zd (default: this one): BENCH_NODE=/path/to/node measures another Node.js line.
const node = process.env['BENCH_NODE'] ?? process.execPath;
const zdNode = spawnSync(node, ['-p', 'process.version'], { encoding: 'utf8' }).stdout.trim();

if (!existsSync(dir)) {
  console.error(`bench:check: ${dir} does not exist (the corpus lives in ../shared/corpus); skipped.`);
  process.exit(0);
}
if (!existsSync(join(repo, 'packages/cli/dist/main.js'))) {
  console.error('bench:check: build first (pnpm run build).');
  process.exit(1);
}

function findScripts(d: string, out: string[] = []): string[] {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(d, e.name);
    if (e.isDirectory()) findScripts(p, out);
    else if (e.name === 'migration.sql') out.push(p);
  }
  return out;
}

function timed(cmd: string, args: string[], cwd = repo): { ms: number; stdout: string; status: number | null } {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.error) throw r.error;
  return { ms, stdout: r.stdout, status: r.status };
}

/** Wall time of a run whose output is not needed, with extra environment. */
function spawnTimed(cmd: string, args: string[], env: Record<string, string> = {}): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: repo, env: { ...process.env, ...env }, stdio: 'ignore' });
  if (r.error) throw r.error;
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x);

const files = findScripts(dir).sort();
console.error(`bench:check: ${files.length} migration.sql files under ${dir}; ${runs} runs each, interleaved`);

const zdTimes: number[] = [];
const squawkTimes: number[] = [];
// Context for the ratio, measured in the same loop: the same check on one thread, and a node that does nothing.
const oneThreadTimes: number[] = [];
const nodeTimes: number[] = [];
let zdOut = '';
let squawkOut = '';
for (let i = 0; i < runs; i++) {
  const z = timed(node, [cli, 'check', dir, '--format', 'json']);
  zdTimes.push(z.ms);
  zdOut = z.stdout;
  const s = timed(squawk, ['--reporter', 'json', ...files]);
  squawkTimes.push(s.ms);
  squawkOut = s.stdout;
  const one = spawnTimed(node, [cli, 'check', dir, '--format', 'json'], { PRISMA_ZD_CHECK_THREADS: '1' });
  oneThreadTimes.push(one);
  nodeTimes.push(spawnTimed(node, ['-e', '0']));
  console.error(`  run ${i + 1}: prisma-zd ${round(z.ms)} ms, squawk ${round(s.ms)} ms (prisma-zd on one thread ${round(one)} ms)`);
}

const zd = JSON.parse(zdOut) as { findings: Array<{ ruleId: string }> };
const sq = JSON.parse(squawkOut || '[]') as Array<{ rule_name: string }>;
const byRule = (ids: string[]) => Object.fromEntries(Object.entries(ids.reduce<Record<string, number>>((m, id) => ((m[id] = (m[id] ?? 0) + 1), m), {})).sort((a, b) => b[1] - a[1]));

// The pre-commit path: a repository holding the largest history, one new migration staged.
const folders = new Map<string, number>();
for (const f of files) folders.set(dirname(dirname(f)), (folders.get(dirname(dirname(f))) ?? 0) + 1);
const [largest, size] = [...folders].sort((a, b) => b[1] - a[1])[0]!;
// The threads the CLI starts for these histories (the calling one and its workers).
const { workerCount } = (await import(join(repo, 'packages/cli/dist/check/parallel.js'))) as typeof import('../../packages/cli/src/check/parallel.js');
const threads = 1 + workerCount([...folders].map(([folder, n]) => ({ folder, names: 'all' as const, size: n })));
const tmp = mkdtempSync(join(tmpdir(), 'zd-bench-staged-'));
const git = (...args: string[]) => {
  const r = spawnSync('git', args, { cwd: tmp, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
};
let staged: { cli: number; hook: number; none: number; cold: number } | undefined;
try {
  mkdirSync(join(tmp, 'prisma'), { recursive: true });
  cpSync(largest, join(tmp, 'prisma/migrations'), { recursive: true });
  writeFileSync(join(tmp, 'prisma/schema.prisma'), 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n');
  mkdirSync(join(tmp, 'node_modules'), { recursive: true });
  git('init', '-q');
  git('-c', 'user.email=bench@example.com', '-c', 'user.name=bench', 'add', '-A');
  git('-c', 'user.email=bench@example.com', '-c', 'user.name=bench', 'commit', '-q', '-m', 'history');
  const none = [] as number[];
  for (let i = 0; i < runs; i++) none.push(timed(node, [hook], tmp).ms);
  const next = join(tmp, 'prisma/migrations/99990101000000_bench');
  mkdirSync(next);
  // A new index on the first table of the history (what `prisma migrate dev` writes for a new @@index).
  const first = readFileSync(join(largest, readdirSync(largest).filter((n) => existsSync(join(largest, n, 'migration.sql'))).sort()[0]!, 'migration.sql'), 'utf8');
  const m = /CREATE TABLE "([^"]+)" \(\s*"([^"]+)"/.exec(first);
  const [table, column] = m ? [m[1]!, m[2]!] : ['bench', 'id'];
  writeFileSync(join(next, 'migration.sql'), `-- CreateIndex\nCREATE INDEX "${table}_${column}_bench_idx" ON "${table}"("${column}");\n`);
  git('add', '-A');
  // The first run replays the whole history and caches the committed history's state
  // (node_modules/.cache/prisma-zd); the next commits start from it.
  const cold: number[] = [];
  for (let i = 0; i < Math.min(runs, 3); i++) {
    rmSync(join(tmp, 'node_modules/.cache'), { recursive: true, force: true });
    cold.push(timed(node, [cli, 'check', '--staged'], tmp).ms);
  }
  const viaCli: number[] = [];
  const viaHook: number[] = [];
  for (let i = 0; i < runs; i++) {
    viaCli.push(timed(node, [cli, 'check', '--staged'], tmp).ms);
    viaHook.push(timed(node, [hook], tmp).ms);
  }
  staged = { cli: median(viaCli), hook: median(viaHook), none: median(none), cold: median(cold) };
  console.error(`  check --staged, 1 new migration after ${size}: CLI ${round(staged.cli)} ms, hook entry ${round(staged.hook)} ms (first run, no cache: ${round(staged.cold)} ms); no migration staged: ${round(staged.none)} ms`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const zdMs = median(zdTimes);
const squawkMs = median(squawkTimes);
console.log(
  JSON.stringify({
    files: files.length,
    zdMs: round(zdMs),
    squawkMs: round(squawkMs),
    ratio: Math.round((zdMs / squawkMs) * 100) / 100,
    zdThreads: threads,
    zdOneThreadMs: round(median(oneThreadTimes)),
    nodeStartMs: round(median(nodeTimes)),
    zdNode,
    zdFindings: zd.findings.length,
    // Equal across commits exactly when `check --format json` printed the same findings, byte for byte.
    zdReportSha256: createHash('sha256').update(zdOut).digest('hex'),
    squawkFindings: sq.length,
    zdFindingsByRule: byRule(zd.findings.map((f) => f.ruleId)),
    squawkFindingsByRule: byRule(sq.map((f) => f.rule_name)),
    stagedHistory: size,
    stagedMs: staged && round(staged.cli),
    hookMs: staged && round(staged.hook),
    stagedColdMs: staged && round(staged.cold),
    stagedNoMigrationMs: staged && round(staged.none),
  }),
);
