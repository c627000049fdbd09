/**
 * Parsers by type name with @prisma-zd/pg, on a pg.Pool.
 *
 *   pnpm run build   # once: the example imports the built package
 *   DATABASE_URL=postgresql://user:pw@host:5432/db npx tsx packages/pg/examples/basic.ts
 *
 * Needs the citext and hstore extensions; creates them if missing (both are trusted
 * extensions: the database owner may create them).
 */
import pg from 'pg';
import { namedTypes, parseHstore } from '@prisma-zd/pg';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('Set DATABASE_URL, e.g. DATABASE_URL=postgresql://postgres:pw@localhost:5432/postgres');
  process.exit(2);
}

// Set-up for this example only; in an app the extensions come with its migrations. A
// connection resolves the names when it connects: types created later are seen by new
// connections (or on a re-check), so create them before the pool's first connection.
const setup = new pg.Client({ connectionString: url });
await setup.connect();
await setup.query('CREATE EXTENSION IF NOT EXISTS citext; CREATE EXTENSION IF NOT EXISTS hstore');
await setup.end();

// Once, at start-up: which types get which parser. `citext` also covers `citext[]`.
const types = namedTypes({
  parsers: { citext: String, hstore: parseHstore },
  // Behind a transaction-mode pooler the server can change under an open connection:
  // re-resolve a pooled connection on checkout when its last check is older than this.
  recheckAfterMs: 60_000,
  logger: console,
});
types.on('serverChange', ({ reasons, changed }) => {
  // Already logged; a place for metrics or alerts.
  console.log(`server changed (${reasons.join(', ')}); ${changed.length} type(s) got new OIDs`);
});

// A real pg.Pool: every new connection resolves the names to that server's OIDs inside
// connect(), before its first query. `new PrismaPg(pool)` accepts it as it is.
const pool = new types.Pool({ connectionString: url, max: 4 });
pool.on('error', (err) => console.error('idle client error:', err.message));

try {
  const { rows } = await pool.query(
    `SELECT ARRAY['Apple', 'banana', NULL]::citext[] AS tags,
            'color=>red, "size"=>NULL, "say \\"hi\\""=>"a,b"'::hstore AS attrs,
            ARRAY['a=>1'::hstore, 'b=>2'::hstore] AS attrs_list`,
  );
  console.log(rows[0]);
  // → { tags: [ 'Apple', 'banana', null ], attrs: { size: null, color: 'red', 'say "hi"': 'a,b' },
  //     attrs_list: [ { a: '1' }, { b: '2' } ] }
  const server = types.current!.server;
  console.log(`resolved on PostgreSQL ${server.version}, system ${server.systemIdentifier ?? '(not readable)'}`);
} finally {
  await pool.end();
}
