/**
 * PostgreSQL's lexer in TypeScript: the tokens libpg-query's `scanSync` returns, without
 * the WebAssembly call and its JSON round trip. The rules are those of PostgreSQL 18's
 * `scan.l` as libpg_query patches it: `--` and `/* *\/` comments are tokens (and so do not
 * join string continuations), and `$1abc` is `$1` then `abc`.
 *
 * Same `ScanToken` fields and values: UTF-8 byte offsets (what the parser's `location`s
 * count), bison token numbers, keyword categories, and the wrapper's `tokenName`s (named
 * for a few token types only, `UNKNOWN` otherwise). Undefined wherever `scanSync` throws:
 * PostgreSQL's lexical errors (an unterminated comment, string, quoted identifier or
 * dollar quote; a zero-length quoted identifier; junk after a number; a bad escape in an
 * `E'…'` string; an operator of 64 or more characters; a parameter number past int4), and
 * two limits of the wrapper rather than of PostgreSQL: its C string ends at the first NUL
 * (so text starting with one is empty input), and its JSON leaves control characters
 * other than tab, LF and CR unescaped (so a token holding one does not come back).
 */
import type { ScanToken } from 'libpg-query';

/** The tokens of `text`, or undefined when it does not lex. `''` has no tokens. */
export function scan(text: string): ScanToken[] | undefined {
  if (text === '') return [];
  const nul = text.indexOf('\0');
  const input = nul === -1 ? text : text.slice(0, nul);
  if (input === '') return undefined;
  const tokens = new Scanner(input).run();
  if (tokens && UNESCAPED_CONTROL.test(input) && tokens.some((t) => UNESCAPED_CONTROL.test(t.text))) return undefined;
  return tokens;
}

const UNESCAPED_CONTROL = /[\x01-\x08\x0b\x0c\x0e-\x1f]/;
const NON_ASCII = /[^\x00-\x7f]/;
const SPACES = /[ \t\n\r\f\v]*/y;
const IDENT_CHARS = /[\w$\u0080-\uffff]*/y;

// Bison token numbers of PostgreSQL 18's gram.y (with libpg_query's two comment tokens).
const IDENT = 258;
const UIDENT = 259;
const FCONST = 260;
const SCONST = 261;
const USCONST = 262;
const BCONST = 263;
const XCONST = 264;
const OP = 265;
const ICONST = 266;
const PARAM = 267;
const TYPECAST = 268;
const DOT_DOT = 269;
const COLON_EQUALS = 270;
const EQUALS_GREATER = 271;
const LESS_EQUALS = 272;
const GREATER_EQUALS = 273;
const NOT_EQUALS = 274;
const SQL_COMMENT = 275;
const C_COMMENT = 276;
const FIRST_KEYWORD = 277;

const NAMEDATALEN = 64;
const INT4_MAX = 2147483647;
const ERROR = -1;

/** The wrapper's names: a few token types, `UNKNOWN` for the rest (keywords included). */
const NAMED = new Map<number, string>([
  [IDENT, 'IDENT'],
  [SCONST, 'SCONST'],
  [ICONST, 'ICONST'],
  [FCONST, 'FCONST'],
  [PARAM, 'PARAM'],
  [40, 'ASCII_40'],
  [41, 'ASCII_41'],
  [42, 'ASCII_42'],
  [44, 'ASCII_44'],
  [59, 'ASCII_59'],
  [61, 'ASCII_61'],
  [TYPECAST, 'TYPECAST'],
  [LESS_EQUALS, 'LESS_EQUALS'],
  [GREATER_EQUALS, 'GREATER_EQUALS'],
  [NOT_EQUALS, 'NOT_EQUALS'],
  [SQL_COMMENT, 'SQL_COMMENT'],
  [C_COMMENT, 'C_COMMENT'],
]);
const TOKEN_NAMES = Array.from({ length: FIRST_KEYWORD }, (_, type) => NAMED.get(type) ?? 'UNKNOWN');
const KEYWORD_NAMES = ['NO_KEYWORD', 'UNRESERVED_KEYWORD', 'COL_NAME_KEYWORD', 'TYPE_FUNC_NAME_KEYWORD', 'RESERVED_KEYWORD'];

