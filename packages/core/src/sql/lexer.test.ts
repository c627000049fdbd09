/*
 * The TypeScript lexer against the real one: for every input, `scan` returns exactly
 * what libpg-query's `scanSync` returns (every field of every token), or undefined
 * exactly where `scanSync` throws. No expected token lists are written here: the
 * WebAssembly scanner is the oracle, on the corpus, on cases for each lexical rule, and
 * on seeded random inputs.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanSync } from 'libpg-query';
import type { ScanToken } from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import { scan } from './lexer.js';
import { initParser, parseSql } from './parse.js';

beforeAll(() => initParser());

/** `scanSync`'s tokens, or undefined where it throws (`''` has none; scanSync rejects it). */
function oracle(text: string): ScanToken[] | undefined {
  if (text === '') return [];
  try {
    return scanSync(text).tokens;
  } catch {
    return undefined;
  }
}

interface Mismatch {
  text: string;
  ours: ScanToken | 'undefined' | 'no token' | undefined;
  theirs: ScanToken | 'undefined' | 'no token' | undefined;
}

/** How `scan(text)` differs from the oracle, at its first differing token; undefined when it does not. */
function mismatch(text: string): Mismatch | undefined {
  const ours = scan(text);
  const theirs = oracle(text);
  if (JSON.stringify(ours) === JSON.stringify(theirs)) return undefined;
  if (!ours || !theirs) return { text, ours: ours ? 'no token' : 'undefined', theirs: theirs ? 'no token' : 'undefined' };
  const at = ours.findIndex((t, i) => JSON.stringify(t) !== JSON.stringify(theirs[i]));
  const i = at === -1 ? ours.length : at;
  return { text, ours: ours[i] ?? 'no token', theirs: theirs[i] ?? 'no token' };
}

function expectSameTokens(texts: readonly string[]): void {
  expect(texts.map(mismatch).filter((m) => m !== undefined)).toEqual([]);
}

const corpusDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..', 'shared', 'corpus');
const hasCorpus = existsSync(corpusDir);
if (!hasCorpus) console.warn(`[lexer] corpus cases skipped: no corpus at ${corpusDir} (it sits beside the repository in CI)`);

function migrationFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return migrationFiles(path);
    return name === 'migration.sql' ? [path] : [];
  });
}

describe.skipIf(!hasCorpus)('on the corpus', () => {
  const sources = hasCorpus ? migrationFiles(corpusDir).map((path) => readFileSync(path, 'utf8')) : [];

  it('finds the corpus', () => {
    expect(sources.length).toBeGreaterThan(1000);
  });

  it('lexes every migration.sql as scanSync does', () => {
    expectSameTokens(sources);
  });

  it('lexes every statement alone as scanSync does', () => {
    expectSameTokens(sources.flatMap((sql) => parseSql(sql).statements.map((s) => s.text)));
  });
});

