/**
 * Hostile and odd identifiers through rewrite, the queue and contract: quotes and spaces
 * inside quoted names, unicode, reserved words, mixed case quoted and unquoted (folded),
 * schema-qualified names, 63-byte truncation. Names must stay exact (I1, I2).
 */
import { describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/db.js';
import { checkConvergence } from '../support/managed.js';

const long = 'a_very_long_index_name_that_goes_beyond_sixty_three_bytes_for_sure_xyz';
const BASE = `CREATE SCHEMA "other schema";
CREATE TYPE "other schema"."Mood" AS ENUM ('ok', 'meh');
CREATE TABLE "My ""Weird"" Table" ("id" SERIAL PRIMARY KEY, "select" TEXT, "Ünïcödé_列" TEXT NOT NULL DEFAULT 'ü', "a $zd$ b" INTEGER DEFAULT 1);
CREATE TABLE MixedCase ("Id" INTEGER PRIMARY KEY, Lower TEXT, "UPPER" TEXT DEFAULT 'u');
CREATE TABLE "other schema"."T" ("id" INTEGER PRIMARY KEY, "ref" INTEGER, "mood" "other schema"."Mood" NOT NULL DEFAULT 'ok');
INSERT INTO "My ""Weird"" Table" ("select", "Ünïcödé_列") VALUES ('x', 'ä'), ('y', 'ö');
INSERT INTO MixedCase VALUES (1, 'l', 'U');
INSERT INTO "other schema"."T" VALUES (1, 1, 'ok');
`;

const STEPS = [
  `CREATE INDEX "idx ""quoted"" $s$ name" ON "My ""Weird"" Table"("select");
CREATE UNIQUE INDEX "Ünïcödé_列_key" ON "My ""Weird"" Table"("Ünïcödé_列");
CREATE INDEX ${long} ON mixedcase (lower);
CREATE INDEX "order" ON "other schema"."T" ("ref");
ALTER TABLE "other schema"."T" ADD CONSTRAINT "T_ref_fkey" FOREIGN KEY ("ref") REFERENCES "My ""Weird"" Table"("id");
ALTER TABLE "My ""Weird"" Table" ALTER COLUMN "a $zd$ b" DROP DEFAULT;
ALTER TABLE MIXEDCASE ALTER COLUMN "UPPER" DROP DEFAULT;
ALTER TABLE "other schema"."T" ALTER COLUMN "mood" DROP DEFAULT;
`,
  `ALTER INDEX "idx ""quoted"" $s$ name" RENAME TO "renamed ""again""";
ALTER TABLE "My ""Weird"" Table" RENAME COLUMN "Ünïcödé_列" TO "ëncore";
ALTER TABLE mixedcase RENAME TO "Mixed ""Case""";
`,
];

describe('identifiers survive rewrite, the queue and contract exactly', () => {
  for (const batching of ['together', 'apart'] as const) {
    it(`quotes, spaces, unicode, reserved words, folding, schemas, truncation (${batching})`, async () => {
      const history = [{ name: '20260101000000_base', sql: BASE }, ...STEPS.map((sql, i) => ({ name: `2026010100000${i + 1}_step`, sql }))];
      const r = await checkConvergence({
        history,
        create: () => freshDatabase({ prefix: 'zd_ident' }),
        ...(batching === 'together' ? { batches: [[0, 1, 2]] } : {}),
      });
      expect(r.failures).toEqual([]);
      expect(r.unmanaged).toEqual([]);
      expect(r.managed).toEqual([]);
      // Everything that could be postponed or deferred was.
      expect(r.rewritten[1]!.sql.match(/-- prisma-zd:v1 (postpone|defer)/g)?.length).toBe(8);
    });
  }
});
