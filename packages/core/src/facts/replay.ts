import type { SelectStmt, VariableSetStmt } from 'libpg-query';
import type { ParsedSql, Statement } from '../sql/parse.js';
import { alterTable } from './alter-table.js';
import { ReplayContext, SearchPath, TEMP_SCHEMA, type ReplayExecution } from './context.js';
import { createTable, createTableAs } from './create-table.js';
import { Draft, emptySchemaState } from './draft.js';
import { SessionSetting, type TransactionNode } from './transaction.js';
import { alterDomain, createDomain } from './domains.js';
import { drop } from './drop.js';
import { alterEnum, createEnum } from './enums.js';
import { createIndexStatement } from './indexes.js';
import {
  NO_SCHEMA_CHANGE,
  UNMODELLED_TYPES,
  createFunction,
  createSchema,
  createTrigger,
  createView,
  dataStatement,
  selectSetConfig,
  setVariable,
  searchPathOf,
} from './misc.js';
import { columnKey, constraintKey } from './model.js';
import type { CreatedObjects, MigrationFacts, SchemaState, StatementFacts } from './model.js';
import { rename, setSchema } from './rename.js';
import { alterSequence, createSequence } from './sequences.js';

export interface ReplayMigration {
  /** The migration's directory name. */
  readonly name: string;
  readonly parsed: ParsedSql;
  /**
   * For a view (`check`'s source view, the unmanaged view): the index of the file's own
   * top-level statement each statement of `parsed` comes from, in order; the SQL of one DO
   * block shares its block's. Default: each statement is its own.
   */
  readonly tops?: readonly number[];
  /** For check's source view: where the bodies of called functions with a `SET search_path` clause start and end. */
  readonly frames?: ReadonlyArray<FunctionFrame | undefined>;
}

/**
 * The body of a called function with its own `SET search_path` clause, in a view. PostgreSQL
 * runs the body with the clause's path and restores the caller's when it returns, which also
 * ends a `SET LOCAL` made in the body; a session-level `SET` in the body lasts (measured on 18).
 */
export interface FunctionFrame {
  /** On the body's first statement: the clause, in effect from it on. */
  readonly enter?: VariableSetStmt;
  /** On the body's last statement: the caller's path comes back after it. */
  readonly exit?: true;
}

export interface ReplayOptions {
  /** First schema of the search path: where unqualified names live. Default `public`. */
  readonly defaultSchema?: string;
  /** The schema before the first migration. Default: an empty `defaultSchema`. */
  readonly initial?: SchemaState;
  /** How the file runs, for how long a `SET LOCAL search_path` holds. Default `unknown` (as `whole-file`). */
  readonly execution?: ReplayExecution;
}

/**
 * Replay a migration history in order and describe each migration: the schema before
 * and after it, what it created, and what each statement touched. Never throws on
 * SQL it does not model: such statements are counted as not understood.
 */
export function replay(migrations: readonly ReplayMigration[], options: ReplayOptions = {}): MigrationFacts[] {
  let state = options.initial ?? emptySchemaState(options.defaultSchema);
  return migrations.map((migration) => {
    const facts = replayMigration(state, migration, options);
    state = facts.after;
    return facts;
  });
}

/** `replay` under the name the rewrite module uses. */
export const replayHistory = replay;

