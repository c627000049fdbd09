/**
 * `pnpm bench:deploy`: what an application sees while a migration is deployed with plain
 * `prisma migrate deploy` and with `prisma-zd deploy`.
 *
 * Starts its own embedded PostgreSQL, deploys the sample project and fills its busy table
 * "Product" (default 1,000,000 rows). A probe — one session reading a row by id and one
 * updating a row by id, each every few milliseconds — runs throughout; every query's
 * start, end and error are recorded. Two scenarios, each deployed both ways on a fresh
 * copy of that database:
 *
 *  (a) alter: a transaction holds "Product" (an ACCESS SHARE lock, like any long report
 *      or forgotten transaction) for BENCH_DEPLOY_BLOCKER_MS (default 10 s) after the
 *      migration starts waiting, while the migration adds a column (ACCESS EXCLUSIVE).
 *      Plain: every probe query queues behind the waiting ALTER until the blocker ends.
 *      prisma-zd: the ALTER gives up after lock_timeout (1 s), the queue drains, it retries.
 *  (b) index: the migration adds an index to the 1M-row table. Plain: CREATE INDEX holds
 *      SHARE for the whole build (writes wait). prisma-zd: the migration is first run
 *      through `prisma-zd rewrite` (as a developer would), the build is postponed and
 *      done CONCURRENTLY by deploy's `postponed run`.
 *
 * The stall of a run = the longest probe query that overlaps the deploy command's run.
 * Prints a table, then as the LAST line one JSON object with at least blockerMs,
 * lockTimeoutMs, plainAlterMaxStallMs, zdAlterMaxStallMs, plainIndexMaxStallMs,
 * zdIndexMaxStallMs, zdFailedProbeQueries.
 * Needs `pnpm run build` first (it runs the built CLI). Env: BENCH_DEPLOY_ROWS,
 * BENCH_DEPLOY_BLOCKER_MS, BENCH_DEPLOY_PROBE_PAUSE_MS (default 5).
 */
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import { runZd } from '../../test/support/cli.js';
import { createDatabase, createTemplate, startEmbedded, type PgServer } from '../../test/support/postgres.js';
import { addMigration, copySampleProject, runPrisma, type SampleProjectCopy } from '../../test/support/prisma.js';

const ROWS = Number(process.env.BENCH_DEPLOY_ROWS ?? 1_000_000);
const BLOCKER_MS = Number(process.env.BENCH_DEPLOY_BLOCKER_MS ?? 10_000);
const PAUSE_MS = Number(process.env.BENCH_DEPLOY_PROBE_PAUSE_MS ?? 5);
const LOCK_TIMEOUT_MS = 1000;

const ALTER = `-- AlterTable\nALTER TABLE "Product" ADD COLUMN "weightGrams" INTEGER;\n`;
const INDEX = `-- CreateIndex\nCREATE INDEX "Product_name_priceCents_idx" ON "Product"("name", "priceCents");\n`;

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (t: string) => process.stderr.write(`${t}\n`);

interface ProbeQuery {
  kind: 'read' | 'write';
  start: number;
  end: number;
  error?: string;
}

/** Two sessions, one reading and one writing "Product" rows by id, each every PAUSE_MS, until stopped. */
function startProbe(url: string, rows: number) {
  const queries: ProbeQuery[] = [];
  let stopped = false;
  const loop = async (kind: 'read' | 'write') => {
    const client = new pg.Client({ connectionString: url, application_name: `old-app-${kind}` });
    client.on('error', () => {});
    await client.connect();
    while (!stopped) {
      const id = 1 + Math.floor(Math.random() * rows);
      const start = now();
      try {
        if (kind === 'read') await client.query('SELECT "id", "name", "priceCents" FROM "Product" WHERE "id" = $1', [id]);
        else await client.query('UPDATE "Product" SET "priceCents" = "priceCents" + 1 WHERE "id" = $1', [id]);
        queries.push({ kind, start, end: now() });
      } catch (e) {
        queries.push({ kind, start, end: now(), error: (e as Error).message });
      }
      if (PAUSE_MS > 0) await sleep(PAUSE_MS);
    }
    await client.end().catch(() => {});
  };
  const running = Promise.all([loop('read'), loop('write')]);
  return {
    queries,
    async stop() {
      stopped = true;
      await running;
    },
  };
}

