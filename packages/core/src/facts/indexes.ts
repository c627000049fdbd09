import type { IndexStmt, Node } from 'libpg-query';
import { asNode, referencedColumns, stringList, stringValue } from '../sql/nodes.js';
import type { ReplayContext } from './context.js';
import { constraintKey, relationKey } from './model.js';
import type { IndexFacts, IndexKey, TableFacts } from './model.js';
import { chooseIndexColumnNames, chooseIndexName } from './names.js';
import type { IndexNameKind } from './names.js';
import { putIndex, putTable } from './ops.js';

export interface IndexSpec {
  /** Explicit name; chosen like PostgreSQL when absent. */
  readonly name?: string | undefined;
  readonly nameKind: IndexNameKind;
  readonly unique: boolean;
  readonly primary: boolean;
  /** The index implements a constraint of the same name. */
  readonly constraint?: boolean;
  readonly keys: readonly IndexKey[];
  /** Names used to choose an index name (`ChooseIndexColumnNames` input), one per key and INCLUDE column. */
  readonly nameParts: readonly string[];
  readonly include: readonly string[];
  readonly method?: string | undefined;
  readonly where?: string | undefined;
  readonly partial: boolean;
  readonly nullsNotDistinct: boolean;
  readonly columnsReferenced: readonly string[];
  /** False for `ON ONLY`: the index is not created on the partitions. */
  readonly recurse?: boolean;
}

/** Name (if needed) and add an index on `table`. */
export function addIndex(ctx: ReplayContext, table: TableFacts, spec: IndexSpec): IndexFacts {
  const schema = table.schema;
  const isConstraint = spec.nameKind !== 'index';
  const name =
    spec.name ??
    chooseIndexName(
      table.name,
      spec.nameParts,
      spec.nameKind,
      (n) => ctx.draft.relationExists(relationKey(schema, n)) || (isConstraint && ctx.draft.constraintNameExists(schema, n)),
    );
  const index: IndexFacts = {
    key: relationKey(schema, name),
    schema,
    name,
    table: table.key,
    unique: spec.unique,
    primary: spec.primary,
    ...(spec.constraint ? { constraint: name } : {}),
    keys: spec.keys,
    columnNames: chooseIndexColumnNames(spec.nameParts),
    include: spec.include,
    method: spec.method ?? 'btree',
    partial: spec.partial,
    ...(spec.where === undefined ? {} : { where: spec.where }),
    nullsNotDistinct: spec.nullsNotDistinct,
    columnsReferenced: spec.columnsReferenced,
    createdIn: ctx.migration,
  };
  putIndex(ctx, index);
  ctx.touch('index', index.key, 'create', ctx.migration);
  if (table.partitioned && spec.recurse !== false) {
    for (const child of [...ctx.draft.tables.values()]) if (child.partitionOf === table.key) clonePartitionIndex(ctx, child, index);
  }
  return index;
}

/**
 * A partition gets its own copy of each index of its partitioned parent (and of the
 * constraint it implements), named after the partition like PostgreSQL names them.
 * An existing index of the partition with the same keys is attached instead.
 */
export function clonePartitionIndex(ctx: ReplayContext, child: TableFacts, parent: IndexFacts): void {
  const same = [...ctx.draft.indexes.values()].some(
    (i) => i.table === child.key && i.unique === parent.unique && JSON.stringify(i.keys) === JSON.stringify(parent.keys),
  );
  if (same) return;
  const isConstraint = parent.constraint !== undefined;
  const index = addIndex(ctx, child, {
    nameKind: parent.primary ? 'primary' : isConstraint ? (parent.unique ? 'constraint' : 'exclusion') : 'index',
    unique: parent.unique,
    primary: parent.primary,
    constraint: isConstraint,
    keys: parent.keys,
    nameParts: parent.columnNames,
    include: parent.include,
    method: parent.method,
    where: parent.where,
    partial: parent.partial,
    nullsNotDistinct: parent.nullsNotDistinct,
    columnsReferenced: parent.columnsReferenced,
  });
  const constraint = ctx.draft.tables.get(parent.table)?.constraints.find((c) => c.index === parent.key);
  const current = ctx.draft.tables.get(child.key);
  if (!constraint || !current) return;
  putTable(ctx, {
    ...current,
    constraints: [...current.constraints, { ...constraint, name: index.name, table: child.key, index: index.key, createdIn: ctx.migration }],
  });
  ctx.touch('constraint', constraintKey(child.key, index.name), 'create', ctx.migration, { implicit: true });
}

/** Keys, naming parts and referenced columns of a list of `IndexElem` nodes. */
export function indexElems(ctx: ReplayContext, params: readonly Node[] | undefined): {
  keys: IndexKey[];
  nameParts: string[];
  columns: string[];
} {
  const keys: IndexKey[] = [];
  const nameParts: string[] = [];
  const columns: string[] = [];
  for (const param of params ?? []) {
    const elem = asNode(param, 'IndexElem');
    if (!elem) continue;
    if (elem.name !== undefined) {
      keys.push({ column: elem.name });
      nameParts.push(elem.indexcolname ?? elem.name);
      if (!columns.includes(elem.name)) columns.push(elem.name);
    } else {
      keys.push({ expression: ctx.text(elem.expr) ?? '?' });
      nameParts.push(elem.indexcolname ?? figureIndexColname(elem.expr) ?? 'expr');
      for (const c of referencedColumns(elem.expr)) if (!columns.includes(c)) columns.push(c);
    }
  }
  return { keys, nameParts, columns };
}

