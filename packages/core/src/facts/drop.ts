import type { DropStmt, Node } from 'libpg-query';
import { quoteIdent } from '../sql/ident.js';
import { asNode, listItems, stringList, stringValue } from '../sql/nodes.js';
import { display, refOfNames } from './context.js';
import type { NameRef, ReplayContext } from './context.js';
import { relationKey } from './model.js';
import { withoutDefault } from './defaults.js';
import { dropDomain } from './domains.js';
import { dropColumn, dropIndex, dropTable, putTable, retargetSequenceDefaults } from './ops.js';

/** `DROP TABLE | INDEX | SEQUENCE | VIEW | TYPE | SCHEMA | EXTENSION | FUNCTION | TRIGGER …`. */
export function drop(ctx: ReplayContext, stmt: DropStmt): void {
  const cascade = stmt.behavior === 'DROP_CASCADE';
  const missingOk = stmt.missing_ok === true;
  for (const object of stmt.objects ?? []) {
    switch (stmt.removeType) {
      case 'OBJECT_TABLE':
      case 'OBJECT_FOREIGN_TABLE': {
        const table = ctx.table(nameOf(object), missingOk);
        if (table) dropTable(ctx, table);
        else if (!missingOk) ctx.understood = false;
        break;
      }
      case 'OBJECT_INDEX': {
        const ref = nameOf(object);
        const key = ctx.lookup(ref, (k) => ctx.draft.indexes.has(k));
        const index = key === undefined ? undefined : ctx.draft.indexes.get(key);
        if (index) {
          if (index.constraint !== undefined) ctx.note(`index ${index.key} implements constraint "${index.constraint}": dropped with it`);
          dropIndex(ctx, index);
        } else missing(ctx, 'index', ref, missingOk);
        break;
      }
      case 'OBJECT_SEQUENCE': {
        const ref = nameOf(object);
        const key = ctx.lookup(ref, (k) => ctx.draft.sequences.has(k));
        const sequence = key === undefined ? undefined : ctx.draft.sequences.get(key);
        if (!sequence) {
          missing(ctx, 'sequence', ref, missingOk);
          break;
        }
        ctx.touch('sequence', sequence.key, 'drop', sequence.createdIn);
        ctx.draft.map('sequences').delete(sequence.key);
        if (cascade) dropDefaultsUsing(ctx, sequence.key);
        else retargetSequenceDefaults(ctx, sequence.key, undefined);
        break;
      }
      case 'OBJECT_VIEW':
      case 'OBJECT_MATVIEW': {
        const ref = nameOf(object);
        const key = ctx.lookup(ref, (k) => ctx.draft.views.has(k));
        const view = key === undefined ? undefined : ctx.draft.views.get(key);
        if (view) {
          ctx.touch('view', view.key, 'drop', view.createdIn);
          ctx.draft.map('views').delete(view.key);
        } else missing(ctx, 'view', ref, missingOk);
        break;
      }
      case 'OBJECT_TYPE':
      case 'OBJECT_DOMAIN':
        dropType(ctx, refOfNames(stringList(asNode(object, 'TypeName')?.names)), cascade, missingOk);
        break;
      case 'OBJECT_SCHEMA': {
        const schema = stringValue(object) ?? '';
        if (!ctx.draft.schemas.has(schema) && !missingOk) ctx.note(`schema "${schema}" is not in the replayed schema`);
        dropSchema(ctx, schema);
        break;
      }
      case 'OBJECT_EXTENSION': {
        const name = stringValue(object) ?? '';
        ctx.touch('extension', name, 'drop', undefined);
        ctx.draft.set('extensions').delete(name);
        break;
      }
      case 'OBJECT_FUNCTION':
      case 'OBJECT_PROCEDURE':
      case 'OBJECT_ROUTINE': {
        const ref = refOfNames(stringList(asNode(object, 'ObjectWithArgs')?.objname));
        const key = ctx.lookup(ref, (k) => ctx.draft.functions.has(k)) ?? relationKey(ctx.creationSchema(ref), ref.name);
        ctx.touch('function', key, 'drop', undefined);
        ctx.draft.set('functions').delete(key);
        break;
      }
      case 'OBJECT_TRIGGER': {
        const names = stringList(listItems(object));
        const trigger = names[names.length - 1] ?? '';
        const table = ctx.table(refOfNames(names.slice(0, -1)), missingOk);
        if (!table) break;
        ctx.touchTable(table, 'alter', { change: 'drop-trigger' });
        putTable(ctx, { ...table, triggers: table.triggers.filter((t) => t !== trigger) });
        break;
      }
      case 'OBJECT_POLICY':
      case 'OBJECT_RULE': {
        const names = stringList(listItems(object));
        const table = ctx.table(refOfNames(names.slice(0, -1)), true);
        if (table) ctx.touchTable(table, 'alter', { change: 'no-op' });
        break;
      }
      default:
        ctx.notUnderstood(`DROP ${stmt.removeType?.replace('OBJECT_', '') ?? '?'} is not modelled`);
        return;
    }
  }
}

