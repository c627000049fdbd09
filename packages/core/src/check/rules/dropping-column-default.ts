import { quoteIdent } from '../../sql/ident.js';
import { commandRange, existingColumn, tableCommands } from '../helpers.js';
import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'dropping-column-default',
  severity: 'error',
  summary: 'DROP DEFAULT on a column old app versions insert without',
  check(ctx) {
    for (const { s, table, command, cmd } of tableCommands(ctx)) {
      if (cmd.subtype !== 'AT_ColumnDefault' || cmd.def !== undefined) continue;
      // A column added earlier in this migration counts too (Prisma's required column: ADD COLUMN
      // … NOT NULL DEFAULT x, then DROP DEFAULT): old app versions do not know it and insert without it.
      const known = table.columns.find((c) => c.name === cmd.name);
      const added = known !== undefined && known.createdIn === ctx.name;
      const column = existingColumn(ctx, table, cmd.name) ?? (added ? known : undefined);
      if (!column || column.default === undefined) continue;
      // Dropped for good: the column is still there at the end of the migration, without a default
      // (Prisma's enum swap drops a default and sets it again).
      const final = ctx.facts.after.tables.get(table.key)?.columns.find((c) => c.name === column.name);
      if (!final || final.default !== undefined) continue;
      const c = ctx.displayColumn(table, column.name);
      const change = ctx.rewriteChange(s, 'defer-drop-default', `${quoteIdent(table.name)}.${quoteIdent(column.name)}`);
      const who = added
        ? `old app versions, which do not know ${quoteIdent(column.name)}, insert into ${ctx.displayTable(table)} without it and`
        : `old app versions that insert into ${ctx.displayTable(table)} without ${quoteIdent(column.name)} (the field had @default in their schema)`;
      const breaks = column.notNull
        ? `${who} fail with "null value in column … violates not-null constraint"`
        : added
          ? `${who} store NULL instead of ${column.default}`
          : `old app versions that insert without ${quoteIdent(column.name)} store NULL instead of ${column.default}`;
      ctx.report({
        at: s,
        ...commandRange(command),
        message: `DROP DEFAULT on ${c} (was ${column.default}): during the rollout, ${breaks}.`,
        help: change
          ? 'Instead: run `prisma-zd rewrite`: it defers this DROP DEFAULT (and a DROP SEQUENCE that goes with it) to `prisma-zd contract`, which runs once no old app version is left.'
          : `Instead: keep the default in this release and drop it in a later migration, once no pod of the current version runs (\`prisma-zd rewrite\` defers a DROP DEFAULT to \`prisma-zd contract\` when nothing later in the migration needs it gone).`,
        severity: column.notNull ? 'error' : 'warning',
        lock: 'ACCESS EXCLUSIVE',
        sizeSensitive: false,
        table: table.key,
        ...(change ? { rewrite: change } : {}),
      });
    }
  },
});
