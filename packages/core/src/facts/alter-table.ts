import type { AlterTableCmd, AlterTableStmt } from 'libpg-query';
import { asNode } from '../sql/nodes.js';
import { addColumnDef } from './columns.js';
import { addConstraint, constraintOrder, setNotNull } from './constraints.js';
import type { ReplayContext } from './context.js';
import { constraintKey } from './model.js';
import type { ColumnFacts, TableFacts } from './model.js';
import { dropColumn, removeConstraint, updateTable } from './ops.js';
import { changedColumn, defaultFacts, retypedDefault, withDefault, withoutDefault } from './defaults.js';
import { clonePartitionIndex } from './indexes.js';
import { createOwnedSequence } from './sequences.js';

/** Subcommands that change nothing the model holds (ownership, storage, RLS, triggers on/off…). */
const NO_OP = new Set<string>([
  'AT_ChangeOwner',
  'AT_SetStatistics',
  'AT_SetOptions',
  'AT_ResetOptions',
  'AT_SetStorage',
  'AT_SetCompression',
  'AT_ClusterOn',
  'AT_DropCluster',
  'AT_SetLogged',
  'AT_SetUnLogged',
  'AT_SetAccessMethod',
  'AT_SetTableSpace',
  'AT_SetRelOptions',
  'AT_ResetRelOptions',
  'AT_ReplaceRelOptions',
  'AT_EnableTrig',
  'AT_EnableAlwaysTrig',
  'AT_EnableReplicaTrig',
  'AT_DisableTrig',
  'AT_EnableTrigAll',
  'AT_DisableTrigAll',
  'AT_EnableTrigUser',
  'AT_DisableTrigUser',
  'AT_EnableRule',
  'AT_EnableAlwaysRule',
  'AT_EnableReplicaRule',
  'AT_DisableRule',
  'AT_ReplicaIdentity',
  'AT_EnableRowSecurity',
  'AT_DisableRowSecurity',
  'AT_ForceRowSecurity',
  'AT_NoForceRowSecurity',
  'AT_GenericOptions',
  'AT_AlterColumnGenericOptions',
]);

/** `ALTER TABLE` (and `ALTER INDEX/VIEW/SEQUENCE` forms that share its node). */
export function alterTable(ctx: ReplayContext, stmt: AlterTableStmt): void {
  const cmds = (stmt.cmds ?? []).map((c) => asNode(c, 'AlterTableCmd')).filter((c): c is AlterTableCmd => !!c);
  if (stmt.objtype !== 'OBJECT_TABLE' && stmt.objtype !== 'OBJECT_FOREIGN_TABLE') {
    if (cmds.every((c) => NO_OP.has(c.subtype ?? '') || c.subtype === 'AT_AttachPartition')) return;
    ctx.notUnderstood(`ALTER ${stmt.objtype?.replace('OBJECT_', '') ?? '?'} with ${cmds.map((c) => c.subtype).join(', ')}`);
    return;
  }
  if (!stmt.relation) return;
  const table = ctx.table(stmt.relation, stmt.missing_ok === true);
  if (!table) {
    if (!stmt.missing_ok) ctx.understood = false;
    return;
  }
  for (const cmd of cmds) alterTableCmd(ctx, table.key, cmd);
}