function during(queries: readonly ProbeQuery[], from: number, to: number) {
  const qs = queries.filter((q) => q.end >= from && q.start <= to);
  const ms = qs.map((q) => q.end - q.start);
  return {
    maxStallMs: Math.round(ms.length ? Math.max(...ms) : 0),
    queries: qs.length,
    failed: qs.filter((q) => q.error).length,
    errors: [...new Set(qs.filter((q) => q.error).map((q) => q.error!))],
  };
}

/** True once a session of this database waits for a lock with an ALTER/CREATE of the migration. */
async function migrationWaiting(admin: pg.Client, database: string): Promise<boolean> {
  const { rows } = await admin.query(
    `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND query ~* 'ALTER TABLE "Product" ADD COLUMN'`,
    [database],
  );
  return rows.length > 0;
}

interface RunResult {
  maxStallMs: number;
  queries: number;
  failed: number;
  errors: string[];
  durationMs: number;
  exitCode: number | null;
  attempts?: number;
}

async function runScenario(
  server: PgServer,
  template: string,
  scenario: 'alter' | 'index',
  mode: 'plain' | 'zd',
): Promise<RunResult> {
  const db = await createDatabase(server, { template, prefix: `bench_${scenario}_${mode}` });
  const project: SampleProjectCopy = await copySampleProject();
  const env = { DATABASE_URL: db.url, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1', PRISMA_ZD_EXEC_MODE: 'whole-file' };
  const admin = new pg.Client({ connectionString: server.url() });
  await admin.connect();
  let blocker: pg.Client | undefined;
  try {
    const name = addMigration(project.migrationsDir, scenario === 'alter' ? 'product_weight' : 'product_name_price_index', scenario === 'alter' ? ALTER : INDEX);
    if (mode === 'zd' && scenario === 'index') {
      const rw = await runZd(['rewrite', `migrations/${name}`], { cwd: project.dir, env });
      if (rw.code !== 0) throw new Error(`prisma-zd rewrite failed:\n${rw.stderr}`);
    }
    const probe = startProbe(db.url, ROWS);
    await sleep(300);
    let releasing: Promise<void> | undefined;
    if (scenario === 'alter') {
      blocker = new pg.Client({ connectionString: db.url, application_name: 'report-job' });
      blocker.on('error', () => {});
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query('SELECT count(*) FROM "Product" WHERE "id" < 1000');
      const b = blocker;
      // The blocker commits BLOCKER_MS after the migration first waits for it.
      releasing = (async () => {
        while (!(await migrationWaiting(admin, db.name))) await sleep(20);
        await sleep(BLOCKER_MS);
        await b.query('COMMIT');
      })();
    }
    const started = now();
    let exitCode: number | null;
    let attempts: number | undefined;
    if (mode === 'plain') {
      const r = await runPrisma(['migrate', 'deploy'], { url: db.url, cwd: project.dir, timeoutMs: 180_000 });
      exitCode = r.code;
      if (r.code !== 0) log(r.stderr);
    } else {
      const r = await runZd(['deploy', '--json', '--lock-timeout', `${LOCK_TIMEOUT_MS}ms`, '--retries', '20'], { cwd: project.dir, env, timeoutMs: 180_000 });
      exitCode = r.code;
      if (r.code !== 0) log(r.stderr);
      try {
        attempts = (JSON.parse(r.stdout.trim().split('\n').pop()!) as { attempts: unknown[] }).attempts.length;
      } catch {
        attempts = undefined;
      }
    }
    const ended = now();
    await releasing;
    await sleep(200);
    await probe.stop();
    return { ...during(probe.queries, started, ended), durationMs: Math.round(ended - started), exitCode, ...(attempts === undefined ? {} : { attempts }) };
  } finally {
    await blocker?.end().catch(() => {});
    await admin.end().catch(() => {});
    await project.cleanup();
    await db.drop().catch(() => {});
  }
}

async function main() {
  log(`bench:deploy — ${ROWS.toLocaleString('en')} rows, blocker ${BLOCKER_MS} ms, lock_timeout ${LOCK_TIMEOUT_MS} ms, probe pause ${PAUSE_MS} ms`);
  const server = await startEmbedded();
  try {
    const t = now();
    const template = await createTemplate(
      server,
      async (url) => {
        const sample = await copySampleProject();
        try {
          const r = await runPrisma(['migrate', 'deploy'], { url, cwd: sample.dir });
          if (r.code !== 0) throw new Error(`prisma migrate deploy of the sample failed:\n${r.stderr}`);
        } finally {
          await sample.cleanup();
        }
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          await c.query(
            `INSERT INTO "Product" ("sku", "name", "priceCents", "currency", "updatedAt")
             SELECT 'sku-' || g, 'Product ' || (g % 5000), (g * 37) % 100000, 'EUR', now() FROM generate_series(1, $1::int) g`,
            [ROWS],
          );
          await c.query('VACUUM ANALYZE "Product"');
        } finally {
          await c.end();
        }
      },
      'bench_deploy_tpl',
    );
    log(`sample deployed and ${ROWS.toLocaleString('en')} rows generated in ${((now() - t) / 1000).toFixed(1)} s`);
    const results: Record<string, RunResult> = {};
    for (const scenario of ['alter', 'index'] as const) {
      for (const mode of ['plain', 'zd'] as const) {
        log(`running ${scenario} with ${mode === 'plain' ? 'prisma migrate deploy' : 'prisma-zd deploy'}…`);
        const r = await runScenario(server, template, scenario, mode);
        results[`${mode}-${scenario}`] = r;
        log(
          `  exit ${r.exitCode}, ${(r.durationMs / 1000).toFixed(1)} s${r.attempts ? `, ${r.attempts} attempt(s)` : ''}: ` +
            `longest probe query ${r.maxStallMs} ms, ${r.failed} failed of ${r.queries}${r.errors.length ? ` (${r.errors.join('; ')})` : ''}`,
        );
      }
    }
    const row = (label: string, r: RunResult) =>
      `${label.padEnd(34)} ${String(r.maxStallMs).padStart(8)} ms ${String(r.failed).padStart(6)} ${String(r.queries).padStart(8)} ${(r.durationMs / 1000).toFixed(1).padStart(8)} s`;
    console.log(`\n${'scenario'.padEnd(34)} ${'max stall'.padStart(11)} ${'failed'.padStart(6)} ${'queries'.padStart(8)} ${'deploy'.padStart(10)}`);
    console.log(row('(a) alter, prisma migrate deploy', results['plain-alter']!));
    console.log(row('(a) alter, prisma-zd deploy', results['zd-alter']!));
    console.log(row('(b) index, prisma migrate deploy', results['plain-index']!));
    console.log(row('(b) index, prisma-zd deploy', results['zd-index']!));
    const summary = {
      rows: ROWS,
      blockerMs: BLOCKER_MS,
      lockTimeoutMs: LOCK_TIMEOUT_MS,
      plainAlterMaxStallMs: results['plain-alter']!.maxStallMs,
      zdAlterMaxStallMs: results['zd-alter']!.maxStallMs,
      plainIndexMaxStallMs: results['plain-index']!.maxStallMs,
      zdIndexMaxStallMs: results['zd-index']!.maxStallMs,
      zdFailedProbeQueries: results['zd-alter']!.failed + results['zd-index']!.failed,
      plainFailedProbeQueries: results['plain-alter']!.failed + results['plain-index']!.failed,
      zdAlterAttempts: results['zd-alter']!.attempts ?? null,
      plainAlterDeployMs: results['plain-alter']!.durationMs,
      zdAlterDeployMs: results['zd-alter']!.durationMs,
      plainIndexDeployMs: results['plain-index']!.durationMs,
      zdIndexDeployMs: results['zd-index']!.durationMs,
      exitCodes: Object.fromEntries(Object.entries(results).map(([k, r]) => [k, r.exitCode])),
      probePauseMs: PAUSE_MS,
      cpus: cpus().length,
      loadavg1: Number(loadavg()[0]!.toFixed(2)),
    };
    const ok =
      summary.zdAlterMaxStallMs <= LOCK_TIMEOUT_MS + 500 && summary.zdIndexMaxStallMs < 100 && summary.zdFailedProbeQueries === 0 && Object.values(summary.exitCodes).every((c) => c === 0);
    console.log(`\ntargets (zd alter ≤ lock_timeout + 500 ms, zd index < 100 ms, 0 failed): ${ok ? 'met' : 'NOT met'}`);
    console.log(JSON.stringify(summary));
    if (!ok) process.exitCode = 1;
  } finally {
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});
