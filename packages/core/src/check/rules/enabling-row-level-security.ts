import { resolveName } from '../../facts/context.js';
import { commandRange, tableCommands } from '../helpers.js';
import type { RuleContext } from '../context.js';
import { createRule } from '../rule.js';

/** Keys of the tables this migration creates a policy on. */
function tablesWithPolicies(ctx: RuleContext): Set<string> {
  const out = new Set<string>();
  for (const s of ctx.plain) {
    if (s.statement.kind !== 'CreatePolicyStmt') continue;
    const rel = (s.statement.node as { table?: { schemaname?: string; relname?: string } }).table;
    if (rel?.relname !== undefined) out.add(resolveName(s.facts.searchPath, rel, (k) => s.facts.before.tables.has(k)));
  }
  return out;
}

export const rule = createRule({
  id: 'enabling-row-level-security',
  severity: 'warning',
  summary: 'ENABLE or FORCE ROW LEVEL SECURITY on an existing table: old app versions see only the rows a policy allows',
  check(ctx) {
    let policies: Set<string> | undefined;
    for (const { s, table, command, cmd } of tableCommands(ctx)) {
      const force = cmd.subtype === 'AT_ForceRowSecurity';
      if (!force && cmd.subtype !== 'AT_EnableRowSecurity') continue;
      policies ??= tablesWithPolicies(ctx);
      const t = ctx.displayTable(table);
      const who = force ? 'every role but superusers and BYPASSRLS roles, the table\'s owner included,' : 'roles that do not own the table (unless superuser or BYPASSRLS)';
      const rows = policies.has(table.key)
        ? `only the rows the policies created in this migration allow`
        : `no row at all (no policy is created on ${t} in this migration), and their writes fail ("violates row-level security policy")`;
      ctx.report({
        at: s,
        ...commandRange(command),
        message: `${force ? 'FORCE' : 'ENABLE'} ROW LEVEL SECURITY on existing table ${t}: from this moment ${who} see ${rows}. An old app version connecting as such a role breaks.`,
        help: `Instead: create the policies first and release an app version that works under them (sets what they read, e.g. \`set_config('app.tenant', …, true)\` in each transaction), then enable row-level security once no older version runs. If every app version connects as ${force ? 'a role that bypasses it' : `the owner of ${t}`}, say so above the statement: \`-- prisma-zd-ignore enabling-row-level-security: <reason>\`.`,
        sizeSensitive: false,
        table: table.key,
      });
    }
  },
});
