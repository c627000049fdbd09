import type { AlterObjectSchemaStmt, Node, RenameStmt } from 'libpg-query';
import { asNode, listItems, stringList } from '../sql/nodes.js';
import { display, refOfNames, toRef } from './context.js';
import type { NameRef, ReplayContext } from './context.js';
import { findDomain, moveDomain, renameDomainConstraint } from './domains.js';
import { findEnum, moveEnum } from './enums.js';
import { columnKey, constraintKey, relationKey } from './model.js';
import { moveTable, putTable, renameColumn, renameConstraint, renameIndex, retargetSequenceDefaults } from './ops.js';

type RelationKind = 'table' | 'index' | 'sequence' | 'view';

/** Find a relation by name, preferring the kind the statement says (`ALTER TABLE` also renames indexes). */
function findRelation(ctx: ReplayContext, ref: NameRef, preferred: RelationKind): { kind: RelationKind; key: string } | undefined {
  const order: RelationKind[] = [preferred, ...(['table', 'index', 'sequence', 'view'] as const).filter((k) => k !== preferred)];
  for (const kind of order) {
    const collection = kind === 'table' ? ctx.draft.tables : kind === 'index' ? ctx.draft.indexes : kind === 'sequence' ? ctx.draft.sequences : ctx.draft.views;
    const key = ctx.lookup(ref, (k) => collection.has(k));
    if (key !== undefined) return { kind, key };
  }
  return undefined;
}

function relationKindOf(objectType: string | undefined): RelationKind | undefined {
  switch (objectType) {
    case 'OBJECT_TABLE':
    case 'OBJECT_FOREIGN_TABLE':
      return 'table';
    case 'OBJECT_INDEX':
      return 'index';
    case 'OBJECT_SEQUENCE':
      return 'sequence';
    case 'OBJECT_VIEW':
    case 'OBJECT_MATVIEW':
      return 'view';
    default:
      return undefined;
  }
}

/** `ALTER … RENAME`: tables, columns, constraints, indexes, sequences, views, enums, domains, triggers. */
export function rename(ctx: ReplayContext, stmt: RenameStmt): void {
  const newName = stmt.newname ?? '';
  const missingOk = stmt.missing_ok === true;
  const relationKind = relationKindOf(stmt.renameType);
  if (relationKind) {
    const ref = stmt.relation ? toRef(stmt.relation) : { name: '' };
    const found = findRelation(ctx, ref, relationKind);
    if (!found) {
      if (!missingOk) ctx.note(`relation ${display(ref)} is not in the replayed schema`);
      return;
    }
    renameRelation(ctx, found.kind, found.key, newName);
    return;
  }
  switch (stmt.renameType) {
    case 'OBJECT_COLUMN':
    case 'OBJECT_TABCONSTRAINT': {
      const table = stmt.relation ? ctx.table(stmt.relation, missingOk) : undefined;
      if (!table) return;
      const from = stmt.subname ?? '';
      if (stmt.renameType === 'OBJECT_COLUMN') {
        if (!table.columns.some((c) => c.name === from)) {
          ctx.note(`column "${from}" of ${table.key} is not in the replayed schema`);
          return;
        }
        ctx.touchTable(table, 'alter', { change: 'rename-column' });
        ctx.touchColumn(table, from, 'rename', { newKey: columnKey(table.key, newName) });
        renameColumn(ctx, table, from, newName);
        return;
      }
      const constraint = table.constraints.find((c) => c.name === from);
      if (!constraint) {
        ctx.note(`constraint "${from}" of ${table.key} is not in the replayed schema`);
        return;
      }
      ctx.touchTable(table, 'alter', { change: 'rename-constraint' });
      ctx.touch('constraint', constraintKey(table.key, from), 'rename', constraint.createdIn, {
        newKey: constraintKey(table.key, newName),
      });
      if (constraint.index) {
        ctx.touch('index', constraint.index, 'rename', ctx.draft.indexes.get(constraint.index)?.createdIn, {
          newKey: relationKey(table.schema, newName),
          implicit: true,
        });
      }
      renameConstraint(ctx, table, constraint, newName);
      return;
    }
    case 'OBJECT_TYPE':
    case 'OBJECT_DOMAIN': {
      const ref = refOfNames(stringList(listItems(stmt.object)));
      const domain = findDomain(ctx, ref);
      if (domain) {
        ctx.touch('domain', domain.key, 'rename', domain.createdIn, { newKey: relationKey(domain.schema, newName) });
        moveDomain(ctx, domain, domain.schema, newName);
        return;
      }
      const type = findEnum(ctx, ref);
      if (!type) return;
      ctx.touch('enum', type.key, 'rename', type.createdIn, { newKey: relationKey(type.schema, newName) });
      moveEnum(ctx, type, type.schema, newName);
      return;
    }
    case 'OBJECT_DOMCONSTRAINT':
      renameDomainConstraint(ctx, refOfNames(stringList(listItems(stmt.object))), stmt.subname ?? '', newName);
      return;
    case 'OBJECT_TRIGGER': {
      const table = stmt.relation ? ctx.table(stmt.relation, missingOk) : undefined;
      if (!table) return;
      ctx.touchTable(table, 'alter', { change: 'rename-trigger' });
      putTable(ctx, { ...table, triggers: table.triggers.map((t) => (t === stmt.subname ? newName : t)) });
      return;
    }
    case 'OBJECT_FUNCTION':
    case 'OBJECT_PROCEDURE':
    case 'OBJECT_ROUTINE': {
      const ref = refOfNames(stringList(asNode(stmt.object, 'ObjectWithArgs')?.objname));
      const schema =
        ref.schema ?? ctx.searchPath.find((s) => ctx.draft.functions.has(relationKey(s, ref.name))) ?? ctx.creationSchema(ref);
      const key = relationKey(schema, ref.name);
      if (!ctx.draft.functions.has(key)) return;
      ctx.touch('function', key, 'rename', undefined, { newKey: relationKey(schema, newName) });
      ctx.draft.set('functions').delete(key);
      ctx.draft.set('functions').add(relationKey(schema, newName));
      return;
    }
    case 'OBJECT_POLICY':
    case 'OBJECT_RULE':
    case 'OBJECT_ROLE':
    case 'OBJECT_DATABASE':
      return;
    default:
      ctx.notUnderstood(`RENAME of ${stmt.renameType?.replace('OBJECT_', '') ?? '?'} is not modelled`);
  }
}

