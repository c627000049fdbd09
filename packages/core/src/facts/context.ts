import type { RangeVar } from 'libpg-query';
import type { ParsedSql, Statement } from '../sql/parse.js';
import { expressionText } from '../sql/span.js';
import { columnType } from './column-type.js';
import type { Draft } from './draft.js';
import { columnKey, relationKey } from './model.js';
import type { ColumnType, ObjectKind, TableFacts, Touch, TouchAction } from './model.js';
import type { TypeName } from 'libpg-query';
import { SessionSetting, type TransactionNode } from './transaction.js';

/** Where temporary tables live; they are dropped from the model at the end of their migration. */
export const TEMP_SCHEMA = 'pg_temp';

const NO_EXTRA = {};

/** A name as written: schema optional. */
export interface NameRef {
  readonly schema?: string | undefined;
  readonly name: string;
}

/**
 * How the migration's statements reach the server (DESIGN §3): the whole file as one
 * simple query (one implicit transaction), or statement by statement, each committed on
 * its own unless an explicit BEGIN is open. `unknown` is read as `whole-file`.
 */
export type ReplayExecution = 'whole-file' | 'per-statement' | 'unknown';

/**
 * The session's search_path while a migration runs. `SET search_path` and
 * `set_config('search_path', …, false)` change it for the rest of the migration; `SET LOCAL`
 * and `set_config(…, true)` until the transaction ends: an explicit COMMIT / ROLLBACK, else
 * the end of the file when Prisma runs it as one transaction, or the end of the statement
 * when it runs statements one by one (so a `SET LOCAL` outside BEGIN … COMMIT has no effect
 * at all: PostgreSQL warns "SET LOCAL can only be used in transaction blocks"). An unknown
 * execution is read as one transaction: it is how Prisma's native engine runs a file, and
 * a `SET LOCAL` written outside BEGIN means that reading (it would do nothing otherwise),
 * so the statements after it are checked on the tables their author meant.
 */
/** The session-level search_path and the transaction's LOCAL one. */
interface Paths {
  readonly session: readonly string[];
  readonly local: readonly string[] | undefined;
}

export class SearchPath {
  readonly initial: readonly string[];
  readonly #perStatement: boolean;
  /** The session-level path and the transaction's LOCAL one, rolled back together (transaction.ts). */
  readonly #paths: SessionSetting<Paths>;

  constructor(initial: readonly string[], execution: ReplayExecution = 'unknown') {
    this.initial = initial;
    this.#perStatement = execution === 'per-statement';
    // A transaction's end ends its LOCAL path (before the next transaction starts from what is left).
    this.#paths = new SessionSetting<Paths>({ session: initial, local: undefined }, execution, (v) => (v.local === undefined ? v : { session: v.session, local: undefined }));
  }

  get current(): readonly string[] {
    const { session, local } = this.#paths.value;
    return local ?? session;
  }

  /** The session-level path (what a `SET` without LOCAL, or `set_config(…, false)`, set last): what outlives the file. */
  get session(): readonly string[] {
    return this.#paths.value.session;
  }