/** Replay one migration on top of `before`. */
export function replayMigration(before: SchemaState, migration: ReplayMigration, options: ReplayOptions = {}): MigrationFacts {
  const defaultSchema = options.defaultSchema ?? 'public';
  let draft = new Draft(before);
  const session = new SearchPath([defaultSchema], options.execution);
  /** The schema as transactions see it: a ROLLBACK (TO a savepoint) brings back what it was. */
  const schema = new SessionSetting<SchemaState>(before, options.execution);
  const statements: StatementFacts[] = [];
  const tops = migration.tops;
  let top: number | undefined;
  /** The statement that set the session-level search_path last. */
  let sessionSetBy: number | undefined;
  const setBy = new Map<readonly string[], number>();
  for (const statement of migration.parsed.statements) {
    const sessionPath = session.session;
    const next = tops?.[statement.index] ?? statement.index;
    if (top !== undefined && next !== top) session.nextStatement();
    top = next;
    const frame = migration.frames?.[statement.index];
    if (frame?.enter) session.enterFunction(searchPathOf(frame.enter, session.initial));
    const stateBefore = draft.snapshot();
    const ctx = new ReplayContext(draft, migration.name, migration.parsed, statement, session);
    try {
      apply(ctx, statement);
    } catch (error) {
      ctx.notUnderstood(`replay failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    statements.push({
      index: statement.index,
      kind: statement.kind,
      understood: ctx.understood,
      opaque: ctx.opaque,
      touches: ctx.touches,
      notes: ctx.notes,
      before: stateBefore,
      searchPath: ctx.searchPath,
    });
    if (statement.kind === 'TransactionStmt') {
      schema.value = stateBefore;
      schema.transaction(statement.node as TransactionNode);
      if (schema.value !== stateBefore) {
        const { tempTables } = draft;
        draft = new Draft(schema.value);
        draft.tempTables = tempTables;
      }
    }
    if (frame?.exit) session.exitFunction();
    if (session.session !== sessionPath) {
      // A ROLLBACK brings back a path set earlier: by the statement that set it.
      sessionSetBy = setBy.get(session.session) ?? statement.index;
      setBy.set(session.session, sessionSetBy);
    }
  }
  const left = session.session;
  const leftSet = sessionSetBy !== undefined && !samePath(left, session.initial);
  dropTemporaryTables(draft);
  const after = draft.snapshot();
  const error = migration.parsed.error;
  return {
    name: migration.name,
    before,
    after,
    created: createdIn(after, migration.name),
    statements,
    notUnderstood: statements.filter((s) => !s.understood).length,
    ...(leftSet ? { sessionSearchPath: { path: left, statement: sessionSetBy! } } : {}),
    ...(error ? { parseError: `${error.message} (line ${error.line}, column ${error.col})` } : {}),
  };
}

function apply(ctx: ReplayContext, statement: Statement): void {
  const node = statement.node as never;
  switch (statement.kind) {
    case 'CreateStmt':
      return createTable(ctx, node);
    case 'CreateTableAsStmt':
      return createTableAs(ctx, node);
    case 'AlterTableStmt':
      return alterTable(ctx, node);
    case 'IndexStmt':
      return createIndexStatement(ctx, node);
    case 'DropStmt':
      return drop(ctx, node);
    case 'RenameStmt':
      return rename(ctx, node);
    case 'AlterObjectSchemaStmt':
      return setSchema(ctx, node);
    case 'CreateEnumStmt':
      return createEnum(ctx, node);
    case 'AlterEnumStmt':
      return alterEnum(ctx, node);
    case 'CreateSeqStmt':
      return createSequence(ctx, node);
    case 'AlterSeqStmt':
      return alterSequence(ctx, node);
    case 'CreateSchemaStmt':
      return createSchema(ctx, node);
    case 'CreateFunctionStmt':
      return createFunction(ctx, node);
    case 'CreateTrigStmt':
      return createTrigger(ctx, node);
    case 'ViewStmt':
      return createView(ctx, node);
    case 'VariableSetStmt':
      return setVariable(ctx, node);
    case 'CreateDomainStmt':
      return createDomain(ctx, node);
    case 'AlterDomainStmt':
      return alterDomain(ctx, node);
    case 'TransactionStmt':
      ctx.session.transaction(statement.node as TransactionNode);
      return;
    case 'CreateExtensionStmt': {
      const name = (statement.node as { extname?: string }).extname ?? '';
      ctx.draft.set('extensions').add(name);
      ctx.touch('extension', name, 'create', ctx.migration);
      return;
    }
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt':
    case 'TruncateStmt':
    case 'CopyStmt':
    case 'LockStmt':
      return dataStatement(ctx, statement.kind, statement.node as Record<string, unknown>);
    case 'SelectStmt': {
      const select = statement.node as SelectStmt;
      if (select.intoClause) createTableAs(ctx, { into: select.intoClause, objtype: 'OBJECT_TABLE' });
      else if (select.targetList) selectSetConfig(ctx, select);
      return;
    }
    case 'DoStmt':
      ctx.opaque = 'do-block';
      ctx.notUnderstood('DO block: its effect on the schema is not analysed');
      return;
    case 'CallStmt':
      ctx.opaque = 'function-body';
      ctx.notUnderstood('CALL: the procedure\'s effect on the schema is not analysed');
      return;
    case 'ReindexStmt':
      return;
    default:
      if (NO_SCHEMA_CHANGE.has(statement.kind)) return;
      if (UNMODELLED_TYPES.has(statement.kind)) {
        ctx.note(`${statement.kind}: type not modelled`);
        return;
      }
      ctx.notUnderstood(`${statement.kind} is not modelled`);
  }
}

/** Temporary tables end with the session: they are never part of the schema after a migration. */
function dropTemporaryTables(draft: Draft): void {
  // Temporary tables live in their own schema; most migrations create none.
  if (!draft.tempTables) return;
  for (const table of [...draft.tables.values()]) {
    if (table.schema !== TEMP_SCHEMA) continue;
    draft.map('tables').delete(table.key);
    for (const index of [...draft.indexes.values()]) if (index.table === table.key) draft.map('indexes').delete(index.key);
    for (const sequence of [...draft.sequences.values()]) {
      if (sequence.schema === TEMP_SCHEMA) draft.map('sequences').delete(sequence.key);
    }
  }
}

function createdIn(state: SchemaState, migration: string): CreatedObjects {
  // Computed on first use: walking the whole schema after every migration made long
  // histories quadratic, and most callers never look.
  let tableSets: { tables: Set<string>; columns: Set<string>; constraints: Set<string> } | undefined;
  const fromTables = () => {
    if (tableSets) return tableSets;
    const sets = { tables: new Set<string>(), columns: new Set<string>(), constraints: new Set<string>() };
    for (const table of state.tables.values()) {
      if (table.createdIn === migration) sets.tables.add(table.key);
      for (const column of table.columns) if (column.createdIn === migration) sets.columns.add(columnKey(table.key, column.name));
      for (const constraint of table.constraints) {
        if (constraint.createdIn === migration) sets.constraints.add(constraintKey(table.key, constraint.name));
      }
    }
    return (tableSets = sets);
  };
  const keysOf = (map: ReadonlyMap<string, { createdIn: string }>): Set<string> =>
    new Set([...map].filter(([, v]) => v.createdIn === migration).map(([k]) => k));
  const memo = <T>(fn: () => T): (() => T) => {
    let value: T | undefined;
    return () => (value ??= fn());
  };
  const indexes = memo(() => keysOf(state.indexes));
  const enums = memo(() => keysOf(state.enums));
  const sequences = memo(() => keysOf(state.sequences));
  return {
    get tables() {
      return fromTables().tables;
    },
    get columns() {
      return fromTables().columns;
    },
    get constraints() {
      return fromTables().constraints;
    },
    get indexes() {
      return indexes();
    },
    get enums() {
      return enums();
    },
    get sequences() {
      return sequences();
    },
  };
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