function alterTableCmd(ctx: ReplayContext, key: string, cmd: AlterTableCmd): void {
  const table = ctx.draft.tables.get(key);
  if (!table) return;
  const subtype = cmd.subtype ?? '';
  if (NO_OP.has(subtype)) {
    ctx.touchTable(table, 'alter', { change: 'no-op' });
    return;
  }
  const column = cmd.name === undefined ? undefined : table.columns.find((c) => c.name === cmd.name);
  const needColumn = (): ColumnFacts | undefined => {
    if (!column) {
      if (!cmd.missing_ok) ctx.note(`column "${cmd.name ?? '?'}" of ${table.key} is not in the replayed schema`);
    }
    return column;
  };
  switch (subtype) {
    case 'AT_AddColumn': {
      const def = asNode(cmd.def, 'ColumnDef');
      if (!def?.colname) return;
      if (table.columns.some((c) => c.name === def.colname)) {
        if (!cmd.missing_ok) ctx.note(`column "${def.colname}" of ${table.key} already exists`);
        return;
      }
      ctx.touchTable(table, 'alter', { change: 'add-column' });
      const constraints = addColumnDef(ctx, key, def);
      ctx.touchColumn(ctx.draft.tables.get(key) ?? table, def.colname, 'create');
      const ordered = [...constraints].sort((a, b) => constraintOrder(a) - constraintOrder(b));
      for (const c of ordered) addConstraint(ctx, key, c, { column: def.colname, newTable: false });
      return;
    }
    case 'AT_DropColumn':
      if (needColumn()) {
        ctx.touchTable(table, 'alter', { change: 'drop-column' });
        dropColumn(ctx, table, cmd.name as string);
      }
      return;
    case 'AT_AlterColumnType': {
      const def = asNode(cmd.def, 'ColumnDef');
      if (!needColumn() || !def?.typeName) return;
      ctx.touchTable(table, 'alter', { change: 'column-type' });
      ctx.touchColumn(table, column!.name, 'alter', { change: 'type' });
      const type = ctx.columnType(def.typeName);
      setColumn(ctx, key, column!.name, (c) => retypedDefault(ctx, c, type));
      return;
    }
    case 'AT_ColumnDefault': {
      if (!needColumn()) return;
      const change = cmd.def ? 'set-default' : 'drop-default';
      ctx.touchTable(table, 'alter', { change });
      ctx.touchColumn(table, column!.name, 'alter', { change });
      setColumn(ctx, key, column!.name, (c) =>
        cmd.def ? withDefault(c, defaultFacts(ctx, cmd.def, c.type)) : withoutDefault(c),
      );
      return;
    }
    case 'AT_SetNotNull':
    case 'AT_DropNotNull': {
      if (!needColumn()) return;
      const change = subtype === 'AT_SetNotNull' ? 'set-not-null' : 'drop-not-null';
      ctx.touchTable(table, 'alter', { change });
      ctx.touchColumn(table, column!.name, 'alter', { change });
      setNotNull(ctx, key, column!.name, subtype === 'AT_SetNotNull');
      return;
    }
    case 'AT_AddConstraint': {
      const constraint = asNode(cmd.def, 'Constraint');
      if (!constraint) return;
      ctx.touchTable(table, 'alter', { change: 'add-constraint' });
      addConstraint(ctx, key, constraint, { newTable: false });
      return;
    }
    case 'AT_DropConstraint': {
      const constraint = table.constraints.find((c) => c.name === cmd.name);
      if (!constraint) {
        if (!cmd.missing_ok) ctx.note(`constraint "${cmd.name ?? '?'}" of ${table.key} is not in the replayed schema`);
        return;
      }
      ctx.touchTable(table, 'alter', { change: 'drop-constraint' });
      removeConstraint(ctx, table, constraint);
      return;
    }
    case 'AT_ValidateConstraint':
    case 'AT_AlterConstraint': {
      const name = cmd.name ?? asNode(cmd.def, 'ATAlterConstraint')?.conname;
      const constraint = table.constraints.find((c) => c.name === name);
      if (!constraint) {
        ctx.note(`constraint "${name ?? '?'}" of ${table.key} is not in the replayed schema`);
        return;
      }
      const validate = subtype === 'AT_ValidateConstraint';
      ctx.touchTable(table, 'alter', { change: validate ? 'validate-constraint' : 'alter-constraint' });
      ctx.touch('constraint', constraintKey(key, constraint.name), validate ? 'validate' : 'alter', constraint.createdIn);
      if (validate) {
        updateTable(ctx, key, (t) => ({
          ...t,
          constraints: t.constraints.map((c) => (c.name === constraint.name ? { ...c, notValid: false } : c)),
        }));
      }
      return;
    }
    case 'AT_AddIdentity':
    case 'AT_SetIdentity':
    case 'AT_DropIdentity':
      identityCmd(ctx, table, cmd, needColumn());
      return;
    case 'AT_SetExpression':
    case 'AT_DropExpression':
      if (!needColumn()) return;
      ctx.touchColumn(table, column!.name, 'alter', { change: 'generated' });
      setColumn(ctx, key, column!.name, (c) => {
        const { generated: _g, ...rest } = c;
        return subtype === 'AT_SetExpression' ? { ...rest, generated: true } : rest;
      });
      return;
    case 'AT_AttachPartition':
    case 'AT_DetachPartition':
      partitionCmd(ctx, table, cmd);
      return;
    default:
      ctx.notUnderstood(`ALTER TABLE subcommand ${subtype} is not modelled`);
  }
}

function setColumn(ctx: ReplayContext, key: string, name: string, change: (c: ColumnFacts) => ColumnFacts): void {
  updateTable(ctx, key, (t) => ({ ...t, columns: t.columns.map((c) => (c.name === name ? change(c) : c)) }));
}

function identityCmd(ctx: ReplayContext, table: TableFacts, cmd: AlterTableCmd, column: ColumnFacts | undefined): void {
  if (!column) return;
  ctx.touchColumn(table, column.name, 'alter', { change: 'identity' });
  if (cmd.subtype === 'AT_DropIdentity') {
    for (const sequence of [...ctx.draft.sequences.values()]) {
      if (sequence.ownedBy?.table === table.key && sequence.ownedBy.column === column.name && sequence.key === column.defaultSequence) {
        ctx.touch('sequence', sequence.key, 'drop', sequence.createdIn, { implicit: true });
        ctx.draft.map('sequences').delete(sequence.key);
      }
    }
    setColumn(ctx, table.key, column.name, (c) => {
      const { identity: _i, defaultSequence: _s, ...rest } = c;
      return rest;
    });
    return;
  }
  if (cmd.subtype === 'AT_AddIdentity') {
    const constraint = asNode(cmd.def, 'Constraint') ?? asNode(asNode(cmd.def, 'ColumnDef')?.constraints?.[0], 'Constraint');
    const identity = constraint?.generated_when === 'a' ? 'always' : 'by default';
    const sequence = createOwnedSequence(ctx, table, column.name);
    setColumn(ctx, table.key, column.name, (c) => changedColumn(c, { identity, notNull: true, defaultSequence: sequence.key }));
  }
}

function partitionCmd(ctx: ReplayContext, table: TableFacts, cmd: AlterTableCmd): void {
  const partition = asNode(cmd.def, 'PartitionCmd');
  const child = partition?.name ? ctx.table(partition.name) : undefined;
  if (!child) return;
  ctx.touchTable(table, 'alter', { change: cmd.subtype === 'AT_AttachPartition' ? 'attach-partition' : 'detach-partition' });
  ctx.touchTable(child, 'alter', { change: 'partition-of' });
  const attached = updateTable(ctx, child.key, (t) => {
    const { partitionOf: _p, ...rest } = t;
    return cmd.subtype === 'AT_AttachPartition' ? { ...rest, partitionOf: table.key } : rest;
  });
  if (cmd.subtype !== 'AT_AttachPartition' || !attached) return;
  for (const index of [...ctx.draft.indexes.values()]) {
    const current = ctx.draft.tables.get(attached.key);
    if (index.table === table.key && current) clonePartitionIndex(ctx, current, index);
  }
}