// Character classes of ASCII; every non-ASCII character is an identifier character.
const SPACE = 1; // [ \t\n\r\f\v]
const IDENT_START = 2; // [A-Za-z_]
const IDENT_CONT = 4; // [A-Za-z_0-9$]
const OP_CHAR = 8; // [~!@#^&|`?+\-*/%<>=]
const SELF = 16; // [,()[\].;:+\-*/%^<>=]: returned as one-character tokens
const CLASS = new Uint8Array(128);
for (const c of ' \t\n\r\f\v') CLASS[c.charCodeAt(0)]! |= SPACE;
for (let c = 0; c < 26; c++) CLASS[0x41 + c]! |= IDENT_START | IDENT_CONT;
for (let c = 0; c < 26; c++) CLASS[0x61 + c]! |= IDENT_START | IDENT_CONT;
CLASS[0x5f]! |= IDENT_START | IDENT_CONT;
for (let c = 0; c < 10; c++) CLASS[0x30 + c]! |= IDENT_CONT;
CLASS[0x24]! |= IDENT_CONT;
for (const c of '~!@#^&|`?+-*/%<>=') CLASS[c.charCodeAt(0)]! |= OP_CHAR;
for (const c of ',()[].;:+-*/%^<>=') CLASS[c.charCodeAt(0)]! |= SELF;

const has = (c: number, klass: number): boolean => c < 0x80 && (CLASS[c]! & klass) !== 0;
const isIdentStart = (c: number): boolean => c >= 0x80 || has(c, IDENT_START);
const isIdentCont = (c: number): boolean => c >= 0x80 || has(c, IDENT_CONT);
/** Dollar-quote tag characters: identifier characters without `$`. */
const isTagCont = (c: number): boolean => c !== 0x24 && isIdentCont(c);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isNewline = (c: number): boolean => c === 0x0a || c === 0x0d;

const QUOTE = 0x27;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const DOLLAR = 0x24;
const DOT = 0x2e;
const COLON = 0x3a;
const DASH = 0x2d;
const SLASH = 0x2f;
const STAR = 0x2a;
const PLUS = 0x2b;
const EQUALS = 0x3d;
const LESS = 0x3c;
const GREATER = 0x3e;
const BANG = 0x21;
const UNDERSCORE = 0x5f;

/** The kinds of single-quoted literal: their lexer states in scan.l, and their tokens. */
const enum Quoted {
  Standard, // '…' (xq)
  Escaped, // E'…' (xe)
  Unicode, // U&'…' (xus)
  Bit, // B'…' (xb)
  Hex, // X'…' (xh)
}
const QUOTED_TOKEN = [SCONST, SCONST, USCONST, BCONST, XCONST];

class Scanner {
  private readonly tokens: ScanToken[] = [];
  private readonly ascii: boolean;
  /** `byteOf`'s cursor: tokens are emitted in order, so offsets are counted once. */
  private cursor = 0;
  private cursorByte = 0;
  /** The value of the `E'…'` string being read, as bytes, and whether an escape made it non-ASCII. */
  private literal: number[] = [];
  private sawNonAscii = false;

  constructor(private readonly text: string) {
    this.ascii = !NON_ASCII.test(text);
  }

  run(): ScanToken[] | undefined {
    const text = this.text;
    for (let i = 0; i < text.length; ) {
      if (has(text.charCodeAt(i), SPACE)) {
        SPACES.lastIndex = i;
        SPACES.test(text);
        i = SPACES.lastIndex;
      } else {
        i = this.token(i);
        if (i === ERROR) return undefined;
      }
    }
    return this.tokens;
  }

