import type { Constraint } from 'libpg-query';
import { quoteIdent } from '../../sql/ident.js';
import { asNode, stringList } from '../../sql/nodes.js';
import { commandRange, tableCommands } from '../helpers.js';
import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'disallowed-unique-constraint',
  severity: 'error',
  summary: 'UNIQUE or PRIMARY KEY constraint whose index is built under an ACCESS EXCLUSIVE lock',
  check(ctx) {
    for (const { s, table, command, cmd } of tableCommands(ctx)) {
      const con = asNode(cmd.def, 'Constraint') as Constraint | undefined;
      if (cmd.subtype !== 'AT_AddConstraint' || !con || con.indexname !== undefined) continue;
      if (con.contype !== 'CONSTR_UNIQUE' && con.contype !== 'CONSTR_PRIMARY') continue;
      const t = ctx.displayTable(table);
      const kind = con.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE';
      const name = quoteIdent(con.conname ?? `${table.name}_${con.contype === 'CONSTR_PRIMARY' ? 'pkey' : 'key'}`);
      const columns = stringList(con.keys).map(quoteIdent).join(', ');
      ctx.report({
        at: s,
        ...commandRange(command),
        message: `ADD CONSTRAINT ${name} ${kind} builds its index on existing table ${t} under an ACCESS EXCLUSIVE lock: every read and write of ${t} waits until the index is built.`,
        help:
          `Instead: build the index first without blocking writes — \`CREATE UNIQUE INDEX ${name} ON ${t} (${columns});\`, which \`prisma-zd rewrite\` postpones and \`prisma-zd deploy\` builds CONCURRENTLY — then, in a later migration, \`ALTER TABLE ${t} ADD CONSTRAINT ${name} ${kind} USING INDEX ${name};\` (a brief lock)` +
          (kind === 'PRIMARY KEY' ? '. The key columns must already be NOT NULL (see adding-not-nullable-field).' : '.'),
        lock: 'ACCESS EXCLUSIVE',
        table: table.key,
      });
    }
  },
});