/** `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON table …`. */
export function createIndexStatement(ctx: ReplayContext, stmt: IndexStmt): void {
  const table = stmt.relation ? ctx.table(stmt.relation) : undefined;
  if (!table) {
    ctx.notUnderstood('CREATE INDEX on a table the replay does not know');
    return;
  }
  ctx.touchTable(table, 'alter', { change: 'add-index' });
  if (stmt.idxname !== undefined && ctx.draft.relationExists(relationKey(table.schema, stmt.idxname))) {
    if (!stmt.if_not_exists) ctx.note(`relation "${stmt.idxname}" already exists`);
    return;
  }
  const elems = indexElems(ctx, stmt.indexParams);
  const include = (stmt.indexIncludingParams ?? []).flatMap((p) => {
    const name = asNode(p, 'IndexElem')?.name;
    return name === undefined ? [] : [name];
  });
  const columnsReferenced = [...elems.columns];
  for (const c of [...include, ...referencedColumns(stmt.whereClause)]) if (!columnsReferenced.includes(c)) columnsReferenced.push(c);
  addIndex(ctx, table, {
    name: stmt.idxname,
    nameKind: stmt.primary ? 'primary' : stmt.isconstraint ? 'constraint' : 'index',
    unique: stmt.unique === true,
    primary: stmt.primary === true,
    keys: elems.keys,
    nameParts: [...elems.nameParts, ...include],
    include,
    method: stmt.accessMethod,
    where: stmt.whereClause ? ctx.text(stmt.whereClause) : undefined,
    partial: stmt.whereClause !== undefined,
    nullsNotDistinct: stmt.nulls_not_distinct === true,
    columnsReferenced,
    recurse: stmt.relation?.inh !== false,
  });
}

/**
 * The column name PostgreSQL derives from an index expression (`FigureIndexColname`):
 * a function's name, a column's name, a cast's type name, `case`, `array`…; undefined
 * where PostgreSQL falls back to `expr`.
 */
export function figureIndexColname(node: Node | undefined): string | undefined {
  return figure(node)?.name;
}

function figure(node: Node | undefined): { name: string; strength: number } | undefined {
  if (!node) return undefined;
  const kind = Object.keys(node)[0];
  const value = Object.values(node)[0] as Record<string, unknown>;
  switch (kind) {
    case 'ColumnRef': {
      const fields = (value['fields'] as Node[] | undefined) ?? [];
      const name = stringValue(fields[fields.length - 1]);
      return name === undefined ? undefined : { name, strength: 2 };
    }
    case 'A_Indirection': {
      const indirection = (value['indirection'] as Node[] | undefined) ?? [];
      for (let i = indirection.length - 1; i >= 0; i--) {
        const name = stringValue(indirection[i]);
        if (name !== undefined) return { name, strength: 2 };
      }
      return figure(value['arg'] as Node | undefined);
    }
    case 'FuncCall': {
      const names = stringList(value['funcname'] as Node[] | undefined);
      const name = names[names.length - 1];
      return name === undefined ? undefined : { name, strength: 2 };
    }
    case 'A_Expr':
      return value['kind'] === 'AEXPR_NULLIF' ? { name: 'nullif', strength: 2 } : undefined;
    case 'TypeCast': {
      const inner = figure(value['arg'] as Node | undefined);
      if (inner && inner.strength > 1) return inner;
      const typeNames = stringList((value['typeName'] as { names?: Node[] } | undefined)?.names);
      const name = typeNames[typeNames.length - 1];
      return name === undefined ? inner : { name, strength: 1 };
    }
    case 'CollateClause':
      return figure(value['arg'] as Node | undefined);
    case 'CaseExpr': {
      const inner = figure(value['defresult'] as Node | undefined);
      return inner && inner.strength > 1 ? inner : { name: 'case', strength: 1 };
    }
    case 'A_ArrayExpr':
      return { name: 'array', strength: 2 };
    case 'RowExpr':
      return { name: 'row', strength: 2 };
    case 'CoalesceExpr':
      return { name: 'coalesce', strength: 2 };
    case 'MinMaxExpr':
      return { name: value['op'] === 'IS_GREATEST' ? 'greatest' : 'least', strength: 2 };
    case 'SQLValueFunction':
      return { name: sqlValueFunctionName(String(value['op'])), strength: 2 };
    default:
      return undefined;
  }
}

function sqlValueFunctionName(op: string): string {
  const name = op.replace(/^SVFOP_/, '').replace(/_N$/, '').toLowerCase();
  return name;
}