/** Each lexical rule, its edges and its errors. */
const CASES: Record<string, string[]> = {
  whitespace: [' ', 'a\tb\nc\rd\fe\vf', 'select\r\n1', '\n\n'],
  'line comments': ['-- x', 'a -- x\nb', 'a --x\r\nb', '--', 'a---b', '-- é 😀\n1', "-- it's\n'x'"],
  'block comments': [
    '/* x */', '/**/', '/***/x', '/* /* nested */ still */ after', '/*/ odd */', '/* a -- b */ c', '/* ** **/',
    '/* /* */', '/*', '/* x *', 'a/*b*/c', '/* 😀 */', '/*/', '*/',
  ],
  identifiers: [
    'abc', 'ABC', 'a_b$c', '_x', 'é', 'ÉCOLE', 'naïve_🙂', 'x\u00a0y', 'table1', 'SeLeCt', 'u&x', 'U&', 'n', 'b', 'x', 'e',
    'Key', '\u212Aey', 'ı', 'a'.repeat(70), 'nchar', 'uescape',
  ],
  'quoted identifiers': [
    '"x"', '"a""b"', '""""', '""', '"', '"abc', '"é😀"', '"select"', '"a\nb"', '"a\tb"', '"a\fb"', '"' + 'a'.repeat(70) + '"',
    'U&"x"', 'u&"\\0041"', 'U&"d!0061t!+000061" UESCAPE \'!\'', 'U&""', 'U&"', 'U&"a""b"',
  ],
  strings: [
    "'x'", "''", "''''", "'a''b'", "'a", "'", "'a\\'", "'a\\''", "'é😀'", "'line\nbreak'", "'tab\there'", "'ff\fhere'",
    "'a' 'b'", "'a'\n'b'", "'a'  \n  'b'", "'a'\r'b'", "'a'\r\n\t'b'", "'a' -- c\n'b'", "'a'\n-- c\n'b'", "'a'\n/* c */'b'",
    "'a' \f\n'b'", "'a'\n\v'b'", "'a'\n'b", "'a'\n", "'a'\n x", "'a'\n-'b'",
  ],
  'escape strings': [
    "E'x'", "e'\\n\\t\\b\\f\\r'", "E'\\''", "E'\\\\'", "E'it\\'s'", "E'a''b'", "E'\\", "E'\\'", "E'\\x41'", "E'\\x4'", "E'\\xg'",
    "E'\\101'", "E'\\1'", "E'\\0'", "E'\\400'", "E'\\777'", "E'\\xff'", "E'\\xc3\\xa9'", "E'\\xc3'", "E'\\xc3' 'x'", "E'\\xc3'\n'\\xa9'",
    "E'\\u00e9'", "E'\\u0041'", "E'\\u0000'", "E'\\u12'", "E'\\user'", "E'\\U0001F600'", "E'\\U0010FFFF'", "E'\\U00110000'",
    "E'\\uD83D\\uDE00'", "E'\\uD83D\\U0000DE00'", "E'\\uD83D'", "E'\\uD83Dx'", "E'\\uDE00'", "E'\\uD83D\\u0041'", "E'\\é'",
    "E'\\\n'", "E'a'\n'\\n'", "E'\\x'", "E'\\xe9'", "E'\\351'",
  ],
  'bit, hex, national and unicode strings': [
    "B'1010'", "b'1'", "B'1''0'", "B'1'\n'0'", "B'", "B'12'", "X'1F'", "x'zz'", "X'1'\n'2'", "X'",
    "N'x'", "n'x'", "N'", "nx'a'", "U&'x'", "u&'\\0041'", "U&'a''b'", "U&'a'\n'b'", "U&'x' UESCAPE '!'", "U&'", "U& 'x'",
  ],
  'dollar quotes': [
    '$$x$$', '$$$$', '$a$ x $a$', '$a$ $b$ $a$', '$a$$a$', '$a$ $A$ $a$', '$_1$x$_1$', '$é$x$é$', '$😀$x$😀$', '$$', '$a$',
    '$a$ x', '$ab', '$', 'a$', 'a$b$c', '$1$', '$a$x$ab$y$a$', '$a$$$a$', '$tag$ -- x\n $tag$', "$$'$$", '$a$ $a', '$1a$',
    'select $$\n  body;\n$$;', '$a$\u00e9$a$',
  ],
  numbers: [
    '1', '0', '007', '1_000', '1__0', '1_', '_1', '2147483647', '2147483648', '99999999999999999999', '1.5', '.5', '1.', '1..5', '1...',
    '1.e5', '1e5', '1E+5', '1e-5', '1e', '1e+', '1ea', '1e5x', '1.5e', '.5e', '1.5.3', '1._5', '1.5_5', '1e1_0', '0x', '0x1F', '0xff_ff',
    '0x_1', '0x1_', '0x1g', '0x1$', '0X7FFFFFFF', '0x80000000', '0o17', '0o8', '0O_7', '0b101', '0b2', '0b', '0B1_1', '123$', '1é', '12abc',
    '1.5$', '0_1', '0.0', '00.5', 'x1', 'a.5', '1 .5', '1_2$', '1.5_5$', '1e+1_0$', '1e1_0$', '1e+9$', '1e9$', '.5e5$', '1.e5$',
    '1_2.5$', '1_2..', '12$', '0x1_2$',
  ],
  parameters: ['$1', '$01', '$2147483647', '$2147483648', '$1abc', '$1_', '$1.5', '$1$', '$ 1'],
  operators: [
    'a+b', 'a+-b', 'a-+b', 'a=-b', 'a~-b', 'a@-b', 'a?-b', 'a^-b', 'a%-b', 'a&&-b', 'a!-b', 'a*-b', 'a<-b', 'a>+b',
    'a<=b', 'a>=b', 'a<>b', 'a!=b', 'a=>b', 'a<=-b', 'a>=-b', 'a<>-b', 'a!=-b', 'a=>-b', 'a=>+-b', 'a@>b', 'a<@b', 'a->>b', 'a#>>b',
    'a||b', 'a<<b', 'a~~*b', 'a!~b', 'a?|b', 'a*/*c*/', 'a+--c', 'a+/*c*/', 'a-/**/-b', 'a*-/*c*/', 'a|--|b', 'a+++b', '+'.repeat(70),
    `a <${'~'.repeat(62)} b`, `a <${'~'.repeat(63)} b`, `a ${'+'.repeat(63)}~ b`, '!', '~', '`', '?', '#', '&', '|', '@', '%', '^',
  ],
  'punctuation and typecasts': [
    'a::int', 'a:=b', 'a::=b', ':::', ':', 'a:b', 'a.b', 'a..b', '...', '(a,b);', '[1]', 'a[1:2]', '\\', '{}', 'a\x7fb', 'x\x01y',
  ],
  'multi-byte offsets': [
    "SELECT 'é' AS \"ü\", '😀' -- 日本\n, $$😀$$ /* 🙂 */ , x😀y",
    'ALTER TABLE "Ünïcödé" ADD COLUMN "😀" TEXT; -- ✓',
    "é'x'", "日本'x'", "ü$1", 'é::int', '😀', '\ud83d\ude00\ud83d\ude00 a',
  ],
  NUL: ['\0', '\0abc', 'a\0b', "'a\0'", 'a \0'],
};

