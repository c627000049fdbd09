import type { ColumnDef, Constraint, Node } from 'libpg-query';
import { serialBase } from '../../facts/column-type.js';
import { quoteIdent } from '../../sql/ident.js';
import { asNode } from '../../sql/nodes.js';
import { expressionText } from '../../sql/span.js';
import { calledFunctions, commandRange, isRecreated, tableCommands } from '../helpers.js';
import type { CheckStatement, RuleContext } from '../context.js';
import { createRule } from '../rule.js';

/** Built-in volatile functions seen in column defaults: a different value for each row. */
const VOLATILE = new Set([
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuid_generate_v7',
  'uuidv4',
  'uuidv7',
  'gen_random_bytes',
  'random',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'txid_current',
]);

/** Why adding this column rewrites the table, or undefined when it does not. */
function rewriteReason(ctx: RuleContext, s: CheckStatement, def: ColumnDef): string | undefined {
  const constraints = (def.constraints ?? []).map((c) => asNode(c, 'Constraint')).filter((c): c is Constraint => !!c);
  if (serialBase(def.typeName) !== undefined) return 'a serial column draws a value from its sequence for every row';
  if (constraints.some((c) => c.contype === 'CONSTR_IDENTITY')) return 'an identity column draws a value from its sequence for every row';
  if (constraints.some((c) => c.contype === 'CONSTR_GENERATED')) return 'a stored generated column is computed for every row';
  const expr = constraints.find((c) => c.contype === 'CONSTR_DEFAULT')?.raw_expr as Node | undefined;
  if (expr === undefined || asNode(expr, 'A_Const')?.isnull) return undefined;
  // Locating the expression's text takes the scanner: only for a message.
  const text = () => expressionText(ctx.source.parsed, s.statement, expr) ?? 'the default';
  if (ctx.postgresVersion < 11) return `PostgreSQL ${ctx.postgresVersion} writes the default ${text()} into every row`;
  const userFunctions = new Set([...s.facts.before.functions].map((k) => k.slice(k.lastIndexOf('.') + 1).replace(/^"|"$/g, '')));
  const volatile = [...calledFunctions(expr)].find((f) => VOLATILE.has(f) || userFunctions.has(f));
  return volatile === undefined ? undefined : `the default ${text()} is volatile (${volatile}() gives each row its own value)`;
}

export const rule = createRule({
  id: 'adding-field-with-default',
  severity: 'error',
  summary: 'A column whose value is computed per row (volatile default, serial, identity, stored generated) rewrites the table',
  check(ctx) {
    for (const { s, table, command, cmd } of tableCommands(ctx)) {
      const def = asNode(cmd.def, 'ColumnDef');
      if (cmd.subtype !== 'AT_AddColumn' || !def?.colname) continue;
      if (isRecreated(ctx, table, def.colname)) continue;
      const reason = rewriteReason(ctx, s, def);
      if (reason === undefined) continue;
      const t = ctx.displayTable(table);
      const c = quoteIdent(def.colname);
      ctx.report({
        at: s,
        ...commandRange(command),
        message: `ADD COLUMN ${c} rewrites all of ${t} under an ACCESS EXCLUSIVE lock, because ${reason}: every read and write of ${t} waits until the rewrite is done.`,
        help: `Instead: add ${c} without a default (nullable), then \`ALTER TABLE ${t} ALTER COLUMN ${c} SET DEFAULT …\` in a separate statement (it applies to new rows only, without a rewrite), and backfill the existing rows in batches outside the migration. In Prisma, \`@default(uuid())\` and \`@default(cuid())\` make the value in Prisma Client instead of the database.`,
        lock: 'ACCESS EXCLUSIVE',
        table: table.key,
      });
    }
  },
});
