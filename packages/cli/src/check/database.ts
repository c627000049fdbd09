/**
 * What `check --database-url` reads: table sizes (estimated rows, bytes) so that small
 * tables lower the severity of lock findings, and the checksums of applied migrations
 * so that edits after applying are caught. Read-only, one short session.
 */
import { relationKey, type TableSize } from '@prisma-zd/core';

export interface DatabaseFacts {
  readonly sizes: Map<string, TableSize>;
  /** Migration name → checksum of the applied, not rolled back, rows of `_prisma_migrations`. */
  readonly applied: Map<string, string>;
  /**
   * The schema Prisma's session creates unqualified names in, where it keeps
   * `_prisma_migrations`: the URL's `?schema=`, else this session's `current_schema()`.
   * The replay resolves unqualified names there, so that sizes (keyed by real schemas) match.
   */
  readonly defaultSchema: string;
}

export async function readDatabaseFacts(url: string): Promise<DatabaseFacts> {
  const [{ withClient }, { appliedMigrations }, { prismaMigrationsSchema }] = await Promise.all([
    import('../db/connect.js'),
    import('../project/migrations.js'),
    import('../db/search-path.js'),
  ]);
  return withClient(
    url,
    async (client) => {
      const { rows } = await client.query<{ schema: string; name: string; rows: string; bytes: string }>(
        `SELECT n.nspname AS schema, c.relname AS name, c.reltuples::bigint::text AS rows,
                pg_catalog.pg_total_relation_size(c.oid)::text AS bytes
           FROM pg_catalog.pg_class c
           JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'r'
            AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'prisma_zd')
            AND n.nspname NOT LIKE 'pg\\_%'`,
      );
      const sizes = new Map<string, TableSize>();
      for (const r of rows) sizes.set(relationKey(r.schema, r.name), { rows: Number(r.rows), bytes: Number(r.bytes) });
      const applied = new Map<string, string>();
      const defaultSchema = await prismaMigrationsSchema(client, url);
      // A NULL checksum (a hand-restored column) records nothing to compare against.
      for (const m of (await appliedMigrations(client, defaultSchema)) ?? []) if (m.checksum !== null) applied.set(m.name, m.checksum);
      return { sizes, applied, defaultSchema };
    },
    { applicationName: 'check' },
  );
}
