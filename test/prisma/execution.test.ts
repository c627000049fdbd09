/**
 * How the sample's adapter executes migration.sql, observed through the real Prisma CLI:
 * `whole-file` is one simple query (one implicit transaction, like the native engine up
 * to Prisma 7.3), `per-statement` autocommits each parser-split statement.
 */
import { describe, expect, it } from 'vitest';
import { runPrisma, type ExecMode } from '../support/prisma.js';
import { migrationRows, query, sampleWithMigration, tableExists } from './helpers.js';

/** Its first statement succeeds, its second fails on existing data. */
const FAILS_MIDWAY = `-- CreateTable
CREATE TABLE "StockMovement" (
    "id" SERIAL NOT NULL,
    "productId" INTEGER NOT NULL,
    "delta" INTEGER NOT NULL,

    CONSTRAINT "StockMovement_pkey" PRIMARY KEY ("id")
);

-- Stock must be positive (an existing product has stock 0)
ALTER TABLE "Product" ADD CONSTRAINT "Product_stock_positive" CHECK ("stock" > 0);
`;
const CHECK_ERROR = 'check constraint "Product_stock_positive" of relation "Product" is violated by some row';

/** A DO block full of `;`, and multi-byte characters before later statements. */
const WITH_DO_BLOCK = `-- Réglages par défaut: a naive split on ";" breaks this file.
CREATE TABLE "Setting" (
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "Setting_pkey" PRIMARY KEY ("key")
);

DO $$
BEGIN
  INSERT INTO "Setting" ("key", "value") VALUES ('greeting', 'héllo; wörld');
  IF NOT EXISTS (SELECT 1 FROM "Setting" WHERE "key" = 'currency') THEN
    INSERT INTO "Setting" ("key", "value") VALUES ('currency', 'EUR;USD');
  END IF;
END $$;

INSERT INTO "Setting" ("key", "value") VALUES ('motto', 'café ☕; always');
`;

const CONCURRENT_INDEX = 'CREATE INDEX CONCURRENTLY "Post_title_idx" ON "Post"("title");\n';


/** A database with the sample history applied, and a project copy with `sql` as one more migration. */
const setup = sampleWithMigration('zd_prisma_exec');

describe.concurrent('a migration whose second statement fails', () => {
  async function deployFailing(mode: ExecMode) {
    const { url, project, migration } = await setup('stock_movements', FAILS_MIDWAY);
    await query(url, `INSERT INTO "Product" ("sku", "name", "priceCents", "currency", "updatedAt") VALUES ('MUG-1', 'Mug', 900, 'EUR', now())`);
    const deploy = await runPrisma(['migrate', 'deploy'], { url, mode, cwd: project.dir });
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain(CHECK_ERROR);

    const row = (await migrationRows(url)).find((r) => r.migration_name === migration);
    expect(row).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });
    expect(row!.logs).toContain(`ERROR: ${CHECK_ERROR}`);

    const status = await runPrisma(['migrate', 'status'], { url, mode, cwd: project.dir });
    expect(status.code).toBe(1);
    expect(status.stderr).toContain(`Following migration have failed:\n${migration}`);
    return { url, project };
  }

  it('whole-file: leaves nothing behind, and the next deploy refuses to run (P3009)', async () => {
    const { url, project } = await deployFailing('whole-file');
    expect(await tableExists(url, 'StockMovement')).toBe(false);

    const again = await runPrisma(['migrate', 'deploy'], { url, cwd: project.dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('P3009');
  });

  it('per-statement: keeps the first statement’s table (each statement was autocommitted)', async () => {
    const { url } = await deployFailing('per-statement');
    expect(await tableExists(url, 'StockMovement')).toBe(true);
  });
});

describe.concurrent.each<ExecMode>(['whole-file', 'per-statement'])('%s execution', (mode) => {
  it('deploys a DO $$ … ; … $$ block (no naive split on ";")', async () => {
    const { url, project } = await setup('settings', WITH_DO_BLOCK);
    const deploy = await runPrisma(['migrate', 'deploy'], { url, mode, cwd: project.dir });
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(await query(url, `SELECT "key", "value" FROM "Setting" ORDER BY "key"`)).toEqual([
      { key: 'currency', value: 'EUR;USD' },
      { key: 'greeting', value: 'héllo; wörld' },
      { key: 'motto', value: 'café ☕; always' },
    ]);
  });
});

describe.concurrent('CREATE INDEX CONCURRENTLY', () => {
  it('runs alone in its file under whole-file execution', async () => {
    const { url, project } = await setup('post_title_index', CONCURRENT_INDEX);
    const deploy = await runPrisma(['migrate', 'deploy'], { url, cwd: project.dir });
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(await query(url, `SELECT indisvalid FROM pg_index WHERE indexrelid = '"Post_title_idx"'::regclass`)).toEqual([
      { indisvalid: true },
    ]);
  });

  it('fails next to another statement under whole-file execution, and runs under per-statement', async () => {
    const sql = `ALTER TABLE "Post" ADD COLUMN "subtitle" TEXT;\n\n${CONCURRENT_INDEX}`;
    const whole = await setup('post_subtitle', sql);
    const failed = await runPrisma(['migrate', 'deploy'], { url: whole.url, cwd: whole.project.dir });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('CREATE INDEX CONCURRENTLY cannot run inside a transaction block');

    const split = await setup('post_subtitle', sql);
    const deployed = await runPrisma(['migrate', 'deploy'], { url: split.url, mode: 'per-statement', cwd: split.project.dir });
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(await tableExists(split.url, 'Post_title_idx')).toBe(true);
  });
});
