/**
 * Migrations that set the search_path (`SET search_path TO app;` then unqualified names):
 * `rewrite` resolves each statement's names with the path it runs with, and what it
 * queues runs later — in `postponed run`, `contract`, or inline in a later migration's
 * queue maintenance, each in a session of its own — in the schema the original statement
 * used. End to end through the built CLI and the real `prisma migrate deploy`, then case
 * by case against the original history (I2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLikePrisma, withConnection, type ExecMode } from '../support/apply.js';
import { runZd } from '../support/cli.js';
import { freshDatabase, templateDatabase } from '../support/db.js';
import { BATCHINGS, expectScenarioConverges } from '../support/managed.js';
import { addMigration } from '../support/prisma.js';
import { sampleTemplate } from '../prisma/helpers.js';
import { deployProject, query, Resources, zdDeploy } from '../deploy/support.js';

const res = new Resources();
afterAll(() => res.cleanup());

describe('prisma-zd rewrite and deploy, a migration that sets the search_path', () => {
  let template: string;
  beforeAll(async () => {
    template = await sampleTemplate();
  });

  it('SET search_path TO app; CREATE INDEX on an existing app table: rewrite postpones it, deploy builds it CONCURRENTLY in app', async () => {
    const p = await deployProject(res, () => freshDatabase({ template, prefix: 'zd_rw_sp' }));
    const dir = p.project.migrationsDir;
    addMigration(dir, 'app_schema', `CREATE SCHEMA "app";\nCREATE TABLE "app"."T" ("id" SERIAL NOT NULL, "c" TEXT, CONSTRAINT "T_pkey" PRIMARY KEY ("id"));\n`);
    const first = await zdDeploy(p, ['--json']);
    expect(first.code, first.stderr).toBe(0);
    await query(p.url, `INSERT INTO app."T" ("c") SELECT 'c' || g FROM generate_series(1, 1000) g`);

    const sql = `-- CreateIndex\nSET search_path TO app;\nCREATE INDEX "T_c_idx" ON "T"("c");\nRESET search_path;\n`;
    const name = addMigration(dir, 'app_t_c', sql);
    const rw = await runZd(['rewrite', `migrations/${name}`], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
    expect(rw.code, rw.stderr).toBe(0);
    expect(rw.stderr).toContain('index "T_c_idx" on "T": postponed, built CONCURRENTLY');

    const run = await zdDeploy(p, ['--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({
      status: 'applied',
      migrations: { appliedNow: [name] },
      postponed: { entries: [{ kind: 'index', status: 'built', label: expect.stringContaining('T_c_idx') }] },
      postponedPending: 0,
    });
    // Queued with the statement's search_path and its table's schema; built by the runner (CONCURRENTLY) in app.
    expect(await query(p.url, `SELECT kind, table_schema, search_path, status, statement FROM prisma_zd.queue`)).toEqual([
      { kind: 'index', table_schema: 'app', search_path: 'app', status: 'done', statement: 'CREATE INDEX "T_c_idx" ON "T"("c")' },
    ]);
    expect(await query(p.url, `SELECT n.nspname AS schema, t.relname AS "table", i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_class t ON t.oid = i.indrelid WHERE c.relname = 'T_c_idx'`)).toEqual([
      { schema: 'app', table: 'T', valid: true },
    ]);
    // A second rewrite changes nothing (I4).
    const again = await runZd(['rewrite', `migrations/${name}`], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('postponed, built CONCURRENTLY');
  });
});

// app."T", app."User", app."Post", and a "User" and "Post" of the default schema too.
const BASE = `CREATE SCHEMA "app";
CREATE TABLE "app"."T" ("id" SERIAL NOT NULL, "c" TEXT, "d" INTEGER NOT NULL DEFAULT 0, CONSTRAINT "T_pkey" PRIMARY KEY ("id"));
CREATE TABLE "app"."User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE TABLE "app"."Post" ("id" SERIAL NOT NULL, "authorEmail" TEXT, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));
CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Post" ("id" SERIAL NOT NULL, "authorEmail" TEXT, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));
INSERT INTO app."T" ("c") VALUES ('x'), ('y');
INSERT INTO app."User" ("email") VALUES ('a@example.com');
INSERT INTO "User" ("email") VALUES ('a@example.com');
`;

const inApp = (sql: string) => `SET search_path TO app;\n${sql}RESET search_path;\n`;
const APP_T_C = inApp(`CREATE INDEX "T_c_idx" ON "T"("c");\n`);
const APP_USER_EMAIL = inApp(`CREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n`);
const APP_T_D = inApp(`ALTER TABLE "T" ALTER COLUMN "d" DROP DEFAULT;\n`);

const scenarios: Array<{ name: string; steps: string[] }> = [
  { name: 'index on an app table through the set path', steps: [APP_T_C] },
  { name: 'index through the set path, then its table dropped by its qualified name', steps: [APP_T_C, `DROP TABLE "app"."T";\n`] },
  { name: 'index through the set path, then renamed through it', steps: [APP_T_C, inApp(`ALTER INDEX "T_c_idx" RENAME TO "T_c2_idx";\n`)] },
  {
    name: 'unique index through the set path, then a foreign key onto it from the default path',
    steps: [APP_USER_EMAIL, `ALTER TABLE "app"."Post" ADD CONSTRAINT "Post_authorEmail_fkey" FOREIGN KEY ("authorEmail") REFERENCES "app"."User"("email");\n`],
  },
  {
    name: 'unique index on the default schema, then a foreign key onto it under the app path',
    steps: [
      `CREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n`,
      inApp(`ALTER TABLE public."Post" ADD CONSTRAINT "Post_authorEmail_fkey" FOREIGN KEY ("authorEmail") REFERENCES public."User"("email");\n`),
    ],
  },
  { name: 'DROP DEFAULT through the set path (contract drops it in app)', steps: [APP_T_D] },
  { name: 'DROP DEFAULT through the set path, then a type change of the column by its qualified name', steps: [APP_T_D, `ALTER TABLE "app"."T" ALTER COLUMN "d" TYPE BIGINT;\n`] },
];


let base: Promise<string> | undefined;
const baseTemplate = () =>
  (base ??= templateDatabase((url) => withConnection(url, (c) => applyLikePrisma(c, { name: '20260101000000_base', sql: BASE })), 'zd_scn_sp'));

describe('I2 under a search_path set by the migrations', () => {
  for (const s of scenarios) {
    describe(s.name, () => {
      for (const mode of ['whole-file', 'per-statement'] as ExecMode[]) {
        for (const b of BATCHINGS.slice(0, 2)) {
          it(`${mode}, ${b.name}`, () =>
            expectScenarioConverges({ base: BASE, template: baseTemplate, steps: s.steps, mode, batching: b, changed: true }),
          );
        }
      }
    });
  }
});
