import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'unanalysable-code',
  severity: 'warning',
  summary: 'A DO block or called function whose SQL could not be analysed (dynamic SQL, another language)',
  check(ctx) {
    for (const problem of ctx.problems) {
      const at = ctx.plain.find((s) => s.top === problem.top && s.origin === 'statement');
      const what = at?.statement.kind === 'DoStmt' ? 'This DO block' : 'The function this statement calls';
      ctx.report({
        ...(at ? { at } : {}),
        fileRange: problem.range,
        message: `${what} could not be analysed: ${problem.reason}. prisma-zd cannot tell which locks it takes or what it changes.`,
        help: 'Instead: write the schema changes as plain statements in the migration, where they are checked; or review the code and record it above the statement: `-- prisma-zd-ignore unanalysable-code: <reason>`.',
      });
    }
  },
});
