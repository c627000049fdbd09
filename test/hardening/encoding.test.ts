/**
 * A migration that is not UTF-8 (a Latin-1 editor's é): PostgreSQL and Prisma refuse it,
 * so prisma-zd reports it as a migration that does not parse, at the byte — where a
 * lenient decode let `check` pass it and `rewrite` write U+FFFD back into a string
 * literal. The other migrations are still read.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'zd-encoding-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const INIT = 'CREATE TABLE "B" ("id" INTEGER NOT NULL, "t" TEXT, CONSTRAINT "B_pkey" PRIMARY KEY ("id"));\n';
const LATIN1 = Buffer.concat([Buffer.from('UPDATE "B" SET "t" = \'caf'), Buffer.from([0xe9]), Buffer.from('\';\nCREATE INDEX "B_t_idx" ON "B"("t");\n')]);
const WHAT = 'invalid byte sequence for encoding "UTF8": 0xe9';

describe('a migration that is not UTF-8', () => {
  it('does not parse, at the byte: rewrite leaves it untouched and rewrites the others; check and check --staged report it', async () => {
    const dir = join(tmp, 'project');
    const git = (...args: string[]) => spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, encoding: 'utf8' });
    mkdirSync(join(dir, 'prisma/migrations/20240101000000_init'), { recursive: true });
    writeFileSync(join(dir, 'prisma/schema.prisma'), 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n');
    writeFileSync(join(dir, 'prisma/migrations/20240101000000_init/migration.sql'), INIT);
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'init');
    const file = join(dir, 'prisma/migrations/20240102000000_latin1/migration.sql');
    const other = join(dir, 'prisma/migrations/20240103000000_index/migration.sql');
    mkdirSync(join(file, '..'));
    mkdirSync(join(other, '..'));
    writeFileSync(file, LATIN1);
    writeFileSync(other, 'CREATE INDEX "B_id_t_idx" ON "B"("id", "t");\n');

    const rewrite = await runZd(['rewrite'], { cwd: dir });
    expect(rewrite.code, rewrite.stderr).toBe(1);
    expect(rewrite.stderr).toMatch(/20240102000000_latin1: does not parse: \S*prisma\/migrations\/20240102000000_latin1\/migration\.sql:1:26: invalid byte sequence for encoding "UTF8": 0xe9/);
    expect(rewrite.stderr).toContain('20240103000000_index: rewritten');
    expect(readFileSync(file).equals(LATIN1)).toBe(true);

    const check = await runZd(['check', '--format', 'json'], { cwd: dir });
    git('add', '-A');
    const staged = await runZd(['check', '--staged', '--format', 'json'], { cwd: dir });
    for (const r of [check, staged]) {
      expect(r.code, r.stderr).toBe(1);
      const report = JSON.parse(r.stdout) as { parseErrors: Array<{ path: string; line: number; column: number; message: string }> };
      expect(report.parseErrors).toEqual([expect.objectContaining({ line: 1, column: 26, message: expect.stringContaining(WHAT) })]);
    }

    // Saved as UTF-8, the same migration goes through.
    writeFileSync(file, LATIN1.toString('latin1'));
    const fixed = await runZd(['rewrite'], { cwd: dir });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain("'café'");
  });
});
