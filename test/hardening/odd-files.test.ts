/**
 * Odd migration files through the CLI: empty, binary (NUL bytes, invalid UTF-8),
 * truncated mid-statement, a folder with stray files and a directory without
 * migration.sql. Each gets a located message or is skipped with a reason; never a hang
 * or a stack trace, and nothing is written to a file that does not parse.
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';

function folder(): string {
  const root = mkdtempSync(join(tmpdir(), 'zd-odd-'));
  const dir = join(root, 'migrations');
  const put = (name: string, content: string | Buffer) => {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'migration.sql'), content);
  };
  put('20260101000000_init', `CREATE TABLE "Post" ("id" SERIAL PRIMARY KEY, "title" TEXT);\n`);
  put('20260101000001_empty', '');
  put('20260101000002_binary', Buffer.from([0x43, 0x52, 0x00, 0xff, 0xfe, 0x0a, 0x80]));
  put('20260101000003_truncated', `CREATE INDEX "Post_title_idx" ON "Post"("title");\nALTER TABLE "Post" ADD COLUMN "x`);
  put('20260101000004 with spaces', `CREATE INDEX "Post_id_idx" ON "Post"("id");\n`);
  mkdirSync(join(dir, 'not-a-migration'));
  writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  writeFileSync(join(dir, 'README.md'), '# notes\n');
  return dir;
}

describe('odd migration files', () => {
  it('rewrite locates what does not parse, rewrites the rest, writes nothing into broken files', async () => {
    const dir = folder();
    const before = readFileSync(join(dir, '20260101000003_truncated', 'migration.sql'), 'utf8');
    const r = await runZd(['rewrite', '--all', '--migrations', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/20260101000002_binary: does not parse: .*migration\.sql:1:\d+: /);
    expect(r.stderr).toMatch(/20260101000003_truncated: does not parse: .*migration\.sql:2:\d+: /);
    expect(r.stderr).toContain('20260101000004 with spaces: rewritten');
    expect(r.stderr).toContain('20260101000001_empty: already deploy-safe');
    expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+\)?\n/);
    expect(readFileSync(join(dir, '20260101000003_truncated', 'migration.sql'), 'utf8')).toBe(before);
  });

  it('check reports located parse errors and still checks the other files', async () => {
    const dir = folder();
    const r = await runZd(['check', '--migrations', dir, '--format', 'json']);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBe(70);
    const text = r.stdout + r.stderr;
    expect(text).toContain('20260101000003_truncated');
    expect(text).toContain('20260101000004 with spaces');
    expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+\)?\n/);
  });
});
