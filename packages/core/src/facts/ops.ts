/*
 * Changes to the replayed schema that keep it consistent the way PostgreSQL does:
 * dropping a table drops its indexes, owned sequences and the foreign keys that point
 * at it; renaming a column renames it in indexes and constraints; renaming an index
 * renames the constraint it implements, and the other way round.
 */
import { TEMP_SCHEMA } from './context.js';
import type { ReplayContext } from './context.js';
import { changedColumn } from './defaults.js';
import { constraintKey, relationKey } from './model.js';
import type { ConstraintFacts, IndexFacts, TableFacts } from './model.js';

export function putTable(ctx: ReplayContext, table: TableFacts): void {
  if (table.schema === TEMP_SCHEMA) ctx.draft.tempTables = true;
  ctx.draft.map('tables').set(table.key, table);
}

/** Replace a table by `change(table)`; returns the new facts. */
export function updateTable(ctx: ReplayContext, key: string, change: (table: TableFacts) => TableFacts): TableFacts | undefined {
  const table = ctx.draft.tables.get(key);
  if (!table) return undefined;
  const next = change(table);
  putTable(ctx, next);
  return next;
}

export function putIndex(ctx: ReplayContext, index: IndexFacts): void {
  ctx.draft.map('indexes').set(index.key, index);
}

/** Drop a table and what depends on it. */
export function dropTable(ctx: ReplayContext, table: TableFacts, implicit = false): void {
  ctx.touchTable(table, 'drop', { implicit });
  for (const child of [...ctx.draft.tables.values()]) {
    if (child.partitionOf === table.key) dropTable(ctx, child, true);
  }
  for (const index of [...ctx.draft.indexes.values()]) {
    if (index.table === table.key) dropIndexOnly(ctx, index, true);
  }
  for (const sequence of [...ctx.draft.sequences.values()]) {
    if (sequence.ownedBy?.table === table.key) {
      ctx.touch('sequence', sequence.key, 'drop', sequence.createdIn, { implicit: true });
      ctx.draft.map('sequences').delete(sequence.key);
    }
  }
  ctx.draft.map('tables').delete(table.key);
  dropReferencingForeignKeys(ctx, table.key, () => true);
}

/** Drop the foreign keys of other tables that reference `tableKey` (optionally only some columns). */
function dropReferencingForeignKeys(ctx: ReplayContext, tableKey: string, matches: (fk: ConstraintFacts) => boolean): void {
  for (const other of [...ctx.draft.tables.values()]) {
    const doomed = other.constraints.filter((c) => c.contype === 'f' && c.references?.table === tableKey && matches(c));
    if (doomed.length === 0) continue;
    for (const fk of doomed) ctx.touch('constraint', constraintKey(other.key, fk.name), 'drop', fk.createdIn, { implicit: true });
    updateTable(ctx, other.key, (t) => ({ ...t, constraints: t.constraints.filter((c) => !doomed.includes(c)) }));
  }
}

/** Remove an index; when it implements a constraint, that constraint goes too. */
export function dropIndex(ctx: ReplayContext, index: IndexFacts, implicit = false): void {
  const table = ctx.draft.tables.get(index.table);
  const constraint = table?.constraints.find((c) => c.index === index.key);
  if (table && constraint) {
    removeConstraint(ctx, table, constraint, true);
    return;
  }
  dropIndexOnly(ctx, index, implicit);
}

function dropIndexOnly(ctx: ReplayContext, index: IndexFacts, implicit: boolean): void {
  ctx.touch('index', index.key, 'drop', index.createdIn, { implicit });
  ctx.draft.map('indexes').delete(index.key);
}

/**
 * Remove a constraint and its index. Foreign keys elsewhere that rely on a dropped
 * primary key or unique constraint go too (PostgreSQL requires CASCADE for that).
 */
