import type { AlterEnumStmt, CreateEnumStmt } from 'libpg-query';
import { stringList } from '../sql/nodes.js';
import { renamedType } from './column-type.js';
import { display, refOfNames } from './context.js';
import type { NameRef, ReplayContext } from './context.js';
import { changedColumn } from './defaults.js';
import { relationKey } from './model.js';
import type { ColumnFacts, EnumFacts } from './model.js';
import { putTable } from './ops.js';

/** `CREATE TYPE name AS ENUM (…)`. */
export function createEnum(ctx: ReplayContext, stmt: CreateEnumStmt): void {
  const ref = refOfNames(stringList(stmt.typeName));
  const schema = ctx.creationSchema(ref);
  const key = relationKey(schema, ref.name);
  if (ctx.draft.enums.has(key)) {
    ctx.note(`type ${display(ref)} already exists`);
    return;
  }
  ctx.draft.map('enums').set(key, { key, schema, name: ref.name, values: stringList(stmt.vals), createdIn: ctx.migration });
  ctx.touch('enum', key, 'create', ctx.migration);
}

export function findEnum(ctx: ReplayContext, ref: NameRef): EnumFacts | undefined {
  const key = ctx.lookup(ref, (k) => ctx.draft.enums.has(k));
  if (key === undefined) {
    ctx.note(`type ${display(ref)} is not an enum in the replayed schema`);
    return undefined;
  }
  return ctx.draft.enums.get(key);
}

/** `ALTER TYPE … ADD VALUE [IF NOT EXISTS] 'v' [BEFORE|AFTER 'w']` and `RENAME VALUE 'a' TO 'b'`. */
export function alterEnum(ctx: ReplayContext, stmt: AlterEnumStmt): void {
  const type = findEnum(ctx, refOfNames(stringList(stmt.typeName)));
  if (!type || stmt.newVal === undefined) return;
  const values = [...type.values];
  if (stmt.oldVal !== undefined) {
    ctx.touch('enum', type.key, 'alter', type.createdIn, { change: 'rename-value' });
    const at = values.indexOf(stmt.oldVal);
    if (at === -1) ctx.note(`enum ${type.key} has no value '${stmt.oldVal}'`);
    else values[at] = stmt.newVal;
  } else {
    ctx.touch('enum', type.key, 'alter', type.createdIn, { change: 'add-value' });
    if (values.includes(stmt.newVal)) {
      if (!stmt.skipIfNewValExists) ctx.note(`enum ${type.key} already has value '${stmt.newVal}'`);
      return;
    }
    const neighbor = stmt.newValNeighbor === undefined ? -1 : values.indexOf(stmt.newValNeighbor);
    if (neighbor === -1) values.push(stmt.newVal);
    else values.splice(stmt.newValIsAfter ? neighbor + 1 : neighbor, 0, stmt.newVal);
  }
  ctx.draft.map('enums').set(type.key, { ...type, values });
}

/** Rename and/or move an enum; columns of that type and domains over it follow. */
export function moveEnum(ctx: ReplayContext, type: EnumFacts, schema: string, name: string): void {
  const key = relationKey(schema, name);
  ctx.draft.map('enums').delete(type.key);
  ctx.draft.map('enums').set(key, { ...type, key, schema, name });
  for (const domain of [...ctx.draft.domains.values()]) {
    if (domain.base.schema === type.schema && domain.base.name === type.name) ctx.draft.map('domains').set(domain.key, { ...domain, base: renamedType(domain.base, schema, name) });
  }
  const uses = (c: ColumnFacts): boolean =>
    (c.type.schema === type.schema && c.type.name === type.name) || (c.defaultTypes?.includes(type.key) ?? false);
  for (const table of [...ctx.draft.tables.values()]) {
    if (!table.columns.some(uses)) continue;
    putTable(ctx, {
      ...table,
      columns: table.columns.map((c) => {
        if (!uses(c)) return c;
        const retyped = c.type.schema === type.schema && c.type.name === type.name ? changedColumn(c, { type: renamedType(c.type, schema, name) }) : c;
        return c.defaultTypes ? changedColumn(retyped, { defaultTypes: c.defaultTypes.map((t) => (t === type.key ? key : t)) }) : retyped;
      }),
    });
  }
}
