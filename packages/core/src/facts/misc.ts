import type {
  CreateFunctionStmt,
  CreateSchemaStmt,
  CreateTrigStmt,
  Node,
  RangeVar,
  VariableSetStmt,
  ViewStmt,
} from 'libpg-query';
import { asNode, stringList } from '../sql/nodes.js';
import { refOfNames, toRef } from './context.js';
import type { ReplayContext } from './context.js';
import { relationKey } from './model.js';
import { putTable } from './ops.js';

/** Statements that change nothing the model holds. */
export const NO_SCHEMA_CHANGE = new Set<string>([
  'TransactionStmt',
  'CommentStmt',
  'GrantStmt',
  'GrantRoleStmt',
  'AlterOwnerStmt',
  'AlterDefaultPrivilegesStmt',
  'CreatePolicyStmt',
  'AlterPolicyStmt',
  'CreateRoleStmt',
  'AlterRoleStmt',
  'AlterRoleSetStmt',
  'DropRoleStmt',
  'DropOwnedStmt',
  'ReassignOwnedStmt',
  'SecLabelStmt',
  'VacuumStmt',
  'ClusterStmt',
  'RefreshMatViewStmt',
  'NotifyStmt',
  'ListenStmt',
  'UnlistenStmt',
  'DiscardStmt',
  'CheckPointStmt',
  'VariableShowStmt',
  'ExplainStmt',
  'ConstraintsSetStmt',
  'AlterDatabaseStmt',
  'AlterDatabaseSetStmt',
  'AlterSystemStmt',
  'AlterExtensionStmt',
  'CreateStatsStmt',
  'AlterStatsStmt',
  'AlterFunctionStmt',
  'AlterEventTrigStmt',
  'CreateEventTrigStmt',
  'CreatePublicationStmt',
  'AlterPublicationStmt',
  'CreateSubscriptionStmt',
  'AlterSubscriptionStmt',
  'DropSubscriptionStmt',
]);

/** Types the model does not hold (composite, domain, range): the statement is understood, nothing is recorded. */
export const UNMODELLED_TYPES = new Set<string>(['CompositeTypeStmt', 'CreateDomainStmt', 'CreateRangeStmt', 'AlterDomainStmt']);

/** `SET [LOCAL] search_path …` / `RESET search_path`: changes name resolution for the rest of the migration. */
export function setVariable(ctx: ReplayContext, stmt: VariableSetStmt, defaultSchema: string): void {
  if (stmt.name?.toLowerCase() !== 'search_path') return;
  const path =
    stmt.kind === 'VAR_SET_VALUE'
      ? (stmt.args ?? [])
          .map((a) => asNode(a, 'A_Const')?.sval?.sval ?? stringList(asNode(a, 'ColumnRef')?.fields)[0])
          .filter((s): s is string => s !== undefined && s !== '$user' && s !== 'pg_catalog')
      : [defaultSchema];
  ctx.searchPath.splice(0, ctx.searchPath.length, ...(path.length ? path : [defaultSchema]));
}

/** `INSERT`/`UPDATE`/`DELETE`/`MERGE`/`TRUNCATE`/`COPY`/`LOCK`: rows change, the schema does not. */
export function dataStatement(ctx: ReplayContext, kind: string, node: Record<string, unknown>): void {
  const relations: RangeVar[] = [];
  if (kind === 'TruncateStmt' || kind === 'LockStmt') {
    for (const r of (node['relations'] as Node[] | undefined) ?? []) {
      const rv = asNode(r, 'RangeVar');
      if (rv) relations.push(rv);
    }
  } else if (node['relation']) relations.push(node['relation'] as RangeVar);
  for (const rv of relations) {
    const table = ctx.table(toRef(rv), true);
    if (table) ctx.touchTable(table, kind === 'LockStmt' ? 'lock' : 'write');
  }
}

export function createSchema(ctx: ReplayContext, stmt: CreateSchemaStmt): void {
  const name = stmt.schemaname ?? stmt.authrole?.rolename ?? '';
  if (ctx.draft.schemas.has(name)) {
    if (!stmt.if_not_exists) ctx.note(`schema "${name}" already exists`);
    return;
  }
  ctx.draft.set('schemas').add(name);
  ctx.touch('schema', name, 'create', ctx.migration);
  if (stmt.schemaElts?.length) ctx.notUnderstood('CREATE SCHEMA with embedded statements is not modelled');
}

/** `CREATE [OR REPLACE] FUNCTION|PROCEDURE`: recorded by name; the body is opaque. */
export function createFunction(ctx: ReplayContext, stmt: CreateFunctionStmt): void {
  const ref = refOfNames(stringList(stmt.funcname));
  const key = relationKey(ctx.creationSchema(ref), ref.name);
  ctx.draft.set('functions').add(key);
  ctx.touch('function', key, 'create', ctx.migration);
  ctx.opaque = 'function-body';
}

export function createTrigger(ctx: ReplayContext, stmt: CreateTrigStmt): void {
  const table = stmt.relation ? ctx.table(stmt.relation) : undefined;
  if (!table || stmt.trigname === undefined) return;
  ctx.touchTable(table, 'alter', { change: 'add-trigger' });
  const triggers = stmt.replace ? table.triggers.filter((t) => t !== stmt.trigname) : table.triggers;
  putTable(ctx, { ...table, triggers: [...triggers, stmt.trigname] });
  const fn = refOfNames(stringList(stmt.funcname));
  const fnKey = ctx.lookup(fn, (k) => ctx.draft.functions.has(k));
  if (fnKey !== undefined) ctx.touch('function', fnKey, 'reference', undefined);
}

export function createView(ctx: ReplayContext, stmt: ViewStmt): void {
  if (!stmt.view) return;
  const ref = toRef(stmt.view);
  const schema = ctx.creationSchema(ref);
  const key = relationKey(schema, ref.name);
  const existing = ctx.draft.views.get(key);
  ctx.draft.map('views').set(key, { key, schema, name: ref.name, materialized: false, createdIn: existing?.createdIn ?? ctx.migration });
  ctx.touch('view', key, existing ? 'alter' : 'create', existing?.createdIn);
}
