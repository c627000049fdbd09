import type { Constraint, Node } from 'libpg-query';
import { asNode, referencedColumns, stringList } from '../sql/nodes.js';
import { display, toRef } from './context.js';
import type { ReplayContext } from './context.js';
import { addIndex, clonePartitionIndex, indexElems } from './indexes.js';
import { changedColumn } from './defaults.js';
import { constraintKey, relationKey } from './model.js';
import type { ConstraintFacts, TableFacts } from './model.js';
import { chooseName, chooseNameAddition } from './names.js';
import { putTable, renameIndex, updateTable } from './ops.js';

export interface ConstraintOptions {
  /** The constraint was written on this column (`email text UNIQUE`). */
  readonly column?: string | undefined;
  /** Part of CREATE TABLE: PostgreSQL marks even `NOT VALID` constraints valid on a new table. */
  readonly newTable: boolean;
}

/** Order in which PostgreSQL names a CREATE TABLE's constraints: checks, then indexes (primary key first), then foreign keys. */
export function constraintOrder(node: Constraint): number {
  switch (node.contype) {
    case 'CONSTR_CHECK':
      return 0;
    case 'CONSTR_PRIMARY':
      return 1;
    case 'CONSTR_UNIQUE':
    case 'CONSTR_EXCLUSION':
      return 2;
    case 'CONSTR_FOREIGN':
      return 3;
    default:
      return 4;
  }
}

/**
 * Add a PRIMARY KEY, UNIQUE, EXCLUDE, FOREIGN KEY, CHECK or NOT NULL constraint to a
 * table already in the draft, naming it like PostgreSQL when the SQL does not.
 */
export function addConstraint(ctx: ReplayContext, tableKey: string, node: Constraint, options: ConstraintOptions): void {
  const table = ctx.draft.tables.get(tableKey);
  if (!table) return;
  switch (node.contype) {
    case 'CONSTR_PRIMARY':
    case 'CONSTR_UNIQUE':
    case 'CONSTR_EXCLUSION':
      addIndexConstraint(ctx, table, node, options);
      return;
    case 'CONSTR_FOREIGN':
      addForeignKey(ctx, table, node, options);
      return;
    case 'CONSTR_CHECK':
      addCheck(ctx, table, node, options);
      return;
    case 'CONSTR_NOTNULL': {
      const columns = options.column !== undefined ? [options.column] : stringList(node.keys);
      for (const column of columns) setNotNull(ctx, tableKey, column, true);
      return;
    }
    default:
      ctx.note(`constraint type ${node.contype ?? '?'} is not modelled`);
  }
}

export function setNotNull(ctx: ReplayContext, tableKey: string, column: string, notNull: boolean): void {
  // A primary key's columns are mostly NOT NULL already: nothing to copy then.
  if (!ctx.draft.tables.get(tableKey)?.columns.some((c) => c.name === column && c.notNull !== notNull)) return;
  updateTable(ctx, tableKey, (t) => ({
    ...t,
    columns: t.columns.map((c) => (c.name === column ? changedColumn(c, { notNull }) : c)),
  }));
}

function pushConstraint(ctx: ReplayContext, table: TableFacts, constraint: ConstraintFacts): void {
  const current = ctx.draft.tables.get(table.key) ?? table;
  putTable(ctx, { ...current, constraints: [...current.constraints, constraint] });
  ctx.touch('constraint', constraintKey(table.key, constraint.name), 'create', ctx.migration);
}

function constraintNameTaken(ctx: ReplayContext, schema: string): (name: string) => boolean {
  return (name) => ctx.draft.constraintNameExists(schema, name);
}

