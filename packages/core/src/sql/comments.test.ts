/*
 * The comments between statements are read without the scanner (parse.ts,
 * `gapComments`); PostgreSQL's scanner is the oracle: for every gap, the comments
 * `parseSql` reports are the comment tokens `scanTokens` finds there.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser, parseSql, scanTokens } from './parse.js';
import type { Comment } from './parse.js';

beforeAll(() => initParser());

/** The comments of `gap` as the scanner sees them, as `{ kind, text }`. */
function scanned(gap: string): Array<Pick<Comment, 'kind' | 'text'>> {
  return (scanTokens(gap) ?? [])
    .filter((t) => t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT')
    .map((t) => ({
      kind: t.tokenName === 'SQL_COMMENT' ? ('line' as const) : ('block' as const),
      text: Buffer.from(gap).subarray(t.start, t.end).toString(),
    }));
}

const PIECES = [
  ' ', '\n', '\r\n', '\r', '\t', '\f', '\v', ';',
  '-- CreateTable', '--', '-- für Ümlaut ✓', '-- a /* not a block', '---- dashes',
  '/* block */', '/**/', '/* a -- b */', '/* /* nested */ still */', '/* ** **/', '/*/ odd */', '/* é😀 */',
  '/* multi\nline\r\n */',
];

/** A deterministic pseudo-random sequence (no flaky inputs). */
function* gaps(count: number): Generator<string> {
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < count; i++) {
    const parts: string[] = [];
    for (let k = next(7); k >= 0; k--) {
      const piece = PIECES[next(PIECES.length)]!;
      // A line comment runs to the end of its line: the next piece starts on a new one.
      parts.push(piece.startsWith('--') ? `${piece}\n` : piece);
    }
    yield parts.join('');
  }
}

describe('comments between statements', () => {
  it('are the comment tokens of PostgreSQL\'s scanner', () => {
    for (const gap of gaps(400)) {
      const text = `SELECT 1;${gap}SELECT 'ü';${gap}`;
      const parsed = parseSql(text);
      expect(parsed.error, JSON.stringify(gap)).toBeUndefined();
      const [, second] = parsed.statements;
      expect(second!.leadingComments.map(({ kind, text }) => ({ kind, text })), JSON.stringify(gap)).toEqual(scanned(gap));
      expect(parsed.trailingComments.map(({ kind, text }) => ({ kind, text })), JSON.stringify(gap)).toEqual(scanned(gap));
      for (const c of [...second!.leadingComments, ...parsed.trailingComments]) expect(text.slice(c.range.start, c.range.end)).toBe(c.text);
    }
  });

  it('end a line comment at a carriage return, as the scanner does', () => {
    const parsed = parseSql('SELECT 1;\r-- one\rSELECT 2;');
    expect(parsed.statements[1]!.leadingComments.map((c) => c.text)).toEqual(['-- one']);
  });
});
