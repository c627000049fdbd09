/** What the test/pg files share. */
import type { Server } from 'node:net';
import pg from 'pg';

/** A logger for the registry that keeps its lines, prefixed with their level. */
export function capture() {
  const lines: string[] = [];
  return { lines, logger: { info: (m: string) => lines.push(`info: ${m}`), warn: (m: string) => lines.push(`warn: ${m}`) } };
}

/**
 * pool.end() resolves before its connections have closed; a database dropped right after
 * ends them with an error that the pool re-emits: not an error of these tests.
 */
export const quiet = <P extends pg.Pool>(pool: P): P => (pool.on('error', () => {}), pool);

/** Runs `sql` on its own connection. */
export async function exec(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Listens on a free port of 127.0.0.1; resolves to the port. */
export async function listenLocal(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('proxy has no address');
  return address.port;
}
