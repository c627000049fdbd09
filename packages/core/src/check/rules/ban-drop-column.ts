import { quoteIdent } from '../../sql/ident.js';
import { commandRange, existingColumn, isRecreated, tableCommands } from '../helpers.js';
import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'ban-drop-column',
  severity: 'error',
  summary: 'DROP COLUMN while old app versions still select the column',
  check(ctx) {
    for (const { s, table, command, cmd } of tableCommands(ctx)) {
      if (cmd.subtype !== 'AT_DropColumn') continue;
      const column = existingColumn(ctx, table, cmd.name);
      if (!column || isRecreated(ctx, table, column.name)) continue;
      const t = ctx.displayTable(table);
      const c = quoteIdent(column.name);
      const change = ctx.rewriteChange(s, 'defer-drop-column', `${quoteIdent(table.name)}.${c}`);
      const note = change ? undefined : ctx.rewriteNote(s, `DROP COLUMN ${quoteIdent(table.name)}.${c}:`);
      const twoReleases = `stop reading the column first — mark the field \`@ignore\` in schema.prisma (Migrate keeps the column), deploy that release, and drop ${c} in a later migration. If that release is already out, say so above the statement: \`-- prisma-zd-ignore ban-drop-column: <reason>\``;
      ctx.report({
        at: s,
        ...commandRange(command),
        message: `DROP COLUMN ${ctx.displayColumn(table, column.name)}: Prisma Client selects every scalar field by name, so each query of old app versions on ${t} fails ("column ${c} does not exist") from this moment until the last old pod is gone.`,
        help: change
          ? `Instead: run \`prisma-zd rewrite\`: it defers this drop to \`prisma-zd contract\`, which runs once no old app version is left; until then old pods keep the column${column.notNull && column.default === undefined ? ', with a placeholder default for the new version\'s rows' : ''}.`
          : `Instead: ${twoReleases}.${note ? ` (\`prisma-zd rewrite\` left it alone: ${note.replace(/^left alone: DROP COLUMN \S+: /, '')}.)` : ''}`,
        lock: 'ACCESS EXCLUSIVE',
        sizeSensitive: false,
        table: table.key,
        ...(change ? { rewrite: change } : {}),
      });
    }
  },
});
