/*
 * A check resumed from a checkpoint (through its JSON) reports exactly what a check of
 * the whole history reports, and leaves the same next checkpoint: on hand-written
 * histories that exercise every part of the state (DO blocks and functions, which make
 * the source and unmanaged views differ; prisma-zd blocks and the work they leave
 * pending; defaults, enums, sequences), on their rewritten forms, and on the corpus
 * when it is present.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { initParser } from '../sql/parse.js';
import { rewriteHistory } from '../zd/rewrite.js';
import { checkHistory, type CheckInput, type CheckReport } from './check.js';
import { checkpointFromJson, checkpointToJson } from './checkpoint.js';

await initParser();

type History = ReadonlyArray<{ name: string; sql: string }>;

/** `../shared/corpus` beside the repository (absent in a user's clone): its histories of 20 migrations or more. */
const CORPUS = resolve(fileURLToPath(new URL('../../../../..', import.meta.url)), 'shared', 'corpus');
const corpusHistories = (): Array<[string, History]> =>
  existsSync(CORPUS)
    ? readdirSync(CORPUS, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d): [string, History] => {
          const dir = join(CORPUS, d.name);
          const names = readdirSync(dir).filter((n) => existsSync(join(dir, n, 'migration.sql'))).sort();
          return [d.name, names.map((n) => ({ name: n, sql: readFileSync(join(dir, n, 'migration.sql'), 'utf8') }))];
        })
        .filter(([, history]) => history.length >= 20)
    : [];

const HANDWRITTEN: History = [
  `CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "role" "Role" NOT NULL DEFAULT 'USER', "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Post" ("id" TEXT NOT NULL, "title" TEXT NOT NULL DEFAULT 'untitled', "authorId" INTEGER, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));`,
  `CREATE INDEX "Post_title_idx" ON "Post"("title");
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id");`,
  `CREATE FUNCTION tidy() RETURNS void LANGUAGE plpgsql AS $$ BEGIN ALTER TABLE "Post" ADD COLUMN "tidy" BOOLEAN; END $$;
SELECT tidy();`,
  `ALTER TABLE "Post" ALTER COLUMN "title" DROP DEFAULT;
ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'ADMIN';`,
  `DO $$ BEGIN ALTER TABLE "User" ADD COLUMN "name" TEXT DEFAULT 'x'; END $$;
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");`,
  `ALTER INDEX "Post_title_idx" RENAME TO "Post_title_index";
ALTER TABLE "Post" RENAME COLUMN "title" TO "heading";`,
  `ALTER TYPE "Role" ADD VALUE 'OWNER';
ALTER TABLE "User" ALTER COLUMN "role" TYPE TEXT;
CREATE INDEX "User_createdAt_idx" ON "User"("createdAt");`,
  `ALTER TABLE "Post" DROP COLUMN "tidy", ADD COLUMN "body" TEXT NOT NULL DEFAULT '';
DROP INDEX "Post_title_index";
SELECT tidy();`,
].map((sql, i) => ({ name: `2024010100000${i}_m${i}`, sql }));

const rewritten = (history: History): History =>
  rewriteHistory(history, { select: () => true }).map((r, i) => ({ name: history[i]!.name, sql: r.text }));

/** The history with the migrations from `first` on reported. */
const from = (history: History, first: number): CheckInput[] => history.map((m, i) => ({ ...m, report: i >= first }));

const withoutCheckpoint = ({ checkpoint: _, ...report }: CheckReport) => report;

/** Resume at `at` (a checkpoint taken by a check from `at`), then check from `first`: the same as checking from `first`. */
function expectResumable(history: History, at: number, first: number): void {
  const taken = checkHistory(from(history, at), { execution: 'whole-file', checkpoint: true }).checkpoint!;
  expect(taken.migrations).toBe(at);
  const resume = checkpointFromJson(checkpointToJson(taken))!;
  const whole = checkHistory(from(history, first), { execution: 'whole-file', checkpoint: true });
  const resumed = checkHistory(from(history, first), { execution: 'whole-file', checkpoint: true, resume });
  expect(withoutCheckpoint(resumed)).toEqual(withoutCheckpoint(whole));
  expect(checkpointToJson(resumed.checkpoint!)).toBe(checkpointToJson(whole.checkpoint!));
}

describe('a check resumed from a checkpoint', () => {
  it('reports what the whole check reports, at every cut of a hand-written history', () => {
    for (const history of [HANDWRITTEN, rewritten(HANDWRITTEN)]) {
      for (let first = 0; first < history.length; first++) {
        for (let at = 0; at <= first; at++) expectResumable(history, at, first);
      }
    }
  });

  it('reports findings of the resumed history (not a vacuous comparison)', () => {
    const resume = checkHistory(from(HANDWRITTEN, 1), { checkpoint: true }).checkpoint!;
    const report = checkHistory(from(HANDWRITTEN, 6), { resume });
    expect(report.diagnostics.map((d) => d.ruleId)).toContain('require-concurrent-index-creation');
    expect(report.replayed).toBe(HANDWRITTEN.length);
    // The rewritten history's checkpoint carries pending work, and views that differ.
    const late = checkHistory(from(rewritten(HANDWRITTEN), 6), { checkpoint: true }).checkpoint!;
    expect(late.pending.map((e) => e.kind)).toContain('index');
    expect(late.unmanaged).not.toBe(late.source);
    expect(late.functions.has('tidy')).toBe(true);
    expect(late.afterPrismaZd).toBe(true);
  });

  it('refuses to skip a reported migration', () => {
    const resume = checkHistory(from(HANDWRITTEN, 3), { checkpoint: true }).checkpoint!;
    expect(() => checkHistory(from(HANDWRITTEN, 2), { resume })).toThrow(/cannot resume/);
  });

  it('ignores text that is not a checkpoint of this format', () => {
    expect(checkpointFromJson('{"format":0}')).toBeUndefined();
    expect(checkpointFromJson('{"form')).toBeUndefined();
  });

  describe.skipIf(!existsSync(CORPUS))('on the corpus', () => {
    it.each(corpusHistories())('%s', (_name, history) => {
      const n = history.length;
      expectResumable(history, Math.floor(n / 3), n - 1);
      expectResumable(rewritten(history), Math.floor(n / 2), Math.floor((3 * n) / 4));
    });
  });
});
