import type { ScanToken } from 'libpg-query';
import { maxLocation, minLocation } from './nodes.js';
import type { ParsedSql, Statement } from './parse.js';
import { codeTokens } from './parse.js';
import type { Range } from './text.js';

/**
 * The source text of an expression node (a column default, a `USING` clause, an index
 * predicate), exactly as written, for messages and facts. The parse tree has a start
 * `location` for most nodes but no end, so the span runs from the node's first located
 * token to its last, then extends over what carries no location of its own: closing
 * brackets, a function's argument list, typmods and `[]`, the rest of a multi-word type
 * name (`double precision`, `with time zone`), `END` of a `CASE`, `NULL`/`TRUE` after `IS`.
 * Best effort: returns undefined when the node has no location.
 */
export function expressionRange(parsed: ParsedSql, statement: Statement, node: unknown): Range | undefined {
  const first = minLocation(node);
  const last = maxLocation(node);
  if (first === undefined || last === undefined) return undefined;
  const tokens = statementTokens(statement);
  const base = statement.byteRange.start;
  let i0 = tokens.findIndex((t) => base + t.end > first);
  let i1 = findLastIndex(tokens, (t) => base + t.start <= last);
  if (i0 === -1 || i1 < i0) return undefined;
  let depth = 0;
  let cases = 0;
  const account = (t: ScanToken): void => {
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    const word = t.text.toLowerCase();
    if (word === 'case' && t.keywordKind !== 0) cases++;
    else if (word === 'end' && t.keywordKind !== 0) cases--;
  };
  let lowest = 0;
  for (let i = i0; i <= i1; i++) {
    account(tokens[i] as ScanToken);
    lowest = Math.min(lowest, depth);
  }
  // `(a IS NULL) OR (b IS NULL)`: the first located token is inside a bracket that opens earlier.
  while (lowest < 0 && i0 > 0 && tokens[i0 - 1]?.text === '(') {
    i0--;
    lowest++;
    depth++;
  }
  if (lowest < 0) return undefined;
  for (;;) {
    const next = tokens[i1 + 1];
    if (!next) break;
    if (depth < 0) break;
    const here = (tokens[i1] as ScanToken).text.toLowerCase();
    const word = next.text.toLowerCase();
    const keyword = next.keywordKind !== 0;
    const takes =
      depth > 0 ||
      endsWithOperator(tokens[i1] as ScanToken) ||
      next.text === '(' ||
      next.text === '[' ||
      (cases > 0 && keyword && word === 'end') ||
      (keyword && continuesType(here, word, tokens, i1)) ||
      ((here === 'is' || here === 'not') && keyword && /^(not|null|true|false|unknown|document)$/.test(word));
    if (!takes) break;
    if ((next.text === ')' || next.text === ']') && depth === 0) break;
    account(next);
    i1++;
  }
  if (depth !== 0) return undefined;
  const startToken = tokens[i0] as ScanToken;
  const endToken = tokens[i1] as ScanToken;
  const index = parsed.textIndex;
  return { start: index.indexOf(base + startToken.start), end: index.indexOf(base + endToken.end) };
}

/** `expressionRange` as text. */
export function expressionText(parsed: ParsedSql, statement: Statement, node: unknown): string | undefined {
  const range = expressionRange(parsed, statement, node);
  return range && parsed.text.slice(range.start, range.end);
}

/** An operator cannot end an expression: `-1.5` is located at its `-`. */
function endsWithOperator(token: ScanToken): boolean {
  return OPERATOR.test(token.text);
}

/** An operator token (PostgreSQL's `self` and `operator` characters, `::` included). */
const OPERATOR = /^(?:[~!@#^&|`?+\-*/%<>=]+|::)$/;

function continuesType(here: string, next: string, tokens: readonly ScanToken[], at: number): boolean {
  if (next === 'precision') return here === 'double';
  if (next === 'varying') return here === 'character' || here === 'char' || here === 'bit' || here === 'nchar';
  if (next === 'with' || next === 'without') {
    // `timestamp(3) with time zone`: look back over a typmod group.
    let k = at;
    if (tokens[k]?.text === ')') while (k > 0 && tokens[k]?.text !== '(') k--;
    const head = (k === at ? tokens[k] : tokens[k - 1])?.text.toLowerCase();
    return (
      (head === 'timestamp' || head === 'time') &&
      tokens[at + 2]?.text.toLowerCase() === 'time' &&
      tokens[at + 3]?.text.toLowerCase() === 'zone'
    );
  }
  if (next === 'time') return here === 'with' || here === 'without';
  if (next === 'zone') return here === 'time';
  return false;
}

const tokenCache = new WeakMap<Statement, ScanToken[]>();

function statementTokens(statement: Statement): ScanToken[] {
  let tokens = tokenCache.get(statement);
  if (!tokens) {
    tokens = codeTokens(statement.text) ?? [];
    tokenCache.set(statement, tokens);
  }
  return tokens;
}

function findLastIndex<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i] as T)) return i;
  return -1;
}