  /** Reads and emits the token at `i` (not whitespace); returns its end. */
  private token(i: number): number {
    const text = this.text;
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (c === DASH && next === DASH) {
      let j = i + 2;
      while (j < text.length && !isNewline(text.charCodeAt(j))) j++;
      return this.emit(i, j, SQL_COMMENT);
    }
    if (c === SLASH && next === STAR) return this.blockComment(i);
    if (c === QUOTE) return this.quoted(i, i + 1, Quoted.Standard);
    if (c === DQUOTE) return this.quotedIdentifier(i, i + 1, IDENT);
    if (isIdentStart(c)) {
      const lower = c | 0x20;
      if (next === QUOTE) {
        if (lower === 0x62) return this.quoted(i, i + 2, Quoted.Bit); // b
        if (lower === 0x78) return this.quoted(i, i + 2, Quoted.Hex); // x
        if (lower === 0x65) return this.quoted(i, i + 2, Quoted.Escaped); // e
        if (lower === 0x6e) return this.emit(i, i + 1, FIRST_KEYWORD + NCHAR, KEYWORD_KIND[NCHAR]); // n: NCHAR, then the string
      }
      if (lower === 0x75 && next === 0x26) {
        // u&
        const after = text.charCodeAt(i + 2);
        if (after === QUOTE) return this.quoted(i, i + 3, Quoted.Unicode);
        if (after === DQUOTE) return this.quotedIdentifier(i, i + 3, UIDENT);
      }
      return this.identifier(i);
    }
    if (isDigit(c) || (c === DOT && isDigit(next))) return this.number(i);
    if (c === DOLLAR) return this.dollar(i);
    if (c === COLON) {
      if (next === COLON) return this.emit(i, i + 2, TYPECAST);
      if (next === EQUALS) return this.emit(i, i + 2, COLON_EQUALS);
      return this.emit(i, i + 1, c);
    }
    if (c === DOT) return next === DOT ? this.emit(i, i + 2, DOT_DOT) : this.emit(i, i + 1, c);
    if (has(c, OP_CHAR)) return this.operator(i);
    return this.emit(i, i + 1, c); // self (, ( ) [ ] ;) and any other character
  }

  private emit(start: number, end: number, tokenType: number, keywordKind = 0): number {
    this.tokens.push({
      start: this.byteOf(start),
      end: this.byteOf(end),
      text: this.text.slice(start, end),
      tokenType,
      tokenName: TOKEN_NAMES[tokenType] ?? 'UNKNOWN',
      keywordKind,
      keywordName: KEYWORD_NAMES[keywordKind] as string,
    });
    return end;
  }

  /** The UTF-8 offset of string index `i` (never before the previous call's). */
  private byteOf(i: number): number {
    if (this.ascii) return i;
    const text = this.text;
    let b = this.cursorByte;
    for (let k = this.cursor; k < i; k++) {
      const u = text.charCodeAt(k);
      if (u < 0x80) b += 1;
      else if (u < 0x800) b += 2;
      else if (u >= 0xd800 && u <= 0xdbff && isLowSurrogate(text.charCodeAt(k + 1))) {
        b += 4;
        k++;
      } else b += 3;
    }
    this.cursor = i;
    this.cursorByte = b;
    return b;
  }

  /** `/* … *\/`, nesting. */
  private blockComment(i: number): number {
    const text = this.text;
    let depth = 0;
    for (let j = i + 2; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (c === SLASH && text.charCodeAt(j + 1) === STAR) {
        depth++;
        j++;
      } else if (c === STAR && text.charCodeAt(j + 1) === SLASH) {
        if (depth === 0) return this.emit(i, j + 2, C_COMMENT);
        depth--;
        j++;
      }
    }
    return ERROR;
  }

  /**
   * A single-quoted literal from `body` (just past its opening quote). A closing quote
   * followed by whitespace holding a newline, then a quote, continues the literal.
   */
  private quoted(start: number, body: number, kind: Quoted): number {
    const text = this.text;
    const doubles = kind <= Quoted.Unicode; // '' stands for ' (not in B'…' and X'…')
    const escapes = kind === Quoted.Escaped;
    this.literal = [];
    this.sawNonAscii = false;
    let j = body;
    for (;;) {
      if (!escapes) {
        j = text.indexOf("'", j);
        if (j === -1) return ERROR;
      } else {
        while (j < text.length && text.charCodeAt(j) !== QUOTE) {
          j = text.charCodeAt(j) === BACKSLASH ? this.escape(j) : this.addChar(j, text.codePointAt(j) as number);
          if (j === ERROR) return ERROR;
        }
        if (j >= text.length) return ERROR;
      }
      if (doubles && text.charCodeAt(j + 1) === QUOTE) {
        this.literal.push(QUOTE);
        j += 2;
        continue;
      }
      const continued = continuation(text, j + 1);
      if (continued === -1) break;
      j = continued + 1;
    }
    // A `\xNN` or octal escape may have made the value invalid UTF-8 (or put a NUL in it).
    if (this.sawNonAscii && !isValidUtf8(this.literal)) return ERROR;
    return this.emit(start, j + 1, QUOTED_TOKEN[kind] as number);
  }

