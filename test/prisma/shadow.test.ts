/*
 * The sample project's adapter and a shadow database the user names (SHADOW_DATABASE_URL):
 * the native engine resets that database before each use, so must the fixture; otherwise a
 * second `prisma migrate dev` replays the history onto the first one's objects (P3006).
 */
import { describe, expect, it } from 'vitest';
import { sampleAdapter } from '../../prisma/adapter/index.js';
import { freshDatabase } from '../support/db.js';
import { query } from './helpers.js';

describe('the sample adapter with a given shadow database', () => {
  it('empties it before each use, as the native engine resets it', async () => {
    const [db, shadow] = await Promise.all([freshDatabase(), freshDatabase()]);
    try {
      const factory = sampleAdapter({ url: db.url, shadowUrl: shadow.url });
      for (const round of [1, 2]) {
        const adapter = await factory.connectToShadowDb();
        try {
          // What a migration history leaves there: a type, a table, a schema of its own.
          await adapter.executeScript(`CREATE TYPE "Role" AS ENUM ('USER'); CREATE TABLE "User" (id int, role "Role"); CREATE SCHEMA "audit"; CREATE TABLE "audit"."Log" (id int);`);
        } finally {
          await adapter.dispose();
        }
        expect(await query(shadow.url, `SELECT count(*)::int AS n FROM pg_class WHERE relname IN ('User', 'Log')`), `round ${round}`).toEqual([{ n: 2 }]);
      }
      // The application's database is never touched.
      expect(await query(db.url, `SELECT count(*)::int AS n FROM pg_class WHERE relname IN ('User', 'Log')`)).toEqual([{ n: 0 }]);
    } finally {
      await Promise.all([db.drop(), shadow.drop()]);
    }
  });
});
