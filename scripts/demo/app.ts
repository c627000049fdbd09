/**
 * The demo's application: two versions of the code that uses "Product".
 *
 *  - old: reads products by id, updates prices, and creates products the way the
 *    old Prisma Client does for a field with `@default(0)`: it leaves "stock" out and
 *    relies on the column default;
 *  - new: also reads the new "weightGrams" column and always sets "stock" (the new
 *    schema has no default for it).
 *
 * Each version runs a reader and a writer session, one query every few milliseconds;
 * every query's start, end and error are recorded.
 */
import pg from 'pg';

export interface AppQuery {
  app: string;
  start: number;
  end: number;
  error?: string;
}

export interface RunningApp {
  readonly name: string;
  readonly queries: AppQuery[];
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startApp(url: string, version: 'old' | 'new', rows: number, pauseMs = 5): RunningApp {
  const name = `${version}-app`;
  const queries: AppQuery[] = [];
  let stopped = false;
  let n = 0;
  const loop = async (role: 'reader' | 'writer') => {
    const client = new pg.Client({ connectionString: url, application_name: `${name}-${role}` });
    client.on('error', () => {});
    await client.connect();
    while (!stopped) {
      const id = 1 + Math.floor(Math.random() * rows);
      const start = performance.now();
      try {
        if (role === 'reader') {
          await client.query(
            version === 'old'
              ? 'SELECT "id", "name", "priceCents", "stock" FROM "Product" WHERE "id" = $1'
              : 'SELECT "id", "name", "priceCents", "stock", "weightGrams" FROM "Product" WHERE "id" = $1',
            [id],
          );
        } else if (n++ % 4 !== 0) {
          await client.query('UPDATE "Product" SET "priceCents" = "priceCents" + 1, "updatedAt" = now() WHERE "id" = $1', [id]);
        } else if (version === 'old') {
          await client.query(
            `INSERT INTO "Product" ("sku", "name", "priceCents", "currency", "updatedAt") VALUES ($1, 'new product', 100, 'EUR', now())`,
            [`${name}-${process.pid}-${n}`],
          );
        } else {
          await client.query(
            `INSERT INTO "Product" ("sku", "name", "priceCents", "currency", "stock", "weightGrams", "updatedAt") VALUES ($1, 'new product', 100, 'EUR', 5, 250, now())`,
            [`${name}-${process.pid}-${n}`],
          );
        }
        queries.push({ app: name, start, end: performance.now() });
      } catch (e) {
        queries.push({ app: name, start, end: performance.now(), error: (e as Error).message });
      }
      if (pauseMs > 0) await sleep(pauseMs);
    }
    await client.end().catch(() => {});
  };
  const running = Promise.all([loop('reader'), loop('writer')]);
  return {
    name,
    queries,
    async stop() {
      stopped = true;
      await running;
    },
  };
}

export interface LatencyStats {
  queries: number;
  maxMs: number;
  failed: number;
  /** Distinct error messages with their counts. */
  errors: Array<{ message: string; count: number }>;
}

/** Statistics of the queries that overlap [from, to] (all of them by default). */
export function stats(queries: readonly AppQuery[], from = -Infinity, to = Infinity): LatencyStats {
  const qs = queries.filter((q) => q.end >= from && q.start <= to);
  const errors = new Map<string, number>();
  for (const q of qs) if (q.error) errors.set(q.error, (errors.get(q.error) ?? 0) + 1);
  return {
    queries: qs.length,
    maxMs: Math.round(Math.max(0, ...qs.map((q) => q.end - q.start))),
    failed: qs.filter((q) => q.error).length,
    errors: [...errors].map(([message, count]) => ({ message, count })),
  };
}