  /** One backslash escape of an `E'…'` string at `j`; returns the index after it. */
  private escape(j: number): number {
    const text = this.text;
    if (j + 1 >= text.length) return ERROR;
    const c = text.charCodeAt(j + 1);
    if (c === 0x75 || c === 0x55) {
      // \uXXXX, \UXXXXXXXX; a UTF-16 surrogate pair must be two such escapes
      let end = j + (c === 0x75 ? 6 : 10);
      let code = hexValue(text, j + 2, end);
      if (isHighSurrogate(code)) {
        const d = text.charCodeAt(end + 1);
        if (text.charCodeAt(end) !== BACKSLASH || (d !== 0x75 && d !== 0x55)) return ERROR;
        const lowEnd = end + (d === 0x75 ? 6 : 10);
        const low = hexValue(text, end + 2, lowEnd);
        if (!isLowSurrogate(low)) return ERROR;
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        end = lowEnd;
      } else if (isLowSurrogate(code)) return ERROR;
      if (code <= 0 || code > 0x10ffff) return ERROR;
      pushUtf8(this.literal, code);
      return end;
    }
    if (c >= 0x30 && c <= 0x37) {
      let end = j + 2;
      while (end < j + 4 && text.charCodeAt(end) >= 0x30 && text.charCodeAt(end) <= 0x37) end++;
      return this.addByte(parseInt(text.slice(j + 1, end), 8) & 0xff, end);
    }
    if (c === 0x78 && hexDigit(text.charCodeAt(j + 2)) >= 0) {
      const end = hexDigit(text.charCodeAt(j + 3)) >= 0 ? j + 4 : j + 3;
      return this.addByte(parseInt(text.slice(j + 2, end), 16), end);
    }
    const code = text.codePointAt(j + 1) as number;
    return this.addChar(j + 1, UNESCAPE.get(code) ?? code);
  }

  private addByte(byte: number, next: number): number {
    this.literal.push(byte);
    if (byte === 0 || byte >= 0x80) this.sawNonAscii = true;
    return next;
  }

  /** Adds `code` for the character at `j`; returns the index after that character. */
  private addChar(j: number, code: number): number {
    pushUtf8(this.literal, code);
    return j + (code > 0xffff && isHighSurrogate(this.text.charCodeAt(j)) ? 2 : 1);
  }

  /** `"…"` or `U&"…"` from `body`; `""` stands for `"`. */
  private quotedIdentifier(start: number, body: number, tokenType: number): number {
    const text = this.text;
    let j = body;
    let empty = true;
    for (;;) {
      const q = text.indexOf('"', j);
      if (q === -1) return ERROR;
      if (q > j || text.charCodeAt(q + 1) === DQUOTE) empty = false;
      if (text.charCodeAt(q + 1) !== DQUOTE) {
        j = q + 1;
        break;
      }
      j = q + 2;
    }
    return empty ? ERROR : this.emit(start, j, tokenType);
  }

  /** An identifier or keyword (matched in ASCII lower case). */
  private identifier(i: number): number {
    const text = this.text;
    IDENT_CHARS.lastIndex = i + 1;
    IDENT_CHARS.test(text);
    const j = IDENT_CHARS.lastIndex;
    const word = j - i <= MAX_KEYWORD_LENGTH ? text.slice(i, j) : '';
    const keyword = word === '' ? undefined : KEYWORD_INDEX.get(word.toLowerCase());
    if (keyword === undefined || NON_ASCII.test(word)) return this.emit(i, j, IDENT);
    return this.emit(i, j, FIRST_KEYWORD + keyword, KEYWORD_KIND[keyword]);
  }

