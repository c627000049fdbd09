/**
 * `pnpm bench:build`: what a writer sees while an index is built on a big table, the
 * way Prisma does it (inline `CREATE INDEX`, SHARE lock: writes wait for the whole
 * build) and through the queue (`postponed run`: CREATE INDEX CONCURRENTLY).
 *
 * Starts its own embedded PostgreSQL and fills a table (default 2,000,000 rows). A writer
 * session inserts one row after another the whole time, each insert timed. The same index
 * is then built (a) inline and (b) queued by the same DO block a rewritten migration runs
 * and built by `runPostponed` (the library function behind `prisma-zd postponed run`).
 * Each round builds both, in alternating order; the summary gives medians over rounds.
 *
 * Writer latency "during a build" = the longest insert whose run overlaps the build.
 * Prints a summary, then as the LAST line one JSON object with at least
 * `rows`, `inlineBuildMs`, `queuedBuildMs`, `inlineWriterMaxMs`, `queuedWriterMaxMs`.
 * Needs `pnpm run build` first (the CLI imports @prisma-zd/core's build).
 * Env: BENCH_BUILD_ROWS (default 2000000), BENCH_BUILD_ROUNDS (default 3),
 * BENCH_BUILD_WRITER_PAUSE_MS (pause between inserts, default 1; 0 = back to back).
 */
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import { conditionalBlock } from '../../packages/core/src/zd/blocks.js';
import { runPostponed } from '../../packages/cli/src/queue/runner.js';
import { installSchema } from '../../packages/cli/src/queue/schema.js';
import { startEmbedded } from '../../test/support/postgres.js';

const ROWS = Number(process.env.BENCH_BUILD_ROWS ?? 2_000_000);
const ROUNDS = Math.max(1, Number(process.env.BENCH_BUILD_ROUNDS ?? 3));
/** Pause between the writer's inserts; 0 = back to back (one core busy with inserts alone). */
const PAUSE_MS = Number(process.env.BENCH_BUILD_WRITER_PAUSE_MS ?? 1);
const TABLE = 'Event';
const INDEX = 'Event_email_createdAt_idx';
const STATEMENT = `CREATE INDEX "${INDEX}" ON "${TABLE}"("email", "createdAt")`;

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round1 = (x: number) => Math.round(x * 10) / 10;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const log = (t: string) => process.stderr.write(`${t}\n`);

interface Write {
  start: number;
  end: number;
}

/** A session inserting rows back to back until stopped; every insert's start and end. */
function startWriter(url: string) {
  const client = new pg.Client({ connectionString: url, application_name: 'bench-writer' });
  const writes: Write[] = [];
  let stopped = false;
  const running = (async () => {
    await client.connect();
    let n = 0;
    while (!stopped) {
      const start = now();
      await client.query(`INSERT INTO "${TABLE}" ("email", "payload") VALUES ($1, $2)`, [`writer${n++}@example.com`, 'w']);
      writes.push({ start, end: now() });
      if (PAUSE_MS > 0) await sleep(PAUSE_MS);
    }
    await client.end();
  })();
  return {
    writes,
    async stop() {
      stopped = true;
      await running;
    },
  };
}

/** The longest insert overlapping [from, to], the 99th percentile, and how many there were. */
function during(writes: readonly Write[], from: number, to: number) {
  const ms = writes.filter((x) => x.end >= from && x.start <= to).map((x) => x.end - x.start).sort((a, b) => a - b);
  return { maxMs: ms.length ? ms[ms.length - 1]! : 0, p99Ms: ms.length ? ms[Math.floor(ms.length * 0.99)]! : 0, count: ms.length };
}

async function measure(url: string, build: () => Promise<number | undefined>) {
  const writer = startWriter(url);
  await sleep(500);
  const from = now();
  const reported = await build();
  const to = now();
  await sleep(300);
  await writer.stop();
  const base = during(writer.writes, 0, from - 50);
  const d = during(writer.writes, from, to);
  return {
    buildMs: reported ?? to - from,
    wallMs: to - from,
    writerMaxMs: d.maxMs,
    writerP99Ms: d.p99Ms,
    writes: d.count,
    baselineMaxMs: base.maxMs,
  };
}

