import type { Node, TypeCast, TypeName } from 'libpg-query';
import type { ReplayContext } from './context.js';
import { relationKey } from './model.js';
import type { ColumnFacts, ColumnType } from './model.js';
import { nextvalSequence } from './sequences.js';
import { expressionText } from '../sql/span.js';

/** What setting a column's default to an expression tells. */
export interface DefaultFacts {
  /** The expression's text as written (undefined when it cannot be located). */
  readonly text: () => string | undefined;
  readonly defaultSequence?: string;
  readonly defaultTypes?: readonly string[];
}

/** The default-related facts of a column whose default is set to `expr`. */
export function defaultFacts(ctx: ReplayContext, expr: Node | undefined, type: ColumnType): DefaultFacts {
  const { parsed, statement } = ctx;
  const sequence = nextvalSequence(ctx, expr);
  const types = new Set<string>();
  const columnEnum = enumKey(ctx, type);
  if (columnEnum !== undefined) types.add(columnEnum);
  visitCasts(expr, (typeName) => {
    const key = enumKey(ctx, ctx.columnType(typeName));
    if (key !== undefined) types.add(key);
  });
  return {
    text: () => expressionText(parsed, statement, expr),
    ...(sequence === undefined ? {} : { defaultSequence: sequence }),
    ...(types.size ? { defaultTypes: [...types] } : {}),
  };
}

/**
 * `column` with the default `facts` (replacing any it had). `default` is read from the
 * SQL on first use: locating an expression's end takes the scanner, and the replay sets
 * thousands of defaults that no rule reads. Reading it (or copying the column) gives the
 * same text as reading it at once would.
 */
export function withDefault(column: ColumnFacts, facts: DefaultFacts): ColumnFacts {
  const { text, ...rest } = facts;
  let memo: { value: string | undefined } | undefined;
  return {
    ...withoutDefault(column),
    ...rest,
    get default() {
      return (memo ??= { value: text() }).value;
    },
  };
}

/** The column's default is read on first use (`withDefault`): copies must not read it. */
function lazyDefault(column: ColumnFacts): boolean {
  return Object.getOwnPropertyDescriptor(column, 'default')?.get !== undefined;
}

/** The column without its default. */
export function withoutDefault(column: ColumnFacts): ColumnFacts {
  if (!('default' in column) && !('defaultSequence' in column) && !('defaultTypes' in column)) return column;
  if (!lazyDefault(column)) {
    const { default: _d, defaultSequence: _s, defaultTypes: _t, ...rest } = column;
    return rest;
  }
  const properties = Object.getOwnPropertyDescriptors(column) as Partial<Record<keyof ColumnFacts, PropertyDescriptor>>;
  delete properties.default;
  delete properties.defaultSequence;
  delete properties.defaultTypes;
  return Object.defineProperties({}, properties) as ColumnFacts;
}

/**
 * `{ ...column, ...changes }`, except that a default whose text was not read yet stays
 * unread (a spread would read it).
 */
export function changedColumn(column: ColumnFacts, changes: Partial<ColumnFacts>): ColumnFacts {
  if (!lazyDefault(column)) return { ...column, ...changes };
  const out = Object.defineProperties({}, Object.getOwnPropertyDescriptors(column)) as ColumnFacts;
  for (const [key, value] of Object.entries(changes)) {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** After `ALTER COLUMN … TYPE`, a kept default also depends on the new type. */
export function retypedDefault(ctx: ReplayContext, column: ColumnFacts, type: ColumnType): ColumnFacts {
  const key = enumKey(ctx, type);
  if (key === undefined || column.default === undefined || column.defaultTypes?.includes(key)) return changedColumn(column, { type });
  return changedColumn(column, { type, defaultTypes: [...(column.defaultTypes ?? []), key] });
}

function enumKey(ctx: ReplayContext, type: ColumnType): string | undefined {
  if (type.schema === undefined) return undefined;
  const key = relationKey(type.schema, type.name);
  return ctx.draft.enums.has(key) ? key : undefined;
}

function visitCasts(value: unknown, visit: (typeName: TypeName) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) visitCasts(v, visit);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const cast = (value as { TypeCast?: TypeCast }).TypeCast;
  if (cast?.typeName) visit(cast.typeName);
  for (const child of Object.values(value)) visitCasts(child, visit);
}
