import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'unused-suppression',
  severity: 'warning',
  summary: 'A `-- prisma-zd-ignore` comment that names an unknown rule or suppresses nothing',
  late: true,
  check(ctx) {
    for (const sup of ctx.suppressions) {
      if (sup.tool !== 'prisma-zd') continue;
      // Located at the comment only: a statement's own suppression cannot silence this.
      const where = { fileRange: sup.range };
      const scope = sup.scope === 'file' ? 'in this file' : 'on the statement below';
      if (sup.rules.length === 0) {
        if (sup.used.size === 0) {
          ctx.report({ ...where, message: `This prisma-zd-ignore comment suppresses nothing: no rule reports anything ${scope}.`, help: 'Instead: remove the comment.' });
        }
        continue;
      }
      for (const id of sup.rules) {
        if (!ctx.ruleIds.known.has(id)) {
          ctx.report({ ...where, message: `prisma-zd has no rule "${id}": this comment suppresses nothing.`, help: 'Instead: name a rule from `prisma-zd explain --list`, or remove the comment.' });
        } else if (ctx.ruleIds.active.has(id) && !sup.used.has(id)) {
          ctx.report({ ...where, message: `This comment suppresses ${id}, which reports nothing ${scope}.`, help: 'Instead: remove the comment (or the rule from it).' });
        }
      }
    }
  },
});
