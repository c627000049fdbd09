/**
 * What PostgreSQL does to a table's rows when `ALTER COLUMN … TYPE` changes a column from
 * one type to another, and when `SET NOT NULL` can skip its scan. Shared by the lock
 * model (`statementLocks`) and the rules, and measured on PostgreSQL 14 and 18
 * (relfilenode and blocks read, test/check/locks-empirical.test.ts):
 *
 * - only the catalog changes for a binary-coercible type with the same operators, or a
 *   wider length or precision: `varchar(n)` to a longer `varchar`, to `varchar` or to
 *   `text`; `text` to `varchar`; `numeric(p,s)` to a larger `p` or to `numeric`;
 *   `timestamp(p)`, `timestamptz(p)`, `time(p)`, `interval(p)` to a larger or no `p`;
 *   `varbit(n)` to a longer one; `cidr` to `inet`;
 * - between `text`/`varchar` and `citext` the rows stay, but the indexes on the column
 *   are built again (other operators);
 * - everything else rewrites the table and all its indexes: another type, a shorter
 *   length, `char(n)` to any other length, any change of an array type (even `text[]` to
 *   `varchar[]`), and a `USING` expression other than the column itself.
 * - between `timestamp` and `timestamptz`, PostgreSQL 12+ skips the rewrite when the
 *   session's TimeZone is UTC and the new type has no precision or 6 (`TIMESTAMPTZ`,
 *   `TIMESTAMPTZ(6)`); Prisma's `TIMESTAMPTZ(3)` is rewritten whatever the time zone.
 */
import type { AlterTableCmd } from 'libpg-query';
import type { ColumnType, TableFacts } from '../facts/model.js';
import { asNode, stringList } from '../sql/nodes.js';

/** `catalog`: only the catalog changes; `indexes`: the column's indexes are built again; `rewrite`: the table and all its indexes are. */
export type TypeChange = 'catalog' | 'indexes' | 'rewrite';

const WITH_PRECISION = new Set([
  'timestamp without time zone',
  'timestamp with time zone',
  'time without time zone',
  'time with time zone',
  'interval',
]);

const ZONES = new Set(['timestamp without time zone', 'timestamp with time zone']);

/** Types that store text the same way and convert to each other without a function. */
const TEXT_LIKE = new Set(['text', 'character varying', 'citext']);

/** `to` keeps `from`'s length/precision or raises it (no mods: unlimited, or the largest precision). */
function wider(from: ColumnType, to: ColumnType, index = 0): boolean {
  if (to.mods.length === 0) return true;
  const a = from.mods[index];
  const b = to.mods[index];
  return typeof a === 'number' && typeof b === 'number' && b >= a;
}

/**
 * What changing a column from `from` to `to` does. `using`: the statement has a `USING`
 * expression other than the bare column (PostgreSQL evaluates it for every row).
 */
export function typeChange(from: ColumnType, to: ColumnType, using = false): TypeChange {
  if (using) return 'rewrite';
  const same = from.name === to.name && from.schema === to.schema;
  if (same && from.arrayDims === to.arrayDims && JSON.stringify(from.mods) === JSON.stringify(to.mods)) return 'catalog';
  // An array is converted element by element: always a rewrite.
  if (from.arrayDims !== 0 || to.arrayDims !== 0) return 'rewrite';
  if (from.schema !== undefined || to.schema !== undefined) return 'rewrite';
  const [f, t] = [from.name, to.name];
  if (TEXT_LIKE.has(f) && TEXT_LIKE.has(t) && (f === 'citext' || t === 'citext')) return t === 'character varying' && to.mods.length > 0 ? 'rewrite' : 'indexes';
  if (f === 'character varying' && t === 'text') return 'catalog';
  if (f === 'text' && t === 'character varying') return to.mods.length === 0 ? 'catalog' : 'rewrite';
  if ((f === 'character varying' || f === 'bit varying') && f === t) return wider(from, to) ? 'catalog' : 'rewrite';
  if (f === 'numeric' && t === 'numeric') return to.mods.length === 0 || ((from.mods[1] ?? 0) === (to.mods[1] ?? 0) && wider(from, to)) ? 'catalog' : 'rewrite';
  if (WITH_PRECISION.has(f) && f === t) return wider(from, to) ? 'catalog' : 'rewrite';
  return f === 'cidr' && t === 'inet' ? 'catalog' : 'rewrite';
}

/** A change between `timestamp` and `timestamptz` that PostgreSQL 12+ makes without a rewrite when the session's TimeZone is UTC. */
export function rewriteSkippedInUtc(from: ColumnType, to: ColumnType, using = false): boolean {
  if (using || from.arrayDims !== 0 || to.arrayDims !== 0 || from.name === to.name || !ZONES.has(from.name) || !ZONES.has(to.name)) return false;
  const precision = to.mods[0];
  return to.mods.length === 0 || (typeof precision === 'number' && precision >= 6);
}

/** A valid `CHECK (column IS NOT NULL)` of `table`: PostgreSQL 12+ sets NOT NULL without a scan. */
export function provenNotNull(table: TableFacts, column: string): boolean {
  const wanted = `${column.toLowerCase()}isnotnull`;
  return table.constraints.some(
    (c) => c.contype === 'c' && !c.notValid && c.expression !== undefined && c.expression.replace(/[\s"()]/g, '').toLowerCase() === wanted,
  );
}

/** `ALTER COLUMN c TYPE … USING expr` with an expression other than `c` itself (evaluated for every row). */
export function usingExpression(cmd: AlterTableCmd): boolean {
  const expr = asNode(cmd.def, 'ColumnDef')?.raw_default;
  if (expr === undefined) return false;
  const ref = asNode(expr, 'ColumnRef');
  return !(ref && stringList(ref.fields).at(-1) === cmd.name);
}