export function removeConstraint(ctx: ReplayContext, table: TableFacts, constraint: ConstraintFacts, implicit = false): void {
  ctx.touch('constraint', constraintKey(table.key, constraint.name), 'drop', constraint.createdIn, { implicit });
  updateTable(ctx, table.key, (t) => ({ ...t, constraints: t.constraints.filter((c) => c.name !== constraint.name) }));
  if (constraint.index) {
    const index = ctx.draft.indexes.get(constraint.index);
    if (index) dropIndexOnly(ctx, index, true);
  }
  if (constraint.contype === 'p' || constraint.contype === 'u') {
    dropReferencingForeignKeys(ctx, table.key, (fk) => sameColumns(fk.references?.columns ?? [], constraint.columns, constraint.contype === 'p'));
  }
}

function sameColumns(referenced: readonly string[], columns: readonly string[], isPrimary: boolean): boolean {
  if (referenced.length === 0) return isPrimary;
  return referenced.length === columns.length && referenced.every((c) => columns.includes(c));
}

/** Drop a column and the indexes, constraints, foreign keys and owned sequences that use it. */
export function dropColumn(ctx: ReplayContext, table: TableFacts, column: string): void {
  ctx.touchColumn(table, column, 'drop');
  for (const index of [...ctx.draft.indexes.values()]) {
    if (index.table !== table.key || !index.columnsReferenced.includes(column)) continue;
    if (ctx.draft.indexes.has(index.key)) dropIndex(ctx, index, true);
  }
  for (const constraint of ctx.draft.tables.get(table.key)?.constraints ?? []) {
    if (!constraint.columns.includes(column)) continue;
    const current = ctx.draft.tables.get(table.key);
    if (current?.constraints.some((c) => c.name === constraint.name)) removeConstraint(ctx, current, constraint, true);
  }
  dropReferencingForeignKeys(ctx, table.key, (fk) => (fk.references?.columns ?? []).includes(column));
  for (const sequence of [...ctx.draft.sequences.values()]) {
    if (sequence.ownedBy?.table === table.key && sequence.ownedBy.column === column) {
      ctx.touch('sequence', sequence.key, 'drop', sequence.createdIn, { implicit: true });
      ctx.draft.map('sequences').delete(sequence.key);
    }
  }
  updateTable(ctx, table.key, (t) => ({ ...t, columns: t.columns.filter((c) => c.name !== column) }));
}

/** Give a table a new name and/or schema; indexes and owned sequences follow a schema change. */
export function moveTable(ctx: ReplayContext, table: TableFacts, schema: string, name: string): TableFacts {
  const key = relationKey(schema, name);
  const moved: TableFacts = {
    ...table,
    key,
    schema,
    name,
    constraints: table.constraints.map((c) => ({ ...c, table: key })),
  };
  ctx.draft.map('tables').delete(table.key);
  putTable(ctx, moved);
  const indexKeys = new Map<string, string>();
  for (const index of [...ctx.draft.indexes.values()]) {
    if (index.table !== table.key) continue;
    const indexKey = relationKey(schema, index.name);
    indexKeys.set(index.key, indexKey);
    ctx.draft.map('indexes').delete(index.key);
    putIndex(ctx, { ...index, key: indexKey, schema, table: key });
  }
  if (indexKeys.size) {
    updateTable(ctx, key, (t) => ({
      ...t,
      constraints: t.constraints.map((c) => (c.index && indexKeys.has(c.index) ? { ...c, index: indexKeys.get(c.index) } : c)),
    }));
  }
  for (const sequence of [...ctx.draft.sequences.values()]) {
    if (sequence.ownedBy?.table !== table.key) continue;
    const sequenceKey = schema === table.schema ? sequence.key : relationKey(schema, sequence.name);
    ctx.draft.map('sequences').delete(sequence.key);
    ctx.draft.map('sequences').set(sequenceKey, { ...sequence, key: sequenceKey, schema: schema === table.schema ? sequence.schema : schema, ownedBy: { ...sequence.ownedBy, table: key } });
    if (sequenceKey !== sequence.key) retargetSequenceDefaults(ctx, sequence.key, sequenceKey);
  }
  for (const other of [...ctx.draft.tables.values()]) {
    const refers = other.constraints.some((c) => c.references?.table === table.key);
    const child = other.partitionOf === table.key;
    if (!refers && !child) continue;
    putTable(ctx, {
      ...other,
      ...(child ? { partitionOf: key } : {}),
      constraints: other.constraints.map((c) =>
        c.references?.table === table.key ? { ...c, references: { ...c.references, table: key } } : c,
      ),
    });
  }
  return ctx.draft.tables.get(key) ?? moved;
}

