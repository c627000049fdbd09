import type { DropStmt } from 'libpg-query';
import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'ban-drop-table',
  severity: 'error',
  summary: 'DROP TABLE while old app versions still query it',
  check(ctx) {
    for (const s of ctx.plain) {
      if (s.statement.kind !== 'DropStmt' || (s.statement.node as DropStmt).removeType !== 'OBJECT_TABLE') continue;
      for (const touch of ctx.touches(s, 'table', 'drop')) {
        if (touch.createdInMigration || touch.implicit) continue;
        const table = ctx.existingTable(s, touch.key);
        if (!table) continue;
        const t = ctx.displayTable(table);
        ctx.report({
          at: s,
          message: `DROP TABLE ${t}: old app versions still query ${t} (its model, and relations that include it) and fail ("relation ${t} does not exist") until the last old pod is gone; its rows are gone for good.`,
          help: `Instead: stop using the model first — mark it \`@@ignore\` in schema.prisma (Migrate keeps the table), deploy that release, and drop ${t} in a later migration. If that release is already out, say so above the statement: \`-- prisma-zd-ignore ban-drop-table: <reason>\`.`,
          lock: 'ACCESS EXCLUSIVE',
          sizeSensitive: false,
          table: table.key,
        });
      }
    }
  },
});
