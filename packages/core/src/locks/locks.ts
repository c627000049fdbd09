/**
 * Which table locks a migration statement takes, read from the parsed statement
 * (PostgreSQL's "Explicit Locking" table, chapter 13.3), so `deploy` can say what a
 * pending migration will block before it runs: `ALTER TABLE … ADD COLUMN` takes ACCESS
 * EXCLUSIVE (reads queue behind it), `CREATE INDEX` takes SHARE (writes wait for the
 * whole build), `ADD FOREIGN KEY` takes SHARE ROW EXCLUSIVE on both tables, and dropping
 * or rebuilding a foreign key (`DROP CONSTRAINT`, `DROP TABLE`, `DROP COLUMN`, `ALTER
 * COLUMN … TYPE` of a key column) takes ACCESS EXCLUSIVE on the table at its other end.
 * Each mode and cost is checked against a real server (pg_locks, relfilenode, blocks
 * read) in test/check/locks-empirical.test.ts.
 *
 * prisma-zd's own blocks are described by what they do on a managed database: a
 * postponed or deferred statement only inserts a queue row (no lock on the user's
 * table; a postponed NOT NULL also adds its check NOT VALID, a brief ACCESS EXCLUSIVE);
 * a maintenance block may take the locks of the statements it runs.
 */
import type { Node, RangeVar } from 'libpg-query';
import { bodySql } from '../check/plpgsql.js';
import { columnType } from '../facts/column-type.js';
import { fromDomains } from '../facts/domains.js';
import { relationKey, type SchemaState, type TableFacts } from '../facts/model.js';
import { asNode, listItems, stringList, type NodeOf } from '../sql/nodes.js';
import { parseSql, type Statement } from '../sql/parse.js';
import { ZD_SCHEMA, type BlockRole } from '../zd/blocks.js';
import { doBody, zdBlockOf } from '../zd/view.js';
import { foreignKeysAt, type ForeignKeyEnd } from './foreign-keys.js';
import { provenNotNull, typeChange, usingExpression } from './type-change.js';

/** PostgreSQL's table lock modes, weakest first. */
export const LOCK_MODES = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
] as const;
export type LockMode = (typeof LOCK_MODES)[number];

/** What an application notices while a migration holds (or waits for) the lock. */
export const LOCK_EFFECT: Readonly<Record<LockMode, string>> = {
  'ACCESS SHARE': 'blocks nothing but ACCESS EXCLUSIVE',
  'ROW SHARE': 'blocks nothing but EXCLUSIVE and ACCESS EXCLUSIVE',
  'ROW EXCLUSIVE': 'locks the rows it changes until the migration commits',
  'SHARE UPDATE EXCLUSIVE': 'reads and writes continue',
  SHARE: 'blocks writes; reads continue',
  'SHARE ROW EXCLUSIVE': 'blocks writes; reads continue',
  EXCLUSIVE: 'blocks writes; only plain reads continue',
  'ACCESS EXCLUSIVE': 'blocks every read and write',
};

export function lockRank(mode: LockMode): number {
  return LOCK_MODES.indexOf(mode);
}

export function strongerLock(a: LockMode, b: LockMode): LockMode {
  return lockRank(a) >= lockRank(b) ? a : b;
}

/** Why holding the lock may take long: the statement reads, rewrites or indexes the whole table. */
export type LockCost = 'scan' | 'rewrite' | 'build';

export interface TableLock {
  readonly schema: string;
  readonly name: string;
  /** `relationKey(schema, name)`, the key of the replayed facts. */
  readonly key: string;
  readonly mode: LockMode;
  /** What takes it, e.g. `ADD COLUMN`, `referenced by a foreign key`. */
  readonly what: string;
  readonly cost?: LockCost;
}

export interface StatementLocks {
  /** One entry per table: its strongest lock. */
  readonly locks: readonly TableLock[];
  /** For prisma-zd's blocks: the role and the statement carried. */
  readonly zd?: { readonly role: BlockRole; readonly original?: string };
  /** The statement runs code whose locks are not known (a `DO` block, a function call). */
  readonly opaque?: string;
}