describe('each lexical rule', () => {
  for (const [rule, texts] of Object.entries(CASES)) {
    it(rule, () => expectSameTokens(texts));
  }

  it('every keyword of the scanner, in any case', () => {
    const keywords = scannerKeywords();
    expect(keywords.length).toBeGreaterThan(400);
    expectSameTokens(keywords.flatMap((k) => [k, k.toUpperCase(), k[0]!.toUpperCase() + k.slice(1), `${k}_x`, `"${k}"`]));
  });
});

/**
 * The keyword list compiled into libpg-query's WebAssembly (PostgreSQL's `kwlist.h`
 * names, NUL-separated and sorted, starting with `abort`): a keyword missing from the
 * lexer's table then shows up as a mismatch.
 */
function scannerKeywords(): string[] {
  const entry = createRequire(import.meta.url).resolve('libpg-query');
  const binary = readFileSync(join(dirname(entry), 'libpg-query.wasm')).toString('latin1');
  const list = /abort\0(?:[a-z_]+\0){400,}/.exec(binary)?.[0] ?? '';
  return list.split('\0').filter((k) => k !== '');
}

/** Pieces of SQL that meet each other in random order: quotes, escapes, dollars, comments, numbers, operators, Unicode. */
const FRAGMENTS = [
  ' ', ' ', '\n', '\r\n', '\t', '\f', '\v', 'select', 'SELECT', 'Table', 'x', 'e', 'b', 'n', 'u', 'U&', 'uescape', 'nchar',
  "'", "''", '"', "e'", "N'", '$$', '$a$', '$A$', '$', '$1', '$_x$', '$é$', '$1a',
  '--', '/*', '*/', '/**/', '\\', '\\\\', "\\'", '\\x4', '\\xff', '\\xc3', '\\xa9', '\\u00e9', '\\U0001F600', '\\uD83D', '\\uDE00',
  '\\0', '\\377', '\\u', 'ABCD', '1', '0', '0x', '0b1', '0o7', 'f', '_', '.', '..', '1e', 'E+', '1.5', '2147483648', '9',
  '+', '-', '*', '/', '<', '>', '=', '!', '~', '@', '#', '%', '^', '&', '|', '`', '?', ':', '::', ':=', '=>', '(', ')', '[', ']',
  ',', ';', 'é', 'ü', '😀', '日本', '\u00a0', '\x01', '\x7f', '\u212A',
];

/** A deterministic pseudo-random sequence (mulberry32), so a failure reproduces. */
function random(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Quotes, comments and dollar quotes around random fragments, so that most inputs lex and the literals hold tricky text. */
const ENCLOSURES: Array<[string, string]> = [
  ["'", "'"], ["E'", "'"], ["U&'", "'"], ["B'", "'"], ["X'", "'"], ['"', '"'], ['U&"', '"'], ['$$', '$$'], ['$a$', '$a$'],
  ['/*', '*/'], ['--', '\n'], ['(', ')'],
];

describe('on random inputs', () => {
  it('lexes 2,000 seeded random strings as scanSync does', () => {
    const next = random(20240518);
    const fragments = (count: number): string => Array.from({ length: count }, () => FRAGMENTS[next(FRAGMENTS.length)]).join('');
    const piece = (): string => {
      if (next(3) > 0) return fragments(1);
      const [open, close] = ENCLOSURES[next(ENCLOSURES.length)]!;
      return open + fragments(next(6)) + close;
    };
    const texts = Array.from({ length: 2000 }, () => Array.from({ length: 1 + next(10) }, piece).join(''));
    expectSameTokens(texts);
  });
});
