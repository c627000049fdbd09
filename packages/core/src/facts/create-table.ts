import type { Constraint, CreateStmt, CreateTableAsStmt, TableLikeClause } from 'libpg-query';
import { asNode } from '../sql/nodes.js';
import { columnDef } from './columns.js';
import { withoutDefault } from './defaults.js';
import { addConstraint, constraintOrder } from './constraints.js';
import { TEMP_SCHEMA, display, toRef } from './context.js';
import type { ReplayContext } from './context.js';
import { addIndex, clonePartitionIndex } from './indexes.js';
import { relationKey } from './model.js';
import type { ColumnFacts, TableFacts } from './model.js';
import { putTable, updateTable } from './ops.js';

/** `CREATE TABLE`: columns, inline and table constraints, LIKE, INHERITS, PARTITION BY / OF. */
export function createTable(ctx: ReplayContext, stmt: CreateStmt): void {
  if (!stmt.relation) return;
  const ref = toRef(stmt.relation);
  const schema = stmt.relation.relpersistence === 't' ? TEMP_SCHEMA : ctx.creationSchema(ref);
  const key = relationKey(schema, ref.name);
  if (ctx.draft.relationExists(key)) {
    if (!stmt.if_not_exists) ctx.note(`relation ${display(ref)} already exists`);
    return;
  }
  let table: TableFacts = {
    key,
    schema,
    name: ref.name,
    columns: [],
    constraints: [],
    triggers: [],
    partitioned: stmt.partspec !== undefined,
    complete: stmt.ofTypename === undefined,
    createdIn: ctx.migration,
  };
  // INHERITS / PARTITION OF: the parents' columns come first.
  for (const parentNode of stmt.inhRelations ?? []) {
    const parentVar = asNode(parentNode, 'RangeVar');
    const parent = parentVar ? ctx.table(parentVar) : undefined;
    if (!parent) {
      table = { ...table, complete: false };
      continue;
    }
    ctx.touchTable(parent, 'reference');
    table = {
      ...table,
      columns: [...table.columns, ...parent.columns.map((c) => ({ ...c, createdIn: ctx.migration }))],
      complete: table.complete && parent.complete,
      ...(stmt.partbound ? { partitionOf: parent.key } : {}),
    };
  }
  putTable(ctx, table);
  ctx.touch('table', key, 'create', ctx.migration);
  if (table.partitionOf !== undefined) {
    for (const index of [...ctx.draft.indexes.values()]) {
      const current = ctx.draft.tables.get(key);
      if (index.table === table.partitionOf && current) clonePartitionIndex(ctx, current, index);
    }
  }
  const constraints: Constraint[] = [];
  const columnOf = new Map<Constraint, string>();
  // Columns are gathered and the table put once (a copy of the table per column made long
  // tables quadratic); LIKE reads the table from the draft, so they are put before it.
  let columns: ColumnFacts[] | undefined;
  const putColumns = () => {
    if (columns) updateTable(ctx, key, (t) => ({ ...t, columns: columns! }));
    columns = undefined;
  };
  for (const element of stmt.tableElts ?? []) {
    const def = asNode(element, 'ColumnDef');
    const constraint = asNode(element, 'Constraint');
    const like = asNode(element, 'TableLikeClause');
    if (def) {
      const made = columnDef(ctx, table, def);
      if (!made) continue;
      columns ??= [...(ctx.draft.tables.get(key)?.columns ?? [])];
      const same = columns.findIndex((c) => c.name === made.column.name);
      if (same !== -1) columns.splice(same, 1);
      columns.push(made.column);
      for (const c of made.constraints) {
        constraints.push(c);
        columnOf.set(c, made.column.name);
      }
    } else if (constraint) {
      constraints.push(constraint);
    } else if (like) {
      putColumns();
      copyLike(ctx, key, like);
    }
  }
  putColumns();
  const ordered = constraints
    .map((c, i) => ({ c, i }))
    .sort((a, b) => constraintOrder(a.c) - constraintOrder(b.c) || a.i - b.i)
    .map((x) => x.c);
  for (const c of ordered) addConstraint(ctx, key, c, { column: columnOf.get(c), newTable: true });
}