function nameOf(object: Node): NameRef {
  return refOfNames(stringList(listItems(object)));
}

function missing(ctx: ReplayContext, what: string, ref: NameRef, missingOk: boolean): void {
  if (!missingOk) ctx.note(`${what} ${display(ref)} is not in the replayed schema`);
}

function dropDefaultsUsing(ctx: ReplayContext, sequenceKey: string): void {
  for (const table of [...ctx.draft.tables.values()]) {
    if (!table.columns.some((c) => c.defaultSequence === sequenceKey)) continue;
    for (const c of table.columns) if (c.defaultSequence === sequenceKey) ctx.touchColumn(table, c.name, 'alter', { change: 'drop-default', implicit: true });
    putTable(ctx, {
      ...table,
      columns: table.columns.map((c) => (c.defaultSequence === sequenceKey ? withoutDefault(c) : c)),
    });
  }
}

/** DROP TYPE | DOMAIN: an enum or a domain goes; with CASCADE the columns of that type go too. */
function dropType(ctx: ReplayContext, ref: NameRef, cascade: boolean, missingOk: boolean): void {
  const key = ctx.lookup(ref, (k) => ctx.draft.enums.has(k) || ctx.draft.domains.has(k));
  const domain = key === undefined ? undefined : ctx.draft.domains.get(key);
  if (domain) {
    dropDomain(ctx, domain, cascade);
    return;
  }
  const type = key === undefined ? undefined : ctx.draft.enums.get(key);
  if (!type) {
    if (!missingOk) ctx.note(`type ${display(ref)} is not an enum or a domain in the replayed schema`);
    return;
  }
  ctx.touch('enum', type.key, 'drop', type.createdIn);
  ctx.draft.map('enums').delete(type.key);
  for (const table of [...ctx.draft.tables.values()]) {
    for (const column of table.columns) {
      if (column.defaultTypes?.includes(type.key) && (column.type.schema !== type.schema || column.type.name !== type.name)) {
        if (!cascade) ctx.note(`the default of column "${column.name}" of ${table.key} still uses type ${type.key}`);
        else {
          ctx.touchColumn(table, column.name, 'alter', { change: 'drop-default', implicit: true });
          const current = ctx.draft.tables.get(table.key);
          if (current) putTable(ctx, { ...current, columns: current.columns.map((c) => (c.name === column.name ? withoutDefault(c) : c)) });
        }
        continue;
      }
      if (column.type.schema !== type.schema || column.type.name !== type.name) continue;
      if (cascade) {
        const current = ctx.draft.tables.get(table.key);
        if (current) dropColumn(ctx, current, column.name);
      } else ctx.note(`column "${column.name}" of ${table.key} still uses type ${type.key}`);
    }
  }
}

/** DROP SCHEMA: everything in it goes (PostgreSQL requires CASCADE when it is not empty). */
function dropSchema(ctx: ReplayContext, schema: string): void {
  ctx.touch('schema', schema, 'drop', undefined);
  for (const table of [...ctx.draft.tables.values()]) {
    if (table.schema === schema && ctx.draft.tables.has(table.key)) dropTable(ctx, table, true);
  }
  for (const [name, collection] of [
    ['sequences', ctx.draft.sequences],
    ['views', ctx.draft.views],
    ['enums', ctx.draft.enums],
    ['domains', ctx.draft.domains],
  ] as const) {
    for (const object of [...collection.values()]) {
      if (object.schema === schema) ctx.draft.map(name).delete(object.key);
    }
  }
  const prefix = `${quoteIdent(schema)}.`;
  for (const fn of [...ctx.draft.functions]) {
    if (fn.startsWith(prefix)) ctx.draft.set('functions').delete(fn);
  }
  ctx.draft.set('schemas').delete(schema);
}
