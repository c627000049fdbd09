import { LayeredMap, LayeredSet } from './layered.js';
import type {
  DomainFacts,
  EnumFacts,
  IndexFacts,
  SchemaState,
  SequenceFacts,
  TableFacts,
  ViewFacts,
} from './model.js';

/** The schema before the first migration: an empty `public` schema. */
export function emptySchemaState(defaultSchema = 'public'): SchemaState {
  return {
    tables: new Map(),
    indexes: new Map(),
    enums: new Map(),
    domains: new Map(),
    sequences: new Map(),
    views: new Map(),
    functions: new Set(),
    schemas: new Set([defaultSchema]),
    extensions: new Set(),
  };
}

/**
 * Do two schemas hold the same facts, in the same order? Facts objects are never
 * mutated, so most are shared and compare by identity; the others are compared field
 * by field.
 */
export function sameSchema(a: SchemaState, b: SchemaState): boolean {
  return (
    sameEntries(a.tables, b.tables) &&
    sameEntries(a.indexes, b.indexes) &&
    sameEntries(a.enums, b.enums) &&
    sameEntries(a.domains, b.domains) &&
    sameEntries(a.sequences, b.sequences) &&
    sameEntries(a.views, b.views) &&
    sameEntries(a.functions, b.functions) &&
    sameEntries(a.schemas, b.schemas) &&
    sameEntries(a.extensions, b.extensions)
  );
}

function sameEntries<T>(a: ReadonlyMap<string, T> | ReadonlySet<string>, b: ReadonlyMap<string, T> | ReadonlySet<string>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  const other = b.entries();
  for (const [key, value] of a.entries()) {
    const next = other.next();
    if (next.done || next.value[0] !== key || !sameValue(value, next.value[1])) return false;
  }
  return true;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  const keys = Object.keys(a);
  const otherKeys = Object.keys(b);
  return (
    keys.length === otherKeys.length &&
    keys.every((k, i) => otherKeys[i] === k && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

type Maps = {
  tables: LayeredMap<string, TableFacts>;
  indexes: LayeredMap<string, IndexFacts>;
  enums: LayeredMap<string, EnumFacts>;
  domains: LayeredMap<string, DomainFacts>;
  sequences: LayeredMap<string, SequenceFacts>;
  views: LayeredMap<string, ViewFacts>;
};
type Sets = { functions: LayeredSet<string>; schemas: LayeredSet<string>; extensions: LayeredSet<string> };

/**
 * A schema being changed by the replay. `snapshot()` hands out the current collections
 * as an immutable `SchemaState` (frozen layers, see layered.ts), and the next change to a
 * collection goes to a new layer on top, so snapshots taken before every statement share
 * everything that did not change, at a cost proportional to the change. Facts objects
 * themselves are never mutated: changes replace them.
 */
export class Draft {
  #maps: Maps;
  #sets: Sets;
  #owned = new Set<string>();
  #last: SchemaState | undefined;
  /** A temporary table was created (it is dropped at the end of the migration). */
  tempTables = false;

  constructor(state: SchemaState) {
    this.#maps = {
      tables: LayeredMap.of(state.tables).freeze(),
      indexes: LayeredMap.of(state.indexes).freeze(),
      enums: LayeredMap.of(state.enums).freeze(),
      domains: LayeredMap.of(state.domains).freeze(),
      sequences: LayeredMap.of(state.sequences).freeze(),
      views: LayeredMap.of(state.views).freeze(),
    };
    this.#sets = {
      functions: LayeredSet.of(state.functions).freeze(),
      schemas: LayeredSet.of(state.schemas).freeze(),
      extensions: LayeredSet.of(state.extensions).freeze(),
    };
  }

  snapshot(): SchemaState {
    // Nothing written since the last snapshot (most statements change one collection or none): the same one.
    if (this.#last && this.#owned.size === 0) return this.#last;
    this.#owned.clear();
    // Spelled out rather than spread: a spread of the two records is many times slower, and
    // every reader of the schema then meets objects of one shape.
    const { tables, indexes, enums, domains, sequences, views } = this.#maps;
    const { functions, schemas, extensions } = this.#sets;
    return (this.#last = {
      tables: tables.freeze(),
      indexes: indexes.freeze(),
      enums: enums.freeze(),
      domains: domains.freeze(),
      sequences: sequences.freeze(),
      views: views.freeze(),
      functions: functions.freeze(),
      schemas: schemas.freeze(),
      extensions: extensions.freeze(),
    });
  }

  get tables(): ReadonlyMap<string, TableFacts> {
    return this.#maps.tables;
  }
  get indexes(): ReadonlyMap<string, IndexFacts> {
    return this.#maps.indexes;
  }
  get enums(): ReadonlyMap<string, EnumFacts> {
    return this.#maps.enums;
  }
  get domains(): ReadonlyMap<string, DomainFacts> {
    return this.#maps.domains;
  }
  get sequences(): ReadonlyMap<string, SequenceFacts> {
    return this.#maps.sequences;
  }
  get views(): ReadonlyMap<string, ViewFacts> {
    return this.#maps.views;
  }
  get functions(): ReadonlySet<string> {
    return this.#sets.functions;
  }
  get schemas(): ReadonlySet<string> {
    return this.#sets.schemas;
  }
  get extensions(): ReadonlySet<string> {
    return this.#sets.extensions;
  }

  /** A writable collection, copied on the first write after a snapshot. */
  map<K extends keyof Maps>(name: K): Maps[K] {
    if (!this.#owned.has(name)) {
      this.#maps[name] = this.#maps[name].derive() as Maps[K];
      this.#owned.add(name);
    }
    return this.#maps[name];
  }

  set<K extends keyof Sets>(name: K): Sets[K] {
    if (!this.#owned.has(name)) {
      this.#sets[name] = this.#sets[name].derive() as Sets[K];
      this.#owned.add(name);
    }
    return this.#sets[name];
  }

  /** Is there a relation (table, index, sequence, view) with this key? */
  relationExists(key: string): boolean {
    return this.tables.has(key) || this.indexes.has(key) || this.sequences.has(key) || this.views.has(key);
  }

  /** Is a constraint of this name on any table of the schema? */
  constraintNameExists(schema: string, name: string): boolean {
    for (const table of this.tables.values()) {
      if (table.schema === schema && table.constraints.some((c) => c.name === name)) return true;
    }
    return false;
  }
}