export function retargetSequenceDefaults(ctx: ReplayContext, from: string, to: string | undefined): void {
  for (const table of [...ctx.draft.tables.values()]) {
    if (!table.columns.some((c) => c.defaultSequence === from)) continue;
    putTable(ctx, {
      ...table,
      columns: table.columns.map((c) => {
        if (c.defaultSequence !== from) return c;
        const { defaultSequence: _dropped, ...rest } = c;
        return to === undefined ? rest : { ...rest, defaultSequence: to };
      }),
    });
  }
}

export function renameColumn(ctx: ReplayContext, table: TableFacts, from: string, to: string): void {
  const swap = (c: string): string => (c === from ? to : c);
  updateTable(ctx, table.key, (t) => ({
    ...t,
    columns: t.columns.map((c) => (c.name === from ? changedColumn(c, { name: to }) : c)),
    constraints: t.constraints.map((c) => ({ ...c, columns: c.columns.map(swap) })),
  }));
  for (const index of [...ctx.draft.indexes.values()]) {
    if (index.table !== table.key || !index.columnsReferenced.includes(from)) continue;
    putIndex(ctx, {
      ...index,
      keys: index.keys.map((k) => ('column' in k && k.column === from ? { column: to } : k)),
      include: index.include.map(swap),
      columnsReferenced: index.columnsReferenced.map(swap),
    });
  }
  for (const other of [...ctx.draft.tables.values()]) {
    if (!other.constraints.some((c) => c.references?.table === table.key && c.references.columns.includes(from))) continue;
    putTable(ctx, {
      ...other,
      constraints: other.constraints.map((c) =>
        c.references?.table === table.key ? { ...c, references: { ...c.references, columns: c.references.columns.map(swap) } } : c,
      ),
    });
  }
  for (const sequence of [...ctx.draft.sequences.values()]) {
    if (sequence.ownedBy?.table === table.key && sequence.ownedBy.column === from) {
      ctx.draft.map('sequences').set(sequence.key, { ...sequence, ownedBy: { table: table.key, column: to } });
    }
  }
}

/** Rename an index; the constraint it implements takes the same name. */
export function renameIndex(ctx: ReplayContext, index: IndexFacts, name: string): IndexFacts {
  const key = relationKey(index.schema, name);
  const table = ctx.draft.tables.get(index.table);
  const constraint = table?.constraints.find((c) => c.index === index.key);
  const renamed: IndexFacts = { ...index, key, name, ...(constraint ? { constraint: name } : {}) };
  ctx.draft.map('indexes').delete(index.key);
  putIndex(ctx, renamed);
  if (table) {
    updateTable(ctx, table.key, (t) => ({
      ...t,
      constraints: t.constraints.map((c) => (c.index === index.key ? { ...c, name, index: key } : c)),
    }));
  }
  return renamed;
}

/** Rename a constraint; an index behind it takes the same name. */
export function renameConstraint(ctx: ReplayContext, table: TableFacts, constraint: ConstraintFacts, name: string): void {
  const index = constraint.index ? ctx.draft.indexes.get(constraint.index) : undefined;
  if (index) {
    renameIndex(ctx, index, name);
    return;
  }
  updateTable(ctx, table.key, (t) => ({
    ...t,
    constraints: t.constraints.map((c) => (c.name === constraint.name ? { ...c, name } : c)),
  }));
}
