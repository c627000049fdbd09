/**
 * Enormous inputs end with a result, not a hang or a crash: a folder of 5,000
 * migrations and a 50,000-statement file go through parse, replay and rewrite.
 * (Speed is measured by benchmarks, not here; the README states the bounds measured.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser, parseSql } from '../src/sql/parse.js';
import { rewriteHistory } from '../src/zd/rewrite.js';

beforeAll(() => initParser());

describe('scale', () => {
  it('rewrites a history of 5,000 migrations', { timeout: 120_000 }, () => {
    const history = Array.from({ length: 5000 }, (_, i) => ({
      name: `m${String(i).padStart(5, '0')}`,
      sql: `CREATE TABLE "t${i}" ("id" SERIAL PRIMARY KEY, "a" TEXT);\nCREATE INDEX "t${Math.max(0, i - 1)}_a_${i}_idx" ON "t${Math.max(0, i - 1)}"("a");\n`,
    }));
    const out = rewriteHistory(history, { select: () => true });
    expect(out.reduce((n, r) => n + r.changes.length, 0)).toBe(4999);
  });

  it('parses and rewrites a file of 50,000 statements', { timeout: 120_000 }, () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `ALTER TABLE "big" ALTER COLUMN "a" SET DEFAULT 'v${i}';`);
    const big = `${lines.join('\n')}\nCREATE INDEX "big_a_idx" ON "big"("a");\n`;
    expect(parseSql(big).statements).toHaveLength(50_001);
    const out = rewriteHistory(
      [
        { name: 'a', sql: `CREATE TABLE "big" ("id" SERIAL PRIMARY KEY, "a" TEXT);` },
        { name: 'b', sql: big },
      ],
      { select: (n) => n === 'b' },
    );
    expect(out[1]!.changes.map((c) => c.object)).toEqual(['"big_a_idx"']);
  });

  it('reports a located error for binary and truncated input, and nothing for an empty file', () => {
    expect(parseSql('CREATE TABLE "x" (\u0000)').error?.message).toMatch(/NUL/);
    const truncated = parseSql(`CREATE TABLE "a" ("id" INT);\nCREATE INDEX "i" ON "a"("id"`);
    expect(truncated.error).toMatchObject({ line: 2 });
    expect(truncated.statements).toHaveLength(1);
    expect(parseSql('').statements).toEqual([]);
    expect(parseSql('').error).toBeUndefined();
  });
});
