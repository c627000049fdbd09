import type { DropStmt } from 'libpg-query';
import { quoteIdent } from '../../sql/ident.js';
import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'require-concurrent-index-deletion',
  severity: 'warning',
  summary: 'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on a busy table',
  check(ctx) {
    for (const s of ctx.plain) {
      if (s.statement.kind !== 'DropStmt') continue;
      const node = s.statement.node as DropStmt;
      if (node.removeType !== 'OBJECT_INDEX' || node.concurrent) continue;
      for (const t of ctx.touches(s, 'index', 'drop')) {
        if (t.createdInMigration || t.implicit) continue;
        const index = s.facts.before.indexes.get(t.key);
        const table = index && ctx.existingTable(s, index.table);
        if (!index || !table) continue;
        const name = quoteIdent(index.name);
        const tn = ctx.displayTable(table);
        const change = ctx.rewriteChange(s, 'defer-drop-index', name);
        const note = change ? undefined : ctx.rewriteNote(s)?.replace(/^left alone: /, '');
        const byHand = `drop it with \`DROP INDEX CONCURRENTLY IF EXISTS ${name};\` alone in a migration of its own (\`prisma migrate dev --create-only\`, then edit): CONCURRENTLY cannot run inside a transaction`;
        ctx.report({
          at: s,
          message: `DROP INDEX ${name} takes an ACCESS EXCLUSIVE lock on ${tn}: while it waits for running queries on ${tn} to finish, every new read and write of ${tn} queues behind it.`,
          help: change
            ? `Instead: run \`prisma-zd rewrite\`: it defers this drop to \`prisma-zd contract\`, which drops ${name} CONCURRENTLY once no old app version runs (their queries keep the index until then).`
            : `Instead: ${byHand}${note ? `; \`prisma-zd rewrite\` left it alone (${note})` : ''}.`,
          lock: 'ACCESS EXCLUSIVE',
          table: table.key,
          ...(change ? { rewrite: change } : {}),
        });
      }
    }
  },
});
