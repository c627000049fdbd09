/**
 * The OLD application version for live-load tests: a real Prisma Client (6.19.3, query
 * compiler + `@prisma/adapter-pg`) generated from the sample project's current schema,
 * i.e. the schema before the migration under test, used the way an app uses it from
 * several concurrent connections, every query timed.
 *
 * What it sends (seen in its query log; the tests assert it): Prisma Client fills in
 * `@default(0)`, `@default(true)` and `@default(now())` itself and names those columns in
 * its INSERTs, so a dropped literal default does not break its `create`. What relies on
 * the database's defaults is raw SQL (a job, a second service, `$executeRaw`), so the app
 * also inserts that way.
 */
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { copySampleProject, runPrisma, type SampleProjectCopy } from '../support/prisma.js';

type Row = Record<string, unknown>;
/** The part of the generated client the app uses (its own .d.ts lives in a temp dir). */
interface OldPrismaClient {
  product: {
    create(args: { data: Row }): Promise<Row>;
    findUnique(args: { where: { id: number } }): Promise<Row | null>;
    findMany(args: { take: number; orderBy: { id: 'desc' } }): Promise<Row[]>;
    update(args: { where: { id: number }; data: Row }): Promise<Row>;
  };
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<number>;
  $on(event: 'query', listener: (e: { query: string }) => void): void;
  $disconnect(): Promise<void>;
}

export interface OldClientBuild {
  /** A new client on `url` with a pool of `connections` sessions named `old-app`. */
  connect(url: string, connections: number): OldPrismaClient;
  cleanup(): Promise<void>;
}

/** `prisma generate` of the sample's schema into a copy of the project (nothing is written to the shared node_modules). */
export async function generateOldClient(): Promise<OldClientBuild> {
  const project: SampleProjectCopy = await copySampleProject();
  const schemaPath = join(project.dir, 'schema.prisma');
  const schema = readFileSync(schemaPath, 'utf8');
  const withOutput = schema.replace(/(provider\s*=\s*"prisma-client-js")/, '$1\n  output = "./generated/old-client"');
  if (withOutput === schema) throw new Error('the sample schema has no prisma-client-js generator');
  writeFileSync(schemaPath, withOutput);
  // generate reads no database; the config still wants a URL.
  const run = await runPrisma(['generate'], { url: 'postgresql://unused@127.0.0.1:1/unused', cwd: project.dir });
  if (run.code !== 0) {
    await project.cleanup();
    throw new Error(`prisma generate failed:\n${run.stdout}\n${run.stderr}`);
  }
  // Resolved from the copy, like the app would: @prisma/client's runtime through its node_modules link.
  const require = createRequire(join(project.dir, 'package.json'));
  const { PrismaClient } = require('./generated/old-client') as { PrismaClient: new (opts: unknown) => OldPrismaClient };
  const { PrismaPg } = require('@prisma/adapter-pg') as { PrismaPg: new (config: pg.PoolConfig) => unknown };
  return {
    connect: (url, connections) =>
      new PrismaClient({
        adapter: new PrismaPg({ connectionString: url, max: connections, application_name: 'old-app' }),
        log: [{ emit: 'event', level: 'query' }],
      }),
    cleanup: () => project.cleanup(),
  };
}

export type QueryKind = 'read' | 'create' | 'update' | 'rawInsert';
export const WRITES: readonly QueryKind[] = ['create', 'update', 'rawInsert'];

export interface AppQuery {
  kind: QueryKind;
  start: number;
  end: number;
  error?: string;
}

export interface Stats {
  queries: number;
  failed: number;
  /** The longest query, as the app measured it. */
  maxMs: number;
  /**
   * The longest this process's event loop was late (a timer due every 20 ms): on a loaded
   * machine the app's own process, not PostgreSQL, may make a query slow. For diagnosis.
   */
  lagMs: number;
  /** The longest wait for a lock by one of the app's queries, seen from the server (sampled every 50 ms). */
  lockWaitMs: number;
  /** Distinct errors with their counts. */
  errors: Record<string, number>;
}

