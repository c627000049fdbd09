import { quoteIdent } from '../sql/ident.js';

/*
 * The schema model replayed from a migration history.
 *
 * Objects are keyed by their quoted, schema-qualified name, e.g. `"public"."User"`
 * (`relationKey`); columns and constraints append their own quoted name to their
 * table's key (`"public"."User"."email"`). Names are exact: the parser has already
 * folded unquoted identifiers to lower case and kept quoted ones.
 *
 * Every object records `createdIn`, the migration that created it (kept across
 * renames), so "was this table created in this same migration?" is
 * `table.createdIn === migration.name`.
 */

export function relationKey(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

export function columnKey(tableKey: string, column: string): string {
  return `${tableKey}.${quoteIdent(column)}`;
}

export function constraintKey(tableKey: string, constraint: string): string {
  return `${tableKey}.${quoteIdent(constraint)}`;
}

export interface ColumnType {
  /** Canonical name: `integer`, `character varying`, `timestamp without time zone`, or a user type's name (`Role`). */
  readonly name: string;
  /** Schema of a user-defined type (an enum or a domain); absent for built-in types. */
  readonly schema?: string;
  /** Type modifiers as written: `[3]` for `timestamp(3)`, `[65, 30]` for `decimal(65,30)`. */
  readonly mods: readonly (number | string)[];
  /** Number of array dimensions (`text[]` → 1). */
  readonly arrayDims: number;
  /** Rendered like PostgreSQL's `format_type`: `timestamp(3) without time zone`, `"Role"[]`. */
  readonly text: string;
}

export interface ColumnFacts {
  readonly name: string;
  readonly type: ColumnType;
  /** The default expression as written in the SQL, or undefined when there is none. */
  readonly default?: string;
  /** Key of the sequence the column draws from: a `nextval(…)` default (serial columns) or an identity. */
  readonly defaultSequence?: string;
  /**
   * Keys of the enums the stored default depends on: enum casts in it and the column's
   * enum type when it was set (PostgreSQL keeps that cast when the column type changes),
   * so `DROP TYPE … CASCADE` removes the default.
   */
  readonly defaultTypes?: readonly string[];
  readonly notNull: boolean;
  readonly identity?: 'always' | 'by default';
  /** `GENERATED ALWAYS AS (…) STORED`. */
  readonly generated?: boolean;
  readonly createdIn: string;
}

export type IndexKey = { readonly column: string } | { readonly expression: string };

export interface IndexFacts {
  readonly key: string;
  readonly schema: string;
  readonly name: string;
  /** Key of the indexed table. */
  readonly table: string;
  readonly unique: boolean;
  readonly primary: boolean;
  /** Name of the constraint this index implements (PRIMARY KEY, UNIQUE, EXCLUDE). */
  readonly constraint?: string;
  readonly keys: readonly IndexKey[];
  /**
   * The index's own column names (its `pg_attribute` rows), keys then INCLUDE columns:
   * the column's name, or the name PostgreSQL derives for an expression (`lower`, `expr`).
   */
  readonly columnNames: readonly string[];
  /** INCLUDE columns. */
  readonly include: readonly string[];
  readonly method: string;
  readonly partial: boolean;
  /** The predicate of a partial index, as written. */
  readonly where?: string;
  readonly nullsNotDistinct: boolean;
  /** Every column the index depends on (keys, INCLUDE, expressions, predicate): dropping one drops the index. */
  readonly columnsReferenced: readonly string[];
  readonly createdIn: string;
}

/** `pg_constraint.contype`: primary key, unique, foreign key, check, exclusion. */
export type ConstraintType = 'p' | 'u' | 'f' | 'c' | 'x';

export interface ConstraintFacts {
  readonly name: string;
  /** Key of the constrained table. */
  readonly table: string;
  readonly contype: ConstraintType;
  /** Constrained columns; for a check constraint, the columns its expression uses. */
  readonly columns: readonly string[];
  /** Foreign keys: the referenced table's key and columns (empty when the SQL omitted them: the referenced primary key). */
  readonly references?: { readonly table: string; readonly columns: readonly string[] };
  /** Foreign keys: `ON DELETE` / `ON UPDATE` actions as pg_constraint letters (a, r, c, n, d). */
  readonly onDelete?: string;
  readonly onUpdate?: string;
  /** Check constraints: the expression as written. */
  readonly expression?: string;
  /** Added `NOT VALID` and not validated since. */
  readonly notValid: boolean;
  /** Key of the index behind a primary key, unique or exclusion constraint. */
  readonly index?: string;
  readonly deferrable: boolean;
  readonly createdIn: string;
}

export interface TableFacts {
  readonly key: string;
  readonly schema: string;
  readonly name: string;
  readonly columns: readonly ColumnFacts[];
  readonly constraints: readonly ConstraintFacts[];
  readonly triggers: readonly string[];
  /** `PARTITION BY …`: a partitioned parent (no `CREATE INDEX CONCURRENTLY` on it). */
  readonly partitioned: boolean;
  /** `PARTITION OF …`: key of the parent. */
  readonly partitionOf?: string;
  /** False when some columns could not be known (`CREATE TABLE … AS`, `LIKE`/`INHERITS` of an unknown table). */
  readonly complete: boolean;
  readonly createdIn: string;
}

export interface EnumFacts {
  readonly key: string;
  readonly schema: string;
  readonly name: string;
  readonly values: readonly string[];
  readonly createdIn: string;
}

/** A constraint of a domain: `CHECK (…)` or `NOT NULL`. */
export interface DomainConstraint {
  readonly name: string;
  readonly kind: 'check' | 'not-null';
  /** Check constraints: the expression as written (`VALUE > 0`). */
  readonly expression?: string;
  /** Added `NOT VALID` and not validated since (PostgreSQL still checks new values). */
  readonly notValid: boolean;
}

/** `CREATE DOMAIN`: a type over another type (built-in, an enum or another domain), with constraints and a default. */
export interface DomainFacts {
  readonly key: string;
  readonly schema: string;
  readonly name: string;
  /** The type it is over; another domain when `base.schema` names one (`domainChain` follows it). */
  readonly base: ColumnType;
  readonly constraints: readonly DomainConstraint[];
  /** The default expression as written; a column of the domain without a default of its own gets it. */
  readonly default?: string;
  /** Functions the default calls (unqualified names): a volatile one gives each row its own value. */
  readonly defaultCalls?: readonly string[];
  readonly createdIn: string;
}

export interface SequenceFacts {
  readonly key: string;
  readonly schema: string;
  readonly name: string;
  /** `OWNED BY`: dropped with that column or its table. */
  readonly ownedBy?: { readonly table: string; readonly column: string };
  readonly createdIn: string;
}

export interface ViewFacts {
  readonly key: string;
  readonly schema: string;
  readonly name: string;
  readonly materialized: boolean;
  readonly createdIn: string;
}

export interface SchemaState {
  readonly tables: ReadonlyMap<string, TableFacts>;
  readonly indexes: ReadonlyMap<string, IndexFacts>;
  readonly enums: ReadonlyMap<string, EnumFacts>;
  /** Domains by key (types share one namespace per schema with enums: a key is in one map at most). */
  readonly domains: ReadonlyMap<string, DomainFacts>;
  readonly sequences: ReadonlyMap<string, SequenceFacts>;
  readonly views: ReadonlyMap<string, ViewFacts>;
  /** Keys `"schema"."name"` of functions and procedures (bodies are not analysed). */
  readonly functions: ReadonlySet<string>;
  readonly schemas: ReadonlySet<string>;
  readonly extensions: ReadonlySet<string>;
}

export type ObjectKind =
  | 'table'
  | 'column'
  | 'index'
  | 'constraint'
  | 'enum'
  | 'domain'
  | 'sequence'
  | 'view'
  | 'function'
  | 'trigger'
  | 'schema'
  | 'extension';

export type TouchAction =
  | 'create'
  | 'drop'
  | 'rename'
  /** Moved by `SET SCHEMA`; `newKey` holds the new key. */
  | 'set-schema'
  | 'alter'
  | 'validate'
  /** Used without being changed: a foreign key's referenced table, `LIKE`, a trigger's function. */
  | 'reference'
  /** Rows inserted, updated or deleted. */
  | 'write'
  | 'read'
  | 'lock';

/** One object a statement acts on. */
export interface Touch {
  readonly object: ObjectKind;
  /** The object's key when the statement runs (before a rename takes effect). */
  readonly key: string;
  readonly action: TouchAction;
  /**
   * What changed, for `alter`: `add-column`, `set-default`, `drop-default`, `type`,
   * `set-not-null`, `drop-not-null`, `add-constraint`, `add-index`, `add-value`,
   * `rename-value`, `owned-by`, `identity`, `no-op` (ownership, RLS, storage…), or the
   * PostgreSQL subcommand name when nothing more specific applies.
   */
  readonly change?: string;
  /** New key after `rename` or `set-schema`. */
  readonly newKey?: string;
  /** A consequence of another touch: an index dropped with its column, a foreign key dropped by CASCADE. */
  readonly implicit?: boolean;
  /** The object was created earlier in the same migration (always true for `create`). */
  readonly createdInMigration: boolean;
}

export interface StatementFacts {
  /** The statement's index in its `ParsedSql`. */
  readonly index: number;
  readonly kind: string;
  /**
   * False when the replay does not know what the statement does to the schema: a
   * statement kind it does not model, a table it has never seen, a `DO` block or `CALL`.
   * The schema after such a statement may differ from the real one.
   */
  readonly understood: boolean;
  /**
   * The statement contains code the replay does not look into: a `DO` block (not
   * understood) or a function/procedure body (`CREATE FUNCTION` is understood: creating
   * it changes no table; what the body does when called is unknown).
   */
  readonly opaque?: 'do-block' | 'function-body';
  readonly touches: readonly Touch[];
  /** Why the statement is not (fully) understood, or what did not match the replayed schema. */
  readonly notes: readonly string[];
  /** The schema just before this statement. */
  readonly before: SchemaState;
  /** The search_path its unqualified names are resolved with (`SET search_path`, `set_config` earlier in the migration). */
  readonly searchPath: readonly string[];
}

export interface CreatedObjects {
  readonly tables: ReadonlySet<string>;
  /** Column keys of columns created in this migration (in new or existing tables). */
  readonly columns: ReadonlySet<string>;
  readonly indexes: ReadonlySet<string>;
  /** Constraint keys. */
  readonly constraints: ReadonlySet<string>;
  readonly enums: ReadonlySet<string>;
  readonly sequences: ReadonlySet<string>;
}

export interface MigrationFacts {
  readonly name: string;
  readonly before: SchemaState;
  readonly after: SchemaState;
  /** Objects created in this migration that still exist at its end, by their final keys. */
  readonly created: CreatedObjects;
  readonly statements: readonly StatementFacts[];
  /** Number of statements not understood. */
  readonly notUnderstood: number;
  /**
   * The session-level search_path the file leaves set, when it is not the one it started
   * with: Prisma runs its own bookkeeping and the next migrations on the same connection.
   * `statement`: the (view's) statement that set it last.
   */
  readonly sessionSearchPath?: { readonly path: readonly string[]; readonly statement: number };
  /** The file did not parse: the replay covers only the statements before the error. */
  readonly parseError?: string;
}