async function main() {
  log(`Starting embedded PostgreSQL…`);
  const server = await startEmbedded();
  try {
    const url = server.url();
    const admin = new pg.Client({ connectionString: url });
    admin.on('error', (e) => log(`admin session: ${e.message}`));
    await admin.connect();
    const t0 = now();
    await admin.query(
      `CREATE TABLE "${TABLE}" (
         "id" bigserial PRIMARY KEY,
         "email" text NOT NULL,
         "payload" text NOT NULL,
         "createdAt" timestamptz NOT NULL DEFAULT now()
       )`,
    );
    await admin.query(
      `INSERT INTO "${TABLE}" ("email", "payload", "createdAt")
       SELECT 'user' || (g::bigint * 7919 % $1) || '@example.com', md5(g::text), now() - g * interval '1 second'
         FROM generate_series(1, $1) g`,
      [ROWS],
    );
    await admin.query(`VACUUM ANALYZE "${TABLE}"`);
    const size = await admin.query<{ size: string }>(`SELECT pg_size_pretty(pg_table_size('"${TABLE}"')) AS size`);
    log(`${ROWS.toLocaleString('en-US')} rows (${size.rows[0]!.size}) loaded in ${Math.round(now() - t0)} ms`);
    await installSchema(admin);

    const inline = async () => {
      const res = await measure(url, async () => {
        await admin.query(STATEMENT);
        return undefined;
      });
      await admin.query(`DROP INDEX "${INDEX}"`);
      return res;
    };
    const queued = async () => {
      await admin.query(
        conditionalBlock('postpone', STATEMENT, {
          kind: 'index',
          migration: '20260101000000_event_email',
          objectName: INDEX,
          tableName: TABLE,
          columns: ['email', 'createdAt'],
          statement: STATEMENT,
        }),
      );
      const res = await measure(url, async () => {
        const r = await runPostponed({ url, migrationsDir: undefined });
        const o = r.outcomes[0];
        if (!o || o.status !== 'built') throw new Error(`queued build did not succeed: ${JSON.stringify(r.outcomes)}`);
        return o.durationMs;
      });
      const valid = await admin.query<{ v: boolean }>(`SELECT indisvalid AS v FROM pg_index WHERE indexrelid = to_regclass($1)`, [`"${INDEX}"`]);
      if (!valid.rows[0]?.v) throw new Error('the queued build left no valid index');
      await admin.query(`DROP INDEX "${INDEX}"`);
      await admin.query(`DELETE FROM prisma_zd.queue`);
      return res;
    };

    await admin.query(`SELECT count(*) FROM "${TABLE}"`); // warm the cache for both
    const results = { inline: [] as Awaited<ReturnType<typeof inline>>[], queued: [] as Awaited<ReturnType<typeof queued>>[] };
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 === 0 ? (['inline', 'queued'] as const) : (['queued', 'inline'] as const);
      for (const which of order) {
        const r = which === 'inline' ? await inline() : await queued();
        results[which].push(r);
        log(
          `round ${i + 1} ${which.padEnd(6)}: build ${Math.round(r.buildMs)} ms (wall ${Math.round(r.wallMs)} ms); ` +
            `writer max ${round1(r.writerMaxMs)} ms, p99 ${round1(r.writerP99Ms)} ms over ${r.writes} inserts (baseline max ${round1(r.baselineMaxMs)} ms)`,
        );
      }
    }
    await admin.end();

    const m = (side: 'inline' | 'queued', k: 'buildMs' | 'writerMaxMs' | 'writerP99Ms' | 'writes' | 'baselineMaxMs') =>
      round1(median(results[side].map((r) => r[k])));
    const summary = {
      rows: ROWS,
      rounds: ROUNDS,
      index: STATEMENT,
      postgres: server.major,
      inlineBuildMs: m('inline', 'buildMs'),
      queuedBuildMs: m('queued', 'buildMs'),
      buildRatio: Math.round((m('queued', 'buildMs') / m('inline', 'buildMs')) * 100) / 100,
      inlineWriterMaxMs: m('inline', 'writerMaxMs'),
      queuedWriterMaxMs: m('queued', 'writerMaxMs'),
      queuedWriterP99Ms: m('queued', 'writerP99Ms'),
      inlineWrites: m('inline', 'writes'),
      queuedWrites: m('queued', 'writes'),
      baselineWriterMaxMs: Math.max(m('inline', 'baselineMaxMs'), m('queued', 'baselineMaxMs')),
      writerPauseMs: PAUSE_MS,
      cpus: cpus().length,
      /** 1-minute load average at the end: on a busy machine, latencies and ratios are noisy. */
      loadAvg: round1(loadavg()[0]!),
    };
    console.log('');
    console.log(`Index build on ${ROWS.toLocaleString('en-US')} rows, a writer inserting throughout (median of ${ROUNDS} round(s)):`);
    console.log(`  inline CREATE INDEX (Prisma):          build ${summary.inlineBuildMs} ms, writer max ${summary.inlineWriterMaxMs} ms (${summary.inlineWrites} inserts)`);
    console.log(
      `  queued (postponed run, CONCURRENTLY): build ${summary.queuedBuildMs} ms, writer max ${summary.queuedWriterMaxMs} ms, ` +
        `p99 ${summary.queuedWriterP99Ms} ms (${summary.queuedWrites} inserts)`,
    );
    console.log(`  queued/inline build time: ${summary.buildRatio}; writer max without a build: ${summary.baselineWriterMaxMs} ms`);
    console.log(`  machine: ${summary.cpus} CPUs, load average ${summary.loadAvg}; writer pause ${PAUSE_MS} ms between inserts`);
    console.log(JSON.stringify(summary));
  } finally {
    await server.stop();
  }
}

await main();
