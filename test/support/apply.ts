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