export interface LockContext {
  /** Schema of unqualified names (the first of the search path). Default `public`. */
  readonly defaultSchema?: string;
  /**
   * The schema just before the statement (replayed facts): finds the table of an index,
   * the foreign keys at the other end of a dropped or retyped column, whether a type
   * change rewrites. Without it, the costs are the worst case.
   */
  readonly before?: SchemaState;
  /** The migration the statement belongs to: a foreign key added to a table it created checks no rows. */
  readonly migration?: string;
  /** Major version of the server (default 14): SET NOT NULL skips its scan on 12+ when a valid CHECK proves it. */
  readonly postgresVersion?: number;
}

/** Lock modes by number, as `LockStmt.mode` stores them (1 = ACCESS SHARE … 8 = ACCESS EXCLUSIVE). */
const BY_NUMBER: Record<number, LockMode> = Object.fromEntries(LOCK_MODES.map((m, i) => [i + 1, m]));

/** ALTER TABLE subcommands weaker than ACCESS EXCLUSIVE. */
const ALTER_MODES: Readonly<Record<string, LockMode>> = {
  AT_ValidateConstraint: 'SHARE UPDATE EXCLUSIVE',
  AT_SetStatistics: 'SHARE UPDATE EXCLUSIVE',
  AT_SetOptions: 'SHARE UPDATE EXCLUSIVE',
  AT_ResetOptions: 'SHARE UPDATE EXCLUSIVE',
  AT_SetRelOptions: 'SHARE UPDATE EXCLUSIVE',
  AT_ResetRelOptions: 'SHARE UPDATE EXCLUSIVE',
  AT_ClusterOn: 'SHARE UPDATE EXCLUSIVE',
  AT_DropCluster: 'SHARE UPDATE EXCLUSIVE',
  AT_AttachPartition: 'SHARE UPDATE EXCLUSIVE',
  AT_EnableTrig: 'SHARE ROW EXCLUSIVE',
  AT_EnableAlwaysTrig: 'SHARE ROW EXCLUSIVE',
  AT_EnableReplicaTrig: 'SHARE ROW EXCLUSIVE',
  AT_DisableTrig: 'SHARE ROW EXCLUSIVE',
  AT_EnableTrigAll: 'SHARE ROW EXCLUSIVE',
  AT_DisableTrigAll: 'SHARE ROW EXCLUSIVE',
  AT_EnableTrigUser: 'SHARE ROW EXCLUSIVE',
  AT_DisableTrigUser: 'SHARE ROW EXCLUSIVE',
};

/** Functions whose value differs per row: a column default calling one rewrites the table. */
const VOLATILE = new Set(['random', 'gen_random_uuid', 'uuid_generate_v4', 'uuid_generate_v1', 'clock_timestamp', 'timeofday', 'nextval']);

class Collector {
  private readonly byKey = new Map<string, TableLock>();
  constructor(private readonly ctx: LockContext) {}

  get defaultSchema(): string {
    return this.ctx.defaultSchema ?? 'public';
  }

  add(rel: { schema?: string; name: string }, mode: LockMode, what: string, cost?: LockCost): void {
    const schema = rel.schema ?? this.defaultSchema;
    if (schema === ZD_SCHEMA) return; // Our bookkeeping, not the application's tables.
    const key = relationKey(schema, rel.name);
    // A table created by this migration holds no rows: nothing to scan, rewrite or index.
    if (cost && this.isNew(this.ctx.before?.tables.get(key))) cost = undefined;
    const prev = this.byKey.get(key);
    if (prev && lockRank(prev.mode) > lockRank(mode)) {
      if (cost && !prev.cost) this.byKey.set(key, { ...prev, cost });
      return;
    }
    const keep = prev && lockRank(prev.mode) === lockRank(mode) ? `${prev.what}, ${what}` : what;
    this.byKey.set(key, { schema, name: rel.name, key, mode, what: keep, ...((cost ?? prev?.cost) ? { cost: cost ?? prev!.cost! } : {}) });
  }

  range(rv: RangeVar | undefined, mode: LockMode, what: string, cost?: LockCost): void {
    if (rv?.relname) this.add({ ...(rv.schemaname === undefined ? {} : { schema: rv.schemaname }), name: rv.relname }, mode, what, cost);
  }

