/**
 * The unmanaged view of a migration: what it does on a database without prisma-zd.
 * Each of our blocks stands for its original statement (a maintenance block without one
 * stands for nothing), so a rewritten history replays to exactly the facts of the
 * original one (I1). Facts, maintenance and reconciliation all read this view.
 */
import { asNode } from '../sql/nodes.js';
import { parseSql, type ParsedSql, type Statement } from '../sql/parse.js';
import { readZdBlock, type ZdBlock } from './blocks.js';

export interface UnmanagedView {
  /** The view, parsed. */
  parsed: ParsedSql;
  /** For each statement of the view, the index of the migration's top-level statement it comes from. */
  source: number[];
  /** Our blocks among the migration's top-level statements, by statement index. */
  blocks: Map<number, ZdBlock>;
}

/** The body of a `DO` statement, or undefined. */
export function doBody(statement: Statement): string | undefined {
  if (statement.kind !== 'DoStmt') return undefined;
  const args = (statement.node as { args?: unknown[] }).args ?? [];
  for (const a of args) {
    const def = asNode(a as never, 'DefElem');
    if (def?.defname === 'as') return asNode(def.arg, 'String')?.sval;
  }
  return undefined;
}

/** One of our blocks, read back, or undefined for any other statement. */
export function zdBlockOf(statement: Statement): ZdBlock | undefined {
  const body = doBody(statement);
  return body === undefined ? undefined : readZdBlock(body);
}

/**
 * The unmanaged view of a parsed migration. `parse` parses the view's text (a caller
 * that parsed the same text already, as `check` does, passes a memo).
 */
export function unmanagedView(parsed: ParsedSql, parse: (text: string) => ParsedSql = parseSql): UnmanagedView {
  const blocks = new Map<number, ZdBlock>();
  for (const s of parsed.statements) {
    const b = zdBlockOf(s);
    if (b) blocks.set(s.index, b);
  }
  if (blocks.size === 0) {
    return { parsed, source: parsed.statements.map((s) => s.index), blocks };
  }
  const pieces: string[] = [];
  const source: number[] = [];
  for (const s of parsed.statements) {
    const b = blocks.get(s.index);
    const text = b ? b.original : s.text;
    if (text === undefined) continue;
    pieces.push(text);
    source.push(s.index);
  }
  const view = parse(pieces.map((p) => `${p};\n`).join(''));
  // A block's original is one statement; should a hand-edited block hold several, keep the mapping honest.
  if (view.statements.length !== source.length) {
    const fixed: number[] = [];
    let cursor = 0;
    for (let i = 0; i < pieces.length; i++) {
      const n = parseSql(`${pieces[i]};`).statements.length;
      for (let k = 0; k < n; k++) fixed.push(source[i]!);
      cursor += n;
    }
    return { parsed: view, source: fixed, blocks };
  }
  return { parsed: view, source, blocks };
}
