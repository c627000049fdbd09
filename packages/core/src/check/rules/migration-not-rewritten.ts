import { createRule } from '../rule.js';

/**
 * The changes `prisma-zd rewrite` would make that no other rule reported. The rules
 * about indexes, foreign keys and dropped defaults report the statements rewrite
 * fixes, with their locks; this one reports the rest (queue maintenance), and any of
 * theirs when the rule is turned off.
 */
export const rule = createRule({
  id: 'migration-not-rewritten',
  severity: 'error',
  summary: 'The migration has statements that `prisma-zd rewrite` would change: run it',
  late: true,
  check(ctx) {
    if (!ctx.rewrite?.changed) return;
    const claimed = new Set(ctx.earlier.map((e) => e.report.rewrite).filter((c) => c !== undefined));
    for (const change of ctx.rewrite.changes) {
      if (claimed.has(change)) continue;
      // Queue maintenance matters only when earlier migrations really queue work. Without a
      // rewritten migration before this one, the work is what rewriting the earlier
      // migrations would queue: they are reported themselves, and one run fixes both.
      if (change.kind === 'maintenance' && !ctx.afterPrismaZd) continue;
      const at = ctx.plain.find((s) => s.origin === 'statement' && ctx.top(s).loc.start.line === change.line);
      const message =
        change.kind === 'maintenance'
          ? `This statement acts on work that an earlier migration postponed (${change.object}): on a database that prisma-zd manages, the queue must be kept in step in the same transaction, or \`prisma-zd deploy\` later builds or validates what this migration removed or renamed.`
          : `\`prisma-zd rewrite\` has not processed this migration: ${change.message}.`;
      ctx.report({
        ...(at ? { at } : {}),
        message,
        help: 'Instead: run `prisma-zd rewrite` (it changes only what it must, and a second run changes nothing).',
        rewrite: change,
      });
    }
  },
});
