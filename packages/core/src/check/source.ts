/**
 * What the rules read: a migration's statements as they run on a database. Like the
 * unmanaged view (`zd/view.ts`), each prisma-zd block stands for the statement it
 * carries; in addition, the SQL a `DO` block runs, and the body of a function the
 * migration calls, stand next to the statement that runs them, so DDL hidden there is
 * replayed and checked like any other statement.
 */
import type { CreateFunctionStmt, DoStmt, Node, VariableSetStmt } from 'libpg-query';
import type { FunctionFrame } from '../facts/replay.js';
import { asNode, stringList, stringValue } from '../sql/nodes.js';
import { parseSql, type ParsedSql, type Statement } from '../sql/parse.js';
import type { Range } from '../sql/text.js';
import { zdBlockOf } from '../zd/view.js';
import type { BlockRole } from '../zd/blocks.js';
import { bodySql, type BodyProblem } from './plpgsql.js';

export type Origin =
  /** A statement of the file, as written. */
  | 'statement'
  /** The statement a prisma-zd block carries (written by `rewrite`). */
  | 'zd-block'
  /** SQL run by a `DO` block. */
  | 'do-block'
  /** SQL in the body of a function the migration calls. */
  | 'function';

export interface SourceStatement {
  /** The statement of the source view (node; ranges in `CheckSource.parsed.text`). */
  readonly statement: Statement;
  /** Index of the migration's own top-level statement it comes from. */
  readonly top: number;
  readonly origin: Origin;
  /** For `zd-block`: the block's role. */
  readonly role?: BlockRole;
  /** Where findings about it point in the migration file. */
  readonly range: Range;
  /** `origin: 'statement'`: file index = view index + shift (the text is the same). */
  readonly shift?: number;
}

export interface SourceProblem {
  readonly top: number;
  readonly range: Range;
  readonly reason: string;
}

export interface CheckSource {
  /** The view the statements live in (the file itself when nothing is expanded). */
  readonly parsed: ParsedSql;
  readonly statements: readonly SourceStatement[];
  /** Code that could not be analysed. */
  readonly problems: readonly SourceProblem[];
  /**
   * When the view is not the file itself: the top-level statement each statement of
   * `parsed` comes from (`statements[i].top`), as the replay takes it
   * (`ReplayMigration.tops`: under per-statement execution a LOCAL setting ends with its
   * top-level statement, a DO block's SQL included).
   */
  readonly tops?: readonly number[];
  /**
   * Where the body of a called function with its own `SET search_path` clause starts and
   * ends among the statements of `parsed` (`ReplayMigration.frames`).
   */
  readonly frames?: ReadonlyArray<FunctionFrame | undefined>;
}

/** A function body known from the history, by the function's (unqualified) name. */
export interface FunctionBody {
  readonly language: string;
  readonly body: string;
  /** Its `SET search_path …` clause, if any: the path its body runs with. */
  readonly searchPath?: VariableSetStmt;
}

export type FunctionBodies = Map<string, FunctionBody>;

interface Piece {
  readonly text: string;
  readonly top: number;
  readonly origin: Origin;
  readonly role?: BlockRole;
  readonly range: Range;
  frame?: FunctionFrame;
}

/**
 * The source view of one parsed migration. `functions` holds the bodies of the
 * functions created so far in the history; those this migration creates are added.
 * `parse` parses the view's text (`check` passes a memo it shares with the unmanaged view).
 */