const LIKE_CONSTRAINTS = 1 << 2;
const LIKE_DEFAULTS = 1 << 3;
const LIKE_INDEXES = 1 << 6;

/** `LIKE source [INCLUDING …]`: columns with NOT NULL; defaults, checks and indexes when included. */
function copyLike(ctx: ReplayContext, key: string, like: TableLikeClause): void {
  const source = like.relation ? ctx.table(like.relation) : undefined;
  if (!source) {
    updateTable(ctx, key, (t) => ({ ...t, complete: false }));
    ctx.note('LIKE of a table the replay does not know: columns unknown');
    return;
  }
  ctx.touchTable(source, 'reference');
  const options = like.options ?? 0;
  const target = updateTable(ctx, key, (t) => ({
    ...t,
    complete: t.complete && source.complete,
    columns: [
      ...t.columns,
      ...source.columns.map((c) => ({
        ...((options & LIKE_DEFAULTS) !== 0 ? c : withoutDefault(c)),
        createdIn: ctx.migration,
      })),
    ],
    constraints: [
      ...t.constraints,
      ...((options & LIKE_CONSTRAINTS) !== 0 ? source.constraints.filter((c) => c.contype === 'c') : []).map((c) => ({
        ...c,
        table: key,
        createdIn: ctx.migration,
      })),
    ],
  }));
  if (!target || (options & LIKE_INDEXES) === 0) return;
  for (const index of [...ctx.draft.indexes.values()]) {
    if (index.table !== source.key) continue;
    const isConstraint = index.constraint !== undefined;
    const copy = addIndex(ctx, target, {
      nameKind: index.primary ? 'primary' : isConstraint ? 'constraint' : 'index',
      unique: index.unique,
      primary: index.primary,
      constraint: isConstraint,
      keys: index.keys,
      nameParts: index.columnNames,
      include: index.include,
      method: index.method,
      where: index.where,
      partial: index.partial,
      nullsNotDistinct: index.nullsNotDistinct,
      columnsReferenced: index.columnsReferenced,
    });
    const constraint = source.constraints.find((c) => c.index === index.key);
    if (constraint) {
      updateTable(ctx, key, (t) => ({
        ...t,
        constraints: [...t.constraints, { ...constraint, name: copy.name, table: key, index: copy.key, createdIn: ctx.migration }],
      }));
    }
  }
}

/** `CREATE TABLE … AS` / `SELECT … INTO`: a new table whose columns the replay does not derive. */
export function createTableAs(ctx: ReplayContext, stmt: CreateTableAsStmt): void {
  const rel = stmt.into?.rel;
  if (!rel) return;
  const ref = toRef(rel);
  const schema = rel.relpersistence === 't' ? TEMP_SCHEMA : ctx.creationSchema(ref);
  const key = relationKey(schema, ref.name);
  if (stmt.objtype === 'OBJECT_MATVIEW') {
    ctx.draft.map('views').set(key, { key, schema, name: ref.name, materialized: true, createdIn: ctx.migration });
    ctx.touch('view', key, 'create', ctx.migration);
    return;
  }
  if (ctx.draft.relationExists(key)) {
    if (!stmt.if_not_exists) ctx.note(`relation ${display(ref)} already exists`);
    return;
  }
  putTable(ctx, {
    key,
    schema,
    name: ref.name,
    columns: [],
    constraints: [],
    triggers: [],
    partitioned: false,
    complete: false,
    createdIn: ctx.migration,
  });
  ctx.touch('table', key, 'create', ctx.migration);
  ctx.note('CREATE TABLE AS: the columns of the new table are not derived');
}
