import type { ColumnDef, Constraint } from 'libpg-query';
import { serialBase } from '../../facts/column-type.js';
import { quoteIdent } from '../../sql/ident.js';
import { asNode } from '../../sql/nodes.js';
import { commandRange, isRecreated, tableCommands } from '../helpers.js';
import { createRule } from '../rule.js';

/** A NOT NULL column the database cannot fill by itself. */
function requiredWithoutDefault(def: ColumnDef): boolean {
  const constraints = (def.constraints ?? []).map((c) => asNode(c, 'Constraint')).filter((c): c is Constraint => !!c);
  const required = def.is_not_null === true || constraints.some((c) => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY');
  const filled = constraints.some((c) => c.contype === 'CONSTR_DEFAULT' || c.contype === 'CONSTR_IDENTITY' || c.contype === 'CONSTR_GENERATED');
  return required && !filled && serialBase(def.typeName) === undefined;
}

export const rule = createRule({
  id: 'adding-required-field',
  severity: 'error',
  summary: 'A NOT NULL column without a database default, added to an existing table',
  check(ctx) {
    for (const { s, table, command, cmd } of tableCommands(ctx)) {
      const def = asNode(cmd.def, 'ColumnDef');
      if (cmd.subtype !== 'AT_AddColumn' || !def?.colname || !requiredWithoutDefault(def)) continue;
      if (isRecreated(ctx, table, def.colname)) continue; // reported by recreating-column
      const t = ctx.displayTable(table);
      const c = quoteIdent(def.colname);
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
