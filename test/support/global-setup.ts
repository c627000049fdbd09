import type { TestProject } from 'vitest/node';
import { startTestServer, type PgServer } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's PostgreSQL server: a superuser URL to its `postgres` database. */
    pg: { url: string; major: number; kind: PgServer['kind'] };
  }
}

let server: PgServer | undefined;

export async function setup(project: TestProject) {
  server = await startTestServer();
  project.provide('pg', { url: server.url('postgres'), major: server.major, kind: server.kind });
  process.stderr.write(`[prisma-zd tests] PostgreSQL ${server.major} (${server.kind}) on ${server.host}:${server.port}\n`);
}

export async function teardown() {
  await server?.stop();
}
