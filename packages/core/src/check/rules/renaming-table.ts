import type { RenameStmt } from 'libpg-query';
import { quoteIdent } from '../../sql/ident.js';
import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'renaming-table',
  severity: 'error',
  summary: 'RENAME of a table breaks old app versions, which query it by its old name',
  check(ctx) {
    for (const s of ctx.plain) {
      if (s.statement.kind !== 'RenameStmt') continue;
      const node = s.statement.node as RenameStmt;
      if (node.renameType !== 'OBJECT_TABLE' || node.newname === undefined) continue;
      for (const touch of ctx.touches(s, 'table', 'rename')) {
        const table = touch.createdInMigration ? undefined : ctx.existingTable(s, touch.key);
        if (!table) continue;
        ctx.report({
          at: s,
          message: `ALTER TABLE ${ctx.displayTable(table)} RENAME TO ${quoteIdent(node.newname)}: old app versions query ${ctx.displayTable(table)} by name and fail from this moment, and the new version fails wherever it runs before the migration.`,
          help: `Instead: keep the table's name and rename only the model: \`@@map("${table.name}")\` on the renamed model in schema.prisma (no migration at all).`,
          lock: 'ACCESS EXCLUSIVE',
          sizeSensitive: false,
          table: table.key,
        });
      }
    }
  },
});
