import { hasDdl, transactionHasDdl } from '../helpers.js';
import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'unbatched-backfill',
  severity: 'warning',
  summary: 'UPDATE or DELETE of an existing table in one statement, inside a schema migration',
  check(ctx) {
    // A data-only migration is the place for data changes; next to schema changes, they hold the deploy.
    if (!hasDdl(ctx)) return;
    const ddl = new Map<number, boolean>();
    for (const s of ctx.plain) {
      const kind = s.statement.kind;
      if (kind !== 'UpdateStmt' && kind !== 'DeleteStmt' && kind !== 'MergeStmt') continue;
      const table = ctx.existingTableTouched(s, 'write');
      if (!table) continue;
      if (!ddl.has(s.tx.id)) ddl.set(s.tx.id, transactionHasDdl(ctx, s.tx.id));
      const t = ctx.displayTable(table);
      const verb = kind === 'UpdateStmt' ? 'UPDATE' : kind === 'DeleteStmt' ? 'DELETE' : 'MERGE';
      ctx.report({
        at: s,
        message:
          `${verb} of existing table ${t} in one statement: every row it changes stays locked until the migration commits, so old app versions writing those rows wait` +
          (ddl.get(s.tx.id) ? ', and the schema changes in the same transaction keep their locks on their tables for as long.' : '.'),
        help: `Instead: backfill outside the schema migration, in batches of a few thousand rows per transaction (a script run after \`prisma-zd deploy\`, e.g. \`UPDATE ${t} SET … WHERE "id" IN (SELECT "id" FROM ${t} WHERE … LIMIT 5000)\` until no row is left); if ${t} is small, put the ${verb} in a migration of its own.`,
        lock: 'ROW EXCLUSIVE',
        table: table.key,
      });
    }
  },
});