export interface RunningApp {
  readonly queries: AppQuery[];
  /** The SQL the client sent, first occurrence of each. */
  readonly sent: Set<string>;
  /** Queries overlapping [from, to] (default: all), optionally of some kinds only. */
  stats(from?: number, to?: number, kinds?: readonly QueryKind[]): Stats;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LAG_TICK_MS = 20;

/**
 * The old app: one loop per kind of query, each on its own pooled connection, `pauseMs`
 * apart, until stopped: `read` (findUnique by id and findMany of the newest rows: every
 * scalar field), `create` (Prisma's own INSERT), `update` (by id), `rawInsert` (an
 * INSERT that leaves "stock", "active" and "createdAt" to the column defaults).
 * `rows`: the ids 1..rows exist.
 */
export function startOldApp(build: OldClientBuild, url: string, rows: number, pauseMs = 50): RunningApp {
  const kinds: QueryKind[] = ['read', 'create', 'update', 'rawInsert'];
  const prisma = build.connect(url, kinds.length);
  const sent = new Set<string>();
  prisma.$on('query', (e) => sent.add(e.query));
  const queries: AppQuery[] = [];
  let stopped = false;
  let n = 0;
  const one = async (kind: QueryKind) => {
    const id = 1 + Math.floor(Math.random() * rows);
    const tag = `${process.pid}-${kind}-${n++}`;
    switch (kind) {
      case 'read': {
        const row = await prisma.product.findUnique({ where: { id } });
        if (!row) throw new Error(`product ${id} not found`);
        await prisma.product.findMany({ take: 5, orderBy: { id: 'desc' } });
        return;
      }
      case 'create': {
        const row = await prisma.product.create({ data: { sku: `old-create-${tag}`, name: 'old app product', priceCents: 100, currency: 'EUR' } });
        if (row.stock !== 0 || row.active !== true) throw new Error(`created ${JSON.stringify(row)}`);
        return;
      }
      case 'update':
        await prisma.product.update({ where: { id }, data: { priceCents: { increment: 1 } } });
        return;
      case 'rawInsert':
        await prisma.$executeRaw`INSERT INTO "Product" ("sku", "name", "priceCents", "currency", "updatedAt") VALUES (${`old-raw-${tag}`}, 'old app import', 100, 'EUR', now())`;
        return;
    }
  };
  const loop = async (kind: QueryKind) => {
    while (!stopped) {
      const start = performance.now();
      try {
        await one(kind);
        queries.push({ kind, start, end: performance.now() });
      } catch (e) {
        queries.push({ kind, start, end: performance.now(), error: errorText(e) });
      }
      await sleep(pauseMs);
    }
  };
  const running = Promise.all(kinds.map(loop));
  // Event-loop lateness: during [at - ms, at] a timer due earlier did not run.
  const lags: Array<{ at: number; ms: number }> = [];
  let tick = performance.now();
  const sampler = setInterval(() => {
    const now = performance.now();
    const late = now - tick - LAG_TICK_MS;
    if (late > 1) lags.push({ at: now, ms: late });
    tick = now;
  }, LAG_TICK_MS);
  // Lock waits of the app's sessions, from the server.
  const waits: Array<{ at: number; ms: number }> = [];
  const watching = watchLockWaits(url, () => stopped, waits);
  watching.catch(() => {}); // Reported by stop(), not as an unhandled rejection meanwhile.

  return {
    queries,
    sent,
    stats(from = -Infinity, to = Infinity, only: readonly QueryKind[] = kinds) {
      const qs = queries.filter((q) => q.end >= from && q.start <= to && only.includes(q.kind));
      const errors: Record<string, number> = {};
      for (const q of qs) if (q.error) errors[q.error] = (errors[q.error] ?? 0) + 1;
      const max = (xs: number[]) => Math.round(Math.max(0, ...xs));
      return {
        queries: qs.length,
        failed: qs.filter((q) => q.error).length,
        maxMs: max(qs.map((q) => q.end - q.start)),
        lagMs: max(lags.filter((l) => l.at >= from && l.at - l.ms <= to).map((l) => l.ms)),
        lockWaitMs: max(waits.filter((w) => w.at >= from && w.at - w.ms <= to).map((w) => w.ms)),
        errors,
      };
    },
    async stop() {
      clearInterval(sampler);
      stopped = true;
      await Promise.all([running, watching]);
      await prisma.$disconnect();
    },
  };
}

/** Every 50 ms until `done()`: how long each session named `old-app` has been running a query that waits for a lock. */
async function watchLockWaits(url: string, done: () => boolean, out: Array<{ at: number; ms: number }>): Promise<void> {
  const c = new pg.Client({ connectionString: url, application_name: 'old-app-watch' });
  c.on('error', () => {});
  await c.connect();
  try {
    while (!done()) {
      const { rows } = await c.query<{ ms: number }>(
        `SELECT (extract(epoch FROM clock_timestamp() - query_start) * 1000)::float8 AS ms
           FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'old-app' AND wait_event_type = 'Lock'`,
      );
      const at = performance.now();
      for (const r of rows) out.push({ at, ms: r.ms });
      await sleep(50);
    }
  } finally {
    await c.end().catch(() => {});
  }
}

/** A Prisma error's code and the first line of its message (enough to tell errors apart). */
function errorText(e: unknown): string {
  const err = e as { code?: string; meta?: { code?: string }; message?: string };
  const first = (err.message ?? String(e)).trim().split('\n').filter(Boolean).pop() ?? '';
  return [err.code, err.meta?.code, first.slice(0, 200)].filter(Boolean).join(' ');
}

export interface Report {
  pid: number;
  /** Resolves once the session has ended (committed or killed). */
  readonly done: Promise<void>;
  end(): Promise<void>;
}

/**
 * A reporting session holding "Product" (ACCESS SHARE, as any read does) in one of two
 * shapes: `idle` — a transaction that read the table and sits idle, committed `holdMs`
 * after a migration first waits for it; `active` — one long query still running (ended
 * only by a signal, or after `holdMs`).
 */
export async function startReport(url: string, shape: 'idle' | 'active', holdMs: number): Promise<Report> {
  const c = new pg.Client({ connectionString: url, application_name: 'report-job' });
  let gone = false;
  // Ended by the server (terminated) or by us.
  const ended = new Promise<void>((resolve) => {
    c.on('error', () => {});
    c.once('end', () => {
      gone = true;
      resolve();
    });
  });
  await c.connect();
  const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  let done: Promise<void>;
  if (shape === 'idle') {
    await c.query('BEGIN');
    await c.query('SELECT count(*) FROM "Product"');
    done = (async () => {
      // Commits after the hold anyway if nothing ever waits for it (the test then fails on its own terms).
      await waitUntil(async () => gone || (await blocks(url, pid)), 60_000).catch(() => {});
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, holdMs);
        void ended.then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await c.query('COMMIT').catch(() => {});
    })();
  } else {
    // Holds its lock from the start; pg_sleep runs once, after the count.
    const q = c.query(`SELECT count(*), pg_sleep(${holdMs / 1000}) FROM "Product"`).then(
      () => {},
      () => {},
    );
    await waitUntil(async () => gone || (await locksProduct(url, pid)), 10_000);
    done = q;
  }
  const finished = done.finally(() => c.end().catch(() => {}));
  return { pid, done: finished, end: () => c.end().catch(() => {}) };
}

/** True when some session waits for a lock that `pid` holds (a migration, not the app's queries: they do not conflict with ACCESS SHARE). */
export async function blocks(url: string, pid: number): Promise<boolean> {
  return (await rows(url, 'SELECT 1 FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))', [pid])) > 0;
}

async function locksProduct(url: string, pid: number): Promise<boolean> {
  return (await rows(url, `SELECT 1 FROM pg_locks WHERE pid = $1 AND relation = '"Product"'::regclass AND granted`, [pid])) > 0;
}

async function rows(url: string, text: string, params: unknown[]): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rowCount ?? 0;
  } finally {
    await c.end();
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(25);
  }
}
