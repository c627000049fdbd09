/**
 * Small readings of statements that several rules share. Cross-statement knowledge
 * lives in the facts (replayed once); these only look at one statement's tree, or put
 * two facts side by side.
 */
import type { AlterTableCmd, Node } from 'libpg-query';
import type { ColumnFacts, SchemaState, TableFacts } from '../facts/model.js';
import { columnKey } from '../facts/model.js';
import { asNode } from '../sql/nodes.js';
import type { Range } from '../sql/text.js';
import { alterTableParts, type AlterTableParts } from '../zd/alter.js';
import type { CheckStatement, RuleContext } from './context.js';

export interface AlterCommand {
  readonly cmd: AlterTableCmd;
  /**
   * The sub-command's text in the statement's view, when it could be located. Found on
   * first read (it takes the scanner), so read it only to report.
   */
  readonly range: Range | undefined;
}

const commandCache = new WeakMap<CheckStatement, AlterCommand[]>();

/** The sub-commands of an `ALTER TABLE`, with their ranges (for pointing at the one at fault). */
export function alterCommands(ctx: RuleContext, s: CheckStatement): AlterCommand[] {
  if (s.statement.kind !== 'AlterTableStmt') return [];
  let cached = commandCache.get(s);
  if (!cached) commandCache.set(s, (cached = readAlterCommands(ctx, s)));
  return cached;
}

/** `{ range }` of a sub-command for a report, when it could be located. */
export function commandRange(command: AlterCommand): { range?: Range } {
  const range = command.range;
  return range ? { range } : {};
}

function readAlterCommands(ctx: RuleContext, s: CheckStatement): AlterCommand[] {
  const node = s.statement.node as { cmds?: Node[]; objtype?: string };
  if (node.objtype !== 'OBJECT_TABLE') return [];
  const cmds = (node.cmds ?? []).map((c) => asNode(c, 'AlterTableCmd')).filter((c): c is AlterTableCmd => c !== undefined);
  let parts: AlterTableParts | undefined | null = null;
  const partsOf = () => (parts === null ? (parts = cmds.length > 1 ? alterTableParts(ctx.source.parsed, s.statement as never) : undefined) : parts);
  return cmds.map((cmd, i) => ({
    cmd,
    get range() {
      return partsOf()?.commands[i];
    },
  }));
}

/** The schema just after `s` (the next statement's `before`, or the migration's `after`). */
export function stateAfter(ctx: RuleContext, s: CheckStatement): SchemaState {
  return ctx.statements[s.position + 1]?.facts.before ?? ctx.facts.after;
}

/** The table an `ALTER TABLE` acts on, when it existed before this migration. */
export function alteredTable(ctx: RuleContext, s: CheckStatement): TableFacts | undefined {
  return ctx.alteredTable(s);
}

/** One sub-command of an `ALTER TABLE` on a table that existed before this migration. */
export interface TableCommand {
  readonly s: CheckStatement;
  readonly table: TableFacts;
  /** The sub-command with its range (for the report). */
  readonly command: AlterCommand;
  /** `command.cmd`. */
  readonly cmd: AlterTableCmd;
}

/** The sub-commands of the migration's `ALTER TABLE`s on tables that existed before it, in order. */
export function* tableCommands(ctx: RuleContext): Generator<TableCommand> {
  for (const s of ctx.plain) {
    const table = alteredTable(ctx, s);
    if (!table) continue;
    for (const command of alterCommands(ctx, s)) yield { s, table, command, cmd: command.cmd };
  }
}

/** A column of `table` that existed before this migration. */
export function existingColumn(ctx: RuleContext, table: TableFacts, name: string | undefined): ColumnFacts | undefined {
  const column = name === undefined ? undefined : table.columns.find((c) => c.name === name);
  return column && column.createdIn !== ctx.name ? column : undefined;
}

const recreatedCache = new WeakMap<RuleContext, Set<string>>();

/**
 * Keys of columns that existed before this migration, are dropped in it and added again
 * under the same name (Prisma's drop-and-recreate on a type change it cannot cast).
 */
export function recreatedColumns(ctx: RuleContext): ReadonlySet<string> {
  let out = recreatedCache.get(ctx);
  if (out) return out;
  out = new Set();
  const dropped = new Set<string>();
  for (const s of ctx.statements) {
    for (const t of s.facts.touches) {
      if (t.object !== 'column') continue;
      if (t.action === 'drop' && !t.createdInMigration && !t.implicit) dropped.add(t.key);
      if (t.action === 'create' && dropped.has(t.key)) out.add(t.key);
    }
  }
  recreatedCache.set(ctx, out);
  return out;
}

export function isRecreated(ctx: RuleContext, table: TableFacts, column: string): boolean {
  return recreatedColumns(ctx).has(columnKey(table.key, column));
}

/** Every string constant in a tree (`'ACTIVE'` in `SET DEFAULT 'ACTIVE'`, `WHERE s = 'ACTIVE'`). */
export function stringConstants(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) stringConstants(v, out);
  } else if (value !== null && typeof value === 'object') {
    const constant = (value as { A_Const?: { sval?: { sval?: string } } }).A_Const;
    if (constant?.sval?.sval !== undefined) out.add(constant.sval.sval);
    for (const child of Object.values(value)) stringConstants(child, out);
  }
  return out;
}

/** Does a tree cast anything to the type named `name` (`'A'::"Role"`, `CAST(x AS "Role")`)? */
export function castsTo(value: unknown, name: string): boolean {
  if (Array.isArray(value)) return value.some((v) => castsTo(v, name));
  if (value === null || typeof value !== 'object') return false;
  const cast = (value as { TypeCast?: { typeName?: { names?: Node[] } } }).TypeCast;
  const names = cast?.typeName?.names;
  if (names && asNode(names[names.length - 1], 'String')?.sval === name) return true;
  return Object.values(value).some((child) => castsTo(child, name));
}

/** Names of the functions a tree calls (last name part). */
export function calledFunctions(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) calledFunctions(v, out);
  } else if (value !== null && typeof value === 'object') {
    const call = (value as { FuncCall?: { funcname?: Node[] } }).FuncCall;
    const name = call?.funcname?.at(-1);
    const sval = name ? asNode(name, 'String')?.sval : undefined;
    if (sval !== undefined) out.add(sval);
    for (const child of Object.values(value)) calledFunctions(child, out);
  }
  return out;
}

/** Statement kinds that change no schema: data, transactions, settings, reads. */
const NOT_DDL = new Set([
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'MergeStmt',
  'SelectStmt',
  'TransactionStmt',
  'VariableSetStmt',
  'VariableShowStmt',
  'CopyStmt',
  'LockStmt',
  'DoStmt',
  'CallStmt',
  'NotifyStmt',
  'CommentStmt',
]);

/** Does the migration change the schema? */
export function hasDdl(ctx: RuleContext): boolean {
  return ctx.statements.some((s) => !NOT_DDL.has(s.statement.kind));
}

/** Does the transaction `tx` (of this migration) change the schema? */
export function transactionHasDdl(ctx: RuleContext, tx: number): boolean {
  return ctx.statements.some((s) => s.tx.id === tx && !NOT_DDL.has(s.statement.kind));
}
