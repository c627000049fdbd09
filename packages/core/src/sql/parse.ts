import { ParserFailure, pgQuery } from './pg-parser.js';
import type { RawStmt, ScanToken } from 'libpg-query';
import { scan } from './lexer.js';
import { nodeKind } from './nodes.js';
import type { NodeKind, NodeOf } from './nodes.js';
import { TextIndex } from './text.js';
import type { Position, Range } from './text.js';

/** A `-- …` (line) or `/* … *\/` (block) comment. */
export interface Comment {
  readonly kind: 'line' | 'block';
  readonly range: Range;
  readonly text: string;
}

/** One SQL statement of a parsed file. */
export interface Statement<K extends NodeKind = NodeKind> {
  /** 0-based position among the file's statements. */
  readonly index: number;
  /** AST node type, e.g. `'IndexStmt'`. */
  readonly kind: K;
  /** The AST node under that kind (libpg-query's JSON tree). */
  readonly node: NodeOf<K>;
  /**
   * The statement's own text as JS string indices `[start, end)`: from its first
   * token to its last token, without leading/trailing comments, whitespace or the `;`.
   */
  readonly range: Range;
  /** Index just after the terminating `;` when there is one, else `range.end`. */
  readonly end: number;
  /** `range` as UTF-8 byte offsets (what the parser's `location`s count). */
  readonly byteRange: Range;
  /** 1-based line/column of `range.start` and of `range.end` (the column just past the last character). */
  readonly loc: { readonly start: Position; readonly end: Position };
  /** `text.slice(range.start, range.end)`. */
  readonly text: string;
  /** Comments between the previous statement's `;` (or the file's start) and this statement. */
  readonly leadingComments: readonly Comment[];
}

/** A piece of the file: statements and the gaps (whitespace, comments, `;`) between them. */
export interface Segment {
  readonly kind: 'gap' | 'statement';
  readonly range: Range;
  /** For a statement segment, the statement's index. */
  readonly statement?: number;
}

/** Where and why the file does not parse. */
export interface ParseProblem {
  /** PostgreSQL's message, e.g. `syntax error at or near "SELEC"`. */
  readonly message: string;
  /**
   * `parser`: the parser itself failed (`ParserFailure`: out of its memory on a very large
   * file), not the SQL; PostgreSQL may accept it. `folder`: not the file but the migrations
   * folder around it (a directory without migration.sql; another database's folder), set by
   * the caller that lists it. Absent: PostgreSQL rejects the SQL.
   */
  readonly kind?: 'parser' | 'folder';
  /** What to do, when the caller knows better than the kind's general advice. */
  readonly help?: string;
  /** JS string index of the error cursor. */
  readonly index: number;
  readonly line: number;
  readonly col: number;
}

export interface ParsedSql {
  readonly text: string;
  /**
   * The statements. When the file has a syntax error, the statements before the
   * error: those of the longest prefix ending at a top-level `;` before the error
   * that parses on its own (empty when there is none).
   */
  readonly statements: readonly Statement[];
  /** The whole text, partitioned: `segments.map(s => text.slice(s.range.start, s.range.end)).join('') === text`. */
  readonly segments: readonly Segment[];
  /** Comments after the last statement's `;`. */
  readonly trailingComments: readonly Comment[];
  readonly error?: ParseProblem;
  /** Converts the parser's byte offsets (node `location`s) to string indices and positions. */
  readonly textIndex: TextIndex;
}

export { initParser } from './pg-parser.js';

/** Narrow a statement to one kind: `if (isStatement(s, 'IndexStmt')) s.node.idxname`. */
export function isStatement<K extends NodeKind>(statement: Statement, kind: K): statement is Statement<K> {
  return statement.kind === kind;
}

/** A lone low surrogate U+DC80–U+DCFF: how readers of migration files escape a byte that is not UTF-8. */
const NOT_UTF8 = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