function renameRelation(ctx: ReplayContext, kind: RelationKind, key: string, newName: string): void {
  switch (kind) {
    case 'table': {
      const table = ctx.draft.tables.get(key);
      if (!table) return;
      ctx.touch('table', key, 'rename', table.createdIn, { newKey: relationKey(table.schema, newName) });
      moveTable(ctx, table, table.schema, newName);
      return;
    }
    case 'index': {
      const index = ctx.draft.indexes.get(key);
      if (!index) return;
      ctx.touch('index', key, 'rename', index.createdIn, { newKey: relationKey(index.schema, newName) });
      if (index.constraint !== undefined) {
        ctx.touch('constraint', constraintKey(index.table, index.constraint), 'rename', undefined, {
          newKey: constraintKey(index.table, newName),
          implicit: true,
        });
      }
      renameIndex(ctx, index, newName);
      return;
    }
    case 'sequence': {
      const sequence = ctx.draft.sequences.get(key);
      if (!sequence) return;
      const newKey = relationKey(sequence.schema, newName);
      ctx.touch('sequence', key, 'rename', sequence.createdIn, { newKey });
      ctx.draft.map('sequences').delete(key);
      ctx.draft.map('sequences').set(newKey, { ...sequence, key: newKey, name: newName });
      retargetSequenceDefaults(ctx, key, newKey);
      return;
    }
    case 'view': {
      const view = ctx.draft.views.get(key);
      if (!view) return;
      const newKey = relationKey(view.schema, newName);
      ctx.touch('view', key, 'rename', view.createdIn, { newKey });
      ctx.draft.map('views').delete(key);
      ctx.draft.map('views').set(newKey, { ...view, key: newKey, name: newName });
    }
  }
}

/** `ALTER TABLE | TYPE | SEQUENCE | VIEW … SET SCHEMA s`. */
export function setSchema(ctx: ReplayContext, stmt: AlterObjectSchemaStmt): void {
  const schema = stmt.newschema ?? '';
  const relationKind = relationKindOf(stmt.objectType);
  if (relationKind) {
    const ref = stmt.relation ? toRef(stmt.relation) : { name: '' };
    const found = findRelation(ctx, ref, relationKind);
    if (!found) {
      if (!stmt.missing_ok) ctx.note(`relation ${display(ref)} is not in the replayed schema`);
      return;
    }
    if (found.kind === 'table') {
      const table = ctx.draft.tables.get(found.key);
      if (!table) return;
      ctx.touch('table', table.key, 'set-schema', table.createdIn, { newKey: relationKey(schema, table.name) });
      moveTable(ctx, table, schema, table.name);
    } else if (found.kind === 'sequence') {
      const sequence = ctx.draft.sequences.get(found.key);
      if (!sequence) return;
      const newKey = relationKey(schema, sequence.name);
      ctx.touch('sequence', sequence.key, 'set-schema', sequence.createdIn, { newKey });
      ctx.draft.map('sequences').delete(sequence.key);
      ctx.draft.map('sequences').set(newKey, { ...sequence, key: newKey, schema });
      retargetSequenceDefaults(ctx, sequence.key, newKey);
    } else if (found.kind === 'view') {
      const view = ctx.draft.views.get(found.key);
      if (!view) return;
      const newKey = relationKey(schema, view.name);
      ctx.touch('view', view.key, 'set-schema', view.createdIn, { newKey });
      ctx.draft.map('views').delete(view.key);
      ctx.draft.map('views').set(newKey, { ...view, key: newKey, schema });
    } else ctx.notUnderstood('ALTER INDEX … SET SCHEMA is not possible in PostgreSQL');
    return;
  }
  switch (stmt.objectType) {
    case 'OBJECT_TYPE':
    case 'OBJECT_DOMAIN': {
      const names = stringList(listItems(stmt.object as Node | undefined));
      const domain = findDomain(ctx, refOfNames(names));
      if (domain) {
        ctx.touch('domain', domain.key, 'set-schema', domain.createdIn, { newKey: relationKey(schema, domain.name) });
        moveDomain(ctx, domain, schema, domain.name);
        return;
      }
      const type = findEnum(ctx, refOfNames(names));
      if (!type) return;
      ctx.touch('enum', type.key, 'set-schema', type.createdIn, { newKey: relationKey(schema, type.name) });
      moveEnum(ctx, type, schema, type.name);
      return;
    }
    case 'OBJECT_EXTENSION':
    case 'OBJECT_FUNCTION':
    case 'OBJECT_PROCEDURE':
      ctx.note(`SET SCHEMA of ${stmt.objectType.replace('OBJECT_', '').toLowerCase()} is not modelled`);
      return;
    default:
      ctx.notUnderstood(`SET SCHEMA of ${stmt.objectType?.replace('OBJECT_', '') ?? '?'} is not modelled`);
  }
}
