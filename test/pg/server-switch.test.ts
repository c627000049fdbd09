/**
 * A PostgreSQL major-version switch behind a pooler: PostgreSQL 14 and 18 with citext and
 * hstore created in opposite orders (so their OIDs differ, and the old citext OIDs belong to
 * hstore on the new server), and a TCP proxy that the test moves from the old server to the
 * new one in the middle of the run.
 *
 * Two pools go through the proxy: one built by `namedTypes`, one set up the usual way
 * (`pg.types.setTypeParser` once at start-up after one `SELECT … FROM pg_type`). Before the
 * switch both parse; after it the helper's pool still does and the usual one returns raw
 * text and mis-parsed values.
 *
 * The proxy closes the pools' connections at the switch, as a pooler does; pg.Pool drops a
 * client whose connection closed, and a query that had already picked such a client fails
 * once ("Connection terminated…"). `queryOnce` retries such a query one time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { namedTypes, parseArray, parseHstore, type ServerChange } from '../../packages/pg/src/index.js';
import { startEmbedded, TEST_PASSWORD, TEST_USER, type PgServer } from '../support/postgres.js';
import { startSwitchingProxy, type SwitchingProxy } from './support/switching-proxy.js';

const TAGS = ['Alpha', 'beta', 'with space', 'quote"d', 'back\\slash', 'NULL', null, 'comma,here', '{brace}', ''];
const ATTRS: Record<string, string | null> = {
  plain: 'value',
  'with space': 'a "quoted" value',
  'back\\slash': 'c:\\dir\\',
  'arrow=>key': 'x=>y',
  'comma,key': 'a,b',
  nullValue: null,
  stringNULL: 'NULL',
  '': 'empty key',
  'é ü 漢字': 'unicode',
};
const ATTRS_LIST = [{ a: '1' }, null, { 'b"x': null }];

const SETUP = (extensions: string[]) => [
  ...extensions.map((e) => `CREATE EXTENSION ${e}`),
  `CREATE TABLE item (id int PRIMARY KEY, tags citext[], attrs hstore, attrs_list hstore[])`,
  `INSERT INTO item VALUES (1, $1::text[]::citext[], hstore($2::text[], $3::text[]),
     ARRAY[hstore('a', '1'), NULL, hstore('b"x', NULL)])`,
];

async function prepare(server: PgServer, extensions: string[]) {
  const c = new pg.Client({ connectionString: server.url() });
  await c.connect();
  try {
    for (const sql of SETUP(extensions)) {
      await c.query(sql, sql.startsWith('INSERT') ? [TAGS, Object.keys(ATTRS), Object.values(ATTRS)] : []);
    }
  } finally {
    await c.end();
  }
}

const ITEM_SQL = `SELECT tags, attrs, attrs_list FROM item WHERE id = 1`;
const EXPECTED = { tags: TAGS, attrs: ATTRS, attrs_list: ATTRS_LIST };

/** Retries once a query that picked a connection the switch had just closed. */
async function retryOnce<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!/Connection terminated|ECONNRESET|Client has encountered a connection error/i.test(String(err))) throw err;
    return await run();
  }
}
const queryOnce = (pool: pg.Pool, sql: string) => retryOnce(() => pool.query(sql));
/** The same row through Prisma's adapter (what `$queryRaw` gets): an array per row. */
const prismaRow = async (adapter: Awaited<ReturnType<PrismaPg['connect']>>) =>
  (await retryOnce(() => adapter.queryRaw({ sql: ITEM_SQL, args: [], argTypes: [] }))).rows[0];

