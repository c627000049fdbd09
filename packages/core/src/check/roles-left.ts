import type { SelectStmt, VariableSetStmt } from 'libpg-query';
import { asNode, stringList } from '../sql/nodes.js';
import type { Statement } from '../sql/parse.js';
import type { ReplayExecution } from '../facts/context.js';
import { SessionSetting, type TransactionNode } from '../facts/transaction.js';

/** A session-level role setting a migration leaves in effect. */
export interface RoleLeft {
  readonly setting: 'role' | 'session_authorization';
  /** The role named. */
  readonly role: string;
  /** The statement that set it last. */
  readonly statement: Statement;
}

/**
 * The `SET ROLE` / `SET SESSION AUTHORIZATION` (without LOCAL) still in effect after
 * `statements` run in order; `SELECT set_config('role', '…', false)` (or a DO block's
 * `PERFORM set_config(…)`) sets the role as `SET ROLE` does. `RESET ROLE`, `SET ROLE NONE`,
 * `RESET SESSION AUTHORIZATION` and `SET SESSION AUTHORIZATION DEFAULT` end them;
 * `RESET ALL` ends neither (PostgreSQL keeps both out of it: measured on 18). A ROLLBACK
 * undoes those its transaction made (a ROLLBACK TO, those made after the savepoint), as
 * `SessionSetting` reads transactions for `execution`. A value that is not a constant is
 * not followed (the role it names is not known).
 */
export function rolesLeft(statements: Iterable<Statement>, execution: ReplayExecution = 'unknown'): RoleLeft[] {
  const left = new SessionSetting<ReadonlyMap<RoleLeft['setting'], RoleLeft>>(new Map(), execution);
  const set = (setting: RoleLeft['setting'], role: string | undefined, statement: Statement) => {
    const next = new Map(left.value);
    if (role === undefined || (setting === 'role' && role.toLowerCase() === 'none')) next.delete(setting);
    else next.set(setting, { setting, role, statement });
    left.value = next;
  };
  for (const statement of statements) {
    if (statement.kind === 'TransactionStmt') {
      left.transaction(statement.node as TransactionNode);
      continue;
    }
    if (statement.kind === 'SelectStmt') {
      for (const [setting, role] of setConfigRoles(statement.node as SelectStmt)) set(setting, role, statement);
      continue;
    }
    if (statement.kind !== 'VariableSetStmt') continue;
    const node = statement.node as VariableSetStmt;
    const setting = node.name?.toLowerCase();
    if ((setting !== 'role' && setting !== 'session_authorization') || node.is_local) continue;
    set(setting, node.kind === 'VAR_SET_VALUE' ? asNode(node.args?.[0], 'A_Const')?.sval?.sval : undefined, statement);
  }
  return [...left.value.values()];
}

/**
 * The session-level role settings of `SELECT set_config('role' | 'session_authorization',
 * '<constant>', false)`, run once (no FROM, WHERE, GROUP BY or HAVING), in order.
 */
function setConfigRoles(stmt: SelectStmt): Array<[RoleLeft['setting'], string]> {
  if (stmt.fromClause?.length || stmt.whereClause !== undefined || stmt.havingClause !== undefined || stmt.groupClause?.length) return [];
  const out: Array<[RoleLeft['setting'], string]> = [];
  for (const target of stmt.targetList ?? []) {
    const call = asNode(asNode(target, 'ResTarget')?.val, 'FuncCall');
    const name = stringList(call?.funcname);
    if (name.at(-1) !== 'set_config' || (name.length > 1 && name[0] !== 'pg_catalog') || call?.args?.length !== 3) continue;
    const [setting, value, local] = call.args.map((a) => asNode(a, 'A_Const'));
    const which = setting?.sval?.sval?.toLowerCase();
    // Only a constant `false` is session-level; `true` ends with the transaction.
    const isLocal = local?.boolval ? local.boolval.boolval === true : undefined;
    if ((which !== 'role' && which !== 'session_authorization') || isLocal !== false) continue;
    const role = value?.sval?.sval;
    if (role) out.push([which, role]);
  }
  return out;
}
