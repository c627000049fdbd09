import type { Constraint } from 'libpg-query';
import { quoteIdent } from '../../sql/ident.js';
import { asNode } from '../../sql/nodes.js';
import { commandRange, tableCommands } from '../helpers.js';
import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'adding-exclusion-constraint',
  severity: 'error',
  summary: 'EXCLUDE constraint on an existing table: its index is built under an ACCESS EXCLUSIVE lock, with no online alternative',
  check(ctx) {
    for (const { s, table, command, cmd } of tableCommands(ctx)) {
      const con = asNode(cmd.def, 'Constraint') as Constraint | undefined;
      if (cmd.subtype !== 'AT_AddConstraint' || con?.contype !== 'CONSTR_EXCLUSION') continue;
      const t = ctx.displayTable(table);
      const name = con.conname === undefined ? 'an exclusion constraint' : quoteIdent(con.conname);
      ctx.report({
        at: s,
        ...commandRange(command),
        message: `ADD CONSTRAINT ${name} EXCLUDE builds its index on existing table ${t} under an ACCESS EXCLUSIVE lock: every read and write of ${t} waits until it is built. PostgreSQL has no CONCURRENTLY or USING INDEX for exclusion constraints.`,
        help: `Instead: add it while ${t} is small or in a maintenance window, or enforce the rule in the app (a transaction with SELECT … FOR UPDATE); then record the decision above the statement: \`-- prisma-zd-ignore adding-exclusion-constraint: <reason>\`.`,
        lock: 'ACCESS EXCLUSIVE',
        table: table.key,
      });
    }
  },
});
