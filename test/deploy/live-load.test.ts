/**
 * The product's promise, measured under live load. An OLD app version — a real Prisma
 * Client generated from the schema before the change, reading every scalar field,
 * creating, updating and inserting through raw SQL that relies on column defaults, from
 * four connections at once — runs while a migration is deployed, once with plain
 * `prisma migrate deploy` of the migration Prisma wrote and once with `prisma-zd deploy`
 * of the same migration after `prisma-zd rewrite`, each on its own copy of one database
 * (the sample history deployed, ROWS products). Every query of the app is timed, and a
 * side session samples how long the app's queries wait for locks (the server's view,
 * which a loaded machine's CPU scheduling does not inflate).
 *
 * Bounds are relative to what the test configures (the report's hold, lock_timeout, a
 * build time that is at least BUILD_MS by construction), never to machine speed: the
 * server-seen lock waits get the tight bounds (about lock_timeout); the app's own
 * latencies must stay under half the outage, plus twice the longest query of a control
 * (the same app on an untouched database, at the same time: what the machine's load
 * alone costs, which on a loaded 2-core machine reaches seconds). Plain Prisma is
 * measured in the same run and must show the outage, so each measurement can fail; the
 * tests of `--blockers terminate` and of per-statement execution run prisma-zd alone
 * (the first test shows what plain Prisma does behind such a report) and prove instead
 * that the report did block it (a timed-out attempt, a terminated session).
 *
 * Prisma Client names every column with a literal or now() default in its INSERTs (it
 * applies `@default(0)` itself), so the dropped default breaks only the raw inserts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffFingerprints, fingerprintUrl } from '../../packages/cli/src/db/fingerprint.js';
import { runZd } from '../support/cli.js';
import { freshDatabase, templateDatabase } from '../support/db.js';
import { addMigration, copySampleProject, runPrisma, type SampleProjectCopy } from '../support/prisma.js';
import { generateOldClient, startOldApp, startReport, WRITES, type OldClientBuild, type Report, type RunningApp, type Stats } from './old-app.js';
import { addRewrittenMigration, columnExists, query, Resources, zdDeploy, type ZdDeployRun } from './support.js';

/** Rows of "Product". */
const ROWS = 400;
/** zd_slow sleeps this long per call: the slow index takes at least BUILD_MS to build. */
const SLOW_MS = 10;
const BUILD_MS = ROWS * SLOW_MS;
const LOCK_TIMEOUT_MS = 1000;
/** How long the report keeps "Product" after a migration first waits for it. */
const HOLD_MS = 5000;

/** The migration Prisma generates when Product.stock loses `@default(0)`, Product gets `weightGrams Int?` and `@@index([name])`. */
const CHANGE = `-- AlterTable
ALTER TABLE "Product" ADD COLUMN     "weightGrams" INTEGER,
ALTER COLUMN "stock" DROP DEFAULT;

-- CreateIndex
CREATE INDEX "Product_name_idx" ON "Product"("name");
`;
/**
 * An index whose build sleeps SLOW_MS per row (zd_slow is created with the data), on the
 * seeded rows only: the app's own inserts (whose number grows with the build's duration)
 * must not make the build longer.
 */
const SLOW_INDEX = `-- CreateIndex
CREATE INDEX "Product_priceCents_slow_idx" ON "Product"(zd_slow("priceCents")) WHERE "id" <= ${ROWS};
`;

const res = new Resources();
let template: string;
let oldClient: OldClientBuild;
/**
 * The same old app on a copy of the database that nothing deploys to, for the whole file:
 * its longest query in a window is what the machine's load alone costs then.
 */
let control: RunningApp;