function addIndexConstraint(ctx: ReplayContext, table: TableFacts, node: Constraint, options: ConstraintOptions): void {
  const primary = node.contype === 'CONSTR_PRIMARY';
  const contype = primary ? 'p' : node.contype === 'CONSTR_UNIQUE' ? 'u' : 'x';
  if (node.indexname !== undefined) {
    // ADD CONSTRAINT … UNIQUE USING INDEX: the index becomes the constraint's, renamed to it.
    const index = ctx.draft.indexes.get(relationKey(table.schema, node.indexname));
    if (!index) {
      ctx.note(`index "${node.indexname}" is not in the replayed schema`);
      return;
    }
    const name = node.conname ?? index.name;
    const renamed = name === index.name ? index : renameIndex(ctx, index, name);
    ctx.draft.map('indexes').set(renamed.key, { ...renamed, constraint: name, primary, unique: true });
    const columns = renamed.keys.flatMap((k) => ('column' in k ? [k.column] : []));
    pushConstraint(ctx, table, {
      name,
      table: table.key,
      contype,
      columns,
      notValid: false,
      index: renamed.key,
      deferrable: node.deferrable === true,
      createdIn: ctx.migration,
    });
    if (primary) for (const c of columns) setNotNull(ctx, table.key, c, true);
    return;
  }
  let columns: string[];
  let elems: ReturnType<typeof indexElems>;
  if (contype === 'x') {
    elems = indexElems(ctx, (node.exclusions ?? []).map((pair) => asNode(pair, 'List')?.items?.[0]).filter((n): n is Node => !!n));
    columns = elems.columns;
  } else {
    columns = options.column !== undefined ? [options.column] : stringList(node.keys);
    elems = { keys: columns.map((column) => ({ column })), nameParts: columns, columns };
  }
  const include = stringList(node.including);
  const columnsReferenced = [...new Set([...elems.columns, ...include, ...referencedColumns(node.where_clause)])];
  const index = addIndex(ctx, table, {
    name: node.conname,
    nameKind: primary ? 'primary' : contype === 'x' ? 'exclusion' : 'constraint',
    unique: contype !== 'x',
    primary,
    constraint: true,
    keys: elems.keys,
    nameParts: [...elems.nameParts, ...include],
    include,
    method: node.access_method,
    where: node.where_clause ? ctx.text(node.where_clause) : undefined,
    partial: node.where_clause !== undefined,
    nullsNotDistinct: node.nulls_not_distinct === true,
    columnsReferenced,
    recurse: false,
  });
  pushConstraint(ctx, table, {
    name: index.name,
    table: table.key,
    contype,
    columns,
    notValid: false,
    index: index.key,
    deferrable: node.deferrable === true,
    createdIn: ctx.migration,
  });
  if (primary) for (const c of columns) setNotNull(ctx, table.key, c, true);
  if (table.partitioned) {
    for (const child of [...ctx.draft.tables.values()]) if (child.partitionOf === table.key) clonePartitionIndex(ctx, child, index);
  }
}

function addForeignKey(ctx: ReplayContext, table: TableFacts, node: Constraint, options: ConstraintOptions): void {
  const columns = options.column !== undefined ? [options.column] : stringList(node.fk_attrs);
  const ref = node.pktable ? toRef(node.pktable) : { name: '' };
  let referencedKey = ctx.lookup(ref, (k) => ctx.draft.tables.has(k));
  if (referencedKey === undefined) {
    ctx.note(`referenced table ${display(ref)} is not in the replayed schema`);
    referencedKey = relationKey(ctx.creationSchema(ref), ref.name);
  }
  const referenced = ctx.draft.tables.get(referencedKey);
  if (referenced) ctx.touchTable(referenced, 'reference');
  const name =
    node.conname ?? chooseName(table.name, chooseNameAddition(columns), 'fkey', constraintNameTaken(ctx, table.schema));
  pushConstraint(ctx, table, {
    name,
    table: table.key,
    contype: 'f',
    columns,
    references: { table: referencedKey, columns: stringList(node.pk_attrs) },
    onDelete: node.fk_del_action ?? 'a',
    onUpdate: node.fk_upd_action ?? 'a',
    notValid: !options.newTable && node.initially_valid !== true,
    deferrable: node.deferrable === true,
    createdIn: ctx.migration,
  });
}

function addCheck(ctx: ReplayContext, table: TableFacts, node: Constraint, options: ConstraintOptions): void {
  const columns = referencedColumns(node.raw_expr);
  const name =
    node.conname ??
    chooseName(table.name, columns.length === 1 ? columns[0] : undefined, 'check', constraintNameTaken(ctx, table.schema));
  const expression = ctx.text(node.raw_expr);
  pushConstraint(ctx, table, {
    name,
    table: table.key,
    contype: 'c',
    columns,
    ...(expression === undefined ? {} : { expression }),
    notValid: !options.newTable && node.initially_valid !== true,
    deferrable: false,
    createdIn: ctx.migration,
  });
}
