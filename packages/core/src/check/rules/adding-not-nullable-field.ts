import { provenNotNull } from '../../locks/type-change.js';
import { quoteIdent } from '../../sql/ident.js';
import { commandRange, existingColumn, tableCommands } from '../helpers.js';
import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'adding-not-nullable-field',
  severity: 'error',
  summary: 'SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock',
  check(ctx) {
    for (const { s, table, command, cmd } of tableCommands(ctx)) {
      if (cmd.subtype !== 'AT_SetNotNull') continue;
      const column = existingColumn(ctx, table, cmd.name);
      if (!column || column.notNull) continue;
      const current = s.facts.before.tables.get(table.key) ?? table;
      if (ctx.postgresVersion >= 12 && provenNotNull(current, column.name)) continue;
      const t = ctx.displayTable(table);
      const c = quoteIdent(column.name);
      const check = quoteIdent(`${table.name}_${column.name}_not_null`);
      ctx.report({
        at: s,
        ...commandRange(command),
        message: `SET NOT NULL on ${ctx.displayColumn(table, column.name)} scans all of ${t} under an ACCESS EXCLUSIVE lock: every read and write of ${t} waits until the scan is done. Old app versions that leave ${c} empty (the field was optional for them) fail from then on.`,
        help:
          ctx.postgresVersion >= 12
            ? `Instead: \`ALTER TABLE ${t} ADD CONSTRAINT ${check} CHECK (${c} IS NOT NULL) NOT VALID;\` in this migration (a brief lock), then in a later one \`ALTER TABLE ${t} VALIDATE CONSTRAINT ${check};\` (reads and writes continue), \`ALTER TABLE ${t} ALTER COLUMN ${c} SET NOT NULL;\` (no scan: the valid constraint proves it) and \`ALTER TABLE ${t} DROP CONSTRAINT ${check};\`.`
            : `Instead: on PostgreSQL ${ctx.postgresVersion} SET NOT NULL always scans; enforce it with \`CHECK (${c} IS NOT NULL) NOT VALID\` validated in a later migration, and upgrade to PostgreSQL 12+ to turn it into NOT NULL without a scan.`,
        lock: 'ACCESS EXCLUSIVE',
        table: table.key,
      });
    }
  },
});
