/**
 * The machinery of fingerprint diffs: value equality and rendering, and `Differ`, which
 * pairs lists by key and reports every differing property through per-property rules.
 * What the rules are for each kind of object is in `diff.ts`.
 */
import type { ObjectName } from './types.js';

/** Code-unit order: the same on every machine, unlike `localeCompare`. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

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


/** Quotes a name for messages (always, like the SQL Prisma writes). Display only: never builds SQL. */
export function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export const qualified = (o: ObjectName) => `${quote(o.schema)}.${quote(o.name)}`;

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function render(v: unknown): string {
  if (v === undefined || v === null) return 'none';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return `[${v.map(render).join(', ')}]`;
  return JSON.stringify(v);
}

export type Labels = { a: string; b: string };

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
export interface Rule<V = never> {
  label?: string;
  render?: (v: V) => string;
  /** A whole custom detail, e.g. `A valid, B INVALID`. */
  detail?: (a: V, b: V, l: Labels) => string;
  /** Not reported when one of these properties already differs (it is part of their text). */
  impliedBy?: string[];
}
export type Rules<T> = { [K in keyof T]?: Rule<T[K]> | 'skip' };

/** `A valid, B INVALID` */
export const flag =
  (yes: string, no: string) =>
  (a: boolean | undefined, b: boolean | undefined, l: Labels): string =>
    `${l.a} ${a === false ? no : yes}, ${l.b} ${b === false ? no : yes}`;

export class Differ {
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
