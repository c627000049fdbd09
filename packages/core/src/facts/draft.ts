import type {
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
    sequences: new Map(),
    views: new Map(),
    functions: new Set(),
    schemas: new Set([defaultSchema]),
    extensions: new Set(),
  };
}

type Maps = {
  tables: Map<string, TableFacts>;
  indexes: Map<string, IndexFacts>;
  enums: Map<string, EnumFacts>;
  sequences: Map<string, SequenceFacts>;
  views: Map<string, ViewFacts>;
};
type Sets = { functions: Set<string>; schemas: Set<string>; extensions: Set<string> };

/**
 * A schema being changed by the replay. Copy-on-write: `snapshot()` hands out the
 * current collections as an immutable `SchemaState`, and the next change to a
 * collection copies it first, so snapshots taken before every statement share
 * everything that did not change. Facts objects themselves are never mutated:
 * changes replace them.
 */
export class Draft {
  #maps: Maps;
  #sets: Sets;
  #owned = new Set<string>();

  constructor(state: SchemaState) {
    this.#maps = {
      tables: state.tables as Map<string, TableFacts>,
      indexes: state.indexes as Map<string, IndexFacts>,
      enums: state.enums as Map<string, EnumFacts>,
      sequences: state.sequences as Map<string, SequenceFacts>,
      views: state.views as Map<string, ViewFacts>,
    };
    this.#sets = {
      functions: state.functions as Set<string>,
      schemas: state.schemas as Set<string>,
      extensions: state.extensions as Set<string>,
    };
  }

  snapshot(): SchemaState {
    this.#owned.clear();
    return { ...this.#maps, ...this.#sets };
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
      this.#maps[name] = new Map(this.#maps[name] as Map<string, never>) as Maps[K];
      this.#owned.add(name);
    }
    return this.#maps[name];
  }

  set<K extends keyof Sets>(name: K): Sets[K] {
    if (!this.#owned.has(name)) {
      this.#sets[name] = new Set(this.#sets[name]);
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
