/**
 * The sub-commands of an `ALTER TABLE` as text ranges. The parse tree gives the
 * sub-commands but no locations for them, so their boundaries are the top-level commas
 * among the statement's tokens (PostgreSQL's lexical rules: commas inside parentheses,
 * strings or comments are not boundaries).
 */
import type { ScanToken } from 'libpg-query';
import { codeTokens, type ParsedSql, type Statement } from '../sql/parse.js';
import type { Range } from '../sql/text.js';

export interface AlterTableParts {
  /** `ALTER TABLE [IF EXISTS] [ONLY] name [*]`. */
  header: Range;
  /** One range per sub-command, in the parse tree's order (no comma, no surrounding space). */
  commands: Range[];
}

/** Parts by statement: `rewrite` and `check`'s rules split the same statements. */
const memo = new WeakMap<Statement, { readonly parsed: ParsedSql; readonly parts: AlterTableParts | undefined }>();

/** Splits an `ALTER TABLE` statement, or returns undefined when the text and tree disagree. Do not modify the result. */
export function alterTableParts(parsed: ParsedSql, statement: Statement<'AlterTableStmt'>): AlterTableParts | undefined {
  const known = memo.get(statement);
  if (known?.parsed === parsed) return known.parts;
  const parts = splitAlterTable(parsed, statement);
  memo.set(statement, { parsed, parts });
  return parts;
}

function splitAlterTable(parsed: ParsedSql, statement: Statement<'AlterTableStmt'>): AlterTableParts | undefined {
  const tokens = codeTokens(statement.text);
  const relLoc = statement.node.relation?.location;
  if (!tokens || relLoc === undefined) return undefined;
  const base = statement.byteRange.start;
  const index = parsed.textIndex;
  const at = (byte: number) => index.indexOf(base + byte);
  // The relation name: IDENT ('.' IDENT)* then an optional '*'.
  let i = tokens.findIndex((t) => base + t.start >= relLoc);
  if (i === -1) return undefined;
  while (tokens[i + 1]?.text === '.' && tokens[i + 2]) i += 2;
  if (tokens[i + 1]?.text === '*') i++;
  const headerEnd = tokens[i] as ScanToken;
  const commands: Range[] = [];
  let depth = 0;
  let start: ScanToken | undefined;
  let last: ScanToken | undefined;
  for (const t of tokens.slice(i + 1)) {
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    if (depth === 0 && t.text === ',') {
      if (!start || !last) return undefined;
      commands.push({ start: at(start.start), end: at(last.end) });
      start = undefined;
      continue;
    }
    start ??= t;
    last = t;
  }
  if (start && last) commands.push({ start: at(start.start), end: at(last.end) });
  if (commands.length !== (statement.node.cmds?.length ?? 0)) return undefined;
  return { header: { start: statement.range.start, end: at(headerEnd.end) }, commands };
}
