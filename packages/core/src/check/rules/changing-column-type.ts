import { baseType, fromDomains } from '../../facts/domains.js';
import { relationKey } from '../../facts/model.js';
import type { ColumnType, SchemaState } from '../../facts/model.js';
import { quoteIdent } from '../../sql/ident.js';
import { foreignKeysAt } from '../../locks/foreign-keys.js';
import { rewriteSkippedInUtc, typeChange, usingExpression } from '../../locks/type-change.js';
import type { TypeChange } from '../../locks/type-change.js';
import { commandRange, existingColumn, stateAfter, tableCommands } from '../helpers.js';
import { createRule } from '../rule.js';

const HELP =
  'Instead: expand and contract — add a new column of the new type (a new field, `@map` to keep names tidy), write both from the app, backfill in batches, switch reads, and drop the old column in a later release. Changes that need no rewrite: varchar(n) to a longer varchar or to text, numeric(p,s) to a larger p, timestamp(p) to a larger p.';

/**
 * Type categories (PostgreSQL's `typcategory`) of the built-in types Prisma maps fields to.
 * Between two categories there is no implicit cast, so no operator compares their values.
 */
const CATEGORY: Readonly<Record<string, string>> = {
  smallint: 'N',
  integer: 'N',
  bigint: 'N',
  numeric: 'N',
  real: 'N',
  'double precision': 'N',
  money: 'N',
  text: 'S',
  'character varying': 'S',
  character: 'S',
  citext: 'S',
  'timestamp without time zone': 'D',
  'timestamp with time zone': 'D',
  date: 'D',
  'time without time zone': 'D',
  'time with time zone': 'D',
  interval: 'T',
  boolean: 'B',
  uuid: 'U',
  json: 'J',
  jsonb: 'J',
  bytea: 'X',
  inet: 'I',
  cidr: 'I',
};

/** Bytes of the integer types: a smaller one cannot hold every value of a larger one. */
const INTEGER_SIZE: Readonly<Record<string, number>> = { smallint: 2, integer: 4, bigint: 8 };

/** Longest string a character type takes (Infinity: unbounded). */
function maxLength(t: ColumnType): number {
  const n = t.mods[0];
  if (typeof n === 'number') return n;
  return t.name === 'character' ? 1 : Infinity;
}

/** A type as PostgreSQL's error messages name it: `integer`, `"Role"`, `text[]`. */
function typeName(t: ColumnType): string {
  return (t.schema === undefined ? t.name : quoteIdent(t.name)) + '[]'.repeat(t.arrayDims);
}

/** The type Prisma Client binds a field's values with: a `String` as text whatever its column, an `Int` as integer, a `Float` as double precision. */
function boundType(t: ColumnType): string {
  const bound = CATEGORY[t.name] === 'S' && t.schema === undefined ? 'text' : t.name === 'smallint' ? 'integer' : t.name === 'real' ? 'double precision' : undefined;
  return bound === undefined ? typeName(t) : bound + '[]'.repeat(t.arrayDims);
}

/**
 * What old app versions, whose Prisma Client still sends `column` as `from`, meet once it is
 * `to`: a sentence saying which of their queries fail, or undefined when they keep working
 * (a wider type of the same kind). How a value of another type category fares depends on the
 * client's engine (measured: test/check/old-app-compat.test.ts models the Rust engine,
 * test/check/old-app-real-client.test.ts runs a driver-adapter client):
 * - the Rust query engine (Prisma 6's default) binds each parameter with its field's type,
 *   so such a value is neither compared nor stored without an explicit cast;
 * - a driver adapter (Prisma 7; Prisma 6 with `driverAdapters`) sends parameters untyped,
 *   so PostgreSQL reads each as the column's type: a string column then compares text
 *   (equality works, ranges and order do not), any other type rejects values that are not
 *   valid in it.
 * A narrower length or range rejects the longer values with both.
 */
