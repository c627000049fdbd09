import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'ban-truncate',
  severity: 'error',
  summary: 'TRUNCATE of an existing table: ACCESS EXCLUSIVE lock, and the rows vanish under old app versions',
  check(ctx) {
    for (const s of ctx.plain) {
      if (s.statement.kind !== 'TruncateStmt') continue;
      for (const touch of ctx.touches(s, 'table', 'write')) {
        const table = touch.createdInMigration ? undefined : ctx.existingTable(s, touch.key);
        if (!table) continue;
        const t = ctx.displayTable(table);
        ctx.report({
          at: s,
          message: `TRUNCATE ${t} takes an ACCESS EXCLUSIVE lock (every read and write of ${t} waits for it) and removes every row while old app versions still use the table.`,
          help: `Instead: delete the rows the app no longer needs in batches, outside the schema migration; if ${t} really must be emptied and no app version uses it, say so above the statement: \`-- prisma-zd-ignore ban-truncate: <reason>\`.`,
          lock: 'ACCESS EXCLUSIVE',
          sizeSensitive: false,
          table: table.key,
        });
      }
    }
  },
});