beforeAll(async () => {
  const [t, c] = await Promise.all([
    templateDatabase(async (url) => {
      const run = await runPrisma(['migrate', 'deploy'], { url });
      if (run.code !== 0) throw new Error(`prisma migrate deploy of the sample failed:\n${run.stderr}`);
      await query(
        url,
        `INSERT INTO "Product" ("sku", "name", "priceCents", "currency", "updatedAt")
           SELECT 'sku-' || g, 'Product ' || (g % 100), g, 'EUR', now() FROM generate_series(1, ${ROWS}) g;
         CREATE FUNCTION zd_slow(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(${SLOW_MS / 1000}); RETURN $1; END $$;
         ANALYZE "Product"`,
      );
    }, 'zd_live_tpl'),
    generateOldClient(),
  ]);
  template = t;
  oldClient = c;
  res.add(() => oldClient.cleanup());
  const db = await freshDatabase({ template, prefix: 'zd_live_control' });
  res.add(() => db.drop());
  control = startOldApp(oldClient, db.url, ROWS);
});
// The app stops before its database is dropped under it.
afterAll(async () => {
  await control?.stop().catch(() => {});
  await res.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Measured<R> {
  url: string;
  /** The project copy (prisma.config.ts, migrations). */
  dir: string;
  /** When the deploy command started and ended (performance.now()). */
  started: number;
  ended: number;
  run: R;
  /** The deploy command's wall time. */
  deployMs: number;
  /** The app's queries that overlap the deploy command. */
  during: Stats;
  /** Its writes only. */
  writesDuring: Stats;
  /** Everything the app did, from before the deploy until it stopped. */
  all: Stats;
  /** Queries that started after the deploy command ended. */
  after: Stats;
  /** The control app's queries that overlap the deploy command: the machine's noise. */
  control: Stats;
  app: RunningApp;
  report?: Report;
}

/**
 * A database copy and a project copy with `sql` as a new migration (rewritten as
 * `prisma-zd rewrite` does when `rewrite`); the old app runs, optionally a report holds
 * "Product", then `deploy` runs; the app goes on for a moment after it and stops.
 */
async function measure<R>(opts: {
  sql: string;
  rewrite: boolean;
  report?: { shape: 'idle' | 'active'; holdMs: number };
  deploy: (p: { url: string; project: SampleProjectCopy }) => Promise<R>;
}): Promise<Measured<R>> {
  const db = await freshDatabase({ template, prefix: 'zd_live' });
  res.add(() => db.drop());
  const project = await copySampleProject();
  res.add(() => project.cleanup());
  // Rewritten in process by the code behind `prisma-zd rewrite` (one CLI run less per deploy on a busy machine).
  if (opts.rewrite) await addRewrittenMigration(project.migrationsDir, 'change', opts.sql);
  else addMigration(project.migrationsDir, 'change', opts.sql);
  const app = startOldApp(oldClient, db.url, ROWS);
  res.add(() => app.stop());
  await sleep(300);
  const report = opts.report ? await startReport(db.url, opts.report.shape, opts.report.holdMs) : undefined;
  if (report) res.add(() => report.end());
  const started = performance.now();
  const run = await opts.deploy({ url: db.url, project });
  const ended = performance.now();
  await sleep(500);
  await report?.done;
  await app.stop();
  return {
    url: db.url,
    dir: project.dir,
    started,
    ended,
    run,
    deployMs: ended - started,
    during: app.stats(started, ended),
    writesDuring: app.stats(started, ended, WRITES),
    all: app.stats(),
    after: app.stats(ended, Infinity),
    control: control.stats(started, ended),
    app,
    ...(report ? { report } : {}),
  };
}

const plainDeploy = (p: { url: string; project: SampleProjectCopy }) => runPrisma(['migrate', 'deploy'], { url: p.url, cwd: p.project.dir, timeoutMs: 180_000 });
const zd = (p: { url: string; project: SampleProjectCopy }, args: string[], env: Record<string, string> = {}) => zdDeploy(p, args, { env, timeoutMs: 180_000 });
/** What the test prints about a run: the numbers a reader compares. */
const summary = (label: string, m: Measured<object>) =>
  `${label}: deploy ${Math.round(m.deployMs)} ms${'json' in m.run ? ` (${(m.run as ZdDeployRun).json?.attempts?.length} attempt(s))` : ''}; old app during it: ${m.during.queries} queries, longest ${m.during.maxMs} ms ` +
  `(writes ${m.writesDuring.maxMs} ms; meanwhile the same app on an untouched database: ${m.control.maxMs} ms, event loop late up to ${m.during.lagMs} ms), ` +
  `longest lock wait seen by the server ${m.during.lockWaitMs} ms; ` +
  `failed over the whole run: ${m.all.failed} ${JSON.stringify(m.all.errors)}`;

// Each test deploys several times with the real CLIs: room for a loaded machine.
describe.concurrent('old app under live load during a deploy', { timeout: 240_000 }, () => {
  it(`a report holds "Product" for ${HOLD_MS / 1000} s: plain Prisma queues the old app behind its ALTER that long and its DROP DEFAULT breaks the app's raw inserts; prisma-zd keeps every query within about lock_timeout and none fails`, async () => {
    const report = { shape: 'idle' as const, holdMs: HOLD_MS };
    const [plain, zdRun] = await Promise.all([
      measure({ sql: CHANGE, rewrite: false, report, deploy: plainDeploy }),
      measure({
        sql: CHANGE,
        rewrite: true,
        report,
        deploy: (p) => zd(p, ['--json', '--lock-timeout', `${LOCK_TIMEOUT_MS}ms`, '--retries', '30', '--retry-delay', '200ms']),
      }),
    ]);
    console.log(summary('prisma migrate deploy', plain));
    console.log(summary('prisma-zd deploy', zdRun));

    // Plain: the outage this test exists to catch.
    expect(plain.run.code, plain.run.stderr).toBe(0);
    expect(plain.during.maxMs).toBeGreaterThan(HOLD_MS / 2);
    expect(plain.during.lockWaitMs).toBeGreaterThan(HOLD_MS / 2);
    expect(plain.after.failed).toBeGreaterThan(0);
    expect(Object.keys(plain.after.errors).join('\n')).toMatch(/23502.*null value in column "stock"/);
    // Only the raw inserts: Prisma Client's own INSERT names "stock" (it applies @default(0) itself).
    expect(plain.app.stats(-Infinity, Infinity, ['read', 'create', 'update']).failed).toBe(0);
    expect([...plain.app.sent].find((q) => q.startsWith('INSERT INTO "public"."Product"'))).toContain('"stock"');

    // prisma-zd: waited for the report by retrying under lock_timeout; the app never waited long, nothing failed.
    const run = zdRun.run;
    expect(run.code, run.stderr).toBe(0);
    const attempts = run.json!.attempts as Array<{ outcome: string }>;
    expect(attempts[0]!.outcome).toBe('lock-timeout');
    expect(attempts.at(-1)!.outcome).toBe('applied');
    expect(run.json!.postponed).toMatchObject({ entries: [{ kind: 'index', status: 'built' }] });
    expect(zdRun.deployMs).toBeGreaterThan(HOLD_MS * 0.8);
    expect(zdRun.during.lockWaitMs).toBeLessThan(LOCK_TIMEOUT_MS * 2);
    expect(zdRun.during.maxMs).toBeLessThan(HOLD_MS / 2 + zdRun.control.maxMs * 2);
    expect(zdRun.all).toMatchObject({ failed: 0, errors: {} });
    expect(zdRun.during.queries).toBeGreaterThan(50);
    // The app kept writing, raw inserts included, once the migration was in.
    expect(zdRun.app.stats(zdRun.ended, Infinity, ['rawInsert']).queries).toBeGreaterThan(0);
    expect(zdRun.after.failed).toBe(0);
    expect(await columnExists(zdRun.url, 'Product', 'weightGrams')).toBe(true);

    // Once no old app is left, contract applies the deferred DROP DEFAULT: both databases end alike (I2).
    const contract = await runZd(['contract'], { cwd: zdRun.dir, env: { DATABASE_URL: zdRun.url } });
    expect(contract.code, contract.stderr).toBe(0);
    expect(diffFingerprints(await fingerprintUrl(plain.url), await fingerprintUrl(zdRun.url)).map((d) => d.message)).toEqual([]);
  });

  it('--blockers terminate ends the report: with the defaults (lock_timeout 1 s, grace 3 s counted across attempts) a forgotten transaction; with lock_timeout 10 s and grace 500 ms a query still running. The old app waits about lock_timeout at most, none of its queries fails', async () => {
    const holdMs = 60_000;
    const longTimeoutMs = 10_000;
    const [defaults, long] = await Promise.all([
      measure({ sql: CHANGE, rewrite: true, report: { shape: 'idle', holdMs }, deploy: (p) => zd(p, ['--json', '--blockers', 'terminate']) }),
      measure({
        sql: CHANGE,
        rewrite: true,
        report: { shape: 'active', holdMs },
        deploy: (p) => zd(p, ['--json', '--lock-timeout', `${longTimeoutMs}ms`, '--blockers', 'terminate', '--blocker-grace', '500ms', '--poll-interval', '50ms']),
      }),
    ]);
    console.log(summary('prisma-zd deploy --blockers terminate', defaults));
    console.log(summary('prisma-zd deploy --blockers terminate --lock-timeout 10s --blocker-grace 500ms', long));
    for (const m of [defaults, long]) {
      expect(m.run.code, m.run.stderr).toBe(0);
      expect(m.run.json!.actions).toMatchObject([{ pid: m.report!.pid, action: 'terminate', ok: true }]);
      expect(m.all).toMatchObject({ failed: 0, errors: {} });
      expect(m.after.queries).toBeGreaterThan(0);
      expect(await columnExists(m.url, 'Product', 'weightGrams')).toBe(true);
    }
    // Defaults: every attempt's lock_timeout (1 s) bounds the wait, the grace adds up until the report is ended.
    expect(defaults.run.json!.attempts[0]).toMatchObject({ outcome: 'lock-timeout', lockTimeoutMs: LOCK_TIMEOUT_MS });
    expect(defaults.during.lockWaitMs).toBeLessThan(LOCK_TIMEOUT_MS * 2);
    expect(defaults.during.maxMs).toBeLessThan(HOLD_MS / 2 + defaults.control.maxMs * 2);
    // A long lock_timeout: the grace, not the timeout, bounds the wait.
    expect(long.run.json!.attempts).toMatchObject([{ outcome: 'applied' }]);
    expect(long.during.lockWaitMs).toBeLessThan(longTimeoutMs / 4);
    expect(long.during.maxMs).toBeLessThan(longTimeoutMs / 2 + long.control.maxMs * 2);
  });

  it('per-statement execution (Prisma may commit migration.sql statement by statement): the same report is waited out by retries, within about lock_timeout, with no failed query', async () => {
    const m = await measure({
      sql: CHANGE,
      rewrite: true,
      report: { shape: 'idle', holdMs: HOLD_MS },
      deploy: (p) => zd(p, ['--json', '--lock-timeout', `${LOCK_TIMEOUT_MS}ms`, '--retries', '30', '--retry-delay', '200ms'], { PRISMA_ZD_EXEC_MODE: 'per-statement' }),
    });
    console.log(summary('prisma-zd deploy, per-statement', m));
    expect(m.run.code, m.run.stderr).toBe(0);
    expect(m.run.json!.execution).toBe('per-statement');
    const attempts = m.run.json!.attempts as Array<{ outcome: string; rolledBack?: boolean }>;
    expect(attempts[0]).toMatchObject({ outcome: 'lock-timeout', rolledBack: true });
    expect(attempts.at(-1)!.outcome).toBe('applied');
    expect(m.deployMs).toBeGreaterThan(HOLD_MS * 0.8);
    expect(m.during.lockWaitMs).toBeLessThan(LOCK_TIMEOUT_MS * 2);
    expect(m.during.maxMs).toBeLessThan(HOLD_MS / 2 + m.control.maxMs * 2);
    expect(m.all).toMatchObject({ failed: 0, errors: {} });
    expect(m.app.stats(m.ended, Infinity, ['rawInsert']).queries).toBeGreaterThan(0);
  });

  it(`an index build that takes at least ${BUILD_MS / 1000} s: plain CREATE INDEX holds back the old app's writes for most of it; prisma-zd's postponed run builds it CONCURRENTLY while they flow`, async () => {
    let postponed: { started: number; ended: number; code: number | null; stderr: string } | undefined;
    const [plain, zdRun] = await Promise.all([
      measure({ sql: SLOW_INDEX, rewrite: false, deploy: plainDeploy }),
      measure({
        sql: SLOW_INDEX,
        rewrite: true,
        deploy: async (p) => {
          const run = await zd(p, ['--json', '--no-postponed']);
          const started = performance.now();
          const build = await runZd(['postponed', 'run'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
          postponed = { started, ended: performance.now(), code: build.code, stderr: build.stderr };
          return run;
        },
      }),
    ]);
    const build = postponed!;
    console.log(summary('prisma migrate deploy', plain));
    console.log(`${summary('prisma-zd deploy --no-postponed + postponed run', zdRun)}; postponed run ${Math.round(build.ended - build.started)} ms`);

    expect(plain.run.code, plain.run.stderr).toBe(0);
    expect(plain.writesDuring.maxMs).toBeGreaterThan(BUILD_MS / 2);
    expect(plain.during.lockWaitMs).toBeGreaterThan(BUILD_MS / 2);
    expect(plain.all.failed).toBe(0);

    expect(zdRun.run.code, zdRun.run.stderr).toBe(0);
    expect(zdRun.run.json).toMatchObject({ status: 'applied', postponedPending: 1 });
    expect(build.code, build.stderr).toBe(0);
    // The build really took its time, with the app writing throughout.
    expect(build.ended - build.started).toBeGreaterThan(BUILD_MS);
    const duringBuild = zdRun.app.stats(build.started, build.ended, WRITES);
    expect(duringBuild.queries).toBeGreaterThan(20);
    expect(zdRun.during.lockWaitMs).toBeLessThan(BUILD_MS / 4);
    expect(zdRun.during.maxMs).toBeLessThan(BUILD_MS / 2 + zdRun.control.maxMs * 2);
    expect(zdRun.all).toMatchObject({ failed: 0, errors: {} });
    const valid = await query(zdRun.url, `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = '"Product_priceCents_slow_idx"'::regclass`);
    expect(valid).toEqual([{ valid: true }]);
  });
});