  /**
   * A number: `123`, `1_000`, `0x1F`, `0o17`, `0b101`, `1.5`, `.5`, `1.`, `1e10`. `1..5` is
   * `1`, `..`, `5`. A number with an identifier right after it is an error ("trailing junk").
   */
  private number(i: number): number {
    const text = this.text;
    const prefix = text.charCodeAt(i + 1) | 0x20;
    if (text.charCodeAt(i) === 0x30 && (prefix === 0x78 || prefix === 0x6f || prefix === 0x62)) {
      const radix = prefix === 0x78 ? 16 : prefix === 0x6f ? 8 : 2;
      const end = digitsEnd(text, i + 2, radix, true);
      if (end === i + 2 || isJunk(text, i, end)) return ERROR;
      return this.integer(i, end, radix);
    }
    let j = i;
    let float = false;
    if (text.charCodeAt(i) !== DOT) j = digitsEnd(text, i, 10, false);
    if (text.charCodeAt(j) === DOT) {
      if (j > i && text.charCodeAt(j + 1) === DOT) return this.integer(i, j, 10);
      j = isDigit(text.charCodeAt(j + 1)) ? digitsEnd(text, j + 1, 10, false) : j + 1;
      float = true;
    }
    if ((text.charCodeAt(j) | 0x20) === 0x65) {
      let k = j + 1;
      if (text.charCodeAt(k) === PLUS || text.charCodeAt(k) === DASH) k++;
      if (!isDigit(text.charCodeAt(k))) return ERROR;
      j = digitsEnd(text, k, 10, false);
      float = true;
    }
    if (isJunk(text, i, j)) return ERROR;
    return float ? this.emit(i, j, FCONST) : this.integer(i, j, 10);
  }

  /** An integer literal is ICONST when it fits in int4, else FCONST. */
  private integer(start: number, end: number, radix: number): number {
    const value = parseDigits(this.text, radix === 10 ? start : start + 2, end, radix);
    return this.emit(start, end, value > INT4_MAX ? FCONST : ICONST);
  }

  /** `$1`, a dollar quote `$tag$…$tag$`, or a lone `$`. */
  private dollar(i: number): number {
    const text = this.text;
    const next = text.charCodeAt(i + 1);
    if (isDigit(next)) {
      let j = i + 2;
      while (isDigit(text.charCodeAt(j))) j++;
      return parseDigits(text, i + 1, j, 10) > INT4_MAX ? ERROR : this.emit(i, j, PARAM);
    }
    let k = i + 1;
    if (next !== DOLLAR) {
      if (!isIdentStart(next)) return this.emit(i, i + 1, DOLLAR);
      while (isTagCont(text.charCodeAt(k))) k++;
      if (text.charCodeAt(k) !== DOLLAR) return this.emit(i, i + 1, DOLLAR);
    }
    const tag = text.slice(i, k + 1);
    const close = text.indexOf(tag, k + 1);
    return close === -1 ? ERROR : this.emit(i, close + tag.length, SCONST);
  }

