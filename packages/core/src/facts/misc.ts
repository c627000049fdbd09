import type {
  CreateFunctionStmt,
  CreateSchemaStmt,
  CreateTrigStmt,
  Node,
  RangeVar,
  SelectStmt,
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

/** Types the model does not hold (composite, range): the statement is understood, nothing is recorded. */
export const UNMODELLED_TYPES = new Set<string>(['CompositeTypeStmt', 'CreateRangeStmt']);

/** Schemas a search_path never creates in: `$user` (no such schema in a migration's database) and pg_catalog. */
const IMPLICIT = new Set(['$user', 'pg_catalog']);

/** A path as the session takes it: `$user` and pg_catalog dropped; nothing left, the default. */
function effectivePath(path: readonly string[], initial: readonly string[]): readonly string[] {
  const schemas = path.filter((s) => !IMPLICIT.has(s));
  return schemas.length ? schemas : initial;
}

function setPath(ctx: ReplayContext, path: readonly string[], local: boolean): void {
  ctx.session.set(effectivePath(path, ctx.session.initial), local);
}

/**
 * The path a `SET search_path …` sets, as a statement or as a function's clause (`TO
 * DEFAULT`, `RESET`: the default one); undefined for `FROM CURRENT`, which keeps the path
 * in effect (for a function's clause, the path of when it was created: read as the caller's).
 */
export function searchPathOf(stmt: VariableSetStmt, initial: readonly string[]): readonly string[] | undefined {
  if (stmt.kind === 'VAR_SET_CURRENT') return undefined;
  if (stmt.kind !== 'VAR_SET_VALUE') return initial;
  const path = (stmt.args ?? []).map((a) => asNode(a, 'A_Const')?.sval?.sval ?? stringList(asNode(a, 'ColumnRef')?.fields)[0]);
  return effectivePath(
    path.filter((s): s is string => s !== undefined),
    initial,
  );
}

/** `SET [LOCAL] search_path …`, `RESET search_path`, `RESET ALL`: name resolution for the statements after it. */
export function setVariable(ctx: ReplayContext, stmt: VariableSetStmt): void {
  if (stmt.kind === 'VAR_RESET_ALL') return setPath(ctx, ctx.session.initial, false);
  if (stmt.name?.toLowerCase() !== 'search_path') return;
  // FROM CURRENT as a statement changes nothing.
  const path = searchPathOf(stmt, ctx.session.initial);
  if (path !== undefined) ctx.session.set(path, stmt.is_local === true);
}

/**
 * `SELECT set_config('search_path', '…', is_local)`: like `SET [LOCAL] search_path`. A value
 * that is not a constant (or a call that may run any number of times: FROM, WHERE) cannot be
 * followed: the path goes back to the default schema, as for `RESET search_path`, with a note.
 */
export function selectSetConfig(ctx: ReplayContext, stmt: SelectStmt): void {
  for (const target of stmt.targetList ?? []) {
    const call = asNode(asNode(target, 'ResTarget')?.val, 'FuncCall');
    const name = stringList(call?.funcname);
    if (name.at(-1) !== 'set_config' || (name.length > 1 && name[0] !== 'pg_catalog') || call?.args?.length !== 3) continue;
    const [setting, value, local] = call.args.map((a) => asNode(a, 'A_Const'));
    if (setting?.sval?.sval?.toLowerCase() !== 'search_path') continue;
    const isLocal = local?.boolval ? local.boolval.boolval === true : undefined;
    const text = value?.sval?.sval;
    const once = !stmt.fromClause?.length && stmt.whereClause === undefined && stmt.havingClause === undefined && !stmt.groupClause?.length;
    if (text !== undefined && isLocal !== undefined && once) {
      setPath(ctx, parseSearchPath(text), isLocal);
      continue;
    }
    setPath(ctx, ctx.session.initial, isLocal === true);
    ctx.note(`set_config('search_path', …) that is not all constants: later unqualified names are read in "${ctx.session.initial[0] ?? 'public'}", the default schema`);
  }
}

/** A search_path value (`'app, "Audit", public'`) as a list of schema names, split the way PostgreSQL does. */
export function parseSearchPath(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  for (;;) {
    skipSpace();
    if (i >= text.length) return out;
    let name = '';
    if (text[i] === '"') {
      for (i++; i < text.length; i++) {
        if (text[i] !== '"') name += text[i];
        else if (text[i + 1] === '"') name += text[i++];
        else break;
      }
      i++;
    } else {
      const start = i;
      while (i < text.length && text[i] !== ',' && !/\s/.test(text[i]!)) i++;
      name = text.slice(start, i).toLowerCase();
    }
    out.push(name);
    skipSpace();
    if (text[i] !== ',') return out;
    i++;
  }
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
