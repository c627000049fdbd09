/**
 * `rewrite` reads the development database's `_prisma_migrations` (to choose new
 * migrations outside git, and to keep the checksums of applied ones true). When it cannot,
 * it says why — the server's own words, never the URL's password — instead of calling a
 * refused password or a missing database "not reachable".
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { testServer } from '../support/db.js';
import { TEST_PASSWORD } from '../support/postgres.js';

const MIGRATION = 'CREATE TABLE "Post" ("id" SERIAL PRIMARY KEY, "title" TEXT);\n';
const SCHEMA = 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n';
const NEXT = 'CREATE INDEX "Post_title_idx" ON "Post"("title");\n';

/** A project outside git with two migrations, the second one in need of a rewrite. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zd-rewrite-db-'));
  for (const [name, sql] of [['20240101000000_init', MIGRATION], ['20240102000000_index', NEXT]] as const) {
    mkdirSync(join(dir, 'prisma', 'migrations', name), { recursive: true });
    writeFileSync(join(dir, 'prisma', 'migrations', name, 'migration.sql'), sql);
  }
  return dir;
}

function urlWith(change: (u: URL) => void): string {
  const u = new URL(testServer().url());
  change(u);
  return u.toString();
}

describe('rewrite when the development database cannot be read', () => {
  it('outside git: ZD_NO_SELECTION names the real reason (wrong password, missing database, no server), exit 2, nothing written', async () => {
    const cases = [
      { url: urlWith((u) => (u.password = `${TEST_PASSWORD}-wrong`)), says: /password authentication failed/ },
      { url: urlWith((u) => (u.pathname = '/no_such_database_zd_rewrite')), says: /no_such_database_zd_rewrite" does not exist/ },
      { url: `postgresql://postgres:${TEST_PASSWORD}@127.0.0.1:1/postgres`, says: /127\.0\.0\.1:1/ },
    ];
    for (const c of cases) {
      const dir = project();
      const r = await runZd(['rewrite', '--migrations', 'prisma/migrations', '--url', c.url], { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('Error ZD_NO_SELECTION:');
      expect(r.stderr).toContain('the development database could not be read');
      expect(r.stderr).toMatch(c.says);
      expect(r.stderr).not.toContain('not reachable');
      expect(r.stderr).toContain('hint: Fix the database URL');
      expect(r.stdout + r.stderr).not.toContain(TEST_PASSWORD);
      expect(readFileSync(join(dir, 'prisma', 'migrations', '20240102000000_index', 'migration.sql'), 'utf8')).toBe(NEXT);
    }
  });

  it('a named migration is rewritten all the same, with a warning that says why checksums were not updated', async () => {
    const dir = project();
    const url = urlWith((u) => (u.password = `${TEST_PASSWORD}-wrong`));
    const r = await runZd(['rewrite', 'prisma/migrations/20240102000000_index', '--migrations', 'prisma/migrations', '--url', url], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: The development database could not be read \(.*password authentication failed.*\): checksums of applied migrations were not updated/);
    expect(r.stdout + r.stderr).not.toContain(TEST_PASSWORD);
    expect(readFileSync(join(dir, 'prisma', 'migrations', '20240102000000_index', 'migration.sql'), 'utf8')).not.toBe(NEXT);
    // A second run changes nothing and so updates nothing: the UPDATE that keeps `prisma migrate dev` quiet is given now.
    const written = readFileSync(join(dir, 'prisma', 'migrations', '20240102000000_index', 'migration.sql'), 'utf8');
    expect(r.stderr).toContain(
      `  UPDATE _prisma_migrations SET checksum = '${sha256(written)}' WHERE migration_name = '20240102000000_index' AND checksum = '${sha256(NEXT)}';`,
    );
  });

  it('without any database URL: the warning says so, with the UPDATE for a database that applied the migration', async () => {
    const dir = project();
    writeFileSync(join(dir, 'prisma', 'schema.prisma'), SCHEMA);
    const r = await runZd(['rewrite', 'prisma/migrations/20240102000000_index'], { cwd: dir, env: { DATABASE_URL: undefined } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning: No database URL is configured');
    expect(r.stderr).toContain('nor in a .env file Prisma would load');
    expect(r.stderr).toContain('If your development database already applied 20240102000000_index, `prisma migrate dev` will call it modified; run there:');
    const written = readFileSync(join(dir, 'prisma', 'migrations', '20240102000000_index', 'migration.sql'), 'utf8');
    expect(r.stderr).toContain(`checksum = '${sha256(written)}' WHERE migration_name = '20240102000000_index' AND checksum = '${sha256(NEXT)}';`);
    // Nothing written, nothing to say.
    const again = await runZd(['rewrite', 'prisma/migrations/20240102000000_index'], { cwd: dir, env: { DATABASE_URL: undefined } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('warning');
  });

  it("without prisma.config.ts, the URL comes from .env as Prisma's CLI loads it (root, then beside the schema; the environment wins; a conflict is refused)", async () => {
    const wrong = urlWith((u) => (u.password = `${TEST_PASSWORD}-wrong`));
    const dir = project();
    writeFileSync(join(dir, 'prisma', 'schema.prisma'), SCHEMA);
    // dotenv-expand, as Prisma: the URL is built from another variable.
    writeFileSync(join(dir, '.env'), `# the dev database\nexport DB_PASSWORD='${TEST_PASSWORD}-wrong'\nDATABASE_URL="${wrong.replace(`${TEST_PASSWORD}-wrong`, '${DB_PASSWORD}')}"\n`);
    const fromRoot = await runZd(['rewrite', '--check', '--all'], { cwd: dir, env: { DATABASE_URL: undefined } });
    expect(fromRoot.code, fromRoot.stderr).toBe(1); // --check: a migration needs rewriting
    expect(fromRoot.stderr).toMatch(/could not be read \(.*password authentication failed/);
    expect(fromRoot.stdout + fromRoot.stderr).not.toContain(TEST_PASSWORD);

    // The environment's own value wins over the file.
    const fromEnv = await runZd(['rewrite', '--check', '--all'], { cwd: dir, env: { DATABASE_URL: `postgresql://postgres:${TEST_PASSWORD}@127.0.0.1:1/postgres` } });
    expect(fromEnv.stderr).toContain('127.0.0.1:1');
    expect(fromEnv.stderr).not.toContain('password authentication failed');

    // Beside the schema only.
    const beside = project();
    writeFileSync(join(beside, 'prisma', 'schema.prisma'), SCHEMA);
    writeFileSync(join(beside, 'prisma', '.env'), `DATABASE_URL=${wrong}\n`);
    const r = await runZd(['rewrite', '--check', '--all'], { cwd: beside, env: { DATABASE_URL: undefined } });
    expect(r.stderr).toMatch(/could not be read \(.*password authentication failed/);

    // Two different values: Prisma refuses, and so does prisma-zd (exit 2).
    writeFileSync(join(beside, '.env'), `DATABASE_URL=postgresql://someone@127.0.0.1:1/other\n`);
    const conflict = await runZd(['rewrite', '--check', '--all'], { cwd: beside, env: { DATABASE_URL: undefined } });
    expect(conflict.code, conflict.stderr).toBe(2);
    expect(conflict.stderr).toContain('Error ZD_CONFLICTING_ENV: DATABASE_URL is set in both');
    expect(conflict.stdout + conflict.stderr).not.toContain(TEST_PASSWORD);
  });
});

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
