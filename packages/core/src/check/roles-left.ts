import type { VariableSetStmt } from 'libpg-query';
import type { Statement } from '../sql/parse.js';

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
 * `statements` run in order. `RESET ROLE`, `SET ROLE NONE`, `RESET SESSION AUTHORIZATION`
 * and `SET SESSION AUTHORIZATION DEFAULT` end them; `RESET ALL` ends neither (PostgreSQL
 * keeps both out of it: measured on 18).
 */
export function rolesLeft(statements: Iterable<Statement>): RoleLeft[] {
  const left = new Map<RoleLeft['setting'], RoleLeft>();
  for (const statement of statements) {
    if (statement.kind !== 'VariableSetStmt') continue;
    const node = statement.node as VariableSetStmt;
    const setting = node.name?.toLowerCase();
    if ((setting !== 'role' && setting !== 'session_authorization') || node.is_local) continue;
    const role = node.kind === 'VAR_SET_VALUE' ? (node.args?.[0] as { A_Const?: { sval?: { sval?: string } } } | undefined)?.A_Const?.sval?.sval : undefined;
    if (role === undefined || (setting === 'role' && role.toLowerCase() === 'none')) left.delete(setting);
    else left.set(setting, { setting, role, statement });
  }
  return [...left.values()];
}
