import type { DropStmt, IndexStmt, Node } from 'libpg-query';
import { asNode } from '../../sql/nodes.js';
import type { CheckStatement, RuleContext } from '../context.js';
import { createRule } from '../rule.js';

/** The command's name when `s` must run outside a transaction block (CONCURRENTLY). */
function concurrentCommand(s: CheckStatement): string | undefined {
  const node = s.statement.node as Record<string, unknown>;
  switch (s.statement.kind) {
    case 'IndexStmt':
      return (node as IndexStmt).concurrent ? 'CREATE INDEX CONCURRENTLY' : undefined;
    case 'DropStmt':
      return (node as DropStmt).concurrent ? 'DROP INDEX CONCURRENTLY' : undefined;
    case 'AlterTableStmt': {
      const cmds = ((node['cmds'] as Node[] | undefined) ?? []).map((c) => asNode(c, 'AlterTableCmd'));
      const detach = cmds.some((c) => c?.subtype === 'AT_DetachPartition' && asNode(c.def, 'PartitionCmd')?.concurrent);
      return detach ? 'DETACH PARTITION CONCURRENTLY' : undefined;
    }
    case 'ReindexStmt': {
      const params = (node['params'] as Node[] | undefined) ?? [];
      return params.some((p) => asNode(p, 'DefElem')?.defname === 'concurrently') ? 'REINDEX CONCURRENTLY' : undefined;
    }
    default:
      return undefined;
  }
}

function why(ctx: RuleContext, s: CheckStatement): string {
  if (s.origin === 'do-block') return 'it is inside a DO block, which always runs in one';
  if (s.origin === 'function') return 'it is inside a function, which always runs in one';
  if (s.tx.explicit) return 'the file opens one with BEGIN';
  const count = ctx.parsed.statements.length;
  const how =
    ctx.execution === 'whole-file'
      ? 'Prisma sends the whole migration.sql as one query, which runs as one transaction'
      : 'Prisma (up to 7.3, and whenever it sends the whole migration.sql as one query) runs the file as one transaction';
  return `${how}, and this file has ${count} statements`;
}

export const rule = createRule({
  id: 'ban-concurrent-index-creation-in-transaction',
  severity: 'error',
  summary: 'CONCURRENTLY inside a transaction (BEGIN, a DO block, or a multi-statement file run as one) fails at deploy',
  check(ctx) {
    for (const s of ctx.plain) {
      const command = concurrentCommand(s);
      if (command === undefined || !ctx.inTransactionBlock(s)) continue;
      // PostgreSQL's own words for it.
      const refused = command === 'DETACH PARTITION CONCURRENTLY' ? 'ALTER TABLE ... DETACH CONCURRENTLY' : `${command.split(' CONCURRENTLY')[0]} CONCURRENTLY`;
      ctx.report({
        at: s,
        message: `${command} cannot run inside a transaction block, and ${why(ctx, s)}: the deploy fails with "${refused} cannot run inside a transaction block".`,
        help:
          s.statement.kind === 'IndexStmt'
            ? 'Instead: put this statement alone in a migration of its own (`prisma migrate dev --create-only`, then move it there), or write a plain CREATE INDEX and let `prisma-zd rewrite` postpone it: `prisma-zd deploy` builds it CONCURRENTLY after the migration.'
            : 'Instead: put this statement alone in a migration of its own (`prisma migrate dev --create-only`, then move it there).',
      });
    }
  },
});
