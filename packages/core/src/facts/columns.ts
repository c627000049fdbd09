import type { ColumnDef, Constraint, Node } from 'libpg-query';
import { asNode } from '../sql/nodes.js';
import { serialBase } from './column-type.js';
import type { ReplayContext } from './context.js';
import type { ColumnFacts, TableFacts } from './model.js';
import { putTable } from './ops.js';
import { defaultFacts, withDefault } from './defaults.js';
import { createOwnedSequence, serialDefault } from './sequences.js';

/**
 * Add a column definition to a table in the draft. Returns the constraints written on
 * the column that need a name of their own (PRIMARY KEY, UNIQUE, REFERENCES, CHECK),
 * for the caller to add in PostgreSQL's order; NOT NULL, DEFAULT, identity and
 * generated columns are applied here. A serial or identity column gets its sequence.
 */
export function addColumnDef(ctx: ReplayContext, tableKey: string, def: ColumnDef): Constraint[] {
  const table = ctx.draft.tables.get(tableKey);
  const made = table && columnDef(ctx, table, def);
  if (!made) return [];
  const current = ctx.draft.tables.get(tableKey) ?? table;
  putTable(ctx, { ...current, columns: [...current.columns.filter((c) => c.name !== made.column.name), made.column] });
  return made.constraints;
}

/**
 * The facts of a column definition of `table` (not put in the draft: `addColumnDef`),
 * with its constraints that need a name of their own. A serial or identity column gets
 * its sequence in the draft.
 */
export function columnDef(ctx: ReplayContext, table: TableFacts, def: ColumnDef): { column: ColumnFacts; constraints: Constraint[] } | undefined {
  const name = def.colname;
  if (name === undefined || !def.typeName) return undefined;
  let notNull = def.is_not_null === true;
  let defaultExpr: Node | undefined;
  let defaultText: string | undefined;
  let defaultSequence: string | undefined;
  let identity: ColumnFacts['identity'];
  let generated = false;
  const deferred: Constraint[] = [];
  for (const node of def.constraints ?? []) {
    const constraint = asNode(node, 'Constraint');
    if (!constraint) continue;
    switch (constraint.contype) {
      case 'CONSTR_NOTNULL':
        notNull = true;
        break;
      case 'CONSTR_NULL':
        notNull = false;
        break;
      case 'CONSTR_DEFAULT':
        defaultExpr = constraint.raw_expr;
        break;
      case 'CONSTR_IDENTITY':
        identity = constraint.generated_when === 'a' ? 'always' : 'by default';
        notNull = true;
        break;
      case 'CONSTR_GENERATED':
        generated = true;
        break;
      case 'CONSTR_ATTR_DEFERRABLE':
      case 'CONSTR_ATTR_DEFERRED': {
        const last = deferred[deferred.length - 1];
        if (last) deferred[deferred.length - 1] = { ...last, deferrable: true };
        break;
      }
      case 'CONSTR_ATTR_NOT_DEFERRABLE':
      case 'CONSTR_ATTR_IMMEDIATE':
      case 'CONSTR_ATTR_ENFORCED':
      case 'CONSTR_ATTR_NOT_ENFORCED':
        break;
      default:
        deferred.push(constraint);
    }
  }
  const type = ctx.columnType(def.typeName);
  const defaults = defaultExpr === undefined ? undefined : defaultFacts(ctx, defaultExpr, type);
  const serial = serialBase(def.typeName);
  if (serial !== undefined || identity !== undefined) {
    const sequence = createOwnedSequence(ctx, table, name);
    if (serial !== undefined) {
      defaultText = serialDefault(sequence);
      notNull = true;
    }
    defaultSequence = sequence.key;
  }
  let column: ColumnFacts = {
    name,
    type,
    notNull,
    ...(identity === undefined ? {} : { identity }),
    ...(generated ? { generated } : {}),
    createdIn: ctx.migration,
  };
  if (defaults) column = withDefault(column, defaults);
  // A serial column's own default and sequence (PostgreSQL refuses a DEFAULT beside them).
  if (defaultText !== undefined) column = { ...column, default: defaultText };
  if (defaultSequence !== undefined) column = { ...column, defaultSequence };
  return { column, constraints: deferred };
}
