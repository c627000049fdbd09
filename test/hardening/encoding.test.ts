/**
 * A migration that is not UTF-8 (a Latin-1 editor's é): Prisma refuses it, so prisma-zd
 * stops with the file, line and byte instead of decoding it leniently — `check` would
 * pass it and `rewrite` would write U+FFFD back into a string literal.
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

describe('a migration that is not UTF-8', () => {
  it('stops rewrite (file untouched), check and check --staged with the file, line and byte (exit 2)', async () => {
    const dir = join(tmp, 'project');
    const git = (...args: string[]) => spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, encoding: 'utf8' });
    mkdirSync(join(dir, 'prisma/migrations/20240101000000_init'), { recursive: true });
    writeFileSync(join(dir, 'prisma/schema.prisma'), 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n');
    writeFileSync(join(dir, 'prisma/migrations/20240101000000_init/migration.sql'), INIT);
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'init');
    const file = join(dir, 'prisma/migrations/20240102000000_latin1/migration.sql');
    mkdirSync(join(file, '..'));
    writeFileSync(file, LATIN1);

    const runs = [await runZd(['rewrite'], { cwd: dir }), await runZd(['check'], { cwd: dir })];
    git('add', '-A');
    runs.push(await runZd(['check', '--staged'], { cwd: dir }));
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('Error ZD_MIGRATION_ENCODING: prisma/migrations/20240102000000_latin1/migration.sql:1:26 is not valid UTF-8 (byte 0xE9 at offset 25)');
      expect(r.stderr).toContain('hint: ');
    }
    expect(readFileSync(file).equals(LATIN1)).toBe(true);

    // Saved as UTF-8, the same migration goes through.
    writeFileSync(file, LATIN1.toString('latin1'));
    const fixed = await runZd(['rewrite'], { cwd: dir });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain("'café'");
  });
});
