/**
 * Checkpoints (history.ts) as JSON text, for a cache that outlives the process. The
 * facts are plain data; maps and sets become arrays of entries, in their order.
 */
import type { SchemaState } from '../facts/model.js';
import type { Checkpoint } from './history.js';

/** Bump when the shape of a checkpoint or of the facts in it changes: older files are then ignored. */
const FORMAT = 2;

interface StateJson {
  tables: Array<[string, unknown]>;
  indexes: Array<[string, unknown]>;
  enums: Array<[string, unknown]>;
  domains: Array<[string, unknown]>;
  sequences: Array<[string, unknown]>;
  views: Array<[string, unknown]>;
  functions: string[];
  schemas: string[];
  extensions: string[];
}

interface CheckpointJson {
  format: number;
  migrations: number;
  source: StateJson;
  /** Null: the same state as `source`. */
  unmanaged: StateJson | null;
  functions: Array<[string, unknown]>;
  pending: unknown[];
  afterPrismaZd: boolean;
}

export function checkpointToJson(checkpoint: Checkpoint): string {
  const json: CheckpointJson = {
    format: FORMAT,
    migrations: checkpoint.migrations,
    source: stateToJson(checkpoint.source),
    unmanaged: checkpoint.unmanaged === checkpoint.source ? null : stateToJson(checkpoint.unmanaged),
    functions: [...checkpoint.functions],
    pending: [...checkpoint.pending],
    afterPrismaZd: checkpoint.afterPrismaZd,
  };
  return JSON.stringify(json);
}

/** The checkpoint in `text`, or undefined when it is not one of this format. */
export function checkpointFromJson(text: string): Checkpoint | undefined {
  let json: CheckpointJson;
  try {
    json = JSON.parse(text) as CheckpointJson;
  } catch {
    return undefined;
  }
  if (json?.format !== FORMAT) return undefined;
  const source = stateFromJson(json.source);
  return {
    migrations: json.migrations,
    source,
    unmanaged: json.unmanaged === null ? source : stateFromJson(json.unmanaged),
    functions: new Map(json.functions) as Checkpoint['functions'],
    pending: json.pending as Checkpoint['pending'],
    afterPrismaZd: json.afterPrismaZd,
  };
}

function stateToJson(state: SchemaState): StateJson {
  return {
    tables: [...state.tables],
    indexes: [...state.indexes],
    enums: [...state.enums],
    domains: [...state.domains],
    sequences: [...state.sequences],
    views: [...state.views],
    functions: [...state.functions],
    schemas: [...state.schemas],
    extensions: [...state.extensions],
  };
}

function stateFromJson(json: StateJson): SchemaState {
  return {
    tables: new Map(json.tables) as SchemaState['tables'],
    indexes: new Map(json.indexes) as SchemaState['indexes'],
    enums: new Map(json.enums) as SchemaState['enums'],
    domains: new Map(json.domains) as SchemaState['domains'],
    sequences: new Map(json.sequences) as SchemaState['sequences'],
    views: new Map(json.views) as SchemaState['views'],
    functions: new Set(json.functions),
    schemas: new Set(json.schemas),
    extensions: new Set(json.extensions),
  };
}
