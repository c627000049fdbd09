import type pg from 'pg';
import { compareText } from './compare.js';
import * as q from './queries.js';
import type {
  ColumnFingerprint,
  ConstraintFingerprint,
  ConstraintType,
  FingerprintOptions,
  FunctionKind,
  IndexFingerprint,
  SchemaFingerprint,
  SequenceFingerprint,
  TableFingerprint,
  TableKind,
  TriggerFingerprint,
} from './types.js';

/** Prisma's bookkeeping table: never part of the user's schema. */
const PRISMA_MIGRATIONS = '_prisma_migrations';

/**
 * Session settings that change what the server's deparsers print: which names get
 * schema-qualified, and how constants in defaults and view bodies are written
 * (`'2020-01-01 00:00:00+00'::timestamptz` depends on TimeZone and DateStyle).
 * Fixed while fingerprinting so the result does not depend on the caller's session.
 */
const DEPARSE_SETTINGS: Readonly<Record<string, string>> = {
  search_path: 'pg_catalog, public',
  quote_all_identifiers: 'off',
  TimeZone: 'UTC',
  DateStyle: 'ISO, MDY',
  IntervalStyle: 'postgres',
  extra_float_digits: '1',
  bytea_output: 'hex',
};

/**
 * Runs `fn` with `settings` applied to the session (`set_config`, session scope) and
 * puts the previous values back afterwards. Inside a caller's transaction that later
 * rolls back, PostgreSQL restores them too; no transaction is opened or committed here.
 */
export async function withSessionSettings<T>(
  client: pg.ClientBase,
  settings: Readonly<Record<string, string>>,
  fn: () => Promise<T>,
): Promise<T> {
  const names = Object.keys(settings);
  const apply = (values: string[]) =>
    client.query(
      `SELECT pg_catalog.set_config(s.name, s.value, false)
       FROM unnest($1::text[], $2::text[]) AS s(name, value)`,
      [names, values],
    );
  const { rows } = await client.query<{ value: string }>(
    `SELECT pg_catalog.current_setting(s.name) AS value
     FROM unnest($1::text[]) WITH ORDINALITY AS s(name, i) ORDER BY s.i`,
    [names],
  );
  const previous = rows.map((r) => r.value);
  await apply(names.map((n) => settings[n]!));
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    // In an aborted transaction the restore fails too; the caller needs the first error.
    await apply(previous).catch(() => {});
    throw e;
  }
  await apply(previous);
  return result;
}

function byName<T extends { name: string }>(list: T[]): T[] {
  return list.sort((a, b) => compareText(a.name, b.name));
}

function bySchemaAndName<T extends { schema: string; name: string }>(list: T[]): T[] {
  return list.sort((a, b) => compareText(a.schema, b.schema) || compareText(a.name, b.name));
}

const tableKey = (schema: string, name: string) => `${schema}\u0000${name}`;

/** An `exclude.tables` entry matches `name` in any schema, or `schema.name` exactly. */
function tableFilter(patterns: readonly string[]): (schema: string, name: string) => boolean {
  const set = new Set(patterns);
  return (schema, name) => set.has(name) || set.has(`${schema}.${name}`);
}

const TABLE_KINDS: Record<q.RelationRow['relkind'], TableKind> = {
  r: 'table',
  p: 'partitioned',
  v: 'view',
  m: 'matview',
  f: 'foreign',
};

const CONSTRAINT_TYPES: Record<q.ConstraintRow['contype'], ConstraintType> = {
  p: 'primary key',
  u: 'unique',
  f: 'foreign key',
  c: 'check',
  x: 'exclusion',
};

const FUNCTION_KINDS: Record<q.FunctionRow['prokind'], FunctionKind> = {
  f: 'function',
  p: 'procedure',
  a: 'aggregate',
  w: 'window',
};

const TRIGGER_ENABLED: Record<string, TriggerFingerprint['enabled']> = {
  D: 'disabled',
  R: 'replica',
  A: 'always',
};

function toTable(r: q.RelationRow): TableFingerprint {
  const t: TableFingerprint = {
    schema: r.schema,
    name: r.name,
    kind: TABLE_KINDS[r.relkind],
    columns: [],
    constraints: [],
    indexes: [],
    triggers: [],
  };
  if (r.partitionKey !== null) t.partitionKey = r.partitionKey;
  const parents = r.parents ?? [];
  if (r.isPartition && parents[0] && r.partitionBound !== null) {
    t.partitionOf = { parent: parents[0], bound: r.partitionBound };
  } else if (parents.length > 0) {
    t.inherits = parents;
  }
  if (r.definition !== null) t.definition = r.definition;
  if (r.persistence === 'u') t.unlogged = true;
  if (r.rowSecurity) t.rowSecurity = true;
  if (r.forceRowSecurity) t.forceRowSecurity = true;
  if (r.options && r.options.length > 0) t.options = [...r.options].sort(compareText);
  if (r.comment !== null) t.comment = r.comment;
  return t;
}

function toColumn(r: q.ColumnRow): ColumnFingerprint {
  const c: ColumnFingerprint = { name: r.name, type: r.type, notNull: r.notNull };
  if (r.collation !== null) c.collation = r.collation;
  if (r.notNullInvalid) c.notNullValidated = false;
  if (r.generated === 's' || r.generated === 'v') {
    c.generated = { kind: r.generated === 's' ? 'stored' : 'virtual', expression: r.expression ?? '' };
  } else if (r.expression !== null) {
    c.default = r.expression;
  }
  if (r.identity === 'a') c.identity = 'always';
  else if (r.identity === 'd') c.identity = 'by default';
  if (r.comment !== null) c.comment = r.comment;
  return c;
}

