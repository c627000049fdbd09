/**
 * What the application is told when a type cannot be resolved: the name as it wrote it, and
 * what to write or do instead; a failed resolution names its types and address, keeps the
 * cause's code, and never prints the connection's password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namedTypes, NamedTypesResolveError } from '../../packages/pg/src/index.js';
import { freshDatabase } from '../support/db.js';
import { withAdmin, type TestDatabase } from '../support/postgres.js';
import { exec } from './support/helpers.js';

/** The variable parts of a line (server version, system identifier, database name) made stable. */
const stable = (line: string, db: TestDatabase) =>
  line
    .replace(/PostgreSQL [\d.]+ \(system \d+\)/g, 'PostgreSQL <v> (system <id>)')
    .replaceAll(db.name, '<db>')
    .replaceAll(`zd_pg_msg_${process.pid}`, '<role>');

describe('namedTypes messages', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await freshDatabase({ prefix: 'zd_pg_messages' });
    await exec(
      db.url,
      `CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
       CREATE SCHEMA app; CREATE TYPE app.mood AS ENUM ('happy', 'sad');
       CREATE SCHEMA ext; CREATE EXTENSION hstore SCHEMA public;`,
    );
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('says how to write a type the server has under another letter case or schema', async () => {
    const warnings: string[] = [];
    // As a Prisma user writes them: the enum's name from schema.prisma, an enum of another
    // schema, an extension's type in the wrong schema, and one the server really lacks.
    const types = namedTypes({
      parsers: { Role: String, 'Role[]': String, mood: String, 'ext.hstore': String, vector: String },
      logger: { info: () => {}, warn: (m) => warnings.push(m) },
    });
    const client = new types.Client(db.url);
    await client.connect();
    await client.end();
    expect(warnings.map((w) => stable(w, db))).toMatchInlineSnapshot(`
      [
        "[@prisma-zd/pg] type(s) not found on PostgreSQL <v> (system <id>), database "<db>": Role (the server has "Role": write '"Role"' in parsers; unquoted names fold to lower case, as in SQL), mood (the server has app.mood: write 'app.mood' in parsers; outside the connection's search_path), ext.hstore (the server has hstore: write 'hstore' in parsers; not in schema ext), vector; their values come back as text. Instead: CREATE EXTENSION for them, or check search_path.",
      ]
    `);
  });

  it('names the types, the address and the cause when resolving fails, without the password', async () => {
    const role = `zd_pg_msg_${process.pid}`;
    const password = 'app-Secret-pw-9c1e';
    await withAdmin({ url: () => db.url }, (c) => c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`));
    const url = new URL(db.url);
    url.username = role;
    url.password = password;
    const types = namedTypes({ parsers: { Role: String, 'app.mood': String }, logger: false });
    try {
      await exec(db.url, `REVOKE SELECT ON pg_catalog.pg_type FROM PUBLIC`);
      const client = new types.Client({ connectionString: url.toString() });
      const error = await client.connect().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(NamedTypesResolveError);
      const e = error as NamedTypesResolveError;
      expect(e.code).toBe('42501');
      expect((e.cause as Error).message).toBe('permission denied for table pg_type');
      expect(stable(e.message, db).replace(`:${url.port}/`, ':<port>/')).toMatchInlineSnapshot(`"[@prisma-zd/pg] could not resolve the type parsers for Role, app.mood on <role>@127.0.0.1:<port>/<db>: permission denied for table pg_type (42501). Instead: let the role read the catalog, as PostgreSQL does by default: GRANT SELECT ON pg_catalog.pg_type, pg_catalog.pg_namespace TO "<role>"."`);
      expect(`${e.stack} ${JSON.stringify(e)}`).not.toContain(password);
    } finally {
      await exec(db.url, `GRANT SELECT ON pg_catalog.pg_type TO PUBLIC`);
      await withAdmin({ url: () => db.url }, (c) => c.query(`DROP ROLE ${role}`));
    }
  });
});
