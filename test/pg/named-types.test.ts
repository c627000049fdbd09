/**
 * namedTypes on one server: options, name lookup, the first query of a connection, clients,
 * re-checks on checkout, and what happens when resolving fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { namedTypes, NamedTypesOptionsError, parseHstore, type ServerChange } from '../../packages/pg/src/index.js';
import { freshDatabase } from '../support/db.js';
import { withAdmin, type TestDatabase } from '../support/postgres.js';
import { capture, quiet, exec } from './support/helpers.js';

describe('namedTypes', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await freshDatabase({ prefix: 'zd_pg_named' });
    await exec(
      db.url,
      `CREATE EXTENSION citext;
       CREATE SCHEMA ext; CREATE EXTENSION hstore SCHEMA ext;
       CREATE TYPE "Weird Type" AS ENUM ('a b', 'c');
       CREATE SCHEMA other;
       CREATE TYPE public.status AS ENUM ('public');
       CREATE TYPE other.status AS ENUM ('other');
       CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');`,
    );
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('reports every problem with its options at once', () => {
    let error: unknown;
    try {
      namedTypes({
        parsers: { 'bad name!': String, citext: 'String' as never, 'a.b.c': String },
        recheckAfterMs: -1,
        loger: console,
      } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NamedTypesOptionsError);
    expect((error as Error).message).toMatchInlineSnapshot(`
      "Invalid @prisma-zd/pg namedTypes options:
        - unknown option "loger" (known: parsers, arrays, recheckAfterMs, overrideQueryTypes, onServerChange, logger)
        - parsers: "bad name!" is not a type name (expected name, schema.name, "Quoted Name" or name[])
        - parsers: "citext" must be a function (text) => value
        - parsers: "a.b.c" is not a type name (expected name, schema.name, "Quoted Name" or name[])
        - "recheckAfterMs" must be a number of milliseconds ≥ 0"
    `);
  });

  it("parses a new client's first query, resolved inside connect()", async () => {
    const { lines, logger } = capture();
    const types = namedTypes({ parsers: { citext: (s) => s.toLowerCase(), 'ext.hstore': parseHstore }, logger });
    const client = new types.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT ARRAY['A', 'B']::citext[] AS tags, 'k=>v'::ext.hstore AS attrs, 'X'::citext AS one`);
      expect(rows).toEqual([{ tags: ['a', 'b'], attrs: { k: 'v' }, one: 'x' }]);
      const resolved = types.serverTypesOf(client)!;
      expect(resolved.server.versionNum).toBeGreaterThan(100000);
      expect(resolved.server.systemIdentifier).toMatch(/^\d+$/);
      expect(Object.keys(resolved.types)).toEqual(['.citext', 'ext.hstore']);
      expect(resolved.types['ext.hstore']).toMatchObject({ schema: 'ext', name: 'hstore', delimiter: ',' });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^info: \[@prisma-zd\/pg\] type parsers resolved on PostgreSQL \S+ \(system \d+\), database "zd_pg_named\w+": citext=\d+ \(array \d+\), ext\.hstore=\d+ \(array \d+\)$/);
    } finally {
      await client.end();
    }
  });

  it('works with the callback form of connect, as pg.Pool uses it', async () => {
    const types = namedTypes({ parsers: { citext: String }, logger: false });
    const client = new types.Client(db.url);
    await new Promise<void>((resolve, reject) => client.connect((err: Error | null) => (err ? reject(err) : resolve())));
    try {
      expect((await client.query(`SELECT ARRAY['x']::citext[] AS t`)).rows).toEqual([{ t: ['x'] }]);
    } finally {
      await client.end();
    }
  });

  it('looks unqualified names up along search_path, and quoted names exactly', async () => {
    const types = namedTypes({ parsers: { status: (s) => `status:${s}`, '"Weird Type"': (s) => s.toUpperCase() }, logger: false });
    const query = `SELECT ARRAY['public']::public.status[] AS p, ARRAY['other']::other.status[] AS o, 'a b'::"Weird Type" AS w`;
    const publicFirst = quiet(new types.Pool({ connectionString: db.url, max: 1 }));
    const otherFirst = quiet(new types.Pool({ connectionString: db.url, max: 1, options: '-c search_path=other,public' }));
    try {
      expect((await publicFirst.query(query)).rows).toEqual([{ p: ['status:public'], o: '{other}', w: 'A B' }]);
      expect((await otherFirst.query(query)).rows).toEqual([{ p: '{public}', o: ['status:other'], w: 'A B' }]);
    } finally {
      await Promise.all([publicFirst.end(), otherFirst.end()]);
    }
  });

  it('takes an explicit name[] entry for the array type, and leaves arrays alone with arrays: false', async () => {
    const query = `SELECT ARRAY['a', 'b']::citext[] AS tags, 'c'::citext AS one`;
    const explicit = namedTypes({ parsers: { citext: (s) => `<${s}>`, 'citext[]': (s) => `array ${s}` }, logger: false });
    const noArrays = namedTypes({ parsers: { citext: (s) => `<${s}>` }, arrays: false, logger: false });
    const a = quiet(new explicit.Pool({ connectionString: db.url }));
    const b = quiet(new noArrays.Pool({ connectionString: db.url }));
    try {
      expect((await a.query(query)).rows).toEqual([{ tags: 'array {a,b}', one: '<c>' }]);
      expect((await b.query(query)).rows).toEqual([{ tags: '{a,b}', one: '<c>' }]);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('warns about a type the server lacks, once, and leaves its values as text', async () => {
    const { lines, logger } = capture();
    const types = namedTypes({ parsers: { citext: String, vector: (s) => JSON.parse(s) }, logger });
    const pool = quiet(new types.Pool({ connectionString: db.url, max: 2 }));
    try {
      const clients = await Promise.all([pool.connect(), pool.connect()]);
      clients.forEach((c) => c.release());
      expect(types.current?.types['.vector']).toBeNull();
      expect(lines.filter((l) => l.startsWith('warn:'))).toEqual([
        expect.stringMatching(/^warn: \[@prisma-zd\/pg\] type\(s\) not found on PostgreSQL .*: vector; their values come back as text\. Instead: CREATE EXTENSION for them, or check search_path\.$/),
      ]);
    } finally {
      await pool.end();
    }
  });

  it("says once that a domain's parser only sees its arrays (the protocol sends domain values under the base type)", async () => {
    const { lines, logger } = capture();
    const types = namedTypes({ parsers: { email: (t) => t.toLowerCase() }, logger });
    const client = new types.Client(db.url);
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT 'A@B.COM'::email AS one, ARRAY['A@B.COM']::email[] AS many`);
      expect(rows[0]).toEqual({ one: 'A@B.COM', many: ['a@b.com'] });
      expect(types.current?.types['.email']).toMatchObject({ domainOf: 'text' });
      expect(lines.filter((l) => l.startsWith('warn:'))).toEqual([
        expect.stringContaining("email is a domain over text on PostgreSQL"),
      ]);
      expect(lines.find((l) => l.startsWith('warn:'))).toContain('applies to its arrays only. Instead: register the parser for the base type, or cast in SQL.');
    } finally {
      await client.end();
    }
  });

  it("parses arrays of domains over a registered type with that type's parser, at any depth, unless the domain has its own entry", async () => {
    await exec(
      db.url,
      `CREATE DOMAIN login AS citext; CREATE DOMAIN admin_login AS login CHECK (VALUE <> '');
       CREATE TYPE mood AS ENUM ('happy', 'sad'); CREATE DOMAIN day_mood AS mood;`,
    );
    const types = namedTypes({ parsers: { citext: (s) => s.toLowerCase(), mood: (s) => s.toUpperCase(), admin_login: (s) => `admin:${s}` }, logger: false });
    const client = new types.Client(db.url);
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT ARRAY['Ann', NULL]::login[] AS logins, 'Bob'::login AS one, ARRAY['happy']::day_mood[] AS moods,
                ARRAY['Root']::admin_login[] AS admins`,
      );
      // A domain's scalar values come under its base type's OID (citext here), its arrays under its own.
      expect(rows[0]).toEqual({ logins: ['ann', null], one: 'bob', moods: ['HAPPY'], admins: ['admin:Root'] });
    } finally {
      await client.end();
    }
  });

  it('installs on a client it did not create with attach()', async () => {
    const types = namedTypes({ parsers: { citext: String }, logger: false });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      expect((await client.query(`SELECT ARRAY['x']::citext[] AS t`)).rows).toEqual([{ t: '{x}' }]);
      await types.attach(client);
      expect((await client.query(`SELECT ARRAY['x']::citext[] AS t`)).rows).toEqual([{ t: ['x'] }]);
    } finally {
      await client.end();
    }
  });

  it("resolves before a pool hands a client out as pg-pool's onConnect hook, for pools with their own Client", async () => {
    const types = namedTypes({ parsers: { citext: String }, logger: false });
    class AppClient extends pg.Client {}
    // types.Pool would have to drop the class: it says so and what to write instead.
    expect(() => new types.Pool({ connectionString: db.url, Client: AppClient })).toThrowErrorMatchingInlineSnapshot(`[TypeError: [@prisma-zd/pg] types.Pool makes its connections with types.Client, so it cannot take the "Client" option (AppClient). Instead: new pg.Pool({ ...config, Client: AppClient, onConnect: (client) => types.attach(client) }).]`);
    const pool = quiet(new pg.Pool({ connectionString: db.url, Client: AppClient, onConnect: (client) => types.attach(client) }));
    try {
      expect((await pool.query(`SELECT ARRAY['x']::citext[] AS t`)).rows).toEqual([{ t: ['x'] }]);
    } finally {
      await pool.end();
    }
  });

  it('re-checks an idle pooled connection on checkout with recheckAfterMs', async () => {
    const own = await freshDatabase({ prefix: 'zd_pg_recheck' });
    await exec(own.url, `CREATE EXTENSION citext`);
    const changes: ServerChange[] = [];
    const rechecking = namedTypes({ parsers: { citext: String }, recheckAfterMs: 1, logger: false, onServerChange: (c) => changes.push(c) });
    const plain = namedTypes({ parsers: { citext: String }, logger: false });
    const a = new rechecking.Pool({ connectionString: own.url, max: 1 });
    const b = new plain.Pool({ connectionString: own.url, max: 1 });
    // Dropping the database ends any connection still closing: not an error of this test.
    for (const p of [a, b]) {
      p.on('error', () => {});
      p.on('connect', (c) => c.on('error', () => {}));
    }
    const query = `SELECT ARRAY['x']::citext[] AS t`;
    try {
      expect((await a.query(query)).rows).toEqual([{ t: ['x'] }]);
      expect((await b.query(query)).rows).toEqual([{ t: ['x'] }]);
      const before = rechecking.current!.types['.citext']!;
      // The same open connections now reach a server where citext has other OIDs (here:
      // re-created; behind a transaction-mode pooler: another server).
      await exec(own.url, `DROP EXTENSION citext; CREATE EXTENSION citext`);
      await new Promise((r) => setTimeout(r, 5));
      expect((await a.query(query)).rows).toEqual([{ t: ['x'] }]);
      expect((await b.query(query)).rows).toEqual([{ t: '{x}' }]); // stale until it reconnects
      expect(a.totalCount).toBe(1); // the same connection, re-checked
      expect(changes).toHaveLength(1);
      expect(changes[0]!.reasons).toEqual(['oids']);
      expect(changes[0]!.changed[0]!.before).toEqual(before);
      expect(changes[0]!.changed[0]!.after!.oid).not.toBe(before.oid);
    } finally {
      await Promise.all([a.end(), b.end()]);
      await own.drop();
    }
  });

  it('fails connect() when the types cannot be resolved, and reads no system identifier without the right', async () => {
    const role = `zd_pg_app_${process.pid}`;
    await withAdmin({ url: () => db.url }, (c) => c.query(`CREATE ROLE ${role} LOGIN PASSWORD 'app-pw'`));
    const url = new URL(db.url);
    url.username = role;
    url.password = 'app-pw';
    const types = namedTypes({ parsers: { citext: String }, logger: false });
    try {
      await exec(db.url, `REVOKE EXECUTE ON FUNCTION pg_control_system() FROM PUBLIC`);
      const client = new types.Client({ connectionString: url.toString() });
      await client.connect();
      expect(types.serverTypesOf(client)?.server.systemIdentifier).toBeNull();
      await client.end();

      await exec(db.url, `REVOKE SELECT ON pg_catalog.pg_type FROM PUBLIC`);
      const pool = quiet(new types.Pool({ connectionString: url.toString() }));
      await expect(pool.query('SELECT 1')).rejects.toThrow(/permission denied for table pg_type/);
      expect(pool.totalCount).toBe(0);
      await pool.end();
    } finally {
      await exec(db.url, `GRANT SELECT ON pg_catalog.pg_type TO PUBLIC; GRANT EXECUTE ON FUNCTION pg_control_system() TO PUBLIC`);
      await withAdmin({ url: () => db.url }, (c) => c.query(`DROP ROLE ${role}`));
    }
  });
});
