import type { AlterSeqStmt, CreateSeqStmt, Node } from 'libpg-query';
import { asNode, listItems, stringList, stringValue } from '../sql/nodes.js';
import { displayIdent } from './column-type.js';
import { display, refOfNames, toRef } from './context.js';
import type { NameRef, ReplayContext } from './context.js';
import { relationKey } from './model.js';
import type { SequenceFacts, TableFacts } from './model.js';
import { chooseName } from './names.js';

/**
 * Create the sequence behind a serial or identity column, named like PostgreSQL
 * (`<table>_<column>_seq`), owned by the column.
 */
export function createOwnedSequence(ctx: ReplayContext, table: { schema: string; name: string; key: string }, column: string): SequenceFacts {
  const name = chooseName(table.name, column, 'seq', (n) => ctx.draft.relationExists(relationKey(table.schema, n)));
  const sequence: SequenceFacts = {
    key: relationKey(table.schema, name),
    schema: table.schema,
    name,
    ownedBy: { table: table.key, column },
    createdIn: ctx.migration,
  };
  ctx.draft.map('sequences').set(sequence.key, sequence);
  ctx.touch('sequence', sequence.key, 'create', ctx.migration);
  return sequence;
}

/** The default PostgreSQL stores for a serial column. */
export function serialDefault(sequence: SequenceFacts): string {
  return `nextval('${displayIdent(sequence.name).replaceAll("'", "''")}'::regclass)`;
}

/** Key of the sequence a `nextval('…')` expression draws from, when it is in the draft. */
export function nextvalSequence(ctx: ReplayContext, expr: Node | undefined): string | undefined {
  const call = asNode(expr, 'FuncCall');
  if (!call) return undefined;
  const fn = stringList(call.funcname);
  if (fn[fn.length - 1] !== 'nextval' || call.args?.length !== 1) return undefined;
  const arg = call.args[0];
  const literal = asNode(asNode(arg, 'TypeCast')?.arg ?? arg, 'A_Const')?.sval?.sval;
  if (literal === undefined) return undefined;
  const ref = parseRegclass(literal);
  return ref && ctx.lookup(ref, (k) => ctx.draft.sequences.has(k));
}

/**
 * The name a regclass literal denotes (`'"User_id_seq"'`, `'public.seq'`): dot-separated
 * identifiers, quoted ones kept, unquoted ones lower-cased, as `regclassin` reads them.
 */
export function parseRegclass(literal: string): NameRef | undefined {
  const parts: string[] = [];
  let i = 0;
  while (i <= literal.length) {
    let part = '';
    if (literal[i] === '"') {
      i++;
      for (;;) {
        if (i >= literal.length) return undefined;
        if (literal[i] === '"') {
          if (literal[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += literal[i];
        i++;
      }
    } else {
      const dot = literal.indexOf('.', i);
      const end = dot === -1 ? literal.length : dot;
      part = literal.slice(i, end).trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
      i = end;
    }
    parts.push(part);
    if (literal[i] !== '.') break;
    i++;
  }
  return parts.length === 0 || parts.length > 3 ? undefined : refOfNames(parts);
}

/** `CREATE SEQUENCE [IF NOT EXISTS] name [OWNED BY t.c]`. */
export function createSequence(ctx: ReplayContext, stmt: CreateSeqStmt): void {
  if (!stmt.sequence) return;
  const ref = toRef(stmt.sequence);
  const schema = ctx.creationSchema(ref);
  const key = relationKey(schema, ref.name);
  if (ctx.draft.relationExists(key)) {
    if (!stmt.if_not_exists) ctx.note(`relation ${display(ref)} already exists`);
    return;
  }
  const sequence: SequenceFacts = { key, schema, name: ref.name, createdIn: ctx.migration };
  ctx.draft.map('sequences').set(key, sequence);
  ctx.touch('sequence', key, 'create', ctx.migration);
  applyOwnedBy(ctx, sequence, stmt.options);
}

/** `ALTER SEQUENCE name OWNED BY t.c | NONE` (other options do not change the model). */
export function alterSequence(ctx: ReplayContext, stmt: AlterSeqStmt): void {
  if (!stmt.sequence) return;
  const ref = toRef(stmt.sequence);
  const key = ctx.lookup(ref, (k) => ctx.draft.sequences.has(k));
  const sequence = key === undefined ? undefined : ctx.draft.sequences.get(key);
  if (!sequence) {
    if (!stmt.missing_ok) ctx.note(`sequence ${display(ref)} is not in the replayed schema`);
    return;
  }
  ctx.touch('sequence', sequence.key, 'alter', sequence.createdIn, { change: 'options' });
  applyOwnedBy(ctx, sequence, stmt.options);
}

function applyOwnedBy(ctx: ReplayContext, sequence: SequenceFacts, options: readonly Node[] | undefined): void {
  for (const option of options ?? []) {
    const def = asNode(option, 'DefElem');
    if (def?.defname !== 'owned_by') continue;
    const names = listItems(def.arg).map((n) => stringValue(n) ?? '');
    const { ownedBy: _previous, ...rest } = sequence;
    if (names.length === 1 && names[0]?.toLowerCase() === 'none') {
      ctx.draft.map('sequences').set(sequence.key, rest);
      continue;
    }
    const column = names[names.length - 1] ?? '';
    const table: TableFacts | undefined = ctx.table(refOfNames(names.slice(0, -1)));
    if (!table) continue;
    ctx.touchColumn(table, column, 'reference');
    ctx.draft.map('sequences').set(sequence.key, { ...rest, ownedBy: { table: table.key, column } });
  }
}
