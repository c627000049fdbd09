/**
 * Testing one of your own migrations with prisma-zd switched on (vitest; jest reads the
 * same). The migration under test is the sample project's
 * `20261123203517_product_currency_without_default`: `Product.currency` loses its
 * default (`@default("EUR")` removed from schema.prisma). `prisma-zd rewrite` deferred that
 * DROP DEFAULT to `contract`, so what still inserts products without a currency during the
 * rollout keeps working until `contract` (invariant I3). Here that is SQL written by hand in
 * the previous app version: Prisma Client itself would send its `@default("EUR")` value.
 *
 * In your project: TEST_DATABASE_URL=postgresql://user:pw@localhost:5432/postgres npx vitest run <this file>
 * (a server where that role may CREATE DATABASE: each test gets a throw-away database).
 * In this repository: `npx vitest run test/testing/example.test.ts` (embedded PostgreSQL, or
 * PRISMA_ZD_TEST_DATABASE_URL=… for yours).
 */
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMigrationTest, createScratchDatabase, type ScratchDatabase } from 'prisma-zd/testing';

const SERVER_URL = process.env.TEST_DATABASE_URL;
/** This project: prisma.config.ts and its migrations (rewritten by prisma-zd). */
const PROJECT = fileURLToPath(new URL('.', import.meta.url));
/** The same history before `prisma-zd rewrite`, as Prisma generated it. */
const ORIGINAL_MIGRATIONS = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

const BEFORE = '20261123203514_post_published_index';
const MIGRATION = '20261123203517_product_currency_without_default';

/** The previous app version's raw INSERT ($executeRaw): it never names `currency`, the default filled it in. */
const OLD_APP_INSERT = `INSERT INTO "Product" ("sku", "name", "priceCents", "updatedAt") VALUES ($1, 'old app', 100, now())`;
/** The new app version's INSERT: `currency` is required in its schema.prisma. */
const NEW_APP_INSERT = `INSERT INTO "Product" ("sku", "name", "priceCents", "currency", "updatedAt") VALUES ($1, 'new app', 100, $2, now())`;

for (const mode of ['prisma', 'sql'] as const) {
  describe.skipIf(!SERVER_URL)(`${MIGRATION} (${mode === 'prisma' ? 'through prisma migrate deploy' : 'files executed like the native engine'})`, () => {
    let db: ScratchDatabase;
    beforeEach(async () => {
      db = await createScratchDatabase(SERVER_URL!, { prefix: 'example' });
    });
    afterEach(async () => {
      await db.drop();
    });

    it('keeps the old app version inserting until contract (I3)', async () => {
      const t = await createMigrationTest({ url: db.url, cwd: PROJECT, mode });
      await t.migrateTo(BEFORE);
      await t.query(OLD_APP_INSERT, ['before']);

      expect(await t.migrateTo(MIGRATION)).toEqual([MIGRATION]);
      const state = await t.state();
      expect(state.deferred.map((e) => e.statement)).toEqual(['ALTER TABLE "Product" ALTER COLUMN "currency" DROP DEFAULT']);
      expect(state.postponed.map((e) => `${e.kind} ${e.objectName}`)).toEqual(['index Post_published_publishedAt_idx']);

      // The rollout window: both app versions write.
      await t.query(OLD_APP_INSERT, ['old-during-rollout']);
      await t.query(NEW_APP_INSERT, ['new-during-rollout', 'USD']);
      expect(await t.query(`SELECT "sku", "currency" FROM "Product" ORDER BY "id"`)).toEqual([
        { sku: 'before', currency: 'EUR' },
        { sku: 'old-during-rollout', currency: 'EUR' },
        { sku: 'new-during-rollout', currency: 'USD' },
      ]);

      await t.runPostponed();
      await t.runContract();
      expect(await t.state()).toMatchObject({ postponed: [], deferred: [] });
      // After contract only the new version runs; the old INSERT is what it would be without prisma-zd.
      await expect(t.query(OLD_APP_INSERT, ['old-after-contract'])).rejects.toThrow(/null value in column "currency"/);
      await t.query(NEW_APP_INSERT, ['new-after-contract', 'EUR']);
      await t.expectMatchesUnmanaged();
    });

    it('ends with the schema of the unmanaged history and of the history before rewrite (I1, I2)', async () => {
      const t = await createMigrationTest({ url: db.url, cwd: PROJECT, mode });
      await t.migrateTo(MIGRATION);
      // Before the queue and contract ran, the differences are exactly the queued work.
      expect((await t.compareWithUnmanaged()).map((d) => d.message)).toEqual([
        'index "public"."Post_published_publishedAt_idx": missing in this database',
        'column "public"."Product"."currency": default differs: none vs \'EUR\'::bpchar',
      ]);
      await t.migrateTo(); // the rest of the history
      await t.runPostponed();
      await t.runContract();
      await t.expectMatchesUnmanaged(); // I2: the rewritten history, unmanaged
      await t.expectMatchesUnmanaged({ migrationsDir: ORIGINAL_MIGRATIONS }); // I1: the history as Prisma generated it
    });
  });
}
