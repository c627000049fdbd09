/**
 * docs/recipes/pgbouncer.md: a project whose datasource has `url` (the pooler) and
 * `directUrl` (PostgreSQL), its environment from the page's env.sh. The pooler URL points
 * where nothing listens, so any command that used it would fail.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/db.js';
import { query } from '../prisma/helpers.js';
import { sampleConfigWithAdapter } from '../support/prisma.js';
import { ciEnv, recipeBlock, runScript, userRepo, type UserRepo } from './support.js';

/** The sample's config, its adapter built from DIRECT_URL (the CLI's adapter takes the direct URL, as the page says). */
const DIRECT_CONFIG = sampleConfigWithAdapter('return sampleAdapter({ url: process.env.DIRECT_URL! });');

describe('docs/recipes/pgbouncer.md', () => {
  let repo: UserRepo;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let envScript: string;

  beforeAll(async () => {
    repo = userRepo();
    db = await freshDatabase({ prefix: 'zd_pgbouncer' });
    const schema = readFileSync(join(repo.dir, 'schema.prisma'), 'utf8');
    const datasource = /datasource db \{[\s\S]*?\n\}/;
    expect(schema).toMatch(datasource);
    writeFileSync(join(repo.dir, 'schema.prisma'), schema.replace(datasource, recipeBlock('pgbouncer', 'schema.prisma').trimEnd()));
    writeFileSync(join(repo.dir, 'prisma.config.ts'), DIRECT_CONFIG);
    // The page's env.sh, with its hosts replaced: the pooler's by a port where nothing listens, PostgreSQL's by the test server.
    const direct = new URL(db.url);
    envScript = recipeBlock('pgbouncer', 'env.sh')
      .replace('pgbouncer.internal:6432/app', '127.0.0.1:6432/app')
      .replace('app:${DB_PASSWORD}@db.internal:5432/app', `${direct.username}:\${DB_PASSWORD}@${direct.host}${direct.pathname}`);
    expect(envScript).toContain(direct.host);
    writeFileSync(join(repo.dir, 'env.sh'), envScript);
  });
  afterAll(async () => {
    repo?.cleanup();
    await db?.drop();
  });

  const env = () => ciEnv({ DB_PASSWORD: decodeURIComponent(new URL(db.url).password) });

  it('deploy, contract and verify --strict all take DIRECT_URL; the pooler URL is never used', async () => {
    const unreachable = await runScript('. ./env.sh && npx prisma-zd postponed list --url "$DATABASE_URL"', { cwd: repo.dir, env: env() });
    expect(unreachable.code).toBe(6); // nothing listens where DATABASE_URL points
    const r = await runScript('. ./env.sh\nnpx prisma-zd deploy\nnpx prisma-zd contract\nnpx prisma-zd verify --strict', { cwd: repo.dir, env: env() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("✓ The database's schema is what the migrations folder produces.");
    expect(r.stderr).not.toContain('looks like a connection pooler');
    expect(await query(db.url, `SELECT count(*)::int AS n FROM "_prisma_migrations" WHERE finished_at IS NOT NULL`)).toEqual([{ n: 8 }]);
  });

  it('deploy warns when the URL it uses looks like a pooler', async () => {
    const pooled = new URL(db.url);
    pooled.searchParams.set('pgbouncer', 'true');
    const r = await runScript(`npx prisma-zd deploy --dry-run --url '${pooled.toString()}'`, { cwd: repo.dir, env: env() });
    expect(r.code, r.stderr).toBe(0);
    const warning = readFileSync(join(import.meta.dirname, '../../docs/recipes/pgbouncer.md'), 'utf8').match(/^warning: The database URL looks like a connection pooler.*$/m)![0];
    expect(r.stderr).toContain(warning);
  });
});