  /** The table a RangeVar names, as the replayed facts know it just before the statement. */
  table(rv: { schemaname?: string; relname?: string } | undefined): TableFacts | undefined {
    return rv?.relname === undefined ? undefined : this.ctx.before?.tables.get(relationKey(rv.schemaname ?? this.defaultSchema, rv.relname));
  }

  /** The table was created by the statement's own migration (it holds no rows yet). */
  isNew(object: { readonly createdIn: string } | undefined): boolean {
    return object !== undefined && this.ctx.migration !== undefined && object.createdIn === this.ctx.migration;
  }

  get before(): SchemaState | undefined {
    return this.ctx.before;
  }

  get postgresVersion(): number {
    return this.ctx.postgresVersion ?? 14;
  }

  /** `foreignKeysAt` in the schema before the statement. */
  foreignKeysOf(table: TableFacts, columns?: readonly string[]): ForeignKeyEnd[] {
    return this.ctx.before ? foreignKeysAt(this.ctx.before, table, columns) : [];
  }

  /** The table an index belongs to (from the replayed facts), or the index itself when unknown. */
  indexTable(names: string[]): { schema?: string; name: string } {
    const name = names[names.length - 1] ?? '';
    const schema = names.length > 1 ? names[names.length - 2] : undefined;
    const idx = this.ctx.before?.indexes.get(relationKey(schema ?? this.defaultSchema, name));
    const table = idx ? this.ctx.before?.tables.get(idx.table) : undefined;
    if (table) return { schema: table.schema, name: table.name };
    return { ...(schema === undefined ? {} : { schema }), name };
  }

  result(extra: Omit<StatementLocks, 'locks'> = {}): StatementLocks {
    return { locks: [...this.byKey.values()], ...extra };
  }
}

function hasOption(options: readonly Node[] | undefined, name: string): boolean {
  return (options ?? []).some((o) => asNode(o, 'DefElem')?.defname === name);
}

function containsVolatileCall(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(containsVolatileCall);
  if (value === null || typeof value !== 'object') return false;
  const call = (value as { FuncCall?: { funcname?: Node[] } }).FuncCall;
  if (call && VOLATILE.has(stringList(call.funcname).at(-1) ?? '')) return true;
  return Object.values(value).some(containsVolatileCall);
}

/**
 * A new column of a domain with constraints (checked on every row), or one without a DEFAULT
 * of its own that takes a domain's volatile default: PostgreSQL rewrites the table
 * (measured in test/check/handwritten-locks.test.ts).
 */
function domainRewrites(c: Collector, typeName: NodeOf<'TypeName'> | undefined, hasDefault: boolean): boolean {
  const before = c.before;
  if (!typeName || !before?.domains) return false;
  const type = columnType(typeName, (name) => (before.domains.has(relationKey(c.defaultSchema, name)) ? c.defaultSchema : undefined));
  if (type.schema === undefined) return false;
  const { constraints, defaultFrom } = fromDomains(before, type);
  return constraints.length > 0 || (!hasDefault && (defaultFrom?.defaultCalls ?? []).some((f) => VOLATILE.has(f)));
}

/**
 * Foreign keys among `constraints`: SHARE ROW EXCLUSIVE on the referenced tables, read
 * when the key `validates` existing values.
 */
function foreignKeys(c: Collector, constraints: readonly Node[] | undefined, validates: boolean): boolean {
  let any = false;
  for (const n of constraints ?? []) {
    const con = asNode(n, 'Constraint');
    if (con?.contype === 'CONSTR_FOREIGN') {
      c.range(con.pktable, 'SHARE ROW EXCLUSIVE', 'referenced by a foreign key', validates && !con.skip_validation ? 'scan' : undefined);
      any = true;
    }
  }
  return any;
}

/** Every column of the key was added by this migration without a default: each row holds NULL, nothing to look up. */
function newNullColumns(c: Collector, table: TableFacts | undefined, columns: readonly string[]): boolean {
  if (!table || columns.length === 0) return false;
  return columns.every((name) => {
    const col = table.columns.find((x) => x.name === name);
    return col !== undefined && c.isNew(col) && col.default === undefined && col.identity === undefined && !col.generated;
  });
}

