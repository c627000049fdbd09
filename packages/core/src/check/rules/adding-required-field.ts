import type { ColumnDef, Constraint } from 'libpg-query';
import { serialBase } from '../../facts/column-type.js';
import { baseType, fromDomains } from '../../facts/domains.js';
import type { DomainFacts, TableFacts } from '../../facts/model.js';
import { quoteIdent } from '../../sql/ident.js';
import { asNode } from '../../sql/nodes.js';
import type { CheckStatement, RuleContext } from '../context.js';
import { commandRange, isRecreated, stateAfter, tableCommands } from '../helpers.js';
import { createRule } from '../rule.js';

/**
 * A NOT NULL column the database cannot fill by itself: undefined when it can, else the
 * domain that makes it NOT NULL (null when the column itself is). A column of a domain
 * without a DEFAULT clause takes the domain's default.
 */
function requiredWithoutDefault(ctx: RuleContext, s: CheckStatement, table: TableFacts, def: ColumnDef): DomainFacts | null | undefined {
  const constraints = (def.constraints ?? []).map((c) => asNode(c, 'Constraint')).filter((c): c is Constraint => !!c);
  const required = def.is_not_null === true || constraints.some((c) => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY');
  const filled = constraints.some(
    (c) => (c.contype === 'CONSTR_DEFAULT' && !asNode(c.raw_expr, 'A_Const')?.isnull) || c.contype === 'CONSTR_IDENTITY' || c.contype === 'CONSTR_GENERATED',
  );
  if (filled || serialBase(def.typeName) !== undefined) return undefined;
  // An explicit DEFAULT NULL fills nothing, and hides the domain's default.
  const explicit = constraints.some((c) => c.contype === 'CONSTR_DEFAULT');
  const type = stateAfter(ctx, s).tables.get(table.key)?.columns.find((c) => c.name === def.colname)?.type;
  // Only a user type (its schema known) can be a domain.
  const domains = type?.schema === undefined ? undefined : fromDomains(s.facts.before, type);
  if (domains?.defaultFrom && !explicit) return undefined;
  if (required) return null;
  return domains?.constraints.find((x) => x.constraint.kind === 'not-null')?.domain;
}

export const rule = createRule({
  id: 'adding-required-field',
  severity: 'error',
  summary: 'A NOT NULL column (or one of a NOT NULL domain) without a database default, added to an existing table',
  check(ctx) {
    for (const { s, table, command, cmd } of tableCommands(ctx)) {
      const def = asNode(cmd.def, 'ColumnDef');
      if (cmd.subtype !== 'AT_AddColumn' || !def?.colname) continue;
      const domain = requiredWithoutDefault(ctx, s, table, def);
      if (domain === undefined) continue;
      if (isRecreated(ctx, table, def.colname)) continue; // reported by recreating-column
      const t = ctx.displayTable(table);
      const c = quoteIdent(def.colname);
      if (domain) {
        const d = ctx.displayTable(domain);
        ctx.report({
          at: s,
          ...commandRange(command),
          message: `ADD COLUMN ${c} of type ${d}, a domain with NOT NULL, without a default on existing table ${t}: the migration fails if ${t} has rows ("domain ${domain.name} does not allow null values"), and old app versions, which do not know ${c}, fail on every INSERT into ${t}.`,
          help: `Instead: add ${c} with the domain's base type (\`ADD COLUMN ${c} ${baseType(s.facts.before, domain.base).text}\`), optional; backfill it, and make it required in a later migration (\`prisma-zd explain adding-not-nullable-field\` shows how without a long lock). With a default, a column of a domain with NOT NULL is added by rewriting ${t} (adding-field-with-default).`,
          table: table.key,
        });
        continue;
      }
      ctx.report({
        at: s,
        ...commandRange(command),
        message: `ADD COLUMN ${c} NOT NULL without a database default on existing table ${t}: the migration fails if ${t} has rows ("column ${c} contains null values"), and old app versions, which do not know ${c}, fail on every INSERT into ${t}.`,
        help: `Instead: give ${c} a database default — \`@default(…)\` with a constant, \`now()\` or \`dbgenerated("gen_random_uuid()")\` (\`@updatedAt\`, \`@default(uuid())\` and \`@default(cuid())\` are filled in by Prisma Client, not by the database) — or add it optional (\`?\`), deploy, backfill, and make it required in a later migration.`,
        table: table.key,
      });
    }
  },
});
