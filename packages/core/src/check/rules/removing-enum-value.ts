import { relationKey } from '../../facts/model.js';
import { quoteIdent, quoteLiteral } from '../../sql/ident.js';
import { commandRange, existingColumn, stateAfter, tableCommands } from '../helpers.js';
import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'removing-enum-value',
  severity: 'error',
  summary: "Prisma's enum swap (values removed or renamed) rewrites every table using the enum and breaks old writers",
  check(ctx) {
    for (const { s, table, command, cmd } of tableCommands(ctx)) {
      if (cmd.subtype !== 'AT_AlterColumnType') continue;
      const column = existingColumn(ctx, table, cmd.name);
      const after = column && stateAfter(ctx, s).tables.get(table.key)?.columns.find((c) => c.name === column.name);
      if (!column?.type.schema || !after?.type.schema) continue;
      // To an enum (not a domain): the swap's conversion.
      if (!stateAfter(ctx, s).enums.has(relationKey(after.type.schema, after.type.name))) continue;
      const oldKey = relationKey(column.type.schema, column.type.name);
      const before = ctx.facts.before.enums.get(oldKey);
      if (!before) continue;
      const final = ctx.facts.after.enums.get(oldKey) ?? stateAfter(ctx, s).enums.get(relationKey(after.type.schema, after.type.name));
      const removed = before.values.filter((v) => !final?.values.includes(v));
      const t = ctx.displayTable(table);
      const e = quoteIdent(before.name);
      const values = removed.map(quoteLiteral).join(', ');
      ctx.report({
        at: s,
        ...commandRange(command),
        message:
          `${ctx.displayColumn(table, column.name)} is converted to ${after.type.text} (Prisma's enum swap for ${e}${removed.length ? `, removing ${values}` : ''}): ` +
          `${t} is rewritten under an ACCESS EXCLUSIVE lock, so every read and write of ${t} waits until it is done` +
          (removed.length ? `, and old app versions that write ${values} fail ("invalid input value for enum").` : '.'),
        help: `Instead: keep the old value${removed.length > 1 ? 's' : ''} in ${e} for this release: stop writing ${values || 'them'} in the app first, move the rows in batches outside the migration, and remove the value in a later release. For a renamed value, keep the database value and rename only in Prisma: \`NEW_NAME @map("OLD_NAME")\`.`,
        lock: 'ACCESS EXCLUSIVE',
        sizeSensitive: removed.length === 0,
        table: table.key,
      });
    }
  },
});
