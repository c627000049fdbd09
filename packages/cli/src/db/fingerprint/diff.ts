import {
  compareText,
  deepEqual,
  Differ,
  flag,
  qualified,
  quote,
  render,
  type DiffObjectKind,
  type FingerprintDiff,
  type Rules,
} from './compare.js';
import type {
  ColumnFingerprint,
  ConstraintFingerprint,
  EnumFingerprint,
  ExtensionFingerprint,
  FunctionFingerprint,
  IndexFingerprint,
  ObjectName,
  SchemaFingerprint,
  SequenceFingerprint,
  TableFingerprint,
  TableKind,
  TriggerFingerprint,
} from './types.js';

export type { DiffObjectKind, FingerprintDiff } from './compare.js';

export interface DiffOptions {
  /** How the two sides are called in messages. Default `{ a: 'A', b: 'B' }`. */
  labels?: { a: string; b: string };
}

const TABLE_KIND_LABELS: Record<TableKind, DiffObjectKind> = {
  table: 'table',
  partitioned: 'partitioned table',
  view: 'view',
  matview: 'materialized view',
  foreign: 'foreign table',
};

const FUNCTION_KIND_LABELS: Record<FunctionFingerprint['kind'], DiffObjectKind> = {
  function: 'function',
  procedure: 'procedure',
  aggregate: 'aggregate',
  window: 'window function',
};

const tableRules: Rules<TableFingerprint> = {
  schema: 'skip',
  name: 'skip',
  columns: 'skip',
  constraints: 'skip',
  indexes: 'skip',
  triggers: 'skip',
  kind: { label: 'kind', render: (k) => TABLE_KIND_LABELS[k] },
  partitionKey: { label: 'partition key' },
  partitionOf: {
    label: 'partition of',
    render: (p) => (p ? `${qualified(p.parent)} ${p.bound}` : 'none'),
  },
  inherits: { label: 'inherits', render: (ps) => (ps ? `[${ps.map(qualified).join(', ')}]` : 'none') },
  definition: { label: 'definition' },
  unlogged: { label: 'persistence', render: (v) => (v ? 'UNLOGGED' : 'LOGGED') },
  rowSecurity: { label: 'row level security', render: (v) => (v ? 'enabled' : 'disabled') },
  forceRowSecurity: { label: 'forced row level security', render: (v) => (v ? 'forced' : 'not forced') },
  options: { label: 'storage parameters' },
  comment: { label: 'comment' },
};

const columnRules: Rules<ColumnFingerprint> = {
  name: 'skip',
  type: { label: 'type' },
  collation: { label: 'collation', render: (c) => c ?? 'default' },
  notNull: { label: 'nullability', render: (n) => (n ? 'NOT NULL' : 'NULL') },
  notNullValidated: {
    detail: flag('NOT NULL validated', 'NOT NULL NOT VALID'),
    impliedBy: ['notNull'],
  },
  default: { label: 'default' },
  identity: { label: 'identity', render: (i) => (i ? `GENERATED ${i.toUpperCase()} AS IDENTITY` : 'none') },
  generated: {
    label: 'generation',
    render: (g) => (g ? `GENERATED ALWAYS AS (${g.expression}) ${g.kind.toUpperCase()}` : 'none'),
  },
  comment: { label: 'comment' },
};

const constraintRules: Rules<ConstraintFingerprint> = {
  name: 'skip',
  definition: { label: 'definition' },
  validated: { detail: flag('validated', 'NOT VALID') },
  type: { label: 'type', impliedBy: ['definition'] },
  // pg_get_constraintdef writes DEFERRABLE / INITIALLY DEFERRED into the definition.
  deferrable: { detail: flag('DEFERRABLE', 'NOT DEFERRABLE'), impliedBy: ['definition'] },
  initiallyDeferred: { detail: flag('INITIALLY DEFERRED', 'INITIALLY IMMEDIATE'), impliedBy: ['definition'] },
};

const indexRules: Rules<IndexFingerprint> = {
  name: 'skip',
  definition: { label: 'definition' },
  valid: { detail: flag('valid', 'INVALID') },
  // A not-ready index is never valid: `ready` adds something only when validity agrees.
  ready: { detail: flag('ready', 'NOT READY'), impliedBy: ['valid'] },
  constraint: { label: 'backing constraint' },
  unique: { label: 'unique', impliedBy: ['definition'] },
  primary: { label: 'primary key', impliedBy: ['constraint'] },
};

const triggerRules: Rules<TriggerFingerprint> = {
  name: 'skip',
  definition: { label: 'definition' },
  enabled: { label: 'enabled', render: (e) => e ?? 'origin (default)' },
};

const enumRules: Rules<EnumFingerprint> = {
  schema: 'skip',
  name: 'skip',
  values: {
    detail: (a, b) => {
      const sorted = (v: string[]) => [...v].sort(compareText);
      const sameSet = deepEqual(sorted(a), sorted(b));
      return `${sameSet ? 'value order differs' : 'values differ'}: ${render(a)} vs ${render(b)}`;
    },
  },
};

const sequenceRules: Rules<SequenceFingerprint> = {
  schema: 'skip',
  name: 'skip',
  type: { label: 'type' },
  ownedBy: {
    label: 'owned by',
    render: (o) =>
      o ? `${quote(o.schema)}.${quote(o.table)}.${quote(o.column)}${o.identity ? ' (identity)' : ''}` : 'none',
  },
};