export function checkSource(parsed: ParsedSql, functions: FunctionBodies, parse: (text: string) => ParsedSql = parseSql): CheckSource {
  const pieces: Piece[] = [];
  const problems: SourceProblem[] = [];
  let expanded = false;
  for (const top of parsed.statements) {
    const block = zdBlockOf(top);
    if (block) {
      expanded = true;
      if (block.original !== undefined) {
        pieces.push({ text: block.original, top: top.index, origin: 'zd-block', role: block.role, range: top.range });
      }
      continue;
    }
    pieces.push({ text: top.text, top: top.index, origin: 'statement', range: top.range });
    if (top.kind === 'CreateFunctionStmt') rememberFunction(top.node as CreateFunctionStmt, functions);
    const code = embeddedCode(top, functions);
    if (!code) continue;
    expanded = true;
    const found = bodySql(code.body, code.language);
    const bodyAt = code.origin === 'do-block' ? top.text.indexOf(code.body) : -1;
    for (const p of found.problems) problems.push({ top: top.index, range: lineRange(top, bodyAt, code.body, p), reason: p.reason });
    const first = pieces.length;
    for (const e of found.statements) {
      const inner = parseSql(e.sql);
      if (inner.error || inner.statements.length === 0) {
        if (inner.error) problems.push({ top: top.index, range: top.range, reason: `a statement in the body does not parse (${inner.error.message})` });
        continue;
      }
      const range =
        bodyAt >= 0 && e.offset !== undefined
          ? { start: top.range.start + bodyAt + e.offset, end: top.range.start + bodyAt + e.offset + e.length }
          : top.range;
      for (const s of inner.statements) pieces.push({ text: s.text, top: top.index, origin: code.origin, range });
    }
    if (code.searchPath && pieces.length > first) {
      pieces[first]!.frame = { enter: code.searchPath };
      const last = pieces[pieces.length - 1]!;
      last.frame = { ...last.frame, exit: true };
    }
  }
  if (!expanded) {
    return {
      parsed,
      statements: parsed.statements.map((s) => ({ statement: s, top: s.index, origin: 'statement', range: s.range, shift: 0 })),
      problems,
    };
  }
  const view = parseSql(pieces.map((p) => `${p.text};\n`).join(''));
  if (view.error || view.statements.length !== pieces.length) {
    // Should not happen (each piece is one statement that parses alone); keep the file's own statements.
    return {
      parsed,
      statements: parsed.statements.map((s) => ({ statement: s, top: s.index, origin: 'statement', range: s.range, shift: 0 })),
      problems: [...problems, { top: 0, range: { start: 0, end: 0 }, reason: 'embedded SQL could not be laid out for analysis' }],
    };
  }
  const statements = view.statements.map((statement, i): SourceStatement => {
    const p = pieces[i]!;
    return {
      statement,
      top: p.top,
      origin: p.origin,
      ...(p.role === undefined ? {} : { role: p.role }),
      range: p.range,
      ...(p.origin === 'statement' ? { shift: p.range.start - statement.range.start } : {}),
    };
  });
  const framed = pieces.some((p) => p.frame);
  return { parsed: view, statements, problems, tops: statements.map((s) => s.top), ...(framed ? { frames: pieces.map((p) => p.frame) } : {}) };
}

function defElems(options: readonly Node[] | undefined): Map<string, Node | undefined> {
  const out = new Map<string, Node | undefined>();
  for (const o of options ?? []) {
    const d = asNode(o, 'DefElem');
    if (d?.defname) out.set(d.defname, d.arg);
  }
  return out;
}

function rememberFunction(node: CreateFunctionStmt, functions: FunctionBodies): void {
  const name = stringList(node.funcname).at(-1);
  const options = defElems(node.options);
  const as = options.get('as');
  const body = stringValue(as) ?? stringList(asNode(as, 'List')?.items)[0];
  const language = stringValue(options.get('language')) ?? 'sql';
  // Several SET clauses are several `set` elements: the search_path one, if any.
  const searchPath = (node.options ?? [])
    .map((o) => asNode(o, 'DefElem'))
    .filter((d) => d?.defname === 'set')
    .map((d) => asNode(d!.arg, 'VariableSetStmt'))
    .find((v) => v?.name?.toLowerCase() === 'search_path');
  if (name !== undefined && body !== undefined) functions.set(name, { language, body, ...(searchPath ? { searchPath } : {}) });
}

/** The code a statement runs: a DO block's body, or the body of a known function it calls. */
function embeddedCode(
  top: Statement,
  functions: FunctionBodies,
): { body: string; language: string; origin: 'do-block' | 'function'; searchPath?: VariableSetStmt } | undefined {
  if (top.kind === 'DoStmt') {
    const options = defElems((top.node as DoStmt).args);
    const body = stringValue(options.get('as'));
    if (body === undefined) return undefined;
    return { body, language: stringValue(options.get('language')) ?? 'plpgsql', origin: 'do-block' };
  }
  const called = calledFunction(top);
  const fn = called === undefined ? undefined : functions.get(called);
  return fn ? { ...fn, origin: 'function' } : undefined;
}

/** `SELECT f(…)` (no FROM) or `CALL p(…)`: the function's unqualified name. */
function calledFunction(top: Statement): string | undefined {
  if (top.kind === 'CallStmt') {
    return stringList((top.node as { funccall?: { funcname?: Node[] } }).funccall?.funcname).at(-1);
  }
  if (top.kind !== 'SelectStmt') return undefined;
  const select = top.node as { targetList?: Node[]; fromClause?: Node[] };
  if (select.fromClause?.length || select.targetList?.length !== 1) return undefined;
  const call = asNode(asNode(select.targetList[0], 'ResTarget')?.val, 'FuncCall');
  return stringList(call?.funcname).at(-1);
}

function firstLineLength(body: string, offset: number): number {
  const nl = body.indexOf('\n', offset);
  return (nl === -1 ? body.length : nl) - offset;
}

function lineRange(top: Statement, bodyAt: number, body: string, problem: BodyProblem): Range {
  if (bodyAt < 0) return top.range;
  let at = 0;
  for (let line = 1; line < problem.line; line++) {
    const nl = body.indexOf('\n', at);
    if (nl === -1) break;
    at = nl + 1;
  }
  while (at < body.length && /[ \t]/.test(body[at]!)) at++;
  const start = top.range.start + bodyAt + at;
  return { start, end: start + firstLineLength(body, at) };
}
