/*
 * A session-level search_path a migration leaves set, measured with the real prisma CLI
 * (through the sample adapter, one session as with the native engine, in both execution
 * modes): Prisma records the migration in "_prisma_migrations" (unqualified) on the same
 * connection right after the file, and applies the next ones there too. Without Prisma's
 * schema on the path the deploy fails on its own bookkeeping (P1014) with the migration's
 * changes committed; with it, the next migration's table lands in the other schema. The
 * fixes the rule gives deploy cleanly. `check` reports exactly the migrations that do harm.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployProject, Resources, zdDeploy } from '../deploy/support.js';
import { query, sampleTemplate } from '../prisma/helpers.js';
import { freshDatabase } from '../support/db.js';
import type { ExecMode } from '../support/prisma.js';
import { deploySessionHistory } from './fixture.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(() => Promise.all(cleanups.splice(0).map((f) => f().catch(() => {}))));

/** Deploy init, `set` (the SQL given, then CREATE TABLE "A"), then `next` (CREATE TABLE "B"), and check the folder. */
async function deploy(mode: ExecMode, setSql: string) {
  const db = await freshDatabase({ prefix: 'zd_search_path_left' });
  cleanups.push(() => db.drop());
  const r = await deploySessionHistory({
    url: db.url,
    mode,
    init: `CREATE SCHEMA "app";\nCREATE TABLE "Item" ("id" SERIAL PRIMARY KEY);\n`,
    set: setSql,
    ruleId: 'search-path-not-reset',
    cleanup: (f) => cleanups.push(f),
  });
  const tables = (await query<{ t: string }>(db.url, `SELECT n.nspname || '.' || c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND c.relname IN ('A', 'B') ORDER BY 1`)).map((x) => x.t);
  return { ...r, tables };
}

describe('a search_path left set by a migration, deployed by the real prisma CLI', () => {
  for (const mode of ['whole-file', 'per-statement'] as const) {
    it(`${mode}: without Prisma's schema on it, the deploy fails on its own bookkeeping, the changes committed; check says error`, async () => {
      for (const setSql of ['SET search_path TO "app";', "SELECT set_config('search_path', 'app', false);"]) {
        const r = await deploy(mode, setSql);
        expect(r.code, setSql).not.toBe(0);
        expect(r.output, setSql).toContain('P1014');
        expect(r.tables, setSql).toEqual(['app.A']);
        expect(r.unfinished, setSql).toEqual(['set']);
        expect(r.findings, setSql).toEqual([['set', 'error']]);
      }
    }, 240_000);

    it(`${mode}: with Prisma's schema still on it, the next migration's table lands in the other schema; check warns`, async () => {
      const r = await deploy(mode, 'SET search_path TO "app", public;');
      expect(r.code).toBe(0);
      expect(r.tables).toEqual(['app.A', 'app.B']);
      expect(r.findings).toEqual([['set', 'warning']]);
    }, 240_000);

    it(`${mode}: reset at the end, it deploys and the next migration is in public; check says nothing`, async () => {
      const r = await deploy(mode, 'SET search_path TO "app";\nCREATE TABLE "A0" ("id" INTEGER);\nRESET search_path;');
      expect(r.code, r.output).toBe(0);
      expect(r.tables).toEqual(['public.A', 'public.B']);
      expect(r.unfinished).toEqual([]);
      expect(r.findings).toEqual([]);
    }, 240_000);
  }

  it('whole-file: SET LOCAL ends with the file, and deploys; check says nothing', async () => {
    const r = await deploy('whole-file', 'SET LOCAL search_path TO "app";');
    expect(r.code, r.output).toBe(0);
    expect(r.tables).toEqual(['app.A', 'public.B']);
    expect(r.findings).toEqual([]);
  }, 240_000);
});

describe('prisma-zd deploy and a pending migration that leaves the search_path set', () => {
  const res = new Resources();
  afterAll(() => res.cleanup());
  let template: string;
  const newDatabase = () => freshDatabase({ template, prefix: 'zd_search_path_deploy' });
  beforeAll(async () => {
    template = await sampleTemplate();
  }, 300_000);

  it('refuses before anything runs when Prisma\'s schema is not on it (ZD_SEARCH_PATH_LEFT, file:line, the fix); deploys once it is reset', async () => {
    const sql = 'CREATE SCHEMA "audit";\nSET search_path TO "audit";\nCREATE TABLE "Log" ("id" INTEGER);\n';
    const p = await deployProject(res, newDatabase, { name: 'audit_log', sql });
    const r = await zdDeploy(p);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Error ZD_SEARCH_PATH_LEFT');
    expect(r.stderr).toContain(`(migrations/${p.migration}/migration.sql:2)`);
    expect(r.stderr).toContain('RESET search_path;');
    // Nothing ran: no schema, no row for the migration.
    expect(await query(p.url, `SELECT to_regnamespace('audit') IS NULL AS none`)).toEqual([{ none: true }]);
    expect(await query(p.url, `SELECT count(*)::int AS n FROM "_prisma_migrations" WHERE migration_name = $1`, [p.migration])).toEqual([{ n: 0 }]);

    writeFileSync(join(p.project.migrationsDir, p.migration, 'migration.sql'), `${sql}RESET search_path;\n`);
    const fixed = await zdDeploy(p);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(await query(p.url, `SELECT to_regclass('audit."Log"') IS NOT NULL AS there, finished_at IS NOT NULL AS finished FROM "_prisma_migrations" WHERE migration_name = $1`, [p.migration])).toEqual([{ there: true, finished: true }]);
  }, 240_000);

  it('warns, and deploys, when Prisma\'s schema is still on it', async () => {
    const p = await deployProject(res, newDatabase, { name: 'audit_first', sql: 'CREATE SCHEMA "audit";\nSET search_path TO "audit", public;\nCREATE TABLE "Log" ("id" INTEGER);\n' });
    const r = await zdDeploy(p);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`leaves the search_path set to "audit", "public" (migrations/${p.migration}/migration.sql:2)`);
  }, 240_000);
});