const functionRules: Rules<FunctionFingerprint> = {
  schema: 'skip',
  name: 'skip',
  arguments: 'skip',
  kind: { label: 'kind' },
  result: { label: 'result type', impliedBy: ['definition'] },
  definition: { label: 'definition' },
};

const extensionRules: Rules<ExtensionFingerprint> = { name: 'skip' };

function diffTable(d: Differ, a: TableFingerprint, b: TableFingerprint): void {
  const table = qualified(a);
  d.properties(TABLE_KIND_LABELS[a.kind], table, a, b, tableRules);
  d.lists(
    a.columns,
    b.columns,
    (c) => c.name,
    (c) => ({ kind: 'column', object: `${table}.${quote(c.name)}` }),
    (x, y) => d.properties('column', `${table}.${quote(x.name)}`, x, y, columnRules),
  );
  // Column order is part of the schema (SELECT *, INSERT without a column list, COPY).
  const inB = new Set(b.columns.map((c) => c.name));
  const inA = new Set(a.columns.map((c) => c.name));
  const orderA = a.columns.map((c) => c.name).filter((n) => inB.has(n));
  const orderB = b.columns.map((c) => c.name).filter((n) => inA.has(n));
  if (!deepEqual(orderA, orderB)) {
    const detail = `column order differs: ${render(orderA)} vs ${render(orderB)}`;
    d.changed(TABLE_KIND_LABELS[a.kind], table, 'column order', orderA, orderB, detail);
  }
  d.lists(
    a.constraints,
    b.constraints,
    (c) => c.name,
    (c) => ({ kind: 'constraint', object: `${quote(c.name)} on ${table}` }),
    (x, y) => d.properties('constraint', `${quote(x.name)} on ${table}`, x, y, constraintRules),
  );
  // Index names are unique per schema: name them like tables.
  d.lists(
    a.indexes,
    b.indexes,
    (i) => i.name,
    (i) => ({ kind: 'index', object: qualified({ schema: a.schema, name: i.name }) }),
    (x, y) => d.properties('index', qualified({ schema: a.schema, name: x.name }), x, y, indexRules),
  );
  d.lists(
    a.triggers,
    b.triggers,
    (t) => t.name,
    (t) => ({ kind: 'trigger', object: `${quote(t.name)} on ${table}` }),
    (x, y) => d.properties('trigger', `${quote(x.name)} on ${table}`, x, y, triggerRules),
  );
}

const nameKey = (o: ObjectName) => `${o.schema}\u0000${o.name}`;
const functionObject = (f: FunctionFingerprint) => `${qualified(f)}(${f.arguments})`;

/**
 * The differences between two fingerprints, in a stable order (by object kind, then
 * name). Empty exactly when the fingerprints are deeply equal. The object named in each
 * message is qualified; a table missing on one side is one difference, not one per column.
 */
export function diffFingerprints(a: SchemaFingerprint, b: SchemaFingerprint, opts: DiffOptions = {}): FingerprintDiff[] {
  const d = new Differ(opts.labels ?? { a: 'A', b: 'B' });
  if (a.format !== b.format) {
    d.changed('fingerprint', 'format', 'format', a.format, b.format, `format differs: ${a.format} vs ${b.format}`);
    return d.diffs;
  }
  d.lists(a.schemas, b.schemas, (s) => s, (s) => ({ kind: 'schema', object: quote(s) }), () => {});
  d.lists(
    a.extensions,
    b.extensions,
    (e) => e.name,
    (e) => ({ kind: 'extension', object: quote(e.name) }),
    (x, y) => d.properties('extension', quote(x.name), x, y, extensionRules),
  );
  d.lists(
    a.enums,
    b.enums,
    nameKey,
    (e) => ({ kind: 'enum', object: qualified(e) }),
    (x, y) => d.properties('enum', qualified(x), x, y, enumRules),
  );
  d.lists(
    a.tables,
    b.tables,
    nameKey,
    (t) => ({ kind: TABLE_KIND_LABELS[t.kind], object: qualified(t) }),
    (x, y) => diffTable(d, x, y),
  );
  d.lists(
    a.sequences,
    b.sequences,
    nameKey,
    (s) => ({ kind: 'sequence', object: qualified(s) }),
    (x, y) => d.properties('sequence', qualified(x), x, y, sequenceRules),
  );
  d.lists(
    a.functions,
    b.functions,
    (f) => `${nameKey(f)}(${f.arguments})`,
    (f) => ({ kind: FUNCTION_KIND_LABELS[f.kind], object: functionObject(f) }),
    (x, y) => d.properties(FUNCTION_KIND_LABELS[x.kind], functionObject(x), x, y, functionRules),
  );
  return d.diffs;
}

/** The differences as a readable block, for test failures and `verify`. */
export function formatDiff(diffs: readonly FingerprintDiff[]): string {
  if (diffs.length === 0) return 'The schemas are identical.';
  const lines = diffs.map((diff) => `- ${diff.message.replaceAll('\n', '\n  ')}`);
  return `${diffs.length} schema difference${diffs.length === 1 ? '' : 's'}:\n${lines.join('\n')}`;
}
