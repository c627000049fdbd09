/**
 * A connection lost while the helper resolves types on it: in `connect()`, and in a re-check
 * when a `types.Pool` hands out a pooled connection. Neither may leave an unhandled 'error'
 * event (which ends the process): the caller gets a NamedTypesResolveError, the pool drops
 * the connection, and the next query gets a fresh one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { namedTypes, NamedTypesResolveError } from '../../packages/pg/src/index.js';
import { freshDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/postgres.js';
import { startCuttingProxy, type CuttingProxy } from './support/cutting-proxy.js';
import { quiet } from './support/helpers.js';

/** Text of the resolving query only: it marks the moment to lose the connection. */
const RESOLVING = 'query_to_xml';
const SQL = `SELECT ARRAY['x']::citext[] AS v`;

describe('a connection lost while types are resolved', () => {
  let db: TestDatabase;
  const proxies: CuttingProxy[] = [];

  beforeAll(async () => {
    db = await freshDatabase({ prefix: 'zd_pg_lost' });
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query(`CREATE EXTENSION citext`);
    await c.end();
  });

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await db?.drop();
  });

  /** The run's database, through a proxy that cuts each connection at its `nth` resolution. */
  async function through(nth: number) {
    const url = new URL(db.url);
    const proxy = await startCuttingProxy({ host: url.hostname, port: Number(url.port) }, RESOLVING, nth);
    proxies.push(proxy);
    url.hostname = proxy.host;
    url.port = String(proxy.port);
    return { proxy, url: url.toString() };
  }

  it('fails connect() with NamedTypesResolveError when the first resolution loses its connection', async () => {
    const { proxy, url } = await through(1);
    const types = namedTypes({ parsers: { citext: String }, logger: false });
    const error = await new types.Client(url).connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NamedTypesResolveError);
    expect((error as Error).message).toMatch(/could not resolve the type parsers for citext on postgres@127\.0\.0\.1:\d+\/zd_pg_lost\w+: Connection terminated unexpectedly\. /);
    const pool = quiet(new types.Pool({ connectionString: url }));
    try {
      await expect(pool.query(SQL)).rejects.toThrow(NamedTypesResolveError);
      expect(pool.totalCount).toBe(0);
    } finally {
      await pool.end();
    }
    expect(proxy.cuts).toBe(2);
  });

  it('fails only the checkout whose re-check loses its connection; the next query gets a new one', async () => {
    const { proxy, url } = await through(2);
    // A threshold far above the time from a connection's resolution to its first checkout
    // (no I/O in between), so only the wait below makes the re-check due.
    const types = namedTypes({ parsers: { citext: String }, recheckAfterMs: 300, logger: false });
    const pool = quiet(new types.Pool({ connectionString: url, max: 1 }));
    try {
      expect((await pool.query(SQL)).rows).toEqual([{ v: ['x'] }]);
      await new Promise((r) => setTimeout(r, 350));
      // Checked out, due for a re-check, and lost during it.
      await expect(pool.query(SQL)).rejects.toThrow(/could not resolve the type parsers for citext .*: Connection terminated unexpectedly/);
      expect(proxy.cuts).toBe(1);
      expect((await pool.query(SQL)).rows).toEqual([{ v: ['x'] }]);
      expect(pool.totalCount).toBe(1);
    } finally {
      await pool.end();
    }
  });
});
