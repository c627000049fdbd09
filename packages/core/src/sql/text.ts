/**
 * Positions in SQL text.
 *
 * Three coordinate systems meet here:
 * - JS string indices (UTF-16 code units): what `Range`, `Edit` and `String#slice` use;
 * - UTF-8 byte offsets: what libpg-query reports (`stmt_location`, `stmt_len`, node
 *   `location`s, scanner tokens);
 * - code point offsets: what PostgreSQL's error cursor counts (`cursorPosition`).
 *
 * `TextIndex` converts between them for one text. For ASCII text (most migrations)
 * all three coincide and no table is built.
 *
 * A lone surrogate counts as 3 bytes, as the WHATWG `TextEncoder` encodes it
 * (U+FFFD); valid text never contains one. An offset that falls inside a character
 * (the second unit of a surrogate pair, a continuation byte) rounds down to the
 * start of that character.
 */

/** A half-open range `[start, end)` of JS string indices. */
export interface Range {
  readonly start: number;
  readonly end: number;
}

/** A 1-based line and column; the column counts characters (code points). */
export interface Position {
  readonly line: number;
  readonly col: number;
}

export class TextIndex {
  readonly text: string;
  /** True when every character is ASCII: indices, bytes and code points coincide. */
  readonly ascii: boolean;
  /** UTF-8 length of the whole text. */
  readonly byteLength: number;
  /** byteOfIndex[i] = byte offset of JS index i (length: text.length + 1). Empty when ascii. */
  readonly #byteOfIndex: Uint32Array;
  /** Start index of each line. */
  #lineStarts: number[] | undefined;

  constructor(text: string) {
    this.text = text;
    this.ascii = !NON_ASCII.test(text);
    if (this.ascii) {
      this.#byteOfIndex = new Uint32Array(0);
      this.byteLength = text.length;
      return;
    }
    const table = new Uint32Array(text.length + 1);
    let bytes = 0;
    for (let i = 0; i < text.length; i++) {
      table[i] = bytes;
      const unit = text.charCodeAt(i);
      if (unit < 0x80) bytes += 1;
      else if (unit < 0x800) bytes += 2;
      else if (isHighSurrogate(unit) && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
        table[i + 1] = bytes; // the low surrogate rounds down to the pair's start
        bytes += 4;
        i++;
      } else bytes += 3;
    }
    table[text.length] = bytes;
    this.#byteOfIndex = table;
    this.byteLength = bytes;
  }

  /** UTF-8 byte offset of a JS string index. */
  byteOf(index: number): number {
    const i = clamp(index, 0, this.text.length);
    return this.ascii ? i : (this.#byteOfIndex[i] as number);
  }

  /** JS string index of a UTF-8 byte offset (rounded down to a character start). */
  indexOf(byte: number): number {
    const b = clamp(byte, 0, this.byteLength);
    if (this.ascii) return b;
    // Last index whose byte offset is <= b, then step back off a low surrogate.
    const table = this.#byteOfIndex;
    let lo = 0;
    let hi = this.text.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((table[mid] as number) <= b) lo = mid;
      else hi = mid - 1;
    }
    if (lo > 0 && table[lo - 1] === table[lo]) lo--;
    return lo;
  }

  /** JS string index of a code point offset (PostgreSQL's error cursor). */
  indexOfCodePoint(codePoint: number): number {
    if (this.ascii) return clamp(codePoint, 0, this.text.length);
    let index = 0;
    for (let n = 0; n < codePoint && index < this.text.length; n++) {
      index += isPairAt(this.text, index) ? 2 : 1;
    }
    return index;
  }

  /** Byte range → index range. */
  rangeOfBytes(start: number, end: number): Range {
    return { start: this.indexOf(start), end: this.indexOf(end) };
  }

  /** Index range → byte range. */
  bytesOfRange(range: Range): Range {
    return { start: this.byteOf(range.start), end: this.byteOf(range.end) };
  }

  /** 1-based line and column (in code points) of a JS index. Lines end at "\n". */
  positionOf(index: number): Position {
    const i = clamp(index, 0, this.text.length);
    const starts = this.#lines();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((starts[mid] as number) <= i) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = starts[lo] as number;
    let col = 1;
    if (this.ascii) col += i - lineStart;
    else for (let k = lineStart; k < i; k += isPairAt(this.text, k) ? 2 : 1) col++;
    return { line: lo + 1, col };
  }

  #lines(): number[] {
    if (this.#lineStarts) return this.#lineStarts;
    const starts = [0];
    for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) starts.push(i + 1);
    this.#lineStarts = starts;
    return starts;
  }
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

function clamp(n: number, lo: number, hi: number): number {
  return n < lo ? lo : n > hi ? hi : n;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

function isPairAt(text: string, i: number): boolean {
  return isHighSurrogate(text.charCodeAt(i)) && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1));
}