export function oldAppTypeBreak(column: string, from: ColumnType, to: ColumnType): string | undefined {
  const c = quoteIdent(column);
  const category = (t: ColumnType) => (t.schema !== undefined ? 'E' : CATEGORY[t.name]);
  const [a, b] = [category(from), category(to)];
  if (a === undefined || b === undefined) return undefined;
  const [old, now] = [boundType(from), typeName(to)];
  if (a !== b || from.arrayDims !== to.arrayDims) {
    const rust = "with Prisma's Rust query engine (Prisma 6's default, typed parameters)";
    const adapter = 'with a driver adapter (Prisma 7, untyped parameters)';
    const compare = `their filters on ${c} fail ("operator does not exist: ${now} = ${old}")`;
    // PostgreSQL converts any value (an array too) to a string type on assignment, and an array to an array of strings element by element.
    return b === 'S' && (to.arrayDims === 0 || to.arrayDims === from.arrayDims)
      ? ` Old app versions still send ${c} as ${old}: ${rust}, ${compare}; ${adapter}, their range filters and ordering on ${c} compare text, and reading a value that is not a valid ${old} fails.`
      : ` Old app versions still send ${c} as ${old}: ${rust}, their writes of ${c} fail ("column ${c} is of type ${now} but expression is of type ${old}"), and ${compare}; ${adapter}, their writes and filters fail for every value that is not a valid ${now} ("invalid input syntax for type ${now}").`;
  }
  if (a === 'S' && (to.name === 'character varying' || to.name === 'character') && maxLength(to) < maxLength(from)) {
    const limit = maxLength(from) === Infinity ? 'unbounded' : `up to ${maxLength(from)} characters`;
    return ` Old app versions, for which ${c}${from.arrayDims ? "'s values are" : ' is'} ${limit}, fail on every write of a longer value ("value too long for type ${to.name}(${maxLength(to)})").`;
  }
  const size = INTEGER_SIZE[to.name];
  if (a === 'N' && size !== undefined && (INTEGER_SIZE[from.name] ?? Infinity) > size) {
    return ` Old app versions, for which ${c} is ${from.text}, fail on every write of a value beyond the range of ${to.name} ("${to.name} out of range")${INTEGER_SIZE[from.name] === undefined ? ', and the fractions they write are rounded' : ''}.`;
  }
  return undefined;
}

function isEnum(state: SchemaState, t: ColumnType): boolean {
  return t.schema !== undefined && state.enums.has(relationKey(t.schema, t.name));
}

/**
 * `typeChange` through domains (measured in test/check/handwritten-locks.test.ts): to a
 * domain with constraints (its own or of a domain it is over), PostgreSQL checks every row
 * by rewriting the table; otherwise a domain stands for its base type (int to a domain
 * over int, or a domain back to its base type, changes only the catalog).
 */
function domainTypeChange(before: SchemaState, from: ColumnType, after: SchemaState, to: ColumnType, using: boolean): TypeChange {
  if (from.schema === undefined && to.schema === undefined) return typeChange(from, to, using);
  const same = from.name === to.name && from.schema === to.schema && from.arrayDims === to.arrayDims;
  if (!same && fromDomains(after, to).constraints.length > 0) return 'rewrite';
  return typeChange(baseType(before, from), baseType(after, to), using);
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
      if (!column || !after) continue;
      const afterState = stateAfter(ctx, s);
      if (isEnum(s.facts.before, column.type) && isEnum(afterState, after.type)) continue; // an enum swap: removing-enum-value
      const using = usingExpression(cmd);
      const change = domainTypeChange(s.facts.before, column.type, afterState, after.type, using);
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
        message: `${what} rewrites ${t} and rebuilds its indexes under an ACCESS EXCLUSIVE lock: every read and write of ${t} waits until it is done.${oldAppTypeBreak(column.name, column.type, after.type) ?? ''}${fks}${tz}`,
        help: HELP,
        lock: 'ACCESS EXCLUSIVE',
        table: table.key,
      });
    }
  },
});