describe('@prisma-zd/pg across a major-version switch behind a pooler', () => {
  let old: PgServer;
  let next: PgServer;
  let proxy: SwitchingProxy;
  let oids: { old: Record<string, number>; next: Record<string, number> };
  const restoreGlobal: Array<() => void> = [];

  beforeAll(async () => {
    [old, next] = await Promise.all([startEmbedded({ major: 14 }), startEmbedded({ major: 18 })]);
    await Promise.all([prepare(old, ['citext', 'hstore']), prepare(next, ['hstore', 'citext'])]);
    const lookup = async (server: PgServer) => {
      const c = new pg.Client({ connectionString: server.url() });
      await c.connect();
      const { rows } = await c.query<{ typname: string; oid: number }>(
        `SELECT typname, oid FROM pg_type WHERE typname IN ('citext', '_citext', 'hstore', '_hstore')`,
      );
      await c.end();
      return Object.fromEntries(rows.map((r) => [r.typname, r.oid]));
    };
    oids = { old: await lookup(old), next: await lookup(next) };
    proxy = await startSwitchingProxy(old);
  });

  afterAll(async () => {
    for (const restore of restoreGlobal) restore();
    await proxy?.close();
    await Promise.all([old?.stop(), next?.stop()]);
  });

  it('has servers whose extension OIDs differ, old citext OIDs being hstore on the new server', () => {
    expect(oids.old.citext).not.toBe(oids.next.citext);
    expect(oids.old.hstore).not.toBe(oids.next.hstore);
    expect(oids.next.hstore).toBe(oids.old.citext);
    expect(oids.next._hstore).toBe(oids.old._citext);
  });

  it('keeps parsing citext[], hstore and hstore[] with the helper, for pg and Prisma; the one-time global registration breaks', async () => {
    const config = { host: proxy.host, port: proxy.port, user: TEST_USER, password: TEST_PASSWORD, database: 'postgres', max: 4 };

    // The usual set-up: look the OIDs up once at start-up, register process-wide parsers.
    const usual = new pg.Pool(config);
    usual.on('error', () => {}); // idle clients whose connection the switch closes
    const { rows: found } = await usual.query<{ typname: string; oid: number; typarray: number }>(
      `SELECT typname, oid, typarray FROM pg_type WHERE typname IN ('citext', 'hstore')`,
    );
    for (const t of found) {
      const parse: (s: string) => unknown = t.typname === 'hstore' ? parseHstore : String;
      for (const [oid, fn] of [
        [t.oid, parse],
        [t.typarray, (s: string) => parseArray(s, parse)],
      ] as const) {
        const previous = pg.types.getTypeParser(oid, 'text');
        restoreGlobal.push(() => pg.types.setTypeParser(oid, 'text', previous));
        pg.types.setTypeParser(oid, 'text', fn);
      }
    }

    // The helper: parsers by name, resolved on every new connection.
    const logs: string[] = [];
    const changes: ServerChange[] = [];
    const types = namedTypes({
      parsers: { citext: String, hstore: parseHstore },
      logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
    });
    types.on('serverChange', (c) => changes.push(c));
    const helped = new types.Pool(config);
    helped.on('error', () => {});
    // Prisma on top of each pool: `new PrismaPg(pool)`.
    const prismaHelped = await new PrismaPg(helped).connect();
    const prismaUsual = await new PrismaPg(usual).connect();

    try {
      // Before the switch both pools parse.
      expect((await helped.query(ITEM_SQL)).rows).toEqual([EXPECTED]);
      expect((await usual.query(ITEM_SQL)).rows).toEqual([EXPECTED]);
      expect(await prismaRow(prismaHelped)).toEqual([TAGS, ATTRS, ATTRS_LIST]);
      expect(await prismaRow(prismaUsual)).toEqual([TAGS, ATTRS, ATTRS_LIST]);
      expect(types.current?.server.versionNum).toBeGreaterThanOrEqual(140000);
      expect(types.current?.server.versionNum).toBeLessThan(150000);

      // Mid-run: queries keep flowing on the helper's pool while the proxy moves to the new server.
      let stop = false;
      const seen = { ok: 0, failed: 0, wrong: [] as unknown[] };
      const load = (async () => {
        while (!stop) {
          try {
            const { rows } = await helped.query(ITEM_SQL);
            seen.ok++;
            if (!isDeepStrictEqual(rows, [EXPECTED])) seen.wrong.push(rows);
          } catch {
            seen.failed++; // a connection closed by the switch
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 150));
      proxy.switchTo(next);
      await new Promise((r) => setTimeout(r, 300));
      stop = true;
      await load;

      // After the switch the helper's pool still parses, on the new server.
      expect((await queryOnce(helped, ITEM_SQL)).rows).toEqual([EXPECTED]);
      expect(types.current?.server.versionNum).toBeGreaterThanOrEqual(180000);
      expect(seen.wrong).toEqual([]);
      expect(seen.ok).toBeGreaterThan(10);
      expect(seen.failed).toBeLessThanOrEqual(4); // queries that had picked a connection the switch closed

      // …and the usual pool returns raw text (citext[], hstore) and a mis-parsed hstore[]:
      // the old citext[] array parser now sits on the new server's hstore[] OID.
      const after = (await queryOnce(usual, ITEM_SQL)).rows[0];
      expect(typeof after.tags).toBe('string');
      expect(after.tags).toMatch(/^\{Alpha,beta,"with space",/);
      expect(typeof after.attrs).toBe('string');
      expect(after.attrs).toContain('"plain"=>"value"');
      expect(after.attrs_list).toEqual(['"a"=>"1"', null, '"b\\"x"=>NULL']);
      expect(after).not.toEqual(EXPECTED);

      // The same through Prisma's adapter: right with the helper, raw/mis-parsed without.
      expect(await prismaRow(prismaHelped)).toEqual([TAGS, ATTRS, ATTRS_LIST]);
      expect(await prismaRow(prismaUsual)).toEqual([after.tags, after.attrs, after.attrs_list]);

      // One serverChange, naming what changed.
      expect(changes).toHaveLength(1);
      const [change] = changes;
      expect(change!.reasons).toEqual(['version', 'systemIdentifier', 'oids']);
      expect(change!.changed.map((c) => [c.type, c.before?.oid, c.after?.oid])).toEqual([
        ['.citext', oids.old.citext, oids.next.citext],
        ['.hstore', oids.old.hstore, oids.next.hstore],
      ]);
      expect(logs.filter((l) => l.includes('server changed'))).toHaveLength(1);
      expect(logs.find((l) => l.includes('server changed'))).toMatch(
        new RegExp(`server changed \\(version, systemIdentifier, oids\\): PostgreSQL 14\\.\\d+ .* → PostgreSQL 18\\.\\d+ .*citext ${oids.old.citext} \\(array ${oids.old._citext}\\) → ${oids.next.citext} \\(array ${oids.next._citext}\\)`),
      );
      expect(proxy.accepted.get(`${next.host}:${next.port}`)).toBeGreaterThan(0);
    } finally {
      await Promise.all([prismaHelped.dispose(), prismaUsual.dispose()]);
      await Promise.all([helped.end(), usual.end()]);
    }
  });

  it.each([0, 1])("keeps each connection on its own server's OIDs while the pooler moves connections over one by one, with one serverChange (recheckAfterMs: %i)", async (recheckAfterMs) => {
    const moving = await startSwitchingProxy(old);
    const changes: ServerChange[] = [];
    const types = namedTypes({ parsers: { citext: String, hstore: parseHstore }, recheckAfterMs, logger: false, onServerChange: (c) => changes.push(c) });
    const pool = new types.Pool({ host: moving.host, port: moving.port, user: TEST_USER, password: TEST_PASSWORD, database: 'postgres', max: 2, idleTimeoutMillis: 0 });
    try {
      const onOld = await pool.connect();
      moving.switchTo(next, { closeOpen: false });
      const onNew = await pool.connect(); // a second connection: the new server
      const versions = [onOld, onNew].map((c) => Math.floor(types.serverTypesOf(c)!.server.versionNum / 10000));
      expect(versions).toEqual([14, 18]);
      onOld.release();
      onNew.release();
      expect(changes).toHaveLength(1); // the new server, seen by the second connection
      // The old connection re-resolves on its next checkout (another connection saw a change;
      // with recheckAfterMs, both re-resolve on most checkouts) and finds its own server
      // unchanged: no news, and no back-and-forth between the two servers.
      for (let round = 0; round < 4; round++) {
        await new Promise((r) => setTimeout(r, recheckAfterMs + 1));
        const clients = await Promise.all([pool.connect(), pool.connect()]);
        try {
          for (const c of clients) expect((await c.query(ITEM_SQL)).rows).toEqual([EXPECTED]);
          expect(clients.map((c) => Math.floor(types.serverTypesOf(c)!.server.versionNum / 10000)).sort()).toEqual([14, 18]);
        } finally {
          for (const c of clients) c.release();
        }
      }
      expect(pool.totalCount).toBe(2);
      expect(changes).toHaveLength(1);
    } finally {
      await pool.end();
      await moving.close();
    }
  });
});
