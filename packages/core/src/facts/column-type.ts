import type { Node, TypeName } from 'libpg-query';
import { asNode, stringList } from '../sql/nodes.js';
import type { ColumnType } from './model.js';

/** Internal pg_catalog names → the names `format_type` prints. */
const CANONICAL: Readonly<Record<string, string>> = {
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  bool: 'boolean',
  varchar: 'character varying',
  bpchar: 'character',
  varbit: 'bit varying',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
  time: 'time without time zone',
  timetz: 'time with time zone',
  decimal: 'numeric',
  int: 'integer',
  integer: 'integer',
  smallint: 'smallint',
  bigint: 'bigint',
  real: 'real',
  boolean: 'boolean',
};

/** `serial` pseudo-types and the integer type they stand for. */
export const SERIAL_TYPES: Readonly<Record<string, string>> = {
  smallserial: 'int2',
  serial2: 'int2',
  serial: 'int4',
  serial4: 'int4',
  bigserial: 'int8',
  serial8: 'int8',
};

/** Does this type name denote a `serial` column (unqualified `serial`, `bigserial`…)? */
export function serialBase(typeName: TypeName | undefined): string | undefined {
  const names = stringList(typeName?.names);
  if (names.length !== 1 || typeName?.arrayBounds?.length) return undefined;
  return SERIAL_TYPES[names[0] as string];
}

/**
 * Describe a parsed type. `userTypeSchema(name)` tells the schema of a user-defined type
 * of that unqualified name visible on the search path (an enum), if any; unqualified
 * names without one are built-in or extension types.
 */
export function columnType(typeName: TypeName, userTypeSchema: (name: string) => string | undefined): ColumnType {
  const names = stringList(typeName.names);
  const mods = (typeName.typmods ?? []).map(typmodValue);
  const arrayDims = typeName.arrayBounds?.length ?? 0;
  let name: string;
  let schema: string | undefined;
  if (names.length >= 2 && names[names.length - 2] === 'pg_catalog') {
    const internal = names[names.length - 1] as string;
    name = CANONICAL[internal] ?? internal;
  } else if (names.length >= 2) {
    schema = names[names.length - 2];
    name = names[names.length - 1] as string;
  } else {
    const only = names[0] ?? '';
    const serial = SERIAL_TYPES[only];
    schema = serial ? undefined : userTypeSchema(only);
    name = serial ? (CANONICAL[serial] as string) : schema === undefined ? (CANONICAL[only] ?? only) : only;
  }
  return withText({ name, ...(schema === undefined ? {} : { schema }), mods, arrayDims });
}

/** The same type under another name or schema (an enum renamed or moved). */
export function renamedType(type: ColumnType, schema: string, name: string): ColumnType {
  return withText({ name, schema, mods: type.mods, arrayDims: type.arrayDims });
}

function withText(type: Omit<ColumnType, 'text'>): ColumnType {
  return { ...type, text: formatType(type) };
}

function formatType(type: Omit<ColumnType, 'text'>): string {
  const mods = type.mods.length ? `(${type.mods.join(',')})` : '';
  const dims = '[]'.repeat(type.arrayDims);
  if (type.schema !== undefined) return `${quoteIfNeeded(type.name)}${mods}${dims}`;
  const zone = / (with|without) time zone$/.exec(type.name);
  if (zone) return `${type.name.slice(0, zone.index)}${mods}${zone[0]}${dims}`;
  return `${type.name}${mods}${dims}`;
}

/** An identifier as PostgreSQL prints it (`quote_identifier`, without the keyword check). */
export function displayIdent(name: string): string {
  return quoteIfNeeded(name);
}

function quoteIfNeeded(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

function typmodValue(node: Node): number | string {
  const constant = asNode(node, 'A_Const');
  if (constant?.ival) return constant.ival.ival ?? 0;
  if (constant?.sval) return constant.sval.sval ?? '';
  if (constant?.fval) return constant.fval.fval ?? '';
  const ref = asNode(node, 'ColumnRef');
  if (ref) return stringList(ref.fields).join('.');
  return '?';
}
