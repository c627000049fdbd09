import { quoteIdent } from '../../sql/ident.js';
import { commandRange, existingColumn, isRecreated, tableCommands } from '../helpers.js';
import { createRule } from '../rule.js';
import { oldAppTypeBreak } from './changing-column-type.js';

export const rule = createRule({
  id: 'recreating-column',
  severity: 'error',
  summary: "A column dropped and added again in one migration (Prisma's type change it cannot cast): its data is lost",
  check(ctx) {
    for (const { s, table, command, cmd } of tableCommands(ctx)) {
      if (cmd.subtype !== 'AT_DropColumn') continue;
      const column = existingColumn(ctx, table, cmd.name);
      if (!column || !isRecreated(ctx, table, column.name)) continue;
      const after = ctx.facts.after.tables.get(table.key)?.columns.find((c) => c.name === column.name);
      const c = ctx.displayColumn(table, column.name);
      const to = after ? ` as ${after.type.text}` : '';
      const breaks = after && oldAppTypeBreak(column.name, column.type, after.type);
      ctx.report({
        at: s,
        ...commandRange(command),
        message: `${c} is dropped and added again${to} (from ${column.type.text}): every value in the column is lost${breaks ? `.${breaks}` : ', and old app versions read and write a column that changed under them.'} Prisma writes this when it cannot cast the old type to the new one.`,
        help: `Instead: edit the migration (\`prisma migrate dev --create-only\`) to convert in place — \`ALTER TABLE ${ctx.displayTable(table)} ALTER COLUMN ${quoteIdent(column.name)} TYPE … USING (…)\` — or, without a long lock, add a new column, backfill it in batches, and drop the old one in a later release.`,
        lock: 'ACCESS EXCLUSIVE',
        sizeSensitive: false,
        table: table.key,
      });
    }
  },
});