/** Parse a SQL file with PostgreSQL's own parser. Never throws on bad SQL: see `error`. */
export function parseSql(text: string): ParsedSql {
  const { parseSync } = pgQuery();
  const index = new TextIndex(text);
  // UTF-16 (PowerShell's `>` writes it): its byte order mark as the reader escapes bytes that are not UTF-8.
  const utf16 = text.startsWith('\uDCFF\uDCFE') ? 'little-endian' : text.startsWith('\uDCFE\uDCFF') ? 'big-endian' : undefined;
  if (utf16) {
    return withError(
      text,
      index,
      [],
      problemAt(index, `the file is UTF-16 (${utf16}; PowerShell's \`>\` writes it), not UTF-8: Prisma reads migration.sql as UTF-8 and cannot run it: save it as UTF-8 without BOM`, 0),
    );
  }
  const nul = text.indexOf('\0');
  if (nul !== -1) return withError(text, index, [], problemAt(index, 'invalid byte sequence: NUL character', nul));
  // A byte that is not UTF-8, escaped by the reader as a lone surrogate U+DC80–U+DCFF.
  const bad = text.search(NOT_UTF8);
  if (bad !== -1) {
    const byte = `0x${(text.charCodeAt(bad) - 0xdc00).toString(16)}`;
    return withError(text, index, statementsBefore(text, index, bad), problemAt(index, `invalid byte sequence for encoding "UTF8": ${byte} (the file is not UTF-8: save it as UTF-8)`, bad));
  }
  let raws: RawStmt[];
  try {
    raws = text === '' ? [] : (parseSync(text).stmts ?? []);
  } catch (error) {
    let problem = problemOf(index, error);
    // An editor's "UTF-8 with BOM": PostgreSQL reads the invisible U+FEFF as part of the first word.
    if (text.startsWith('\uFEFF') && problem.index <= 1 && problem.kind === undefined) {
      problem = { ...problem, message: `${problem.message} (the file starts with a byte order mark, U+FEFF, invisible in most editors: save it as UTF-8 without BOM)` };
    }
    return withError(text, index, statementsBefore(text, index, problem.index), problem);
  }
  const statements = buildStatements(text, index, raws);
  return {
    text,
    statements,
    segments: segmentsOf(text, statements),
    trailingComments: commentsIn(text, index, lastEnd(statements), text.length),
    textIndex: index,
  };
}

function withError(text: string, index: TextIndex, statements: Statement[], error: ParseProblem): ParsedSql {
  return {
    text,
    statements,
    segments: segmentsOf(text, statements),
    trailingComments: [],
    error,
    textIndex: index,
  };
}

function problemOf(index: TextIndex, error: unknown): ParseProblem {
  if (error instanceof ParserFailure) {
    const size = index.byteLength;
    const shown = size >= 1024 * 1024 ? `${(size / 1024 / 1024).toFixed(0)} MB` : `${Math.ceil(size / 1024)} KB`;
    return { ...problemAt(index, `${error.message} (the file is ${shown})`, 0), kind: 'parser' };
  }
  if (pgQuery().hasSqlDetails(error) && error.sqlDetails) {
    // PostgreSQL counts the cursor in characters, not bytes (pg_mbstrlen_with_len).
    return problemAt(index, error.sqlDetails.message, index.indexOfCodePoint(error.sqlDetails.cursorPosition));
  }
  return problemAt(index, error instanceof Error ? error.message : String(error), 0);
}

function problemAt(index: TextIndex, message: string, at: number): ParseProblem {
  const { line, col } = index.positionOf(at);
  return { message, index: at, line, col };
}

/** Statements of the longest prefix, cut at a `;` before `errorIndex`, that parses. */
function statementsBefore(text: string, index: TextIndex, errorIndex: number): Statement[] {
  const prefix = text.slice(0, errorIndex);
  const semicolons = scanTokens(prefix)?.filter((t) => t.text === ';') ?? [];
  // A `;` inside BEGIN ATOMIC … END does not end a statement: try a few earlier cuts.
  for (const semicolon of semicolons.reverse().slice(0, 8)) {
    const cut = index.indexOf(semicolon.end);
    try {
      return buildStatements(text, index, pgQuery().parseSync(text.slice(0, cut)).stmts ?? []);
    } catch {
      // try the previous `;`
    }
  }
  return [];
}

function buildStatements(text: string, index: TextIndex, raws: readonly RawStmt[]): Statement[] {
  const statements: Statement[] = [];
  let previousEnd = 0;
  for (const raw of raws) {
    if (!raw.stmt) continue;
    const startByte = raw.stmt_location ?? 0;
    const endByte = raw.stmt_len ? startByte + raw.stmt_len : index.byteLength;
    const range = trimToTokens(text, index, index.indexOf(startByte), index.indexOf(endByte));
    const after = index.indexOf(endByte);
    const end = text[after] === ';' ? after + 1 : range.end;
    const statement: Statement = {
      index: statements.length,
      kind: nodeKind(raw.stmt),
      node: Object.values(raw.stmt)[0] as NodeOf<NodeKind>,
      range,
      end,
      byteRange: index.bytesOfRange(range),
      loc: { start: index.positionOf(range.start), end: index.positionOf(range.end) },
      text: text.slice(range.start, range.end),
      leadingComments: commentsIn(text, index, previousEnd, range.start),
    };
    statements.push(statement);
    previousEnd = end;
  }
  return statements;
}

const WHITESPACE = /[ \t\n\r\f\v]/;

/**
 * Shrink `[start, end)` to its first and last tokens. The parser's statement span
 * excludes leading comments but runs up to the `;`, so it can end with whitespace or
 * comments. Comments can only be recognised by the lexer, so a span that may hold one
 * is scanned; otherwise trimming whitespace is exact.
 */
