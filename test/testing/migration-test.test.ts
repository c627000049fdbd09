/**
 * The testing kit (`prisma-zd/testing`, imported from the built package as users do):
 * mode detection, failures naming the migration and statement in both modes, failed
 * postponed work naming its entry, misuse, unmanaged runs; and the example project's
 * migrations staying exactly what `prisma-zd rewrite --all` makes of the sample's.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createMigrationTest, MigrationError, PostponedWorkError, SchemaMismatchError } from 'prisma-zd/testing';
import { runZd } from '../support/cli.js';
import { freshDatabase } from '../support/db.js';
import { addMigration, copySampleProject, SAMPLE_DIR } from '../support/prisma.js';

const EXAMPLE = resolve(fileURLToPath(new URL('../../examples/testing-kit', import.meta.url)));
const EXAMPLE_MIGRATIONS = join(EXAMPLE, 'migrations');

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
async function database() {
  const db = await freshDatabase({ prefix: 'zd_testing' });
  cleanups.push(() => db.drop());
  return db;
}
async function sampleCopy() {
  const copy = await copySampleProject();
  cleanups.push(() => copy.cleanup());
  return copy;
}

describe('examples/testing-kit', () => {
  it("holds the sample's history exactly as `prisma-zd rewrite --all` writes it", async () => {
    const copy = await sampleCopy();
    const r = await runZd(['rewrite', '--all', '--migrations', copy.migrationsDir], { cwd: copy.dir });
    expect(r.code, r.stderr).toBe(0);
    const names = readdirSync(copy.migrationsDir).sort();
    expect(readdirSync(EXAMPLE_MIGRATIONS).sort()).toEqual(names);
    for (const n of names) {
      const file = n.endsWith('.toml') ? n : join(n, 'migration.sql');
      expect(readFileSync(join(EXAMPLE_MIGRATIONS, file), 'utf8'), file).toBe(readFileSync(join(copy.migrationsDir, file), 'utf8'));
    }
  });
});

describe('createMigrationTest', () => {
  it("detects the mode: prisma where the project has it installed, sql for a bare migrations folder", async () => {
    const db = await database();
    expect((await createMigrationTest({ url: db.url, cwd: EXAMPLE })).mode).toBe('prisma');
    const bare = mkdtempSync(join(tmpdir(), 'zd-bare-'));
    cleanups.push(async () => rmSync(bare, { recursive: true, force: true }));
    const t = await createMigrationTest({ url: db.url, cwd: bare, migrationsDir: EXAMPLE_MIGRATIONS });
    expect(t.mode).toBe('sql');
    expect(t.migrations).toHaveLength(8);
  });

  it('a removed @@index waits for runContract(); a later CREATE INDEX CONCURRENTLY of its name is refused until then, as deploy refuses it', async () => {
    const db = await database();
    const copy = await sampleCopy();
    const dropped = addMigration(copy.migrationsDir, 'drop_comment_index', `DROP INDEX "Comment_postId_createdAt_idx";\n`);
    const r = await runZd(['rewrite', '--migrations', copy.migrationsDir, join(copy.migrationsDir, dropped)], { cwd: copy.dir });
    expect(r.code, r.stderr).toBe(0);
    const again = addMigration(copy.migrationsDir, 'comment_index_again', `CREATE INDEX CONCURRENTLY "Comment_postId_createdAt_idx" ON "Comment"("createdAt");\n`);
    const t = await createMigrationTest({ url: db.url, cwd: copy.dir, mode: 'sql' });
    await t.migrateTo(dropped);
    expect((await t.state()).deferred.map((e) => e.statement)).toEqual(['DROP INDEX "Comment_postId_createdAt_idx"']);
    const error = await t.migrateTo(again).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(error?.code).toBe('ZD_INDEX_STILL_STANDS');
    expect(error?.message).toContain(`but on this database "Comment_postId_createdAt_idx" still stands: migration ${dropped} dropped it`);
    expect(error?.message).toContain(`Run \`runContract()\` (once no app version that uses "Comment_postId_createdAt_idx" runs), then migrateTo("${again}") again.`);
    await t.runContract();
    expect(await t.migrateTo(again)).toEqual([again]);
    await t.expectMatchesUnmanaged();
  });

  it('a removed field: the old version keeps selecting it until runContract(); then the schema is the unmanaged history\'s', async () => {
    const db = await database();
    const copy = await sampleCopy();
    const removed = addMigration(copy.migrationsDir, 'remove_comment_body', `-- AlterTable\nALTER TABLE "Comment" DROP COLUMN "body";\n`);
    const r = await runZd(['rewrite', '--migrations', copy.migrationsDir, join(copy.migrationsDir, removed)], { cwd: copy.dir });
    expect(r.code, r.stderr).toBe(0);
    const t = await createMigrationTest({ url: db.url, cwd: copy.dir, mode: 'sql' });
    await t.migrateTo(removed);
    expect((await t.state()).deferred.map((e) => e.statement)).toEqual(['ALTER TABLE "Comment" DROP COLUMN "body"']);
    const oldSelect = `SELECT "id", "body", "postId" FROM "Comment"`;
    expect(await t.query(oldSelect)).toEqual([]);
    await t.runContract();
    await expect(t.query(oldSelect)).rejects.toThrow(/column "body" does not exist/);
    await t.expectMatchesUnmanaged();
  });

  for (const mode of ['prisma', 'sql'] as const) {
    it(`${mode} mode: a migration failing on the data names the migration and the statement, and leaves Prisma's failed state`, async () => {
      const copy = await sampleCopy();
      const db = await database();
      const name = addMigration(
        copy.migrationsDir,
        'user_name_required',
        `-- Backfill first\nUPDATE "User" SET "name" = 'anonymous' WHERE "email" LIKE '%@example.com';\n\n-- AlterTable\nALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;\n`,
      );
      const t = await createMigrationTest({ url: db.url, cwd: copy.dir, mode });
      await t.migrateTo('20261123203533_role_without_moderator');
      await t.query(`INSERT INTO "User" ("email", "updatedAt") VALUES ('someone@elsewhere.org', now())`);
      const error = await t.migrateTo(name).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MigrationError);
      const m = error as MigrationError;
      expect(m.migration).toBe(name);
      expect(m.statement).toEqual({ number: 2, of: 2, line: 5, column: 1, text: 'ALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL' });
      expect(m.message).toContain(`Migration ${name} failed at statement 2 of 2 (${join(copy.migrationsDir, name, 'migration.sql')}:5:1):`);
      expect(m.message).toContain('column "name" of relation "User" contains null values');
      expect((await t.state()).failed).toEqual([name]);
    });
  }

  it('prisma mode: a deploy that outlives timeoutMs (a lock held elsewhere) fails naming the blocker, and its session is ended: nothing is applied behind the test', async () => {
    const copy = await sampleCopy();
    const db = await database();
    const name = addMigration(copy.migrationsDir, 'product_weight', `-- AlterTable\nALTER TABLE "Product" ADD COLUMN "weight" INTEGER;\n`);
    // The history first, with the default timeout (a loaded machine takes seconds for it).
    await (await createMigrationTest({ url: db.url, cwd: copy.dir, mode: 'prisma' })).migrateTo('20261123203533_role_without_moderator');
    // timeoutMs leaves `prisma migrate deploy` time to start and reach the lock on a loaded machine (8 s once did not).
    const t = await createMigrationTest({ url: db.url, cwd: copy.dir, mode: 'prisma', timeoutMs: 15_000 });
    const report = new pg.Client({ connectionString: db.url, application_name: 'report-job' });
    await report.connect();
    cleanups.push(() => report.end());
    await report.query(`BEGIN; LOCK TABLE "Product" IN ACCESS SHARE MODE`);
    const started = Date.now();
    const error = await t.migrateTo(name).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(40_000);
    expect((error as { code?: string }).code).toBe('ZD_TIMEOUT');
    expect((error as Error).message).toContain('did not finish within timeoutMs (15000 ms): it was waiting for a lock held by pid');
    expect((error as Error).message).toContain('(report-job, idle in transaction');
    await report.query('COMMIT');
    await new Promise((r) => setTimeout(r, 1500));
    const columns = await t.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'Product' AND column_name = 'weight'`);
    expect(columns).toEqual([]);
  });

  it('failed postponed work names the entry, the migration that queued it and its statement', async () => {
    const db = await database();
    const t = await createMigrationTest({ url: db.url, cwd: EXAMPLE, mode: 'sql' });
    await t.migrateTo('20261123203526_user_username');
    // Two app instances in the window write the same username before the unique index exists.
    await t.query(`INSERT INTO "User" ("email", "username", "updatedAt") VALUES ('a@example.com', 'sam', now()), ('b@example.com', 'sam', now())`);
    const error = await t.runPostponed().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PostponedWorkError);
    expect((error as Error).message).toContain('- index "User_username_key" on "User" (queued by migration 20261123203526_user_username): ');
    expect((error as Error).message).toContain('statement: CREATE UNIQUE INDEX "User_username_key" ON "User"("username")');
    expect((error as Error).message).toContain('23505');
    await expect(t.expectMatchesUnmanaged()).rejects.toThrow(SchemaMismatchError);
  });

  for (const mode of ['prisma', 'sql'] as const) {
    it(`${mode} mode: refuses, as deploy does and before anything runs, a migration leaving a search_path without Prisma's schema or a role that may not record it; runs it once reset`, async () => {
      const copy = await sampleCopy();
      const db = await database();
      const role = `zd_kit_reader_${mode}_${process.pid}`;
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      cleanups.push(async () => {
        await admin.query(`DROP ROLE IF EXISTS "${role}"`);
        await admin.end();
      });
      await admin.query(`DROP ROLE IF EXISTS "${role}"; CREATE ROLE "${role}" NOLOGIN`);
      const before = '20261123203533_role_without_moderator';
      await (await createMigrationTest({ url: db.url, cwd: copy.dir, mode })).migrateTo(before);
      const name = addMigration(copy.migrationsDir, 'session_left', '');
      const file = join(copy.migrationsDir, name, 'migration.sql');
      const attempt = async (sql: string) => {
        writeFileSync(file, sql);
        // The kit reads the folder when it is created, as a test file does once.
        const t = await createMigrationTest({ url: db.url, cwd: copy.dir, mode });
        const error = await t.migrateTo(name).then(
          () => undefined,
          (e: unknown) => e as Error & { code?: string },
        );
        const created = await admin.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'kit_app'`);
        return { error, state: await t.state(), schemaCreated: created.rowCount === 1 };
      };

      const path = await attempt('CREATE SCHEMA "kit_app";\nSET search_path TO "kit_app";\nCREATE TABLE "Left" ("id" INTEGER);\n');
      expect(path.error?.code).toBe('ZD_SEARCH_PATH_LEFT');
      expect(path.error?.message).toContain(`Migration ${name} leaves the search_path set to "kit_app" (`);
      expect(path.error?.message).toContain(`${join(name, 'migration.sql')}:2). Prisma records each migration in "_prisma_migrations"`);
      expect(path.error?.message).toContain('Nothing was applied.');
      expect(path.error?.message).toContain('end the migration with `RESET search_path;`, use SET LOCAL, or name the schema in each statement; then run the test again');
      expect(path.state.applied.at(-1)).toBe(before);
      expect(path.state.failed).toEqual([]);
      expect(path.schemaCreated).toBe(false);

      const setRole = await attempt(`SET ROLE "${role}";\nSELECT 1;\n`);
      expect(setRole.error?.code).toBe('ZD_ROLE_LEFT');
      expect(setRole.error?.message).toContain(`Migration ${name} leaves SET ROLE "${role}" in effect (`);
      expect(setRole.error?.message).toContain(`"${role}" may not update "public"."_prisma_migrations"`);
      expect(setRole.error?.message).toContain('end the migration with `RESET ROLE;` (RESET ALL does not reset it), then run the test again');
      expect(setRole.state.applied.at(-1)).toBe(before);

      const reset = await attempt(`CREATE SCHEMA "kit_app";\nSET search_path TO "kit_app";\nCREATE TABLE "Left" ("id" INTEGER);\nRESET search_path;\nSET ROLE "${role}";\nSELECT 1;\nRESET ROLE;\n`);
      expect(reset.error).toBeUndefined();
      expect(reset.state.applied.at(-1)).toBe(name);
      expect((await admin.query(`SELECT to_regclass('kit_app."Left"') IS NOT NULL AS ok`)).rows[0].ok).toBe(true);

      // What deploy warns of and runs (Prisma's schema still on the path): run, and warned of, with file:line.
      const next = addMigration(copy.migrationsDir, 'session_warn', 'CREATE SCHEMA "kit_warn";\nSET search_path TO "kit_warn", public;\nCREATE TABLE "W" ("id" INTEGER);\n');
      const heard: string[] = [];
      const t = await createMigrationTest({ url: db.url, cwd: copy.dir, mode, onWarning: (m) => heard.push(m) });
      expect(await t.migrateTo(next)).toEqual([next]);
      expect(t.warnings).toEqual([expect.stringContaining(`Migration ${next} leaves the search_path set to "kit_warn", "public" (`)]);
      expect(t.warnings[0]).toContain(`${join(next, 'migration.sql')}:2): the migrations applied after it in this deploy resolve their unqualified names in "kit_warn" first.`);
      expect(heard).toEqual(t.warnings);
    }, 240_000);
  }

  it('refuses a migration name it does not know and going back in the history', async () => {
    const db = await database();
    const t = await createMigrationTest({ url: db.url, cwd: EXAMPLE, mode: 'sql' });
    await expect(t.migrateTo('20990101000000_nope')).rejects.toThrow(/No migration 20990101000000_nope in .*Its migrations: 20261123203511_init, /);
    await t.migrateTo('20261123203517_product_currency_without_default');
    expect(await t.migrateTo('20261123203514_post_published_index').catch((e: Error) => e.message)).toContain(
      'Cannot migrate to 20261123203514_post_published_index: later migrations are applied already (20261123203517_product_currency_without_default).',
    );
    expect(await t.migrateTo('20261123203517_product_currency_without_default')).toEqual([]);
  });

  it('managed: false runs the rewritten history unmanaged: nothing is queued and the schema is the original one at once (I1)', async () => {
    const db = await database();
    const t = await createMigrationTest({ url: db.url, cwd: EXAMPLE, mode: 'sql', managed: false });
    await t.migrateTo();
    expect(await t.state()).toMatchObject({ managed: false, postponed: [], deferred: [], notApplied: [], failed: [] });
    await t.expectMatchesUnmanaged({ migrationsDir: join(SAMPLE_DIR, 'migrations') });
  });

  it("refuses prisma mode with an adapter that splits scripts on every ';'", async () => {
    const copy = await sampleCopy();
    writeFileSync(
      join(copy.dir, 'prisma.config.ts'),
      `import { defineConfig } from 'prisma/config';\nimport { PrismaPg } from '@prisma/adapter-pg';\nexport default defineConfig({ experimental: { adapter: true }, engine: 'js', schema: 'schema.prisma', adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL }) });\n`,
    );
    await expect(createMigrationTest({ url: 'postgresql://u:pw@127.0.0.1:1/db', cwd: copy.dir, mode: 'prisma' })).rejects.toThrow(/splits scripts on every ";"/);
  });
});
