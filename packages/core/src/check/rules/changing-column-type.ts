import { quoteIdent } from '../../sql/ident.js';
import { foreignKeysAt } from '../../locks/foreign-keys.js';
import { rewriteSkippedInUtc, typeChange, usingExpression } from '../../locks/type-change.js';
import { commandRange, existingColumn, stateAfter, tableCommands } from '../helpers.js';
import { createRule } from '../rule.js';

const HELP =
  'Instead: expand and contract — add a new column of the new type (a new field, `@map` to keep names tidy), write both from the app, backfill in batches, switch reads, and drop the old column in a later release. Changes that need no rewrite: varchar(n) to a longer varchar or to text, numeric(p,s) to a larger p, timestamp(p) to a larger p.';

export const rule = createRule({
  id: 'changing-column-type',
  severity: 'error',
  summary: 'ALTER COLUMN … TYPE that rewrites the table (all but binary-coercible changes)',
  check(ctx) {
    for (const { s, table, command, cmd } of tableCommands(ctx)) {
      if (cmd.subtype !== 'AT_AlterColumnType') continue;
      const column = existingColumn(ctx, table, cmd.name);
      const after = column && stateAfter(ctx, s).tables.get(table.key)?.columns.find((c) => c.name === column.name);
      if (!column || !after) continue;
      if (column.type.schema !== undefined && after.type.schema !== undefined) continue; // an enum swap: removing-enum-value
      const using = usingExpression(cmd);
      const change = typeChange(column.type, after.type, using);
      if (change === 'catalog') continue;
      const t = ctx.displayTable(table);
      const what = `ALTER COLUMN ${ctx.displayColumn(table, column.name)} TYPE ${after.type.text} (from ${column.type.text})`;
      if (change === 'indexes') {
        // The rows stay; only the indexes on the column are built again (text ↔ citext).
        const indexes = [...s.facts.before.indexes.values()].filter((i) => i.table === table.key && i.columnsReferenced.includes(column.name));
        if (indexes.length === 0) continue;
        const names = indexes.map((i) => quoteIdent(i.name)).join(', ');
        ctx.report({
          at: s,
          ...commandRange(command),
          message: `${what} keeps the rows but builds ${indexes.length > 1 ? 'the indexes' : 'the index'} ${names} again under an ACCESS EXCLUSIVE lock on ${t}: every read and write of ${t} waits until ${indexes.length > 1 ? 'they are' : 'it is'} built.`,
          help: HELP,
          lock: 'ACCESS EXCLUSIVE',
          table: table.key,
        });
        continue;
      }
      // Its foreign keys are dropped and added again: checked again, with the table at their other end locked.
      const keys = foreignKeysAt(s.facts.before, s.facts.before.tables.get(table.key) ?? table, [column.name]);
      const others = [...new Set(keys.map((k) => ctx.displayTable(k.other)))];
      const fks = keys.length
        ? ` The foreign key${keys.length > 1 ? 's' : ''} ${keys.map((k) => quoteIdent(k.fk.name)).join(', ')} ${keys.length > 1 ? 'are' : 'is'} checked again, with ${others.join(' and ')} under an ACCESS EXCLUSIVE lock too.`
        : '';
      const tz = rewriteSkippedInUtc(column.type, after.type, using)
        ? ' (PostgreSQL 12+ skips the rewrite of this change between timestamp and timestamptz when the session TimeZone is UTC.)'
        : '';
      ctx.report({
        at: s,
        ...commandRange(command),
        message: `${what} rewrites ${t} and rebuilds its indexes under an ACCESS EXCLUSIVE lock: every read and write of ${t} waits until it is done; old app versions still read and write the old type.${fks}${tz}`,
        help: HELP,
        lock: 'ACCESS EXCLUSIVE',
        table: table.key,
      });
    }
  },
});
