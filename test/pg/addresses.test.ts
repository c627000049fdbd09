/**
 * What a registry compares a resolution with: the previous one at the same address (user,
 * host, port, database and startup options, as the application configured them). One
 * `types` shared by pools to two databases, or to two search_paths, is not a server change;
 * a type dropped and created again under open connections (Prisma's enum migration) is a
 * change at that address, and every pooled connection resolved before it resolves again on
 * its next checkout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { namedTypes, type ServerChange } from '../../packages/pg/src/index.js';
import { freshDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/postgres.js';
import { capture, quiet, exec } from './support/helpers.js';

/** Checks out `n` clients at once (so the pool must hold `n` connections), releases them. */
async function checkoutAll(pool: pg.Pool, n: number, sql: string): Promise<unknown[]> {
  const clients = await Promise.all(Array.from({ length: n }, () => pool.connect()));
  try {
    return await Promise.all(clients.map(async (c) => (await c.query(sql)).rows[0].v));
  } finally {
    for (const c of clients) c.release();
  }
}

describe('namedTypes per address', () => {
  let a: TestDatabase;
  let b: TestDatabase;

  beforeAll(async () => {
    [a, b] = await Promise.all([freshDatabase({ prefix: 'zd_pg_addr_a' }), freshDatabase({ prefix: 'zd_pg_addr_b' })]);
    // Different creation orders: citext gets different OIDs in the two databases.
    await Promise.all([
      exec(a.url, `CREATE EXTENSION citext; CREATE SCHEMA app; CREATE TYPE app.status AS ENUM ('app'); CREATE TYPE public.status AS ENUM ('public')`),
      exec(b.url, `CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN', 'GUEST'); CREATE EXTENSION citext`),
    ]);
  });

  afterAll(async () => {
    await Promise.all([a?.drop(), b?.drop()]);
  });

  it('reports no server change for pools to two databases, or two search_paths, sharing one registry', async () => {
    const { lines, logger } = capture();
    const changes: ServerChange[] = [];
    const types = namedTypes({ parsers: { citext: String, status: (s) => `status:${s}` }, logger, onServerChange: (c) => changes.push(c) });
    const pools = [
      quiet(new types.Pool({ connectionString: a.url, max: 2 })),
      quiet(new types.Pool({ connectionString: b.url, max: 2 })),
      quiet(new types.Pool({ connectionString: a.url, max: 2, options: '-c search_path=app,public' })),
    ];
    const sql = `SELECT ARRAY['x']::citext[] AS v`;
    try {
      for (let round = 0; round < 3; round++) {
        for (const pool of pools) {
          expect(await checkoutAll(pool, 2, sql)).toEqual([['x'], ['x']]);
          // Fresh connections next round: every round resolves again at every address.
          await Promise.all(Array.from({ length: 2 }, async () => (await pool.connect()).release(true)));
        }
      }
      expect((await pools[0]!.query(`SELECT ARRAY['public']::status[] AS v`)).rows[0].v).toEqual(['status:public']);
      expect((await pools[2]!.query(`SELECT ARRAY['app']::status[] AS v`)).rows[0].v).toEqual(['status:app']);
      expect(changes).toEqual([]);
      expect(lines.filter((l) => l.includes('changed'))).toEqual([]);
      // One first-resolution line per address; database b lacks status, said once.
      expect(lines.filter((l) => l.startsWith('info:'))).toHaveLength(3);
      expect(lines.filter((l) => l.startsWith('warn:'))).toEqual([expect.stringMatching(/not found on .* database "zd_pg_addr_b\w+": status;/)]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it("re-resolves open pooled connections once a new connection sees a type dropped and created again (Prisma's enum migration)", async () => {
    const { lines, logger } = capture();
    const changes: ServerChange[] = [];
    const types = namedTypes({ parsers: { '"Role"': (s) => s.toLowerCase() }, logger, onServerChange: (c) => changes.push(c) });
    const pool = quiet(new types.Pool({ connectionString: b.url, max: 3, idleTimeoutMillis: 0 })); // no idle reaping: the same connections throughout
    const sql = `SELECT ARRAY['USER', 'ADMIN']::"Role"[] AS v`;
    try {
      expect(await checkoutAll(pool, 2, sql)).toEqual([['user', 'admin'], ['user', 'admin']]);
      // While the app runs, a migration removes an enum value, as `prisma migrate dev` writes it:
      // a new type takes the old one's name, so "Role" and "Role"[] get new OIDs.
      await exec(
        b.url,
        `BEGIN;
         CREATE TYPE "Role_new" AS ENUM ('USER', 'ADMIN');
         ALTER TYPE "Role" RENAME TO "Role_old";
         ALTER TYPE "Role_new" RENAME TO "Role";
         DROP TYPE "Role_old";
         COMMIT;`,
      );
      // The two open connections still hold the old OIDs; a third, new one resolves the new ones…
      expect(await checkoutAll(pool, 3, sql)).toEqual(expect.arrayContaining([['user', 'admin']]));
      expect(pool.totalCount).toBe(3);
      expect(changes).toHaveLength(1);
      expect(changes[0]!.reasons).toEqual(['oids']);
      expect(lines.filter((l) => l.startsWith('warn:'))).toEqual([
        expect.stringMatching(/^warn: \[@prisma-zd\/pg\] type OIDs changed on PostgreSQL .* \(a type created, or dropped and created again\); "Role" \d+ \(array \d+\) → \d+ \(array \d+\)\. New connections get parsers for the new OIDs; connections of a types\.Pool resolved before resolve again on their next checkout\.$/),
      ]);
      // …and from then on every connection of the pool parses, the old ones re-resolved on checkout.
      expect(await checkoutAll(pool, 3, sql)).toEqual([['user', 'admin'], ['user', 'admin'], ['user', 'admin']]);
      expect(await checkoutAll(pool, 3, sql)).toEqual([['user', 'admin'], ['user', 'admin'], ['user', 'admin']]);
      expect(pool.totalCount).toBe(3);
      expect(changes).toHaveLength(1);
    } finally {
      await pool.end();
    }
  });
});