  /**
   * An operator: the longest run of operator characters, cut before an embedded `--` or
   * `/*`, and without trailing `+`/`-` unless it holds one of `~!@#^&|`?%` (so `=-` is
   * `=` then `-`, but `@-` is one operator). One `self` character is its own token.
   */
  private operator(i: number): number {
    const text = this.text;
    let end = i + 1;
    while (end < text.length && has(text.charCodeAt(end), OP_CHAR)) end++;
    for (let k = i + 1; k < end - 1; k++) {
      const c = text.charCodeAt(k);
      const d = text.charCodeAt(k + 1);
      if ((c === DASH && d === DASH) || (c === SLASH && d === STAR)) {
        end = k;
        break;
      }
    }
    const last = text.charCodeAt(end - 1);
    if (end - i > 1 && (last === PLUS || last === DASH) && !/[~!@#^&|`?%]/.test(text.slice(i, end - 1))) {
      do end--;
      while (end - i > 1 && (text.charCodeAt(end - 1) === PLUS || text.charCodeAt(end - 1) === DASH));
    }
    const c = text.charCodeAt(i);
    if (end - i === 1) return this.emit(i, end, has(c, SELF) ? c : OP);
    if (end - i === 2) {
      const d = text.charCodeAt(i + 1);
      if (c === EQUALS && d === GREATER) return this.emit(i, end, EQUALS_GREATER);
      if (c === GREATER && d === EQUALS) return this.emit(i, end, GREATER_EQUALS);
      if (c === LESS && d === EQUALS) return this.emit(i, end, LESS_EQUALS);
      if ((c === LESS && d === GREATER) || (c === BANG && d === EQUALS)) return this.emit(i, end, NOT_EQUALS);
    }
    return end - i >= NAMEDATALEN ? ERROR : this.emit(i, end, OP);
  }
}

/**
 * Whether the number `[start, end)` runs into an identifier: scan.l's `{decinteger}{identifier}`
 * (and the like for `{numeric}` and `{real}`) then matches more than the number. Such an
 * identifier may also begin inside the number, at a `_`, `e` or the `x` of `0x`, after
 * its last `.`, `+` or `-`: `1_2$`, `1e9$` and `0x1$` are errors though `12$` is not.
 */
function isJunk(text: string, start: number, end: number): boolean {
  const c = text.charCodeAt(end);
  if (isIdentStart(c)) return true;
  if (!isIdentCont(c)) return false;
  for (let k = end - 1; k >= start && isIdentCont(text.charCodeAt(k)); k--) if (isIdentStart(text.charCodeAt(k))) return true;
  return false;
}

/** After a closing quote at `i - 1`: the index of the quote that continues the literal, or -1. */
function continuation(text: string, i: number): number {
  let newline = false;
  let j = i;
  for (; j < text.length && has(text.charCodeAt(j), SPACE); j++) if (isNewline(text.charCodeAt(j))) newline = true;
  return newline && text.charCodeAt(j) === QUOTE ? j : -1;
}

/** The end of `digit(_?digit)*` from `i`; after `0x`, `0o`, `0b` the first digit may have a `_` before it. */
function digitsEnd(text: string, i: number, radix: number, leadingUnderscore: boolean): number {
  let j = i;
  for (;;) {
    const c = text.charCodeAt(j);
    if (digitValue(c) < radix) j++;
    else if (c === UNDERSCORE && (j > i || leadingUnderscore) && digitValue(text.charCodeAt(j + 1)) < radix) j += 2;
    else return j;
  }
}

function digitValue(c: number): number {
  const h = hexDigit(c);
  return h === -1 ? 99 : h;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/** The value of hex digits `[start, end)`, or -1 unless all are hex digits. */
function hexValue(text: string, start: number, end: number): number {
  let value = 0;
  for (let k = start; k < end; k++) {
    const h = hexDigit(text.charCodeAt(k));
    if (h === -1) return -1;
    value = value * 16 + h;
  }
  return value;
}

/** The value of the digits in `[start, end)` (underscores skipped), capped just past int4. */
function parseDigits(text: string, start: number, end: number, radix: number): number {
  let value = 0;
  for (let k = start; k < end && value <= INT4_MAX; k++) {
    const c = text.charCodeAt(k);
    if (c !== UNDERSCORE) value = value * radix + digitValue(c);
  }
  return value;
}

const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

const UNESCAPE = new Map([
  [0x62, 0x08], // \b
  [0x66, 0x0c], // \f
  [0x6e, 0x0a], // \n
  [0x72, 0x0d], // \r
  [0x74, 0x09], // \t
]);

function pushUtf8(bytes: number[], code: number): void {
  if (code < 0x80) bytes.push(code);
  else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
  else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
  else bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
}

/** PostgreSQL's `pg_verifymbstr` for UTF-8: well-formed and without NUL. */
function isValidUtf8(bytes: readonly number[]): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
    return true;
  } catch {
    return false;
  }
}

/**
 * PostgreSQL 18's keywords in bison token order (the first is token 277), and the
 * reserved, column-name and type/function-name ones; the others are unreserved.
 */
