import type { RenameStmt } from 'libpg-query';
import { quoteIdent } from '../../sql/ident.js';
import { existingColumn } from '../helpers.js';
import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'renaming-column',
  severity: 'error',
  summary: 'RENAME COLUMN breaks old app versions, which select it by its old name',
  check(ctx) {
    for (const s of ctx.plain) {
      if (s.statement.kind !== 'RenameStmt') continue;
      const node = s.statement.node as RenameStmt;
      if (node.renameType !== 'OBJECT_COLUMN' || node.subname === undefined || node.newname === undefined) continue;
      const table = ctx.existingTableTouched(s, 'alter', 'rename-column');
      const column = table && existingColumn(ctx, table, node.subname);
      if (!table || !column) continue;
      const from = quoteIdent(node.subname);
      ctx.report({
        at: s,
        message: `RENAME COLUMN ${ctx.displayColumn(table, node.subname)} TO ${quoteIdent(node.newname)}: old app versions select ${from} by name and fail from this moment, and the new version fails wherever it runs before the migration.`,
        help: `Instead: keep the column's name and rename only the field: \`${node.newname} … @map("${node.subname}")\` in schema.prisma (no migration at all).`,
        lock: 'ACCESS EXCLUSIVE',
        sizeSensitive: false,
        table: table.key,
      });
    }
  },
});
