/*
 * A file too large for prisma-zd's copy of PostgreSQL's parser (WebAssembly, 1 GB of
 * memory): a seed of ~70 MB in one INSERT. The parser's own report (PostgreSQL's memory
 * dump, "Terminating process due to FATAL error") never reaches stdout (a JSON report) or
 * stderr; the file is reported as one prisma-zd cannot read, not as SQL PostgreSQL
 * rejects; and the parser goes on reading the next file.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkSql } from '../check/check.js';
import { renderGithub, renderJson, renderPretty } from '../check/render.js';
import { initParser, parseSql } from './parse.js';

await initParser();

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a file too large for the parser', () => {
  it('is reported as unreadable by prisma-zd (kind parser, its size, how to go on), prints nothing, and the parser reads the next file', () => {
    const writes: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
        writes.push(String(chunk));
        return true;
      }) as typeof stream.write);
    }
    const seed = `INSERT INTO "Item" ("name", "price") VALUES\n${"('an item of the seed', 100),\n".repeat(2_400_000)}('the last', 1);\n`;
    const report = checkSql(seed, { history: ['CREATE TABLE "Item" ("id" SERIAL PRIMARY KEY, "name" TEXT NOT NULL, "price" INTEGER NOT NULL);'] });
    vi.restoreAllMocks();
    expect(writes.join('')).toBe('');

    const m = report.migrations.at(-1)!;
    expect(m.parseError).toMatchObject({ kind: 'parser', line: 1, col: 1 });
    expect(m.parseError!.message).toBe("PostgreSQL's parser, run inside prisma-zd as WebAssembly, could not read this file: it ran out of its 1 GB of memory (the file is 69 MB)");
    expect(report.parseErrors).toBe(1);
    const pretty = renderPretty(report);
    expect(pretty).toContain("error[parser]: PostgreSQL's parser, run inside prisma-zd as WebAssembly, could not read this file");
    expect(pretty).toContain('This is a limit of prisma-zd, not an error in the SQL: PostgreSQL may well accept the file.');
    expect(pretty).not.toContain('error[syntax]');
    expect(JSON.parse(renderJson(report)).parseErrors).toEqual([expect.objectContaining({ kind: 'parser', line: 1 })]);
    expect(renderGithub(report)).toContain('title=prisma-zd parser::');

    // The module survives: the next file parses, and a real syntax error is still one.
    expect(parseSql('CREATE TABLE "Next" ("id" INTEGER);').statements).toHaveLength(1);
    expect(parseSql('CREAT TABLE "Next" ("id" INTEGER);').error).toMatchObject({ message: 'syntax error at or near "CREAT"' });
    expect(parseSql('CREAT TABLE "Next" ("id" INTEGER);').error?.kind).toBeUndefined();
  }, 60_000);
});