/** Dropping `table`'s foreign keys that involve `columns` takes ACCESS EXCLUSIVE on the table at their other end (its triggers go). */
function droppedForeignKeys(c: Collector, table: TableFacts | undefined, columns: readonly string[] | undefined, cascade: boolean): void {
  if (!table) return;
  for (const { other, outgoing } of c.foreignKeysOf(table, columns)) {
    // A key of another table that references the dropped object goes only with CASCADE (otherwise the statement fails).
    if (outgoing || cascade) c.add(other, 'ACCESS EXCLUSIVE', outgoing ? 'referenced by a dropped foreign key' : 'its foreign key is dropped');
  }
}

function alterTable(c: Collector, node: NodeOf<'AlterTableStmt'>): void {
  const rel = node.relation;
  if (node.objtype === 'OBJECT_INDEX') {
    const table = c.indexTable([...(rel?.schemaname === undefined ? [] : [rel.schemaname]), rel?.relname ?? '']);
    c.add(table, 'SHARE UPDATE EXCLUSIVE', 'ALTER INDEX');
    return;
  }
  for (const item of node.cmds ?? []) {
    const cmd = asNode(item, 'AlterTableCmd');
    if (!cmd?.subtype) continue;
    const sub = cmd.subtype;
    const what =
      sub === 'AT_ColumnDefault'
        ? cmd.def
          ? 'SET DEFAULT'
          : 'DROP DEFAULT'
        : sub.replace(/^AT_/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
    const weaker = ALTER_MODES[sub];
    if (sub === 'AT_AddConstraint') {
      const con = asNode(cmd.def, 'Constraint');
      if (con?.contype === 'CONSTR_FOREIGN') {
        // The table's rows are checked (all of them); the referenced table is looked up for each non-null key.
        c.range(rel, 'SHARE ROW EXCLUSIVE', 'ADD FOREIGN KEY', con.skip_validation ? undefined : 'scan');
        foreignKeys(c, [cmd.def!], !newNullColumns(c, c.table(rel), stringList(con.fk_attrs)));
        continue;
      }
      const scans = con?.contype === 'CONSTR_CHECK' && !con.skip_validation;
      const builds = (con?.contype === 'CONSTR_PRIMARY' || con?.contype === 'CONSTR_UNIQUE' || con?.contype === 'CONSTR_EXCLUSION') && !con.indexname;
      c.range(rel, 'ACCESS EXCLUSIVE', 'ADD CONSTRAINT', scans ? 'scan' : builds ? 'build' : undefined);
      continue;
    }
    if (sub === 'AT_AddColumn') {
      const col = asNode(cmd.def, 'ColumnDef');
      const cons = col?.constraints ?? [];
      const rewrites =
        cons.some((n) => {
          const k = asNode(n, 'Constraint');
          return (k?.contype === 'CONSTR_DEFAULT' && containsVolatileCall(k.raw_expr)) || k?.contype === 'CONSTR_GENERATED' || k?.contype === 'CONSTR_IDENTITY';
        }) || /^(small|big)?serial[248]?$/.test(stringList(col?.typeName?.names).at(-1) ?? '') ||
        domainRewrites(c, col?.typeName, cons.some((n) => asNode(n, 'Constraint')?.contype === 'CONSTR_DEFAULT'));
      c.range(rel, 'ACCESS EXCLUSIVE', 'ADD COLUMN', rewrites ? 'rewrite' : undefined);
      // A new column is NULL in every row, unless it has a default: only then has its key rows to check.
      const filled = cons.some((n) => {
        const k = asNode(n, 'Constraint');
        return k?.contype === 'CONSTR_DEFAULT' && !asNode(k.raw_expr, 'A_Const')?.isnull;
      });
      foreignKeys(c, cons, filled);
      continue;
    }
    if (sub === 'AT_AttachPartition') {
      const part = asNode(cmd.def, 'PartitionCmd');
      c.range(rel, 'SHARE UPDATE EXCLUSIVE', 'ATTACH PARTITION');
      c.range(part?.name, 'ACCESS EXCLUSIVE', 'attached as a partition', 'scan');
      continue;
    }
    if (sub === 'AT_DetachPartition') {
      const part = asNode(cmd.def, 'PartitionCmd');
      const mode: LockMode = part?.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE';
      c.range(rel, mode, 'DETACH PARTITION');
      c.range(part?.name, 'ACCESS EXCLUSIVE', 'detached partition');
      continue;
    }
    if (sub === 'AT_AlterColumnType') {
      const table = c.table(rel);
      const cost = alterColumnTypeCost(c, table, cmd);
      c.range(rel, 'ACCESS EXCLUSIVE', what, cost);
      // Its foreign keys are dropped and added again: ACCESS EXCLUSIVE at their other end, checked again unless only the catalog changed.
      if (table && cmd.name !== undefined) {
        for (const { other } of c.foreignKeysOf(table, [cmd.name])) c.add(other, 'ACCESS EXCLUSIVE', 'foreign key rebuilt by ALTER COLUMN TYPE', cost === 'rewrite' ? 'scan' : undefined);
      }
      continue;
    }
    if (sub === 'AT_SetNotNull') {
      const table = c.table(rel);
      const column = table?.columns.find((col) => col.name === cmd.name);
      const proven = column !== undefined && (column.notNull || (c.postgresVersion >= 12 && provenNotNull(table!, column.name)));
      c.range(rel, 'ACCESS EXCLUSIVE', what, proven ? undefined : 'scan');
      continue;
    }
    if (sub === 'AT_DropConstraint') {
      const table = c.table(rel);
      const con = table?.constraints.find((k) => k.name === cmd.name);
      c.range(rel, 'ACCESS EXCLUSIVE', what);
      if (table && con?.contype === 'f') {
        const referenced = c.foreignKeysOf(table).find((x) => x.fk === con)?.other;
        if (referenced) c.add(referenced, 'ACCESS EXCLUSIVE', 'referenced by a dropped foreign key');
      } else if (table && con && (con.contype === 'p' || con.contype === 'u') && cmd.behavior === 'DROP_CASCADE') {
        droppedForeignKeys(c, table, con.columns, true);
      }
      continue;
    }
    if (sub === 'AT_DropColumn') {
      c.range(rel, 'ACCESS EXCLUSIVE', what);
      if (cmd.name !== undefined) droppedForeignKeys(c, c.table(rel), [cmd.name], cmd.behavior === 'DROP_CASCADE');
      continue;
    }
    const cost: LockCost | undefined = sub === 'AT_ValidateConstraint' ? 'scan' : undefined;
    c.range(rel, weaker ?? 'ACCESS EXCLUSIVE', what, cost);
  }
}

/** What `ALTER COLUMN … TYPE` costs: a rewrite, an index build (the column's indexes), or nothing but the catalog. */
function alterColumnTypeCost(c: Collector, table: TableFacts | undefined, cmd: NodeOf<'AlterTableCmd'>): LockCost | undefined {
  const column = table?.columns.find((col) => col.name === cmd.name);
  const typeName = asNode(cmd.def, 'ColumnDef')?.typeName;
  if (!table || !column || !typeName) return 'rewrite';
  const { enums, domains } = c.before ?? {};
  const userType = (key: string) => enums?.has(key) === true || domains?.has(key) === true;
  const to = columnType(typeName, (name) => (userType(relationKey(c.defaultSchema, name)) ? c.defaultSchema : undefined));
  switch (typeChange(column.type, to, usingExpression(cmd))) {
    case 'rewrite':
      return 'rewrite';
    case 'indexes':
      return [...(c.before?.indexes.values() ?? [])].some((i) => i.table === table.key && i.columnsReferenced.includes(column.name)) ? 'build' : undefined;
    default:
      return undefined;
  }
}

function plainStatement(c: Collector, s: Statement): string | undefined {
  switch (s.kind) {
    case 'IndexStmt': {
      const x = s.node as NodeOf<'IndexStmt'>;
      // ON ONLY a partitioned table: an invalid index on the parent alone, nothing built.
      const only = x.relation?.inh !== true && c.table(x.relation)?.partitioned === true;
      c.range(x.relation, x.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE', x.concurrent ? 'CREATE INDEX CONCURRENTLY' : 'CREATE INDEX', only ? undefined : 'build');
      return undefined;
    }
    case 'AlterTableStmt':
      alterTable(c, s.node as NodeOf<'AlterTableStmt'>);
      return undefined;
    case 'RenameStmt': {
      const x = s.node as NodeOf<'RenameStmt'>;
      if (x.renameType === 'OBJECT_INDEX') {
        // PostgreSQL 12+ locks the index alone, not its table.
        const rv = x.relation;
        if (rv?.relname) c.add({ ...(rv.schemaname === undefined ? {} : { schema: rv.schemaname }), name: rv.relname }, 'SHARE UPDATE EXCLUSIVE', 'RENAME INDEX');
      } else if (x.relation) {
        c.range(x.relation, 'ACCESS EXCLUSIVE', `RENAME ${String(x.renameType).replace(/^OBJECT_/, '').replace('TABCONSTRAINT', 'CONSTRAINT')}`);
      }
      return undefined;
    }
    case 'DropStmt': {
      const x = s.node as NodeOf<'DropStmt'>;
      for (const obj of x.objects ?? []) {
        const names = stringList(listItems(obj));
        if (names.length === 0) continue;
        const rel = { ...(names.length > 1 ? { schema: names[names.length - 2]! } : {}), name: names[names.length - 1]! };
        switch (x.removeType) {
          case 'OBJECT_TABLE':
          case 'OBJECT_VIEW':
          case 'OBJECT_MATVIEW':
            c.add(rel, 'ACCESS EXCLUSIVE', `DROP ${x.removeType.replace('OBJECT_', '').replace('MATVIEW', 'MATERIALIZED VIEW')}`);
            if (x.removeType === 'OBJECT_TABLE') droppedForeignKeys(c, c.table({ ...(rel.schema === undefined ? {} : { schemaname: rel.schema }), relname: rel.name }), undefined, x.behavior === 'DROP_CASCADE');
            break;
          case 'OBJECT_INDEX':
            c.add(c.indexTable(names), x.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE', x.concurrent ? 'DROP INDEX CONCURRENTLY' : 'DROP INDEX');
            break;
          case 'OBJECT_TRIGGER':
            // DROP TRIGGER t ON table: the table is all but the last name.
            c.add({ ...(names.length > 2 ? { schema: names[names.length - 3]! } : {}), name: names[names.length - 2]! }, 'ACCESS EXCLUSIVE', 'DROP TRIGGER');
            break;
          default:
            break;
        }
      }
      return undefined;
    }
    case 'TruncateStmt':
      for (const r of (s.node as { relations?: Node[] }).relations ?? []) c.range(asNode(r, 'RangeVar'), 'ACCESS EXCLUSIVE', 'TRUNCATE');
      return undefined;
    case 'LockStmt': {
      const x = s.node as { relations?: Node[]; mode?: number };
      const mode = BY_NUMBER[x.mode ?? 8] ?? 'ACCESS EXCLUSIVE';
      for (const r of x.relations ?? []) c.range(asNode(r, 'RangeVar'), mode, 'LOCK TABLE');
      return undefined;
    }
    case 'VacuumStmt': {
      const x = s.node as { options?: Node[]; rels?: Node[]; is_vacuumcmd?: boolean };
      const full = hasOption(x.options, 'full');
      for (const r of x.rels ?? []) {
        c.range(asNode(r, 'VacuumRelation')?.relation, full ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE', full ? 'VACUUM FULL' : x.is_vacuumcmd ? 'VACUUM' : 'ANALYZE', full ? 'rewrite' : 'scan');
      }
      return undefined;
    }
    case 'ReindexStmt': {
      const x = s.node as NodeOf<'ReindexStmt'>;
      const concurrently = hasOption(x.params, 'concurrently');
      const mode: LockMode = concurrently ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE';
      if (x.kind === 'REINDEX_OBJECT_INDEX' && x.relation) {
        const rv = x.relation;
        c.add(c.indexTable([...(rv.schemaname === undefined ? [] : [rv.schemaname]), rv.relname ?? '']), mode, 'REINDEX', 'build');
      } else if (x.relation) {
        c.range(x.relation, mode, 'REINDEX', 'build');
      }
      return undefined;
    }
    case 'ClusterStmt':
      c.range((s.node as { relation?: RangeVar }).relation, 'ACCESS EXCLUSIVE', 'CLUSTER', 'rewrite');
      return undefined;
    case 'RefreshMatViewStmt': {
      const x = s.node as { concurrent?: boolean; relation?: RangeVar };
      c.range(x.relation, x.concurrent ? 'EXCLUSIVE' : 'ACCESS EXCLUSIVE', 'REFRESH MATERIALIZED VIEW', 'rewrite');
      return undefined;
    }
    case 'CreateTrigStmt':
      c.range((s.node as { relation?: RangeVar }).relation, 'SHARE ROW EXCLUSIVE', 'CREATE TRIGGER');
      return undefined;
    case 'CreateStmt': {
      const x = s.node as NodeOf<'CreateStmt'>;
      // The new table has no rows: its keys check nothing.
      for (const elt of x.tableElts ?? []) {
        const col = asNode(elt, 'ColumnDef');
        foreignKeys(c, col ? col.constraints : [elt], false);
      }
      if (x.partbound) for (const p of x.inhRelations ?? []) c.range(asNode(p, 'RangeVar'), 'ACCESS EXCLUSIVE', 'CREATE TABLE … PARTITION OF');
      return undefined;
    }
    case 'CommentStmt': {
      const x = s.node as { objtype?: string; object?: Node };
      const names = stringList(listItems(x.object));
      if (x.objtype === 'OBJECT_TABLE' && names.length) {
        c.add({ ...(names.length > 1 ? { schema: names[names.length - 2]! } : {}), name: names[names.length - 1]! }, 'SHARE UPDATE EXCLUSIVE', 'COMMENT');
      } else if (x.objtype === 'OBJECT_COLUMN' && names.length > 1) {
        c.add({ ...(names.length > 2 ? { schema: names[names.length - 3]! } : {}), name: names[names.length - 2]! }, 'SHARE UPDATE EXCLUSIVE', 'COMMENT');
      }
      return undefined;
    }
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt':
      c.range((s.node as { relation?: RangeVar }).relation, 'ROW EXCLUSIVE', s.kind.replace('Stmt', '').toUpperCase());
      return undefined;
    case 'DoStmt':
      return 'a DO block (its statements are not analysed)';
    case 'CallStmt':
      return 'a procedure call';
    default:
      return undefined;
  }
}

/** The locks `statement` takes (see the module comment). */
export function statementLocks(statement: Statement, ctx: LockContext = {}): StatementLocks {
  const c = new Collector(ctx);
  const block = zdBlockOf(statement);
  if (block) {
    const zd = { role: block.role, ...(block.original === undefined ? {} : { original: block.original }) };
    if (block.role !== 'maintain') {
      // A postponed NOT NULL adds its check NOT VALID on a managed database, beside the queue row, and a deferred
      // DROP COLUMN gives the column a placeholder default (or drops its NOT NULL): that lock, not the original's.
      const body = doBody(statement) ?? '';
      if ((block.role === 'postpone' && body.includes('ADD CONSTRAINT')) || block.role === 'defer') {
        for (const embedded of bodySql(body).statements) {
          for (const s of parseSql(embedded.sql).statements) if (s.text.trim() !== block.original?.trim()) plainStatement(c, s);
        }
      }
      return c.result({ zd });
    }
    // A maintenance block may build a pending index inline, and runs its guarded statement.
    for (const embedded of bodySql(doBody(statement) ?? '').statements) {
      const parsed = parseSql(embedded.sql);
      for (const s of parsed.statements) plainStatement(c, s);
    }
    return c.result({ zd });
  }
  const opaque = plainStatement(c, statement);
  return c.result(opaque ? { opaque } : {});
}
