import type { ColumnType } from '../../facts/model.js';
import { commandRange, existingColumn, stateAfter, tableCommands } from '../helpers.js';
import { createRule } from '../rule.js';

const WITH_PRECISION = new Set([
  'timestamp without time zone',
  'timestamp with time zone',
  'time without time zone',
  'time with time zone',
  'interval',
]);

/** `to` keeps `from`'s length/precision or raises it (no mods: unlimited, or the largest precision). */
function wider(from: ColumnType, to: ColumnType, index = 0): boolean {
  if (to.mods.length === 0) return true;
  const a = from.mods[index];
  const b = to.mods[index];
  return typeof a === 'number' && typeof b === 'number' && b >= a;
}

/** PostgreSQL changes the type in the catalog only: no rewrite, no scan (binary-coercible, or a wider typmod). */
export function changesInPlace(from: ColumnType, to: ColumnType): boolean {
  if (from.arrayDims !== to.arrayDims) return false;
  const same = from.name === to.name && from.schema === to.schema;
  if (same && JSON.stringify(from.mods) === JSON.stringify(to.mods)) return true;
  if (from.schema !== undefined || to.schema !== undefined) return false;
  const [f, t] = [from.name, to.name];
  if (f === 'character varying' && t === 'text') return true;
  if (f === 'text' && t === 'character varying') return to.mods.length === 0;
  if ((f === 'character varying' || f === 'bit varying') && f === t) return wider(from, to);
  if (f === 'numeric' && t === 'numeric') return to.mods.length === 0 || ((from.mods[1] ?? 0) === (to.mods[1] ?? 0) && wider(from, to));
  if (WITH_PRECISION.has(f) && f === t) return wider(from, to);
  return f === 'cidr' && t === 'inet';
}

export const rule = createRule({
  id: 'changing-column-type',
  severity: 'error',
  summary: 'ALTER COLUMN … TYPE that rewrites the table (all but binary-coercible changes)',
  check(ctx) {
    for (const { s, table, command, cmd } of tableCommands(ctx)) {
      if (cmd.subtype !== 'AT_AlterColumnType') continue;
      const column = existingColumn(ctx, table, cmd.name);
      const after = column && stateAfter(ctx, s).tables.get(table.key)?.columns.find((c) => c.name === column.name);
      if (!column || !after || changesInPlace(column.type, after.type)) continue;
      if (column.type.schema !== undefined && after.type.schema !== undefined) continue; // an enum swap: removing-enum-value
      const t = ctx.displayTable(table);
      const zone = /^timestamp with(out)? time zone$/;
      const tz = zone.test(column.type.name) && zone.test(after.type.name)
        ? ' (On PostgreSQL 12+, a change between timestamp and timestamptz skips the rewrite when the session TimeZone is UTC.)'
        : '';
      ctx.report({
        at: s,
        ...commandRange(command),
        message: `ALTER COLUMN ${ctx.displayColumn(table, column.name)} TYPE ${after.type.text} (from ${column.type.text}) rewrites ${t} and rebuilds its indexes under an ACCESS EXCLUSIVE lock: every read and write of ${t} waits until it is done; old app versions still read and write the old type.${tz}`,
        help: `Instead: expand and contract — add a new column of the new type (a new field, \`@map\` to keep names tidy), write both from the app, backfill in batches, switch reads, and drop the old column in a later release. Changes that need no rewrite: varchar(n) to a longer varchar or to text, numeric(p,s) to a larger p, timestamp(p) to a larger p.`,
        lock: 'ACCESS EXCLUSIVE',
        table: table.key,
      });
    }
  },
});
