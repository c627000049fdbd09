import { describe, expect, it } from 'vitest';
import { parseSql, initParser } from '@prisma-zd/core';
import { firstInvalidByte, migrationText } from './encoding.js';

const lenient = new TextDecoder('utf-8', { ignoreBOM: true });

describe('migrationText', () => {
  it('decodes UTF-8 as it is, a byte-order mark included', () => {
    const text = '\uFEFFCREATE TABLE "Café" ("ü" TEXT); -- 🐘\n';
    expect(migrationText(new TextEncoder().encode(text))).toBe(text);
  });

  it('escapes each byte that is not UTF-8 as a lone surrogate, which the parser reports where it stands', async () => {
    const bytes = Buffer.concat([Buffer.from('SELECT 1;\nUPDATE "B" SET "t" = \'caf'), Buffer.from([0xe9]), Buffer.from("';\n")]);
    const text = migrationText(bytes);
    expect(text).toBe('SELECT 1;\nUPDATE "B" SET "t" = \'caf\uDCE9\';\n');
    await initParser();
    const parsed = parseSql(text);
    expect(parsed.error).toMatchObject({ line: 2, col: 26, message: 'invalid byte sequence for encoding "UTF8": 0xe9 (the file is not UTF-8: save it as UTF-8)' });
    // A character outside the BMP (a surrogate pair) is not mistaken for one.
    expect(parseSql(migrationText(Buffer.from("SELECT '🐘';"))).error).toBeUndefined();
  });

  it('finds the first invalid byte exactly where a strict decoder stops, and escapes every byte a lenient one replaces (random bytes)', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed);
    const pieces = ['a', 'é', '€', '🐘', '\n'].map((s) => [...Buffer.from(s)]);
    for (let n = 0; n < 3000; n++) {
      const bytes: number[] = [];
      for (let k = next() % 12; k >= 0; k--) bytes.push(...(next() % 4 === 0 ? [next() % 256] : pieces[next() % pieces.length]!));
      const buf = Uint8Array.from(bytes);
      const at = firstInvalidByte(buf);
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, at))).not.toThrow();
      if (at < buf.length) expect(lenient.decode(buf.subarray(at)).startsWith('\uFFFD')).toBe(true);
      // Escapes stand where the lenient decoder puts U+FFFD (one per bad byte or per maximal bad sequence).
      const escaped = migrationText(buf);
      expect(escaped.replace(/[\uDC80-\uDCFF]+/g, '\uFFFD')).toBe(lenient.decode(buf).replace(/\uFFFD+/g, '\uFFFD'));
    }
  });
});
