import type { Node } from 'libpg-query';
import { resolveName } from '../../facts/context.js';
import { asNode } from '../../sql/nodes.js';
import { alterCommands, commandRange } from '../helpers.js';
import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'attaching-partition-without-check',
  severity: 'error',
  summary: 'ATTACH PARTITION of an existing table with no valid CHECK: its rows are scanned under an ACCESS EXCLUSIVE lock',
  check(ctx) {
    for (const s of ctx.plain) {
      for (const command of alterCommands(ctx, s)) {
        if (command.cmd.subtype !== 'AT_AttachPartition') continue;
        const part = asNode(command.cmd.def as Node | undefined, 'PartitionCmd')?.name;
        if (part?.relname === undefined) continue;
        const table = ctx.existingTable(s, resolveName(s.facts.searchPath, part, (k) => s.facts.before.tables.has(k)));
        // A valid CHECK is how PostgreSQL skips the scan (when it implies the bound): the documented way, taken as meant.
        if (!table || table.constraints.some((c) => c.contype === 'c' && !c.notValid)) continue;
        const t = ctx.displayTable(table);
        const check = `${table.name}_partition_check`;
        ctx.report({
          at: s,
          ...commandRange(command),
          message: `ATTACH PARTITION ${t} reads every row of ${t} to check the partition bound while holding an ACCESS EXCLUSIVE lock on it: every read and write of ${t} waits until the scan is done.`,
          help: `Instead: first add a CHECK that matches the bound, \`ALTER TABLE ${t} ADD CONSTRAINT "${check}" CHECK (<the bound as a condition, with IS NOT NULL for the key>) NOT VALID;\`, and \`ALTER TABLE ${t} VALIDATE CONSTRAINT "${check}";\` (reads and writes continue); ATTACH PARTITION then skips the scan (a brief lock), and the CHECK can be dropped after.`,
          lock: 'ACCESS EXCLUSIVE',
          table: table.key,
        });
      }
    }
  },
});
