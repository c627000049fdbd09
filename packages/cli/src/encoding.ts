/**
 * Migration files as text. Prisma and PostgreSQL read them as UTF-8, and Prisma refuses
 * a file that is not ("stream did not contain valid UTF-8"). Decoding such a file
 * leniently would turn each bad byte into U+FFFD: `check` would pass it and `rewrite`
 * would write the replacement characters back, changing the data in a string literal.
 * So a migration that is not valid UTF-8 stops the command, naming the file, line and
 * byte. A byte-order mark is kept as a character, as PostgreSQL sees it.
 */
import { isAbsolute, relative } from 'node:path';
import { ExitCode, UserError } from './errors.js';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `bytes` as text; throws `ZD_MIGRATION_ENCODING` (exit 2) naming `path` when they are not UTF-8. */
export function migrationText(bytes: Uint8Array, path: string): string {
  try {
    return strict.decode(bytes);
  } catch {
    const at = firstInvalidByte(bytes);
    const before = strict.decode(bytes.subarray(0, at));
    const lines = before.split('\n');
    const line = lines.length;
    const column = [...lines[lines.length - 1]!].length + 1;
    const byte = bytes[at]!.toString(16).toUpperCase().padStart(2, '0');
    const rel = isAbsolute(path) ? relative(process.cwd(), path) : path;
    const shown = rel === '' || rel.startsWith('..') ? path : rel;
    throw new UserError({
      code: 'ZD_MIGRATION_ENCODING',
      message: `${shown}:${line}:${column} is not valid UTF-8 (byte 0x${byte} at offset ${at}). Prisma and PostgreSQL read migrations as UTF-8; \`prisma migrate\` refuses this file, and prisma-zd changed nothing.`,
      hint: 'Save the file as UTF-8 (from Latin-1: `iconv -f latin1 -t utf-8`), then run the command again.',
      exit: ExitCode.Usage,
    });
  }
}

/** Offset of the first byte that does not belong to a valid UTF-8 sequence. */
export function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const [n, min] = b < 0x80 ? [0, 0] : b >= 0xc2 && b <= 0xdf ? [1, 0x80] : b >= 0xe0 && b <= 0xef ? [2, 0x800] : b >= 0xf0 && b <= 0xf4 ? [3, 0x10000] : [-1, 0];
    if (n < 0) return i;
    let cp = n === 0 ? b : b & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return bytes.length;
}
