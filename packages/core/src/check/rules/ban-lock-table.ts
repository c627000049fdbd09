import { LOCK_EFFECT, type LockMode } from '../../locks/locks.js';
import { createRule } from '../rule.js';

/** `LockStmt.mode` (PostgreSQL's LOCKMODE) of the modes that block writes. */
const MODES: Readonly<Record<number, LockMode>> = {
  5: 'SHARE',
  6: 'SHARE ROW EXCLUSIVE',
  7: 'EXCLUSIVE',
  8: 'ACCESS EXCLUSIVE',
};

export const rule = createRule({
  id: 'ban-lock-table',
  severity: 'error',
  summary: 'LOCK TABLE in a mode that blocks writes, held until the migration commits',
  check(ctx) {
    for (const s of ctx.plain) {
      if (s.statement.kind !== 'LockStmt') continue;
      const level = MODES[(s.statement.node as { mode?: number }).mode ?? 8];
      if (level === undefined) continue;
      for (const touch of ctx.touches(s, 'table', 'lock')) {
        const table = touch.createdInMigration ? undefined : ctx.existingTable(s, touch.key);
        if (!table) continue;
        const t = ctx.displayTable(table);
        ctx.report({
          at: s,
          message: `LOCK TABLE ${t} IN ${level} MODE holds the lock on ${t} until the migration commits (it ${LOCK_EFFECT[level]}), and while it waits for running queries, every new query on ${t} queues behind it.`,
          help: 'Instead: remove it: each statement takes the lock it needs, for as short a time as it can, and `prisma-zd deploy` bounds every wait with lock_timeout.',
          lock: level,
          sizeSensitive: false,
          table: table.key,
        });
      }
    }
  },
});