function trimToTokens(text: string, index: TextIndex, start: number, end: number): Range {
  const raw = text.slice(start, end);
  if (raw.includes('--') || raw.includes('/*')) {
    const tokens = codeTokens(raw);
    const first = tokens?.[0];
    const last = tokens?.[tokens.length - 1];
    if (first && last) {
      const base = index.byteOf(start);
      return { start: index.indexOf(base + first.start), end: index.indexOf(base + last.end) };
    }
  }
  let s = start;
  let e = end;
  while (s < e && WHITESPACE.test(text[s] as string)) s++;
  while (e > s && WHITESPACE.test(text[e - 1] as string)) e--;
  return { start: s, end: e };
}

/** Comments in `[start, end)`, a region holding only whitespace, `;` and comments. */
function commentsIn(text: string, index: TextIndex, start: number, end: number): Comment[] {
  if (start >= end) return [];
  return gapComments(text, start, end) ?? scannedComments(text, index, start, end);
}

/**
 * The comments of a region between statements, read without the scanner: the parser
 * has already classified every byte there as whitespace, `;` or comment, and the
 * lexical rules for those are small (PostgreSQL's scan.l: `--` up to a line break;
 * `/*` … `*\/`, nesting). Undefined on anything else, and the scanner decides.
 */
function gapComments(text: string, start: number, end: number): Comment[] | undefined {
  const comments: Comment[] = [];
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === SEMICOLON || isSpace(c)) {
      i++;
    } else if (c === DASH && text.charCodeAt(i + 1) === DASH && i + 1 < end) {
      let e = i + 2;
      while (e < end && text.charCodeAt(e) !== LF && text.charCodeAt(e) !== CR) e++;
      comments.push({ kind: 'line', range: { start: i, end: e }, text: text.slice(i, e) });
      i = e;
    } else if (c === SLASH && text.charCodeAt(i + 1) === STAR && i + 1 < end) {
      let depth = 1;
      let e = i + 2;
      while (e < end && depth > 0) {
        const d = text.charCodeAt(e);
        if (d === SLASH && text.charCodeAt(e + 1) === STAR && e + 1 < end) {
          depth++;
          e += 2;
        } else if (d === STAR && text.charCodeAt(e + 1) === SLASH && e + 1 < end) {
          depth--;
          e += 2;
        } else e++;
      }
      if (depth > 0) return undefined;
      comments.push({ kind: 'block', range: { start: i, end: e }, text: text.slice(i, e) });
      i = e;
    } else return undefined;
  }
  return comments;
}

const SEMICOLON = 0x3b;
const DASH = 0x2d;
const SLASH = 0x2f;
const STAR = 0x2a;
const LF = 0x0a;
const CR = 0x0d;

/** PostgreSQL's `space`: ` \t\n\r\f\v`. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** `commentsIn` by PostgreSQL's scanner. */
function scannedComments(text: string, index: TextIndex, start: number, end: number): Comment[] {
  const region = text.slice(start, end);
  if (!region.includes('--') && !region.includes('/*')) return [];
  const base = index.byteOf(start);
  const comments: Comment[] = [];
  for (const token of scanTokens(region) ?? []) {
    if (!isComment(token)) continue;
    const range = { start: index.indexOf(base + token.start), end: index.indexOf(base + token.end) };
    comments.push({
      kind: token.tokenName === 'SQL_COMMENT' ? 'line' : 'block',
      range,
      text: text.slice(range.start, range.end),
    });
  }
  return comments;
}

function isComment(token: ScanToken): boolean {
  return token.tokenName === 'SQL_COMMENT' || token.tokenName === 'C_COMMENT';
}

/**
 * PostgreSQL's tokens of `text` (comments included), or undefined when it does not lex
 * (an unterminated literal or comment, junk after a number…): what libpg-query's
 * `scanSync` returns, read by a TypeScript lexer (lexer.ts) instead of the WebAssembly one.
 */
export function scanTokens(text: string): ScanToken[] | undefined {
  return scan(text);
}

/** `scanTokens` without the comments. */
export function codeTokens(text: string): ScanToken[] | undefined {
  return scan(text)?.filter((t) => !isComment(t));
}

function lastEnd(statements: readonly Statement[]): number {
  return statements[statements.length - 1]?.end ?? 0;
}

function segmentsOf(text: string, statements: readonly Statement[]): Segment[] {
  const segments: Segment[] = [];
  let cursor = 0;
  for (const statement of statements) {
    if (statement.range.start > cursor) segments.push({ kind: 'gap', range: { start: cursor, end: statement.range.start } });
    segments.push({ kind: 'statement', range: statement.range, statement: statement.index });
    cursor = statement.range.end;
  }
  if (cursor < text.length) segments.push({ kind: 'gap', range: { start: cursor, end: text.length } });
  return segments;
}
