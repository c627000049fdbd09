/**
 * The schema fingerprint: a deterministic, JSON-serialisable description of a live
 * database's schema, read from the catalogs. Two databases have the same schema exactly
 * when their fingerprints are deeply equal.
 *
 * Determinism rules:
 * - every list is sorted by name (code-unit order, not locale order), except the
 *   columns of a relation (attnum order of live columns: column order is part of the
 *   schema) and enum values (`enumsortorder`);
 * - no OIDs, no attnums, no sizes, owners, privileges or tablespaces;
 * - SQL text from the server's deparsers (`pg_get_indexdef`, `pg_get_constraintdef`, …)
 *   is produced under a fixed `search_path` (`pg_catalog, public`), so names in
 *   `public` and in `pg_catalog` appear unqualified and every other name qualified,
 *   whatever the caller's session had;
 * - optional fields are absent (never `undefined`, never `null`) when they hold the
 *   default, so `JSON.parse(JSON.stringify(fp))` deep-equals `fp`.
 */

/** A schema-qualified object name, as stored (unquoted). */
export interface ObjectName {
  schema: string;
  name: string;
}

export interface SchemaFingerprint {
  /** Fingerprint format; bump when the shape changes. */
  format: 1;
  /** The schemas described, sorted. */
  schemas: string[];
  /** Database-wide: extensions are listed whatever `schemas` selects. */
  extensions: ExtensionFingerprint[];
  /** Tables, partitioned tables, views, materialized views and foreign tables. */
  tables: TableFingerprint[];
  enums: EnumFingerprint[];
  sequences: SequenceFingerprint[];
  /** Functions, procedures, aggregates and window functions not owned by an extension. */
  functions: FunctionFingerprint[];
}

export interface ExtensionFingerprint {
  name: string;
  schema: string;
  version: string;
}

export type TableKind = 'table' | 'partitioned' | 'view' | 'matview' | 'foreign';

export interface TableFingerprint extends ObjectName {
  kind: TableKind;
  /** Live columns in attnum order. */
  columns: ColumnFingerprint[];
  constraints: ConstraintFingerprint[];
  indexes: IndexFingerprint[];
  /** User triggers (internal ones and clones on partitions excluded). */
  triggers: TriggerFingerprint[];
  /** `pg_get_partkeydef`, for partitioned tables: `RANGE ("createdAt")`. */
  partitionKey?: string;
  /** For a partition: its parent and `FOR VALUES …` bound. */
  partitionOf?: { parent: ObjectName; bound: string };
  /** Inheritance parents (not partitioning), in `inhseqno` order. */
  inherits?: ObjectName[];
  /** `pg_get_viewdef` of a view or materialized view. */
  definition?: string;
  /** Present only for an UNLOGGED table. */
  unlogged?: true;
  /** `ENABLE ROW LEVEL SECURITY`; absent when off. */
  rowSecurity?: true;
  /** `FORCE ROW LEVEL SECURITY`; absent when off. */
  forceRowSecurity?: true;
  /** Storage parameters (`reloptions`), e.g. `fillfactor=70`. */
  options?: string[];
  comment?: string;
}

export interface ColumnFingerprint {
  name: string;
  /** `format_type(atttypid, atttypmod)`: `integer`, `character varying(191)`, `"Role"[]`. */
  type: string;
  /** Present only when it differs from the type's default collation: `pg_catalog."C"`. */
  collation?: string;
  notNull: boolean;
  /** PostgreSQL 18: present (false) for a `NOT NULL … NOT VALID` constraint. */
  notNullValidated?: false;
  /** `pg_get_expr` of the default; absent when there is none. */
  default?: string;
  identity?: 'always' | 'by default';
  /** A generated column's expression (`default` is then absent). */
  generated?: { kind: 'stored' | 'virtual'; expression: string };
  comment?: string;
}

export type ConstraintType = 'primary key' | 'unique' | 'foreign key' | 'check' | 'exclusion';

export interface ConstraintFingerprint {
  name: string;
  type: ConstraintType;
  /**
   * `pg_get_constraintdef`, without the trailing ` NOT VALID` (that is `validated`), so a
   * validity difference and a definition difference are reported separately.
   */
  definition: string;
  validated: boolean;
  deferrable: boolean;
  initiallyDeferred: boolean;
}

export interface IndexFingerprint {
  name: string;
  /** `pg_get_indexdef`. */
  definition: string;
  /** `indisvalid`: false for a failed `CREATE INDEX CONCURRENTLY`. */
  valid: boolean;
  /** `indisready`: false while (or after a failed) concurrent build's first phase. */
  ready: boolean;
  primary: boolean;
  unique: boolean;
  /** The primary key, unique or exclusion constraint this index backs. */
  constraint?: string;
}

export interface TriggerFingerprint {
  name: string;
  /** `pg_get_triggerdef`. */
  definition: string;
  /** Absent when enabled normally (`tgenabled = 'O'`). */
  enabled?: 'disabled' | 'replica' | 'always';
}

export interface EnumFingerprint extends ObjectName {
  /** Labels in `enumsortorder` order. */
  values: string[];
}

export interface SequenceFingerprint extends ObjectName {
  /** `smallint`, `integer` or `bigint`. */
  type: string;
  /** int8 values as decimal strings. */
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  /** `OWNED BY` (serial) or identity column. */
  ownedBy?: { schema: string; table: string; column: string; identity: boolean };
}

export type FunctionKind = 'function' | 'procedure' | 'aggregate' | 'window';

export interface FunctionFingerprint extends ObjectName {
  /** `pg_get_function_identity_arguments`: overloads are distinct functions. */
  arguments: string;
  kind: FunctionKind;
  /** `pg_get_function_result`; absent for procedures. */
  result?: string;
  /** `pg_get_functiondef`; absent for aggregates (PostgreSQL cannot deparse them). */
  definition?: string;
}

export interface FingerprintOptions {
  /**
   * The schemas to describe. Default: every schema except PostgreSQL's own (`pg_*`,
   * `information_schema`) and prisma-zd's bookkeeping schema `prisma_zd`. Naming
   * `prisma_zd` here includes it.
   */
  schemas?: string[];
  exclude?: {
    schemas?: string[];
    /**
     * Tables to leave out, as `name` (in any schema) or `schema.name`; with a table go
     * its columns, constraints, indexes, triggers and the sequences it owns. Prisma's
     * `_prisma_migrations` is always left out.
     */
    tables?: string[];
  };
}
