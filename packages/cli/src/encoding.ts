/**
 * Migration files as text. Prisma and PostgreSQL read them as UTF-8; PostgreSQL refuses
 * a byte that is not ("invalid byte sequence for encoding "UTF8""), and so does Prisma.
 * Decoding such a file leniently would turn each bad byte into U+FFFD: `check` would
 * pass it and `rewrite` would write the replacement characters back, changing the data
 * in a string literal. So each byte that is not UTF-8 becomes the lone surrogate
 * U+DC80 + (byte − 0x80) — Python's "surrogateescape", a code unit valid UTF-8 never
 * decodes to — and the parser reports it where it stands, as PostgreSQL would: the
 * migration does not parse, `rewrite` leaves it alone, `check` reports it with its line
 * and column, and the other migrations are still read. A byte-order mark stays a
 * character, as PostgreSQL sees it.
 */

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `bytes` as text, each byte that is not UTF-8 escaped as a lone surrogate (see above). */
export function migrationText(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    let text = '';
    let from = 0;
    while (from < bytes.length) {
      const at = from + firstInvalidByte(bytes.subarray(from));
      text += strict.decode(bytes.subarray(from, at));
      if (at < bytes.length) text += String.fromCharCode(0xdc00 + bytes[at]!);
      from = at + 1;
    }
    return text;
  }
}

/** Offset of the first byte that does not belong to a valid UTF-8 sequence (`bytes.length`: none). */
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
