import type { Node } from 'libpg-query';

/** Every AST node type name libpg-query can produce, e.g. `'IndexStmt'`. */
export type NodeKind = Node extends infer N ? (N extends unknown ? keyof N : never) : never;

/** The node type under a kind: `NodeOf<'IndexStmt'>` is `IndexStmt`. */
export type NodeOf<K extends NodeKind> = K extends unknown
  ? Extract<Node, Record<K, unknown>> extends infer N
    ? N[K & keyof N]
    : never
  : never;

/** The kind of a wrapped node (`{ IndexStmt: {...} }` → `'IndexStmt'`). */
export function nodeKind(node: Node): NodeKind {
  return Object.keys(node)[0] as NodeKind;
}

/** The inner node when `node` is of `kind`, else undefined. */
export function asNode<K extends NodeKind>(node: Node | undefined, kind: K): NodeOf<K> | undefined {
  if (node === undefined) return undefined;
  return (node as Record<string, unknown>)[kind] as NodeOf<K> | undefined;
}

/** `String` node value (identifiers in name lists). */
export function stringValue(node: Node | undefined): string | undefined {
  return asNode(node, 'String')?.sval;
}

/** The values of a list of `String` nodes, e.g. a qualified name `["public", "User"]`. */
/** The name of an object a `DROP` statement lists, as written: `["public", "Role"]` (a type is a TypeName, a relation a List). */
export function droppedName(object: Node | undefined): string[] {
  const typeName = asNode(object, 'TypeName');
  return typeName ? stringList(typeName.names) : stringList(asNode(object, 'List')?.items);
}

export function stringList(nodes: readonly Node[] | undefined): string[] {
  const out: string[] = [];
  for (const n of nodes ?? []) {
    const s = stringValue(n);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** Items of a `List` node (DROP's object names, OWNED BY targets). */
export function listItems(node: Node | undefined): Node[] {
  return asNode(node, 'List')?.items ?? [];
}

/**
 * Smallest `location` (a byte offset into the parsed text) found anywhere in `value`,
 * or undefined. Used to locate an expression's first token.
 */
export function minLocation(value: unknown): number | undefined {
  let min: number | undefined;
  visitLocations(value, (loc) => {
    if (min === undefined || loc < min) min = loc;
  });
  return min;
}

/** Largest `location` found anywhere in `value`, or undefined. */
export function maxLocation(value: unknown): number | undefined {
  let max: number | undefined;
  visitLocations(value, (loc) => {
    if (max === undefined || loc > max) max = loc;
  });
  return max;
}

function visitLocations(value: unknown, visit: (location: number) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) visitLocations(v, visit);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'location' && typeof v === 'number' && v >= 0) visit(v);
      else visitLocations(v, visit);
    }
  }
}

/**
 * Names of the columns an expression refers to (`ColumnRef`s, last field, in order of
 * first appearance, without duplicates). Does not descend into subqueries' own tables:
 * callers use it on defaults, index expressions and CHECK expressions of one table.
 */
export function referencedColumns(value: unknown): string[] {
  const names: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const item of v) visit(item);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const ref = (v as { ColumnRef?: { fields?: Node[] } }).ColumnRef;
    if (ref) {
      const last = ref.fields?.[ref.fields.length - 1];
      const name = stringValue(last);
      if (name !== undefined && !names.includes(name)) names.push(name);
      return;
    }
    for (const child of Object.values(v)) visit(child);
  };
  visit(value);
  return names;
}
