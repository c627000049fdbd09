import pg from 'pg';
import { initParser, parseSql } from '@prisma-zd/core';

export type ExecMode = 'whole-file' | 'per-statement';

/**
 * Runs a migration script the way Prisma's engines do: the native engine sends the whole
 * file as one simple query (one implicit transaction); a splitting engine runs the
 * statements, cut by the real parser, one by one.
 */
export async function runScript(client: pg.ClientBase, sql: string, mode: ExecMode = 'whole-file'): Promise<void> {
  if (mode === 'whole-file') {
    await client.query(sql);
    return;
  }
  await initParser();
  for (const s of parseSql(sql).statements) await client.query(s.text);
}

export async function withConnection<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Applies a history in order until a migration fails; returns how many applied and the
 * first error (real histories sometimes hold a migration that only worked on their data).
 */
export async function applyHistory(
  url: string,
  history: ReadonlyArray<{ name: string; sql: string }>,
  opts: { mode?: ExecMode; limit?: number } = {},
): Promise<{ applied: number; error?: { migration: string; message: string } }> {
  return withConnection(url, async (c) => {
    const n = Math.min(opts.limit ?? history.length, history.length);
    for (let i = 0; i < n; i++) {
      const m = history[i]!;
      try {
        await runScript(c, m.sql, opts.mode);
      } catch (e) {
        // A failed whole-file script leaves its implicit transaction rolled back.
        return { applied: i, error: { migration: m.name, message: (e as Error).message } };
      }
    }
    return { applied: n };
  });
}

/**
 * Applies one migration the way `prisma migrate deploy` does: whole-file exactly as the
 * native engine (prisma-zd's own `applyMigrations`, which `verify` and the testing kit
 * use), or per statement like a splitting engine; then its `_prisma_migrations` row.
 * For histories too long to push through the real CLI in a test (the corpus); the real
 * CLI is used by the sample-project tests.
 */
export async function applyLikePrisma(client: pg.ClientBase, m: { name: string; sql: string }, mode: ExecMode = 'whole-file'): Promise<void> {
  const { applyMigrations, PRISMA_MIGRATIONS_DDL } = await import('../../packages/cli/src/verify/apply.js');
  if (mode === 'whole-file') return applyMigrations(client, [m]);
  const { createHash, randomUUID } = await import('node:crypto');
  await client.query(PRISMA_MIGRATIONS_DDL('"_prisma_migrations"'));
  await runScript(client, m.sql, mode);
  await client.query(
    `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count, started_at)
     VALUES ($1, $2, clock_timestamp(), $3, 1, clock_timestamp())`,
    [randomUUID(), createHash('sha256').update(m.sql, 'utf8').digest('hex'), m.name],
  );
}

/** A small seeded PRNG (mulberry32), so random schedules are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
