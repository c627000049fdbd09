import type { Constraint, Node } from 'libpg-query';
import { provenNotNull } from '../../locks/type-change.js';
import { quoteIdent } from '../../sql/ident.js';
import { asNode, stringList } from '../../sql/nodes.js';
import { commandRange, existingColumn, stateAfter, tableCommands } from '../helpers.js';
import type { CheckStatement, RuleContext } from '../context.js';
import type { TableFacts } from '../../facts/model.js';
import { createRule } from '../rule.js';
import { notNullCheckName } from '../../zd/pending.js';

/** The columns a CHECK requires to be set: `c IS NOT NULL`, alone or joined by AND. */
function requiredColumns(expr: Node | undefined): string[] {
  const and = asNode(expr, 'BoolExpr');
  if (and) return and.boolop === 'AND_EXPR' ? (and.args ?? []).flatMap((a) => requiredColumns(a)) : [];
  const test = asNode(expr, 'NullTest');
  const fields = test?.nulltesttype === 'IS_NOT_NULL' ? stringList(asNode(test.arg, 'ColumnRef')?.fields) : [];
  return fields.length === 1 ? [fields[0]!] : [];
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Which old app writes fail once `column` must be set: with a default, only those that set it to null. */
function whoFails(ctx: RuleContext, s: CheckStatement, table: TableFacts, column: string): string {
  const c = quoteIdent(column);
  const def = stateAfter(ctx, s).tables.get(table.key)?.columns.find((x) => x.name === column)?.default;
  return def === undefined
    ? `old app versions that leave ${c} empty (the field is optional in their schema)`
    : `old app versions that set ${c} to null (the field is optional in their schema; an INSERT that leaves it out gets the default ${def})`;
}

export const rule = createRule({
  id: 'adding-not-nullable-field',
  severity: 'error',
  summary: 'SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock',
  check(ctx) {
    for (const { s, table, command, cmd } of tableCommands(ctx)) {
      const t = ctx.displayTable(table);
      const current = s.facts.before.tables.get(table.key) ?? table;
      // CHECK (c IS NOT NULL), the lock-free way to SET NOT NULL: NOT VALID skips the old rows, never the new writes.
      const con = cmd.subtype === 'AT_AddConstraint' ? (asNode(cmd.def, 'Constraint') as Constraint | undefined) : undefined;
      if (con?.contype === 'CONSTR_CHECK' && con.is_enforced !== false) {
        for (const name of new Set(requiredColumns(con.raw_expr as Node | undefined))) {
          const column = existingColumn(ctx, table, name);
          if (!column || column.notNull || provenNotNull(current, column.name)) continue;
          const c = quoteIdent(column.name);
          const what = con.conname === undefined ? `ADD CHECK (${c} IS NOT NULL)` : `ADD CONSTRAINT ${quoteIdent(con.conname)} CHECK (${c} IS NOT NULL)`;
          ctx.report({
            at: s,
            ...commandRange(command),
            message: `${what} on ${t}: ${whoFails(ctx, s, table, column.name)} fail on every such INSERT or UPDATE from this moment ("violates check constraint")${con.skip_validation ? ': NOT VALID skips the rows already there, not new writes' : ''}.`,
            help: `Instead: first release an app version that always sets ${c}, and add the constraint once no older version runs. If that release is already out, say so above the statement: \`-- prisma-zd-ignore adding-not-nullable-field: <reason>\`.`,
            sizeSensitive: false,
            table: table.key,
          });
        }
        continue;
      }
      if (cmd.subtype !== 'AT_SetNotNull') continue;
      const column = existingColumn(ctx, table, cmd.name);
      if (!column || column.notNull) continue;
      if (ctx.postgresVersion >= 12 && provenNotNull(current, column.name)) continue;
      const c = quoteIdent(column.name);
      // Not `<table>_<column>_not_null`: PostgreSQL 18 names the column's NOT NULL so, and would name it otherwise.
      const check = quoteIdent(notNullCheckName(table.name, column.name));
      const first = `first release an app version that always sets ${c}; once no older version runs,`;
      const change = ctx.postgresVersion >= 12 ? ctx.rewriteChange(s, 'postpone-not-null', `${quoteIdent(table.name)}.${c}`) : undefined;
      ctx.report({
        at: s,
        ...commandRange(command),
        message: `SET NOT NULL on ${ctx.displayColumn(table, column.name)} scans all of ${t} under an ACCESS EXCLUSIVE lock: every read and write of ${t} waits until the scan is done. ${capitalize(whoFails(ctx, s, table, column.name))} fail from then on.`,
        help: change
          ? `Instead: first release an app version that always sets ${c}; then run \`prisma-zd rewrite\`: it adds \`CHECK (${c} IS NOT NULL) NOT VALID\` in the migration (a brief lock; new writes are held to it at once), and \`prisma-zd deploy\` validates it after the migration (reads and writes continue), sets NOT NULL without a scan (the valid check proves it) and drops the check.`
          : ctx.postgresVersion >= 12
            ? `Instead: ${first} \`ALTER TABLE ${t} ADD CONSTRAINT ${check} CHECK (${c} IS NOT NULL) NOT VALID;\` (a brief lock), then in a later migration \`ALTER TABLE ${t} VALIDATE CONSTRAINT ${check};\` (reads and writes continue), \`ALTER TABLE ${t} ALTER COLUMN ${c} SET NOT NULL;\` (no scan: the valid constraint proves it) and \`ALTER TABLE ${t} DROP CONSTRAINT ${check};\`.`
            : `Instead: ${first} enforce it with \`CHECK (${c} IS NOT NULL) NOT VALID\` validated in a later migration; on PostgreSQL ${ctx.postgresVersion} SET NOT NULL always scans: upgrade to PostgreSQL 12+ to turn it into NOT NULL without a scan.`,
        lock: 'ACCESS EXCLUSIVE',
        ...(change ? { rewrite: change } : {}),
        table: table.key,
      });
    }
  },
});
