import { describe, expect, it } from 'vitest';
import { UserError } from './errors.js';
import { firstInvalidByte, migrationText } from './encoding.js';

const lenient = new TextDecoder('utf-8', { ignoreBOM: true });

describe('migrationText', () => {
  it('decodes UTF-8 as it is, a byte-order mark included', () => {
    const text = '\uFEFFCREATE TABLE "Café" ("ü" TEXT); -- 🐘\n';
    expect(migrationText(new TextEncoder().encode(text), 'm.sql')).toBe(text);
  });

  it('names the file, line, column and byte of the first byte that is not UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('SELECT 1;\nUPDATE "B" SET "t" = \'caf'), Buffer.from([0xe9]), Buffer.from("';\n")]);
    try {
      migrationText(bytes, 'prisma/migrations/1_x/migration.sql');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      expect((e as UserError).code).toBe('ZD_MIGRATION_ENCODING');
      expect((e as UserError).message).toContain('prisma/migrations/1_x/migration.sql:2:26 is not valid UTF-8 (byte 0xE9 at offset 35)');
    }
  });

  it('finds the first invalid byte exactly where a strict decoder stops (random bytes)', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed);
    const pieces = ['a', 'é', '€', '🐘', '\n'].map((s) => [...Buffer.from(s)]);
    for (let n = 0; n < 3000; n++) {
      const bytes: number[] = [];
      for (let k = next() % 12; k >= 0; k--) bytes.push(...(next() % 4 === 0 ? [next() % 256] : pieces[next() % pieces.length]!));
      const buf = Uint8Array.from(bytes);
      const at = firstInvalidByte(buf);
      // Valid up to `at` (a strict decode of the prefix succeeds) …
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, at))).not.toThrow();
      if (at === buf.length) {
        expect(migrationText(buf, 'x')).toBe(lenient.decode(buf));
      } else {
        // … and the byte there starts no valid sequence: the lenient decoder replaces it.
        expect(lenient.decode(buf.subarray(at)).startsWith('\uFFFD')).toBe(true);
        expect(() => migrationText(buf, 'x')).toThrow(UserError);
      }
    }
  });
});
