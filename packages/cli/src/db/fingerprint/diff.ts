import { compareText } from './read.js';
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

export type DiffObjectKind =
  | 'fingerprint'
  | 'schema'
  | 'extension'
  | 'table'
  | 'partitioned table'
  | 'view'
  | 'materialized view'
  | 'foreign table'
  | 'column'
  | 'constraint'
  | 'index'
  | 'trigger'
  | 'enum'
  | 'sequence'
  | 'function'
  | 'procedure'
  | 'aggregate'
  | 'window function';

/** One difference between two fingerprints, as data and as a readable line. */
export interface FingerprintDiff {
  kind: DiffObjectKind;
  /** The object as messages name it: `"public"."Post_title_idx"`, `"Post_authorId_fkey" on "public"."Post"`. */
  object: string;
  /** `missing-in-b`: only A has the object; `changed`: both have it, `property` differs. */
  change: 'missing-in-a' | 'missing-in-b' | 'changed';
  property?: string;
  a?: unknown;
  b?: unknown;
  /** `index "public"."Post_title_idx": missing in B`; may span lines for long definitions. */
  message: string;
}

export interface DiffOptions {
  /** How the two sides are called in messages. Default `{ a: 'A', b: 'B' }`. */
  labels?: { a: string; b: string };
}

/** Quotes a name for messages (always, like the SQL Prisma writes). Display only: never builds SQL. */
function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

const qualified = (o: ObjectName) => `${quote(o.schema)}.${quote(o.name)}`;

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function render(v: unknown): string {
  if (v === undefined || v === null) return 'none';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return `[${v.map(render).join(', ')}]`;
  return JSON.stringify(v);
}

type Labels = { a: string; b: string };

/** At most this many differing lines of each side are shown for multi-line text. */
const MAX_LINES = 6;

/** The differing middle of two texts, by line: what is left after their common first and last lines. */
function middle(a: string, b: string): { line: number; a: string[]; b: string[] } {
  const la = a.split('\n');
  const lb = b.split('\n');
  let start = 0;
  while (start < la.length && start < lb.length && la[start] === lb[start]) start++;
  let end = 0;
  while (end < la.length - start && end < lb.length - start && la[la.length - 1 - end] === lb[lb.length - 1 - end]) end++;
  return { line: start + 1, a: la.slice(start, la.length - end), b: lb.slice(start, lb.length - end) };
}

/** `  A: first line` with continuation lines aligned under it. */
function block(label: string, lines: string[]): string {
  const shown = lines.length === 0 ? ['(nothing)'] : lines.slice(0, MAX_LINES);
  if (lines.length > MAX_LINES) shown.push(`… ${lines.length - MAX_LINES} more line(s)`);
  const indent = ' '.repeat(label.length + 4);
  return `  ${label}: ${shown.join(`\n${indent}`)}`;
}

/**
 * `type differs: integer vs bigint`; long values on their own lines; multi-line text
 * (function bodies, view definitions) as the lines that differ.
 */
function differs(label: string, ra: string, rb: string, l: Labels): string {
  if (ra.includes('\n') || rb.includes('\n')) {
    const m = middle(ra, rb);
    return `${label} differs at line ${m.line}:\n${block(l.a, m.a)}\n${block(l.b, m.b)}`;
  }
  if (ra.length + rb.length > 80) return `${label} differs:\n  ${l.a}: ${ra}\n  ${l.b}: ${rb}`;
  return `${label} differs: ${ra} vs ${rb}`;
}

/** How one property of an object is reported. */
interface Rule<V = never> {
  label?: string;
  render?: (v: V) => string;
  /** A whole custom detail, e.g. `A valid, B INVALID`. */
  detail?: (a: V, b: V, l: Labels) => string;
  /** Not reported when one of these properties already differs (it is part of their text). */
  impliedBy?: string[];
}
type Rules<T> = { [K in keyof T]?: Rule<T[K]> | 'skip' };

/** `A valid, B INVALID` */
const flag =
  (yes: string, no: string) =>
  (a: boolean | undefined, b: boolean | undefined, l: Labels): string =>
    `${l.a} ${a === false ? no : yes}, ${l.b} ${b === false ? no : yes}`;

class Differ {
  readonly diffs: FingerprintDiff[] = [];
  constructor(readonly labels: Labels) {}

  missing(kind: DiffObjectKind, object: string, inSide: 'a' | 'b'): void {
    const message = `${kind} ${object}: missing in ${this.labels[inSide]}`;
    this.diffs.push({ kind, object, change: inSide === 'a' ? 'missing-in-a' : 'missing-in-b', message });
  }

  changed(kind: DiffObjectKind, object: string, property: string, a: unknown, b: unknown, detail: string): void {
    this.diffs.push({ kind, object, change: 'changed', property, a, b, message: `${kind} ${object}: ${detail}` });
  }

  /** Compares every property of `a` and `b`: those with a rule first, in rule order, then the rest. */
  properties<T extends object>(kind: DiffObjectKind, object: string, a: T, b: T, rules: Rules<T>): void {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    const ruled = Object.keys(rules);
    const rest = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !ruled.includes(k)).sort(compareText);
    const differing = new Set([...ruled, ...rest].filter((k) => !deepEqual(ra[k], rb[k])));
    for (const key of [...ruled, ...rest]) {
      const rule = (rules as Record<string, Rule<unknown> | 'skip' | undefined>)[key];
      if (rule === 'skip' || !differing.has(key)) continue;
      if (rule?.impliedBy?.some((k) => differing.has(k))) continue;
      const show = rule?.render ?? render;
      const detail = rule?.detail
        ? rule.detail(ra[key], rb[key], this.labels)
        : differs(rule?.label ?? key, show(ra[key]), show(rb[key]), this.labels);
      this.changed(kind, object, key, ra[key], rb[key], detail);
    }
  }

  /** Pairs two lists by key; reports one-sided entries, hands pairs to `compare`, in key order. */
  lists<T>(
    a: readonly T[],
    b: readonly T[],
    key: (t: T) => string,
    describe: (t: T) => { kind: DiffObjectKind; object: string },
    compare: (x: T, y: T) => void,
  ): void {
    const ma = new Map(a.map((t) => [key(t), t]));
    const mb = new Map(b.map((t) => [key(t), t]));
    for (const k of [...new Set([...ma.keys(), ...mb.keys()])].sort(compareText)) {
      const x = ma.get(k);
      const y = mb.get(k);
      if (x !== undefined && y !== undefined) compare(x, y);
      else if (x !== undefined) this.missing(describe(x).kind, describe(x).object, 'b');
      else if (y !== undefined) this.missing(describe(y).kind, describe(y).object, 'a');
    }
  }
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
  unlogged: { detail: flag('UNLOGGED', 'LOGGED') as Rule<true | undefined>['detail'] },
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
    detail: (a, b, l) => `${l.a} NOT NULL ${a === false ? 'NOT VALID' : 'validated'}, ${l.b} NOT NULL ${b === false ? 'NOT VALID' : 'validated'}`,
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
    d.changed(TABLE_KIND_LABELS[a.kind], table, 'column order', orderA, orderB, `column order differs: ${render(orderA)} vs ${render(orderB)}`);
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