  set(path: readonly string[], local: boolean): void {
    // A session-level SET in a transaction also overrides an earlier SET LOCAL of that transaction.
    this.#paths.value = local ? { session: this.session, local: path } : { session: path, local: undefined };
    if (!local) for (const f of this.#frames) f.sessionSet = true;
  }

  /** Calls in progress of functions with a `SET search_path` clause: what to restore, and whether the body SET the path for the session. */
  readonly #frames: Array<{ readonly saved: Paths; sessionSet: boolean }> = [];

  /** A function with a `SET search_path` clause starts its body: the clause's path holds in it (undefined: `FROM CURRENT`, the path stays). */
  enterFunction(path: readonly string[] | undefined): void {
    this.#frames.push({ saved: this.#paths.value, sessionSet: false });
    if (path !== undefined) this.#paths.value = { session: this.session, local: path };
  }

  /**
   * Its body ends: the caller's path comes back, a `SET LOCAL` of the body with it; a
   * session-level SET in the body lasts (and has ended the caller's LOCAL one).
   */
  exitFunction(): void {
    const frame = this.#frames.pop();
    if (!frame) return;
    this.#paths.value = frame.sessionSet ? { session: this.session, local: undefined } : frame.saved;
  }

  /**
   * A transaction statement: COMMIT or ROLLBACK (or PREPARE TRANSACTION) ends SET LOCAL
   * with its transaction, ROLLBACK also undoes the session-level SETs made in it, ROLLBACK
   * TO a savepoint those made after it; `AND CHAIN` opens the next transaction.
   */
  transaction(node: TransactionNode): void {
    this.#paths.transaction(node);
  }

  /**
   * The next top-level statement of the file starts (the SQL a DO block runs is part of
   * its statement). Run one by one outside BEGIN … COMMIT, each statement is its own
   * transaction, and its LOCAL settings end with it.
   */
  nextStatement(): void {
    if (this.#perStatement && !this.#paths.inBlock && this.#paths.value.local !== undefined) this.#paths.value = { session: this.session, local: undefined };
  }
}

/** What a handler needs while replaying one statement. */
export class ReplayContext {
  readonly draft: Draft;
  readonly migration: string;
  readonly parsed: ParsedSql;
  readonly statement: Statement;
  /** The search_path this statement's unqualified names resolve in. */
  readonly searchPath: readonly string[];
  /** The session's search_path: `SET search_path` and `set_config` change it for the statements after this one. */
  readonly session: SearchPath;
  readonly touches: Touch[] = [];
  readonly notes: string[] = [];
  understood = true;
  opaque: 'do-block' | 'function-body' | undefined;

  constructor(draft: Draft, migration: string, parsed: ParsedSql, statement: Statement, session: SearchPath) {
    this.draft = draft;
    this.migration = migration;
    this.parsed = parsed;
    this.statement = statement;
    this.session = session;
    this.searchPath = session.current;
  }

  /** Schema in which an object named this way is created. */
  creationSchema(ref: NameRef): string {
    return ref.schema ?? this.searchPath[0] ?? 'public';
  }

  /**
   * Key of an existing object named `ref` in `collection` (the first schema of the
   * search path that has it), or undefined.
   */
  lookup(ref: NameRef, has: (key: string) => boolean): string | undefined {
    return lookupName(this.searchPath, ref, has);
  }

  /** The table named by `ref`, or undefined (with a note unless `missingOk`). */
  table(ref: NameRef | RangeVar, missingOk = false): TableFacts | undefined {
    const r = toRef(ref);
    const key = this.lookup(r, (k) => this.draft.tables.has(k));
    if (key === undefined) {
      if (!missingOk) this.note(`table ${display(r)} is not in the replayed schema`);
      return undefined;
    }
    return this.draft.tables.get(key);
  }

  /** Schema of the enum or domain a type name refers to, when one is visible. */
  userTypeSchema = (name: string): string | undefined => {
    const { enums, domains } = this.draft;
    const key = this.lookup({ name }, (k) => enums.has(k) || domains.has(k));
    return key === undefined ? undefined : (enums.get(key) ?? domains.get(key))?.schema;
  };

  columnType(typeName: TypeName): ColumnType {
    return columnType(typeName, this.userTypeSchema);
  }

  /** Source text of an expression node of this statement. */
  text(node: unknown): string | undefined {
    return expressionText(this.parsed, this.statement, node);
  }

  touch(
    object: ObjectKind,
    key: string,
    action: TouchAction,
    createdIn: string | undefined,
    extra: { change?: string; newKey?: string; implicit?: boolean } = NO_EXTRA,
  ): void {
    // Every field spelled out: one shape for all touches, which rules and rewrite read in their loops.
    this.touches.push({
      object,
      key,
      action,
      change: extra.change,
      newKey: extra.newKey,
      implicit: extra.implicit,
      createdInMigration: action === 'create' || createdIn === this.migration,
    });
  }

  touchTable(table: TableFacts, action: TouchAction, extra: { change?: string; implicit?: boolean } = NO_EXTRA): void {
    this.touch('table', table.key, action, table.createdIn, extra);
  }

  touchColumn(table: TableFacts, column: string, action: TouchAction, extra: { change?: string; newKey?: string; implicit?: boolean } = NO_EXTRA): void {
    const createdIn = table.columns.find((c) => c.name === column)?.createdIn;
    this.touch('column', columnKey(table.key, column), action, createdIn, extra);
  }

  note(message: string): void {
    this.notes.push(message);
  }

  notUnderstood(message: string): void {
    this.understood = false;
    this.notes.push(message);
  }
}

/**
 * Key of the existing object named `ref` for a statement run with `searchPath`: the
 * first schema of the path that has one (`has`), or undefined.
 */
export function lookupName(searchPath: readonly string[], ref: NameRef, has: (key: string) => boolean): string | undefined {
  if (ref.schema !== undefined) {
    const key = relationKey(ref.schema, ref.name);
    return has(key) ? key : undefined;
  }
  // Temporary tables shadow everything (pg_temp is implicitly first in the search path).
  const temp = relationKey(TEMP_SCHEMA, ref.name);
  if (has(temp)) return temp;
  for (const schema of searchPath) {
    const key = relationKey(schema, ref.name);
    if (has(key)) return key;
  }
  return undefined;
}

/** `lookupName`, or the key the name has in the first schema of the path when nothing has it. */
export function resolveName(searchPath: readonly string[], ref: { schemaname?: string | undefined; relname?: string | undefined }, has: (key: string) => boolean): string {
  const name = { schema: ref.schemaname, name: ref.relname ?? '' };
  return lookupName(searchPath, name, has) ?? relationKey(ref.schemaname ?? searchPath[0] ?? 'public', name.name);
}

export function toRef(ref: NameRef | RangeVar): NameRef {
  if ('relname' in ref || 'schemaname' in ref) {
    const rv = ref as RangeVar;
    return { schema: rv.schemaname, name: rv.relname ?? '' };
  }
  return ref as NameRef;
}

/** Qualified name list (`["public","E"]`) → NameRef. */
export function refOfNames(names: readonly string[]): NameRef {
  const name = names[names.length - 1] ?? '';
  const schema = names.length >= 2 ? names[names.length - 2] : undefined;
  return { schema, name };
}

export function display(ref: NameRef): string {
  return ref.schema === undefined ? `"${ref.name}"` : `"${ref.schema}"."${ref.name}"`;
}