const KEYWORDS = `
abort absent absolute access action add admin after aggregate all also alter always analyse
analyze and any array as asc asensitive assertion assignment asymmetric atomic at attach
attribute authorization backward before begin between bigint binary bit boolean both breadth by
cache call called cascade cascaded case cast catalog chain char character characteristics check
checkpoint class close cluster coalesce collate collation column columns comment comments commit
committed compression concurrently conditional configuration conflict connection constraint
constraints content continue conversion copy cost create cross csv cube current current_catalog
current_date current_role current_schema current_time current_timestamp current_user cursor
cycle data database day deallocate dec decimal declare default defaults deferrable deferred
definer delete delimiter delimiters depends depth desc detach dictionary disable discard
distinct do document domain double drop each else empty enable encoding encrypted end enforced
enum error escape event except exclude excluding exclusive execute exists explain expression
extension external extract false family fetch filter finalize first float following for force
foreign format forward freeze from full function functions generated global grant granted
greatest group grouping groups handler having header hold hour identity if ilike immediate
immutable implicit import in include including increment indent index indexes inherit inherits
initially inline inner inout input insensitive insert instead int integer intersect interval
into invoker is isnull isolation join json json_array json_arrayagg json_exists json_object
json_objectagg json_query json_scalar json_serialize json_table json_value keep key keys label
language large last lateral leading leakproof least left level like limit listen load local
localtime localtimestamp location lock locked logged mapping match matched materialized maxvalue
merge merge_action method minute minvalue mode month move name names national natural nchar
nested new next nfc nfd nfkc nfkd no none normalize normalized not nothing notify notnull nowait
null nullif nulls numeric object objects of off offset oids old omit on only operator option
options or order ordinality others out outer over overlaps overlay overriding owned owner
parallel parameter parser partial partition passing password path period placing plan plans
policy position preceding precision preserve prepare prepared primary prior privileges
procedural procedure procedures program publication quote quotes range read real reassign
recursive ref references referencing refresh reindex relative release rename repeatable replace
replica reset restart restrict return returning returns revoke right role rollback rollup
routine routines row rows rule savepoint scalar schema schemas scroll search second security
select sequence sequences serializable server session session_user set sets setof share show
similar simple skip smallint snapshot some source sql stable standalone start statement
statistics stdin stdout storage stored strict string strip subscription substring support
symmetric sysid system system_user table tables tablesample tablespace target temp template
temporary text then ties time timestamp to trailing transaction transform treat trigger trim
true truncate trusted type types uescape unbounded unconditional uncommitted unencrypted union
unique unknown unlisten unlogged until update user using vacuum valid validate validator value
values varchar variadic varying verbose version view views virtual volatile when where
whitespace window with within without work wrapper write xml xmlattributes xmlconcat xmlelement
xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable year yes zone
`;
const RESERVED = `
all analyse analyze and any array as asc asymmetric both case cast check collate column
constraint create current_catalog current_date current_role current_time current_timestamp
current_user default deferrable desc distinct do else end except false fetch for foreign from
grant group having in initially intersect into lateral leading limit localtime localtimestamp
not null offset on only or order placing primary references returning select session_user some
symmetric system_user table then to trailing true union unique user using variadic when where
window with
`;
const COL_NAME = `
between bigint bit boolean char character coalesce dec decimal exists extract float greatest
grouping inout int integer interval json json_array json_arrayagg json_exists json_object
json_objectagg json_query json_scalar json_serialize json_table json_value least merge_action
national nchar none normalize nullif numeric out overlay position precision real row setof
smallint substring time timestamp treat trim values varchar xmlattributes xmlconcat xmlelement
xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable
`;
const TYPE_FUNC_NAME = `
authorization binary collation concurrently cross current_schema freeze full ilike inner is
isnull join left like natural notnull outer overlaps right similar tablesample verbose
`;

const words = (list: string): string[] => list.trim().split(/\s+/);
const KEYWORD_LIST = words(KEYWORDS);
const KEYWORD_INDEX = new Map(KEYWORD_LIST.map((word, index) => [word, index]));
/** `keywordKind`: 1 unreserved, 2 column name, 3 type or function name, 4 reserved. */
const KEYWORD_KIND = KEYWORD_LIST.map(() => 1);
for (const [list, kind] of [
  [COL_NAME, 2],
  [TYPE_FUNC_NAME, 3],
  [RESERVED, 4],
] as const) {
  for (const word of words(list)) KEYWORD_KIND[KEYWORD_INDEX.get(word) as number] = kind;
}
const MAX_KEYWORD_LENGTH = Math.max(...KEYWORD_LIST.map((w) => w.length));
const NCHAR = KEYWORD_INDEX.get('nchar') as number;