const NOT_VALID_SUFFIX = ' NOT VALID';

function toConstraint(r: q.ConstraintRow): ConstraintFingerprint {
  // pg_get_constraintdef appends " NOT VALID" exactly when convalidated is false.
  const definition =
    !r.validated && r.definition.endsWith(NOT_VALID_SUFFIX)
      ? r.definition.slice(0, -NOT_VALID_SUFFIX.length)
      : r.definition;
  return {
    name: r.name,
    type: CONSTRAINT_TYPES[r.contype],
    definition,
    validated: r.validated,
    deferrable: r.deferrable,
    initiallyDeferred: r.deferred,
  };
}

function toIndex(r: q.IndexRow): IndexFingerprint {
  const i: IndexFingerprint = {
    name: r.name,
    definition: r.definition,
    valid: r.valid,
    ready: r.ready,
    primary: r.primary,
    unique: r.unique,
  };
  if (r.constraint !== null) i.constraint = r.constraint;
  return i;
}

function toTrigger(r: q.TriggerRow): TriggerFingerprint {
  const t: TriggerFingerprint = { name: r.name, definition: r.definition };
  const enabled = TRIGGER_ENABLED[r.enabled];
  if (enabled) t.enabled = enabled;
  return t;
}

function toSequence(r: q.SequenceRow): SequenceFingerprint {
  const s: SequenceFingerprint = {
    schema: r.schema,
    name: r.name,
    type: r.type,
    start: r.start,
    increment: r.increment,
    min: r.min,
    max: r.max,
    cache: r.cache,
    cycle: r.cycle,
  };
  if (r.ownerSchema !== null && r.ownerTable !== null && r.ownerColumn !== null) {
    s.ownedBy = { schema: r.ownerSchema, table: r.ownerTable, column: r.ownerColumn, identity: r.ownerIdentity === true };
  }
  return s;
}

/** Reads the fingerprint; see `fingerprint()` in `../fingerprint.ts` for the contract. */
export async function readFingerprint(client: pg.ClientBase, opts: FingerprintOptions = {}): Promise<SchemaFingerprint> {
  return withSessionSettings(client, DEPARSE_SETTINGS, async () => {
    const excludedSchemas = new Set(opts.exclude?.schemas ?? []);
    const schemaRows = (await client.query<q.SchemaRow>(q.schemasQuery, [opts.schemas ?? null])).rows;
    const schemas = schemaRows.map((r) => r.name).filter((s) => !excludedSchemas.has(s)).sort(compareText);
    const excluded = tableFilter([PRISMA_MIGRATIONS, ...(opts.exclude?.tables ?? [])]);
    const run = async <R extends pg.QueryResultRow>(sql: string) => (await client.query<R>(sql, [schemas])).rows;

    const tables = new Map<string, TableFingerprint>();
    for (const r of await run<q.RelationRow>(q.relationsQuery)) {
      if (!excluded(r.schema, r.name)) tables.set(tableKey(r.schema, r.name), toTable(r));
    }
    // Child rows of tables not selected (excluded, or an extension's) find no parent and drop out.
    const tableOf = (r: { schema: string; table: string }) => tables.get(tableKey(r.schema, r.table));

    const columns = (await run<q.ColumnRow>(q.columnsQuery)).sort((a, b) => a.position - b.position);
    for (const r of columns) tableOf(r)?.columns.push(toColumn(r));
    for (const r of await run<q.ConstraintRow>(q.constraintsQuery)) tableOf(r)?.constraints.push(toConstraint(r));
    for (const r of await run<q.IndexRow>(q.indexesQuery)) tableOf(r)?.indexes.push(toIndex(r));
    for (const r of await run<q.TriggerRow>(q.triggersQuery)) tableOf(r)?.triggers.push(toTrigger(r));
    for (const t of tables.values()) {
      byName(t.constraints);
      byName(t.indexes);
      byName(t.triggers);
    }

    const sequences = (await run<q.SequenceRow>(q.sequencesQuery))
      .filter((r) => r.ownerSchema === null || r.ownerTable === null || !excluded(r.ownerSchema, r.ownerTable))
      .map(toSequence);

    const functions = (await run<q.FunctionRow>(q.functionsQuery)).map((r) => {
      const f = { schema: r.schema, name: r.name, arguments: r.arguments, kind: FUNCTION_KINDS[r.prokind] };
      return {
        ...f,
        ...(r.result !== null ? { result: r.result } : {}),
        ...(r.definition !== null ? { definition: r.definition } : {}),
      };
    });

    const extensions = (await client.query<q.ExtensionRow>(q.extensionsQuery)).rows;

    return {
      format: 1,
      schemas,
      extensions: byName(extensions.map((e) => ({ name: e.name, schema: e.schema, version: e.version }))),
      tables: bySchemaAndName([...tables.values()]),
      enums: bySchemaAndName((await run<q.EnumRow>(q.enumsQuery)).map((e) => ({ ...e }))),
      sequences: bySchemaAndName(sequences),
      functions: functions.sort(
        (a, b) => compareText(a.schema, b.schema) || compareText(a.name, b.name) || compareText(a.arguments, b.arguments),
      ),
    };
  });
}
