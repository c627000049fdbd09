/**
 * Queue maintenance (DESIGN §3): "a later statement that touches an object with
 * pending work first makes that work happen, or cancels it, or renames it".
 *
 * The work that may be pending is known from the history itself: every entry a
 * rewritten migration can queue. For each later statement the replayed facts say which
 * objects it drops, renames, alters or needs; `effectsOf` turns that into steps. The
 * same function serves `rewrite` (steps written into the migration, run in its
 * transaction) and the queue runner (reconciling entries with migrations that could
 * not carry maintenance, such as `DROP INDEX CONCURRENTLY`).
 */
import { createHash } from 'node:crypto';
import type { IndexStmt, Node } from 'libpg-query';
import { resolveName } from '../facts/context.js';
import type { StatementFacts, Touch } from '../facts/model.js';
import { columnKey, constraintKey, relationKey } from '../facts/model.js';
import { formatQualifiedName, quoteIdent } from '../sql/ident.js';
import { asNode, stringList, stringValue } from '../sql/nodes.js';
import { codeTokens, isStatement, parseSql, type Statement } from '../sql/parse.js';
import { bodySql } from '../check/plpgsql.js';
import type { EntryKind, EntrySpec, MaintenanceStep } from './blocks.js';
import { doBody } from './view.js';

/** Work a managed database may still have queued, as the history describes it. */
export interface PendingEntry {
  readonly kind: EntryKind;
  readonly migration: string;
  /** Facts key of the object: index, constraint, column (a deferred default) or sequence. */
  readonly key: string;
  readonly tableKey: string;
  /**
   * The table's schema when the SQL qualified it, or when the migration had set the
   * search_path the name resolved through (otherwise resolved through the session's own
   * search_path).
   */
  readonly tableSchema?: string;
  /**
   * The search_path the statement was queued with, when the migration had set it (the
   * queue row records it as `current_setting('search_path')`); absent: the session's own.
   */
  readonly searchPath?: readonly string[];
  readonly tableName: string;
  readonly objectName: string;
  /** The object's and table's names when the entry was queued (kept across renames). */
  readonly originName?: string;
  readonly originTable?: string;
  readonly columns: readonly string[];
  readonly statement: string;
  /** Index entries: unique, and plain key columns (for foreign keys and ON CONFLICT). */
  readonly unique?: boolean;
  readonly keyColumns?: readonly string[];
  /** Deferred defaults: keys of sequences and types the default expression uses. */
  readonly dependsOn?: readonly string[];
  /**
   * A deferred `DROP INDEX` (kind `contract`; its key is the index's, its columns every
   * column the index depends on): dropped CONCURRENTLY by `contract`.
   */
  readonly dropIndex?: true;
  /**
   * A deferred `DROP COLUMN` (kind `contract`; its key and object are the column's, its
   * `dependsOn` the column's type and what its default uses): old app versions keep
   * selecting and writing the column until `contract` drops it.
   */
  readonly dropColumn?: true;
  /** A deferred `DROP COLUMN`: the functions its default calls, by name (one dropped later needs the column gone first). */
  readonly calls?: readonly string[];
  /**
   * A deferred `DROP TYPE` of an enum (kind `contract`; its key is the type's): the type
   * of columns whose drop this migration deferred, dropped by `contract` after them.
   */
  readonly dropType?: true;
}

export function entrySpec(e: PendingEntry): EntrySpec {
  return {
    kind: e.kind,
    migration: e.migration,
    objectName: e.objectName,
    ...(e.tableSchema === undefined ? {} : { tableSchema: e.tableSchema }),
    tableName: e.tableName,
    columns: [...e.columns],
    statement: e.statement,
  };
}

export type Effect =
  | { op: 'cancel'; entry: PendingEntry; reason: string }
  | { op: 'update'; entry: PendingEntry; next: PendingEntry }
  | { op: 'apply'; entry: PendingEntry; reason: string };

function tableRef(schema: string | undefined, name: string): string {
  return formatQualifiedName(schema === undefined ? { name } : { schema, name });
}

/** `ALTER TABLE t VALIDATE CONSTRAINT c`, as the queue stores it. */
export function validateStatement(schema: string | undefined, table: string, constraint: string): string {
  return `ALTER TABLE ${tableRef(schema, table)} VALIDATE CONSTRAINT ${quoteIdent(constraint)}`;
}

/** `ALTER TABLE t ALTER COLUMN c DROP DEFAULT`, as the queue stores it. */
export function dropDefaultStatement(schema: string | undefined, table: string, column: string): string {
  return `ALTER TABLE ${tableRef(schema, table)} ALTER COLUMN ${quoteIdent(column)} DROP DEFAULT`;
}

/** `ALTER TABLE t DROP COLUMN c`, as the queue stores it. */
export function dropColumnStatement(schema: string | undefined, table: string, column: string): string {
  return `ALTER TABLE ${tableRef(schema, table)} DROP COLUMN ${quoteIdent(column)}`;
}

/** `ALTER TABLE t ALTER COLUMN c DROP NOT NULL`: where a column's drop is deferred, the new app version inserts without it. */
export function dropNotNullStatement(schema: string | undefined, table: string, column: string): string {
  return `ALTER TABLE ${tableRef(schema, table)} ALTER COLUMN ${quoteIdent(column)} DROP NOT NULL`;
}

/** `ALTER TABLE t ALTER COLUMN c SET DEFAULT value`: a deferred DROP COLUMN's placeholder for the rows the new app version inserts. */
export function setDefaultStatement(schema: string | undefined, table: string, column: string, value: string): string {
  return `ALTER TABLE ${tableRef(schema, table)} ALTER COLUMN ${quoteIdent(column)} SET DEFAULT ${value}`;
}

/** `ALTER TABLE t ALTER COLUMN c SET NOT NULL`, as the queue stores it. */
export function setNotNullStatement(schema: string | undefined, table: string, column: string): string {
  return `ALTER TABLE ${tableRef(schema, table)} ALTER COLUMN ${quoteIdent(column)} SET NOT NULL`;
}

/**
 * The temporary `CHECK (c IS NOT NULL) NOT VALID` a postponed SET NOT NULL adds in its
 * migration; one of that name left by an entry given up earlier (`postponed cancel`) is
 * replaced, in the same statement.
 */
export function addNotNullCheckStatement(schema: string | undefined, table: string, column: string, check: string): string {
  return `ALTER TABLE ${tableRef(schema, table)} DROP CONSTRAINT IF EXISTS ${quoteIdent(check)}, ADD CONSTRAINT ${quoteIdent(check)} CHECK (${quoteIdent(column)} IS NOT NULL) NOT VALID`;
}

/** Drops a postponed SET NOT NULL's temporary check (gone already with its column: IF EXISTS). */
export function dropNotNullCheckStatement(schema: string | undefined, table: string, check: string): string {
  return `ALTER TABLE ${tableRef(schema, table)} DROP CONSTRAINT IF EXISTS ${quoteIdent(check)}`;
}

const MAX_IDENTIFIER_BYTES = 63;

/**
 * The name of the temporary check of a postponed SET NOT NULL on `table`.`column`:
 * `<table>_<column>_zd_not_null`, shortened with a hash of the full name past 63 bytes
 * (PostgreSQL would cut it). Not `<table>_<column>_not_null`: PostgreSQL 18 names the
 * column's own NOT NULL constraint so, and would name it otherwise while the check
 * holds that name. `rewrite` reads its own blocks back by recomputing it: never change it.
 */
export function notNullCheckName(table: string, column: string): string {
  const suffix = '_zd_not_null';
  const full = `${table}_${column}${suffix}`;
  if (Buffer.byteLength(full, 'utf8') <= MAX_IDENTIFIER_BYTES) return full;
  const hash = createHash('sha256').update(`${table}\0${column}`).digest('hex').slice(0, 8);
  let head = `${table}_${column}`;
  const room = MAX_IDENTIFIER_BYTES - suffix.length - hash.length - 1;
  while (Buffer.byteLength(head, 'utf8') > room) head = head.slice(0, -1);
  return `${head}_${hash}${suffix}`;
}

function unquote(token: string): string {
  return token.startsWith('"') ? token.slice(1, -1).replaceAll('""', '"') : token.toLowerCase();
}

/** A token of a stored index statement that names a column of the index's table (UTF-8 byte span). */
interface ColumnSpot {
  readonly start: number;
  readonly end: number;
  readonly column: string;
}

/**
 * What a stored `CREATE INDEX` statement says about its table's columns, read with the
 * real parser: every token that names one — plain key columns, the column references of
 * key expressions, of the WHERE predicate and the INCLUDE columns — and the table
 * qualifiers of qualified references (`"User"."email"`).
 */
interface IndexShape {
  readonly columns: readonly string[];
  readonly spots: readonly ColumnSpot[];
  readonly qualifiers: ReadonlyArray<{ start: number; end: number }>;
}

const shapes = new Map<string, IndexShape | null>();

function indexShape(sql: string): IndexShape | undefined {
  let shape = shapes.get(sql);
  if (shape === undefined) {
    shape = readIndexShape(sql) ?? null;
    if (shapes.size >= 5000) shapes.clear();
    shapes.set(sql, shape);
  }
  return shape ?? undefined;
}

/**
 * The columns of its table a `CREATE INDEX` node references, in the order `IndexShape`
 * lists them: plain key columns, INCLUDE columns, then the column references of key
 * expressions and of the predicate.
 */
function indexNodeColumns(n: IndexStmt): string[] {
  const columns: string[] = [];
  const note = (column: string) => {
    if (!columns.includes(column)) columns.push(column);
  };
  const refs = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) refs(v);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const ref = (value as { ColumnRef?: { fields?: Node[] } }).ColumnRef;
    if (ref) {
      const fields = (ref.fields ?? []).map((f) => stringValue(f));
      const column = fields[fields.length - 1];
      if (column !== undefined && !fields.some((f) => f === undefined)) note(column);
      return;
    }
    for (const child of Object.values(value)) refs(child);
  };
  for (const p of n.indexParams ?? []) {
    const elem = asNode(p, 'IndexElem');
    if (elem?.name !== undefined) note(elem.name);
  }
  for (const p of n.indexIncludingParams ?? []) {
    const name = asNode(p, 'IndexElem')?.name;
    if (name !== undefined) note(name);
  }
  refs((n.indexParams ?? []).map((p) => asNode(p, 'IndexElem')?.expr));
  refs(n.whereClause);
  return columns;
}

function readIndexShape(sql: string): IndexShape | undefined {
  const parsed = parseSql(sql);
  const stmt = parsed.statements[0];
  if (parsed.error || parsed.statements.length !== 1 || !stmt || !isStatement(stmt, 'IndexStmt')) return undefined;
  const n = stmt.node;
  const tokens = codeTokens(sql);
  if (!tokens) return undefined;
  const at = new Map(tokens.map((t, i) => [t.start, i]));
  const isName = (i: number) => tokens[i] !== undefined && (tokens[i]!.tokenName === 'IDENT' || tokens[i]!.keywordKind !== 0);
  const spots: ColumnSpot[] = [];
  const qualifiers: Array<{ start: number; end: number }> = [];
  const table = n.relation?.relname;
  // Column references of expressions and of the predicate: a ColumnRef's location is its first field's token.
  const refs = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) refs(v);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const ref = (value as { ColumnRef?: { fields?: Node[]; location?: number } }).ColumnRef;
    if (ref) {
      const fields = (ref.fields ?? []).map((f) => stringValue(f));
      const column = fields[fields.length - 1];
      if (column === undefined || fields.some((f) => f === undefined)) return;
      const first = ref.location === undefined ? undefined : at.get(ref.location);
      if (first === undefined) return;
      const last = first + 2 * (fields.length - 1);
      if (isName(last) && unquote(tokens[last]!.text) === column) spots.push({ start: tokens[last]!.start, end: tokens[last]!.end, column });
      const qualifier = last - 2;
      if (fields.length >= 2 && fields[fields.length - 2] === table && isName(qualifier) && unquote(tokens[qualifier]!.text) === table) {
        qualifiers.push({ start: tokens[qualifier]!.start, end: tokens[qualifier]!.end });
      }
      return;
    }
    for (const child of Object.values(value)) refs(child);
  };
  // Plain columns of a parenthesised list (IndexElem has no location): each element's first token.
  const list = (open: number, elems: readonly Node[] | undefined): number => {
    let depth = 0;
    let k = 0;
    let first = true;
    for (let i = open; i < tokens.length; i++) {
      const text = tokens[i]!.text;
      if (text === '(' || text === '[') depth++;
      else if (text === ')' || text === ']') {
        depth--;
        if (depth === 0) return i;
      } else if (depth === 1 && text === ',') {
        k++;
        first = true;
        continue;
      }
      if (depth === 1 && first && text !== '(') {
        const name = asNode(elems?.[k], 'IndexElem')?.name;
        if (name !== undefined && isName(i) && unquote(tokens[i]!.text) === name) spots.push({ start: tokens[i]!.start, end: tokens[i]!.end, column: name });
      }
      if (depth >= 1 && !(depth === 1 && text === '(')) first = false;
    }
    return tokens.length;
  };
  refs((n.indexParams ?? []).map((p) => asNode(p, 'IndexElem')?.expr));
  refs(n.whereClause);
  const relAt = n.relation?.location === undefined ? undefined : at.get(n.relation.location);
  if (relAt !== undefined) {
    const open = tokens.findIndex((t, i) => i > relAt && t.text === '(');
    if (open !== -1) {
      const close = list(open, n.indexParams);
      const include = tokens.findIndex((t, i) => i > close && t.text.toLowerCase() === 'include' && t.keywordKind !== 0);
      if (include !== -1 && tokens[include + 1]?.text === '(' && n.indexIncludingParams?.length) list(include + 1, n.indexIncludingParams);
    }
  }
  return { columns: indexNodeColumns(n), spots, qualifiers };
}

/**
 * Columns by stored index statement: from `IndexShape`, or from the statement's own
 * node where the caller had it parsed already (`noteIndexStatement`): the same list,
 * without parsing the text again.
 */
const statementColumns = new Map<string, readonly string[]>();

/**
 * `sql`, the text of a parsed `CREATE INDEX` statement, has the node `node`: its columns
 * are read from the node when `indexStatementColumns` is asked for them.
 */
export function noteIndexStatement(sql: string, node: IndexStmt): void {
  if (statementColumns.has(sql) || shapes.has(sql)) return;
  if (statementColumns.size >= 5000) statementColumns.clear();
  statementColumns.set(sql, indexNodeColumns(node));
}

function columnsOf(sql: string): readonly string[] {
  return statementColumns.get(sql) ?? indexShape(sql)?.columns ?? [];
}

/** For tests: the columns `noteIndexStatement` reads from a node, and those the text gives when parsed again. */
export const indexColumnsFrom = {
  node: (node: IndexStmt): string[] => indexNodeColumns(node),
  text: (sql: string): string[] => [...(readIndexShape(sql)?.columns ?? [])],
};

/** The columns of its table a stored `CREATE INDEX` statement references (keys, expressions, predicate, INCLUDE). */
export function indexStatementColumns(sql: string): string[] {
  return [...columnsOf(sql)];
}

/**
 * An index entry whose `columns` cover every column its statement references, so that
 * a later rename or drop of a column its expressions, predicate or INCLUDE list use
 * finds it. Other entries (and complete ones) are returned as they are.
 */
function withAllColumns(entry: PendingEntry): PendingEntry {
  if (entry.kind !== 'index') return entry;
  const all = columnsOf(entry.statement);
  let missing: string[] | undefined;
  for (const c of all) if (!entry.columns.includes(c)) (missing ??= []).push(c);
  return missing === undefined ? entry : { ...entry, columns: [...entry.columns, ...missing] };
}

/**
 * Renames inside a stored `CREATE INDEX` statement: the index name (the identifier
 * before `ON`), the table name (after `ON [ONLY]`, and the qualifier of qualified column
 * references), and every reference to a column — key columns, key expressions, the
 * WHERE predicate, INCLUDE — found by the parser's locations. Only those tokens change;
 * every other byte stays.
 */
export function renameInIndexStatement(
  sql: string,
  change: { index?: string; table?: { schema?: string; name: string }; column?: { from: string; to: string } },
): string {
  const tokens = codeTokens(sql) ?? [];
  const bytes = Buffer.from(sql, 'utf8');
  const edits: Array<{ start: number; end: number; text: string }> = [];
  const on = tokens.findIndex((t) => t.text.toLowerCase() === 'on' && t.keywordKind !== 0);
  if (on === -1) return sql;
  if (change.index !== undefined && on > 0) {
    const nameTok = tokens[on - 1]!;
    if (nameTok.text.toLowerCase() !== 'index' && nameTok.text.toLowerCase() !== 'exists') {
      edits.push({ start: nameTok.start, end: nameTok.end, text: quoteIdent(change.index) });
    }
  }
  let t = on + 1;
  if (tokens[t]?.text.toLowerCase() === 'only') t++;
  let relEnd = t;
  while (tokens[relEnd + 1]?.text === '.' && tokens[relEnd + 2]) relEnd += 2;
  const shape = change.table !== undefined || change.column !== undefined ? indexShape(sql) : undefined;
  if (change.table !== undefined && tokens[t] && tokens[relEnd]) {
    edits.push({
      start: tokens[t]!.start,
      end: tokens[relEnd]!.end,
      text: tableRef(change.table.schema, change.table.name),
    });
    for (const q of shape?.qualifiers ?? []) edits.push({ ...q, text: quoteIdent(change.table.name) });
  }
  if (change.column !== undefined) {
    const { from, to } = change.column;
    for (const spot of shape?.spots ?? []) if (spot.column === from) edits.push({ start: spot.start, end: spot.end, text: quoteIdent(to) });
  }
  edits.sort((a, b) => b.start - a.start);
  let out = bytes;
  for (const e of edits) out = Buffer.concat([out.subarray(0, e.start), Buffer.from(e.text, 'utf8'), out.subarray(e.end)]);
  return out.toString('utf8');
}

function splitKey(key: string): string[] {
  // Keys are sequences of quoted identifiers joined by dots.
  const parts: string[] = [];
  const re = /"((?:[^"]|"")*)"/g;
  for (let m = re.exec(key); m; m = re.exec(key)) parts.push(m[1]!.replaceAll('""', '"'));
  return parts;
}

function renamed(entry: PendingEntry, touch: Touch): PendingEntry | undefined {
  const newKey = touch.newKey;
  if (!newKey) return undefined;
  const parts = splitKey(newKey);
  switch (touch.object) {
    case 'table': {
      if (touch.key !== entry.tableKey) return undefined;
      const [schema, name] = parts as [string, string];
      const tableSchema = touch.action === 'set-schema' || entry.tableSchema !== undefined ? schema : undefined;
      const table = { ...(tableSchema === undefined ? {} : { schema: tableSchema }), name };
      const rekey = (k: string) => newKey + k.slice(entry.tableKey.length);
      return {
        ...entry,
        tableKey: newKey,
        key: entry.kind === 'index' ? relationKey(schema, entry.objectName) : rekey(entry.key),
        ...(tableSchema === undefined ? {} : { tableSchema }),
        tableName: name,
        statement: restate(entry, { table }),
      };
    }
    case 'index': {
      if (entry.kind !== 'index' || touch.key !== entry.key) return undefined;
      const name = parts[parts.length - 1]!;
      return { ...entry, key: newKey, objectName: name, statement: renameInIndexStatement(entry.statement, { index: name }) };
    }
    case 'column': {
      const from = splitKey(touch.key).pop()!;
      const to = parts[parts.length - 1]!;
      const all = withAllColumns(entry).columns;
      if (!touch.key.startsWith(entry.tableKey + '.') || !all.includes(from)) return undefined;
      const columns = all.map((c) => (c === from ? to : c));
      const next: PendingEntry = {
        ...entry,
        columns,
        ...(entry.keyColumns ? { keyColumns: entry.keyColumns.map((c) => (c === from ? to : c)) } : {}),
      };
      if (entry.kind === 'contract' && entry.key === touch.key) {
        return { ...next, key: newKey, objectName: to, statement: dropDefaultStatement(entry.tableSchema, entry.tableName, to) };
      }
      // The temporary check keeps its name (a check follows its column's rename).
      if (entry.kind === 'not-null' && entry.key === touch.key) {
        return { ...next, key: newKey, statement: setNotNullStatement(entry.tableSchema, entry.tableName, to) };
      }
      if (entry.kind === 'index') return { ...next, statement: renameInIndexStatement(entry.statement, { column: { from, to } }) };
      return next;
    }
    case 'constraint': {
      if (entry.kind !== 'validate' || touch.key !== entry.key) return undefined;
      const name = parts[parts.length - 1]!;
      return { ...entry, key: newKey, objectName: name, statement: validateStatement(entry.tableSchema, entry.tableName, name) };
    }
    default:
      return undefined;
  }
}

function restate(entry: PendingEntry, change: { table: { schema?: string; name: string } }): string {
  switch (entry.kind) {
    case 'index':
      return renameInIndexStatement(entry.statement, { table: change.table });
    case 'validate':
      return validateStatement(change.table.schema, change.table.name, entry.objectName);
    case 'not-null':
      return setNotNullStatement(change.table.schema, change.table.name, entry.columns[0]!);
    case 'contract':
      if (entry.dropColumn) return dropColumnStatement(change.table.schema, change.table.name, entry.objectName);
      return isDeferredDropDefault(entry)
        ? dropDefaultStatement(change.table.schema, change.table.name, entry.objectName)
        : entry.statement;
  }
}

/** Columns a foreign key (or ON CONFLICT) needs a unique index on, by referenced table key. */
function neededUniqueKeys(statement: Statement, facts: StatementFacts): Array<{ table: string; columns: string[]; why: string }> {
  const out: Array<{ table: string; columns: string[]; why: string }> = [];
  const tableKey = (rel: { schemaname?: string; relname?: string }) => resolveTable(facts, rel);
  const fk = (c: Node | undefined, why: string) => {
    const con = asNode(c, 'Constraint');
    if (con?.contype !== 'CONSTR_FOREIGN' || !con.pktable) return;
    const cols = stringList(con.pk_attrs);
    if (cols.length === 0) return;
    out.push({ table: tableKey(con.pktable), columns: cols, why });
  };
  if (statement.kind === 'AlterTableStmt') {
    const node = statement.node as { cmds?: Node[] };
    for (const cmd of node.cmds ?? []) {
      const c = asNode(cmd, 'AlterTableCmd');
      if (c?.subtype === 'AT_AddConstraint') fk(c.def, 'a foreign key references its columns');
      // ADD COLUMN … REFERENCES "User"("email"): the column's own foreign key.
      if (c?.subtype === 'AT_AddColumn') for (const cc of asNode(c.def, 'ColumnDef')?.constraints ?? []) fk(cc, 'a foreign key references its columns');
    }
  } else if (statement.kind === 'CreateStmt') {
    const node = statement.node as { tableElts?: Node[] };
    for (const el of node.tableElts ?? []) {
      fk(el, 'a foreign key references its columns');
      for (const cc of asNode(el, 'ColumnDef')?.constraints ?? []) fk(cc, 'a foreign key references its columns');
    }
  } else if (statement.kind === 'InsertStmt' || statement.kind === 'SelectStmt' || statement.kind === 'UpdateStmt' || statement.kind === 'DeleteStmt') {
    // Every INSERT … ON CONFLICT of the statement: its own, or one in a WITH clause (a data migration's CTE).
    for (const node of insertsIn(statement.node as Node, statement.kind === 'InsertStmt')) {
      const elems = node.onConflictClause?.infer?.indexElems ?? [];
      const cols = elems.map((e) => asNode(e, 'IndexElem')?.name).filter((n): n is string => n !== undefined);
      if (cols.length && node.relation) {
        out.push({
          table: tableKey(node.relation),
          columns: cols,
          why: 'INSERT … ON CONFLICT needs it',
        });
      }
    }
  }
  return out;
}

interface InsertNode {
  relation?: { schemaname?: string; relname?: string };
  onConflictClause?: { infer?: { indexElems?: Node[] } };
}

/**
 * The INSERT statements of a statement: itself, and those of its WITH clause (PostgreSQL
 * allows a data-modifying statement in WITH only at the top level).
 */
function insertsIn(root: Node, rootIsInsert: boolean): InsertNode[] {
  const out: InsertNode[] = [];
  if (rootIsInsert) out.push(root as InsertNode);
  const ctes = (root as { withClause?: { ctes?: Node[] } }).withClause?.ctes ?? [];
  for (const cte of ctes) {
    const insert = asNode(asNode(cte, 'CommonTableExpr')?.ctequery, 'InsertStmt');
    if (insert) out.push(insert as InsertNode);
  }
  return out;
}

/**
 * Indexes a statement needs by name: `ADD CONSTRAINT … USING INDEX`, `REPLICA IDENTITY
 * USING INDEX`, `CLUSTER … USING`. Their keys, with why.
 */
function neededIndexes(statement: Statement, facts: StatementFacts): Array<{ key: string; why: string }> {
  const out: Array<{ key: string; why: string }> = [];
  if (statement.kind === 'AlterTableStmt') {
    const node = statement.node as { relation?: { schemaname?: string; relname?: string }; cmds?: Node[] };
    const schema = tableSchemaOf(facts, node.relation ?? {});
    for (const cmd of node.cmds ?? []) {
      const c = asNode(cmd, 'AlterTableCmd');
      const con = asNode(c?.def, 'Constraint');
      if (c?.subtype === 'AT_AddConstraint' && con?.indexname) out.push({ key: relationKey(schema, con.indexname), why: 'ADD CONSTRAINT … USING INDEX needs it' });
      const identity = (c?.def as { ReplicaIdentityStmt?: { identity_type?: string; name?: string } } | undefined)?.ReplicaIdentityStmt;
      if (c?.subtype === 'AT_ReplicaIdentity' && identity?.identity_type === 'i' && identity.name) {
        out.push({ key: relationKey(schema, identity.name), why: 'REPLICA IDENTITY USING INDEX needs it' });
      }
      if (c?.subtype === 'AT_ClusterOn' && c.name) out.push({ key: relationKey(schema, c.name), why: 'CLUSTER ON needs it' });
    }
  } else if (statement.kind === 'ClusterStmt') {
    const node = statement.node as { relation?: { schemaname?: string; relname?: string }; indexname?: string };
    if (node.indexname) out.push({ key: relationKey(tableSchemaOf(facts, node.relation ?? {}), node.indexname), why: 'CLUSTER … USING needs it' });
  }
  return out;
}

/** Key of the table `rel` names, resolved with the statement's search_path (the replay's). */
function resolveTable(facts: StatementFacts, rel: { schemaname?: string; relname?: string }): string {
  return resolveName(facts.searchPath, rel, (k) => facts.before.tables.has(k));
}

/** Schema of the table `rel` names (an index it needs by name is in its table's schema). */
function tableSchemaOf(facts: StatementFacts, rel: { schemaname?: string; relname?: string }): string {
  return rel.schemaname ?? facts.before.tables.get(resolveTable(facts, rel))?.schema ?? facts.searchPath[0] ?? 'public';
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * The work pending while a history is read, in the order it was queued, indexed by the
 * keys a statement's touches can name (an entry's object, its table, what it depends
 * on), so that a statement finds the entries it may affect without comparing its
 * touches with every pending entry.
 */
export class PendingWork {
  #entries: PendingEntry[] = [];
  /** Queue order: increasing along the queue (an updated entry keeps its predecessor's). */
  #position = new Map<PendingEntry, number>();
  #next = 0;
  #byKey = new Map<string, PendingEntry[]>();
  /** How many entries a statement may need built (`canBeNeeded`). */
  #needable = 0;
  /** How many deferred column drops are pending. */
  #columnDrops = 0;
  /** `#columnDropTables()`, until a column drop is queued or leaves the queue. */
  #columnDropTablesCache: Map<string, string[]> | undefined;

  constructor(entries: readonly PendingEntry[] = []) {
    for (const e of entries) this.push(e);
  }

  /** The entries, in the order they were queued. */
  get entries(): readonly PendingEntry[] {
    return this.#entries;
  }

  get size(): number {
    return this.#entries.length;
  }

  push(pushed: PendingEntry): void {
    const entry = withAllColumns(pushed);
    this.#index(entry, this.#next++);
    this.#entries.push(entry);
  }

  #index(entry: PendingEntry, position: number): void {
    this.#position.set(entry, position);
    if (canBeNeeded(entry)) this.#needable++;
    if (entry.dropColumn) {
      this.#columnDrops++;
      this.#columnDropTablesCache = undefined;
    }
    this.#byKeyAdd(entry.key, entry);
    this.#byKeyAdd(entry.tableKey, entry);
    if (entry.dependsOn) for (const key of entry.dependsOn) this.#byKeyAdd(key, entry);
  }

  #byKeyAdd(key: string, entry: PendingEntry): void {
    const list = this.#byKey.get(key);
    if (list) list.push(entry);
    else this.#byKey.set(key, [entry]);
  }

  #unindex(entry: PendingEntry): void {
    this.#position.delete(entry);
    if (canBeNeeded(entry)) this.#needable--;
    if (entry.dropColumn) {
      this.#columnDrops--;
      this.#columnDropTablesCache = undefined;
    }
    this.#byKeyRemove(entry.key, entry);
    this.#byKeyRemove(entry.tableKey, entry);
    if (entry.dependsOn) for (const key of entry.dependsOn) this.#byKeyRemove(key, entry);
  }

  #byKeyRemove(key: string, entry: PendingEntry): void {
    const list = this.#byKey.get(key);
    const at = list ? list.indexOf(entry) : -1;
    if (at === -1) return;
    if (list!.length === 1) this.#byKey.delete(key);
    else list!.splice(at, 1);
  }

  find(predicate: (entry: PendingEntry) => boolean): PendingEntry | undefined {
    return this.#entries.find(predicate);
  }

  /** What `statement` does to the pending entries (see `effectsOf`). */
  effectsOf(statement: Statement, facts: StatementFacts, where: string): Effect[] {
    if (this.#entries.length === 0) return [];
    // Only a pending unique index can be needed (walking the statement for what it needs is the dearer part).
    // Unqualified names resolve with the statement's search_path, as the replay read it.
    const needs = this.#needable > 0 ? neededUniqueKeys(statement, facts) : [];
    const indexNeeds = neededIndexes(statement, facts);
    const listNeeds = this.#columnDrops > 0 ? columnListNeeds(statement, facts, this.#columnDropTables()) : [];
    const candidates = this.#affectable(facts, needs, indexNeeds, listNeeds);
    return candidates.length === 0 ? [] : effectsAmong(facts, needs, indexNeeds, listNeeds, candidates, where);
  }

  /** Tables with a deferred column drop: name → keys. */
  #columnDropTables(): Map<string, string[]> {
    if (this.#columnDropTablesCache) return this.#columnDropTablesCache;
    const out = new Map<string, string[]>();
    this.#columnDropTablesCache = out;
    for (const e of this.#entries) {
      if (!e.dropColumn) continue;
      const name = splitKey(e.tableKey).pop()!;
      const keys = out.get(name);
      if (!keys) out.set(name, [e.tableKey]);
      else if (!keys.includes(e.tableKey)) keys.push(e.tableKey);
    }
    return out;
  }

  /**
   * The pending work after `effects` (`applyEffects`): cancelled and applied entries
   * leave the queue, updated ones take their place in it; the index follows.
   */
  apply(effects: readonly Effect[]): void {
    if (effects.length === 0) return;
    const byEntry = new Map<PendingEntry, Effect>();
    for (const e of effects) byEntry.set(e.entry, e);
    const next: PendingEntry[] = [];
    for (const entry of this.#entries) {
      const e = byEntry.get(entry);
      if (!e) {
        next.push(entry);
        continue;
      }
      const position = this.#position.get(entry)!;
      this.#unindex(entry);
      if (e.op === 'update') {
        const updated = withAllColumns(e.next);
        this.#index(updated, position);
        next.push(updated);
      }
    }
    this.#entries = next;
  }

  /**
   * The entries the loops of `effectsAmong` can affect: those whose object, table or
   * dependency a touch names, and the unique indexes on a table the statement needs one
   * on. A superset, in queue order, so the effects are those over all the entries.
   */
  #affectable(facts: StatementFacts, needs: ReadonlyArray<{ table: string }>, indexNeeds: ReadonlyArray<{ key: string }>, listNeeds: readonly string[]): PendingEntry[] {
    let found: Set<PendingEntry> | undefined;
    const byKey = this.#byKey;
    const named = (key: string) => {
      const list = byKey.get(key);
      if (list) for (const e of list) (found ??= new Set()).add(e);
    };
    for (const need of indexNeeds) named(need.key);
    for (const table of listNeeds) named(table);
    for (const t of facts.touches) {
      // A dropped function or extension may be what a deferred default calls: every deferred DROP DEFAULT.
      if (t.action === 'drop' && (t.object === 'function' || t.object === 'extension')) {
        for (const e of this.#entries) if (isDeferredDropDefault(e) || e.dropColumn) (found ??= new Set()).add(e);
      }
      named(t.key);
      // Another relation renamed to the name of an index whose drop is deferred.
      if (t.newKey !== undefined) named(t.newKey);
      // A column's key starts with its table's: each prefix that ends before a `.`.
      for (let i = t.key.indexOf('.'); i !== -1; i = t.key.indexOf('.', i + 1)) named(t.key.slice(0, i));
    }
    for (const need of needs) {
      for (const e of byKey.get(need.table) ?? []) if (canBeNeeded(e) && e.tableKey === need.table) (found ??= new Set()).add(e);
    }
    if (!found) return [];
    const position = this.#position;
    return [...found].sort((a, b) => position.get(a)! - position.get(b)!);
  }
}

/** A deferred `ALTER COLUMN … DROP DEFAULT` (its key is its column's; a deferred DROP SEQUENCE's is the sequence's). */
function isDeferredDropDefault(e: PendingEntry): boolean {
  return e.kind === 'contract' && !e.dropIndex && !e.dropColumn && !e.dropType && e.key.startsWith(e.tableKey + '.');
}

/**
 * Changes of a table that a lingering index neither hinders nor is hindered by. Every
 * change `rewrite` itself writes is one (NOT VALID, VALIDATE, the NOT NULL check, SET NOT
 * NULL, DROP DEFAULT): the rewritten history must read as the original did.
 */
const HARMLESS_TO_AN_INDEX: ReadonlySet<string> = new Set([
  'add-column',
  'add-index',
  'add-constraint',
  'validate-constraint',
  'alter-constraint',
  'set-default',
  'drop-default',
  'set-not-null',
  'drop-not-null',
  'drop-constraint',
  'rename-constraint',
  // The column's own touch says whether the index depends on it.
  'drop-column',
  'rename-column',
  'add-trigger',
  'drop-trigger',
  'rename-trigger',
  'options',
  'no-op',
]);

/**
 * What a later statement's `touch` means for an index whose `DROP INDEX` is deferred
 * (`drop`: an index with these key and columns on `tableKey`): `cancel` when it drops the
 * index with its table or one of its columns; `apply` (drop it first, as the original
 * history had) when the index still standing would change what the statement does or
 * where the deferred drop finds it: the name taken by another relation, the table
 * renamed or moved, a column it depends on renamed or retyped (the index would be
 * rebuilt), a partition attached; undefined when the two do not meet.
 */
export function indexDropConflict(touch: Touch, drop: Pick<PendingEntry, 'key' | 'tableKey' | 'columns'>): 'cancel' | 'apply' | undefined {
  if (touch.action === 'read' || touch.action === 'write') return undefined;
  if (touch.key === drop.key || touch.newKey === drop.key) return 'apply';
  if (touch.key === drop.tableKey && touch.object === 'table') {
    if (touch.action === 'drop') return 'cancel';
    if (touch.action === 'alter' && HARMLESS_TO_AN_INDEX.has(touch.change ?? '')) return undefined;
    return 'apply';
  }
  if (touch.object === 'column' && touch.key.startsWith(drop.tableKey + '.') && drop.columns.includes(splitKey(touch.key).pop()!)) {
    if (touch.action === 'drop') return 'cancel';
    if (touch.action === 'alter' && HARMLESS_TO_AN_INDEX.has(touch.change ?? '')) return undefined;
    return 'apply';
  }
  return undefined;
}

/** Changes of a table that a lingering column would make fail or differ: partitions, inheritance, typed tables. */
const NEEDS_COLUMN_GONE: ReadonlySet<string> = new Set(['attach-partition', 'detach-partition', 'partition-of', 'AT_AddInherit', 'AT_DropInherit', 'AT_AddOf', 'AT_DropOf']);

/**
 * What a later statement's `touch` means for a column whose `DROP COLUMN` is deferred:
 * `cancel` when it drops the table; `rename` when it renames or moves the table (the
 * entry follows); `apply` (drop the column first, as the original history had) when the
 * lingering column would change what the statement does: its name taken again (a column
 * added or renamed to it), a partition attached or detached, inheritance changed, its
 * type, sequence, or a function or extension its default may call dropped; undefined
 * when the two do not meet. Statements that depend on the table's column list (`*`, an
 * INSERT without a column list, `LIKE`) are `columnListNeeds`'.
 */
export function columnDropConflict(
  touch: Touch,
  drop: Pick<PendingEntry, 'key' | 'tableKey' | 'dependsOn' | 'calls'>,
): 'cancel' | 'apply' | 'rename' | undefined {
  if (touch.object === 'table' && touch.key === drop.tableKey) {
    if (touch.action === 'drop') return 'cancel';
    if (touch.action === 'rename' || touch.action === 'set-schema') return 'rename';
    if (touch.action === 'alter' && NEEDS_COLUMN_GONE.has(touch.change ?? '')) return 'apply';
    return undefined;
  }
  if (touch.action === 'read' || touch.action === 'write') return undefined;
  if (touch.key === drop.key || touch.newKey === drop.key) return 'apply';
  // Its type renamed or moved (Prisma's enum swap renames the type, converts its columns, drops the old one), dropped,
  // or its name taken again (the type's deferred drop must run, and the column must be gone before it).
  if ((touch.action === 'drop' || touch.action === 'rename' || touch.action === 'set-schema' || touch.action === 'create') && drop.dependsOn?.includes(touch.key)) {
    return 'apply';
  }
  if (touch.newKey !== undefined && drop.dependsOn?.includes(touch.newKey)) return 'apply';
  if (touch.action !== 'drop') return undefined;
  // The default may call it: PostgreSQL refuses the drop while the column stands.
  if (touch.object === 'function' && drop.calls?.includes(splitKey(touch.key).pop()!)) return 'apply';
  if (touch.object === 'extension' && drop.calls?.length) return 'apply';
  return undefined;
}

/** Why a later statement needs a deferred column drop done first, in a few words (see `columnDropConflict`). */
export function columnDropConflictReason(touches: readonly Touch[], drop: Pick<PendingEntry, 'key' | 'dependsOn'>): string {
  const rank = (t: Touch) => (t.key === drop.key || t.newKey === drop.key ? 0 : t.object === 'table' ? 2 : 1);
  const touch = [...touches].sort((x, y) => rank(x) - rank(y))[0]!;
  if (touch.key === drop.key) return touch.action === 'create' ? `adds ${describe(touch)} again` : `changes ${describe(touch)}`;
  if (touch.action === 'create') return `creates ${describe(touch)}, under the name of the column's type`;
  if (touch.newKey !== undefined && drop.dependsOn?.includes(touch.newKey)) return `renames ${describe(touch)} to the name of the column's type`;
  if (touch.newKey === drop.key) return `renames ${describe(touch)} to the same name`;
  if (touch.action === 'drop') return `drops ${describe(touch)}, which the column uses`;
  if (touch.object !== 'table' && touch.object !== 'column' && (touch.action === 'rename' || touch.action === 'set-schema')) {
    return `${touch.action === 'rename' ? 'renames' : 'moves'} ${describe(touch)}, which the column uses`;
  }
  const verb = touch.action === 'rename' ? 'renames' : touch.action === 'set-schema' ? 'moves' : (ALTER_WORDS[touch.change ?? ''] ?? `changes (${touch.change ?? touch.action})`);
  return `${verb} ${describe(touch)}: the column must be gone by then`;
}

/**
 * Tables whose column list `statement` depends on, among `names` (table name → keys of
 * tables with a deferred column drop): an INSERT or COPY into one without a column list,
 * a `*` that may expand one of them (in a view, CREATE TABLE … AS, SELECT INTO, INSERT …
 * SELECT), `LIKE` or `INHERITS` of one. A lingering column would shift, add to or fail
 * what the original history did. A statement the replay does not understand (a DO block,
 * CALL) that names one counts too. Names are matched in the text first: most statements
 * name none of them.
 */
/** Statement kinds that can depend on a table's column list (with statements the replay does not understand). */
const COLUMN_LIST_KINDS: ReadonlySet<string> = new Set(['InsertStmt', 'CopyStmt', 'CreateStmt', 'ViewStmt', 'CreateTableAsStmt', 'SelectStmt', 'MergeStmt']);

export function columnListNeeds(statement: Statement, facts: StatementFacts, names: ReadonlyMap<string, readonly string[]>): string[] {
  // Most statements (ALTER TABLE, CREATE INDEX, a plain CREATE TABLE) cannot: no need to read their text.
  if (facts.understood) {
    if (!COLUMN_LIST_KINDS.has(statement.kind)) return [];
    const n = statement.node as { inhRelations?: unknown[]; tableElts?: Node[]; intoClause?: unknown };
    if (statement.kind === 'CreateStmt' && !n.inhRelations?.length && !n.tableElts?.some((el) => asNode(el, 'TableLikeClause'))) return [];
    if (statement.kind === 'SelectStmt' && !n.intoClause) return [];
  }
  const lower = statement.text.toLowerCase();
  const mentioned = [...names].filter(([name]) => lower.includes(name.toLowerCase()));
  if (mentioned.length === 0) return [];
  const keys = new Set(mentioned.flatMap(([, k]) => k));
  const out = new Set<string>();
  const key = (rel: { schemaname?: string; relname?: string } | undefined) => (rel?.relname ? resolveTable(facts, rel) : undefined);
  /** The tables a `*` may expand: those in the FROM list of every SELECT whose target list has one (not in its subqueries: their own SELECTs say). */
  const starred = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) starred(v);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const select = (value as { SelectStmt?: { targetList?: unknown[]; fromClause?: unknown[] } }).SelectStmt;
    if (select && hasStar(select.targetList)) for (const from of select.fromClause ?? []) fromTables(from, (rel) => add(key(rel)));
    for (const child of Object.values(value)) starred(child);
  };
  const add = (k: string | undefined) => {
    if (k !== undefined) out.add(k);
  };
  if (!facts.understood) {
    // A DO block of plain data statements: what they need; anything else may need anything.
    const inner = doBlockDml(statement);
    if (inner) {
      const asRead = { ...facts, understood: true };
      for (const s of inner) for (const k of columnListNeeds(s, asRead, names)) out.add(k);
    } else {
      for (const k of keys) out.add(k);
    }
    return [...out];
  }
  const node = statement.node as Record<string, unknown>;
  switch (statement.kind) {
    case 'InsertStmt':
      if (!(node['cols'] as unknown[] | undefined)?.length) add(key(node['relation'] as never));
      starred(node['selectStmt']);
      starred(node['withClause']);
      break;
    case 'CopyStmt':
      if (!(node['attlist'] as unknown[] | undefined)?.length) add(key(node['relation'] as never));
      starred(node['query']);
      break;
    case 'CreateStmt':
      for (const parent of (node['inhRelations'] as Node[] | undefined) ?? []) add(key(asNode(parent, 'RangeVar')));
      for (const el of (node['tableElts'] as Node[] | undefined) ?? []) add(key(asNode(el, 'TableLikeClause')?.relation));
      break;
    case 'ViewStmt':
      starred(node['query']);
      break;
    case 'CreateTableAsStmt':
      starred(node['query']);
      break;
    case 'SelectStmt':
      if (node['intoClause']) starred({ SelectStmt: node });
      break;
    case 'MergeStmt':
      // Its INSERT may list no columns.
      add(key(node['relation'] as never));
      break;
    default:
      break;
  }
  return [...out].filter((k) => keys.has(k));
}

const DML: ReadonlySet<string> = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'SelectStmt', 'MergeStmt']);

/**
 * The SQL statements a `DO` block runs, when its body is PL/pgSQL whose SQL is all static
 * data statements (INSERT, UPDATE, DELETE, SELECT without INTO a table, MERGE: a data
 * migration's loop); undefined when it may do anything else (DDL, dynamic SQL, another
 * language, a body that does not parse).
 */
export function doBlockDml(statement: Statement): Statement[] | undefined {
  const body = doBody(statement);
  if (body === undefined) return undefined;
  const language = ((statement.node as { args?: Node[] }).args ?? []).map((a) => asNode(a, 'DefElem')).find((d) => d?.defname === 'language');
  if (language && stringValue(language.arg)?.toLowerCase() !== 'plpgsql') return undefined;
  const { statements, problems } = bodySql(body);
  if (problems.length) return undefined;
  const out: Statement[] = [];
  for (const e of statements) {
    const parsed = parseSql(e.sql);
    if (parsed.error) return undefined;
    for (const s of parsed.statements) {
      if (!DML.has(s.kind) || (s.kind === 'SelectStmt' && (s.node as { intoClause?: unknown }).intoClause)) return undefined;
      out.push(s);
    }
  }
  return out;
}

/** A target list with `*` or `t.*`. */
function hasStar(targets: unknown[] | undefined): boolean {
  for (const t of targets ?? []) {
    const ref = asNode(asNode(t as Node, 'ResTarget')?.val, 'ColumnRef');
    if (ref?.fields?.some((f) => 'A_Star' in (f as object))) return true;
  }
  return false;
}

/** The tables of a FROM item: a table, or the tables of a join (not those of a subquery). */
function fromTables(from: unknown, found: (rel: { schemaname?: string; relname?: string }) => void): void {
  const rel = asNode(from as Node, 'RangeVar');
  if (rel) return found(rel);
  const join = asNode(from as Node, 'JoinExpr');
  if (join) {
    fromTables(join.larg, found);
    fromTables(join.rarg, found);
  }
}

/** A unique index with plain key columns: what a foreign key or ON CONFLICT may need built. */
function canBeNeeded(e: PendingEntry): boolean {
  return e.kind === 'index' && e.unique === true && e.keyColumns !== undefined;
}

/**
 * What `statement` does to each pending entry. `facts` are the replay's facts for the
 * statement (its touches, including implicit drops). Entries not affected are absent.
 */
export function effectsOf(
  statement: Statement,
  facts: StatementFacts,
  pending: readonly PendingEntry[],
  where: string,
): Effect[] {
  const work = new PendingWork(pending);
  // The effects name the caller's entries (the work holds them with every column their statements reference).
  const original = new Map(work.entries.map((e, i) => [e, pending[i]!]));
  return work.effectsOf(statement, facts, where).map((e) => ({ ...e, entry: original.get(e.entry) ?? e.entry }));
}

/** The effects of a statement with these facts and needs on `candidates` (`PendingWork.effectsOf`). */
function effectsAmong(
  facts: StatementFacts,
  needs: ReadonlyArray<{ table: string; columns: string[]; why: string }>,
  indexNeeds: ReadonlyArray<{ key: string; why: string }>,
  listNeeds: readonly string[],
  candidates: readonly PendingEntry[],
  where: string,
): Effect[] {
  const effects = new Map<PendingEntry, Effect>();
  const set = (e: Effect) => {
    const prev = effects.get(e.entry);
    // A cancel wins over an update or an apply of the same entry.
    if (!prev || e.op === 'cancel') effects.set(e.entry, e);
  };
  for (const touch of facts.touches) {
    const column = touch.object === 'column' ? splitKey(touch.key).pop()! : undefined;
    for (const entry of candidates) {
      const onTable = touch.object === 'table' && touch.key === entry.tableKey;
      const onObject = touch.key === entry.key;
      const onColumn = column !== undefined && touch.key.startsWith(entry.tableKey + '.') && entry.columns.includes(column);
      if (entry.dropType) {
        // Only its name matters: a relation or type created under it (a table's row type shares the name).
        if (touch.action !== 'read' && touch.action !== 'write' && (touch.key === entry.key || touch.newKey === entry.key)) {
          set({ op: 'apply', entry, reason: `dropped before ${where}, which ${touch.action === 'create' ? 'creates' : 'renames'} ${describe(touch)} under its name` });
        }
        continue;
      }
      if (entry.dropColumn) {
        const op = columnDropConflict(touch, entry);
        if (op === 'cancel') set({ op, entry, reason: `${describe(touch)} dropped by ${where} (the column goes with it)` });
        else if (op === 'apply') set({ op, entry, reason: `dropped before ${where}, which ${columnDropConflictReason([touch], entry)}` });
        else if (op === 'rename') {
          const next = renamed(effects.get(entry)?.op === 'update' ? (effects.get(entry) as { next: PendingEntry }).next : entry, touch);
          if (next) set({ op: 'update', entry, next });
          else set({ op: 'apply', entry, reason: `dropped before ${where}, which renames ${describe(touch)}` });
        }
        continue;
      }
      if (entry.dropIndex) {
        const op = indexDropConflict(touch, entry);
        if (op === 'cancel') set({ op, entry, reason: `${describe(touch)} dropped by ${where} (the index goes with it)` });
        else if (op === 'apply') set({ op, entry, reason: `dropped before ${where}, which ${touch.action === 'create' ? 'creates' : 'changes'} ${describe(touch)}` });
        continue;
      }
      if (touch.action === 'drop' && (onTable || onObject || onColumn)) {
        set({ op: 'cancel', entry, reason: `${describe(touch)} dropped by ${where}` });
      } else if ((touch.action === 'rename' || touch.action === 'set-schema') && (onTable || onObject || onColumn)) {
        const next = renamed(effects.get(entry)?.op === 'update' ? (effects.get(entry) as { next: PendingEntry }).next : entry, touch);
        if (next) set({ op: 'update', entry, next });
        else set({ op: 'apply', entry, reason: `built before ${where}, which renames ${describe(touch)}` });
      } else if (entry.kind === 'contract' && onObject && touch.object === 'column' && touch.action === 'alter') {
        if (touch.change === 'set-default' || touch.change === 'drop-default') {
          set({ op: 'cancel', entry, reason: `default of ${describe(touch)} changed again by ${where}` });
        } else if (touch.change === 'type') {
          set({ op: 'apply', entry, reason: `applied before ${where}, which changes the type of ${describe(touch)}` });
        }
      } else if (entry.kind === 'not-null' && onObject && touch.object === 'column' && touch.action === 'alter' && touch.change === 'drop-not-null') {
        set({ op: 'cancel', entry, reason: `${describe(touch)} made nullable again by ${where}` });
      } else if (entry.kind === 'not-null' && onObject && touch.object === 'column' && touch.action === 'alter' && touch.change === 'identity') {
        // An identity column must be NOT NULL.
        set({ op: 'apply', entry, reason: `set NOT NULL before ${where}, which makes ${describe(touch)} an identity` });
      } else if (entry.kind === 'not-null' && onTable && touch.action === 'alter' && touch.change === 'partition-of') {
        // A partition must be NOT NULL where its parent is.
        set({ op: 'apply', entry, reason: `set NOT NULL before ${where}, which makes ${describe(touch)} a partition` });
      } else if (entry.kind === 'not-null' && onTable && touch.action === 'alter' && (touch.change === 'attach-partition' || touch.change === 'detach-partition')) {
        // A partition attached must have its parent's checks (the temporary one, which it lacks); one detached keeps its copy.
        set({ op: 'apply', entry, reason: `set NOT NULL before ${where}, which attaches or detaches a partition of ${describe(touch)}` });
      } else if (entry.kind === 'contract' && touch.action === 'drop' && entry.dependsOn?.includes(touch.key)) {
        set({ op: 'apply', entry, reason: `applied before ${where}, which drops ${describe(touch)}` });
      } else if (isDeferredDropDefault(entry) && touch.action === 'drop' && (touch.object === 'function' || touch.object === 'extension')) {
        // The default may call it (uuid_generate_v4()): PostgreSQL refuses the drop while the default stands.
        set({ op: 'apply', entry, reason: `applied before ${where}, which drops ${describe(touch)} (the default may use it)` });
      } else if (entry.kind === 'index' && onObject && touch.object === 'index' && touch.action !== 'create') {
        set({ op: 'apply', entry, reason: `built before ${where}, which uses the index` });
      }
    }
  }
  for (const table of listNeeds) {
    for (const entry of candidates) {
      if (entry.dropColumn && entry.tableKey === table && !effects.has(entry)) {
        set({ op: 'apply', entry, reason: `dropped before ${where}, which depends on the columns of ${describe({ object: 'table', key: table } as Touch)} (a \`*\`, an INSERT without a column list, LIKE)` });
      }
    }
  }
  for (const need of needs) {
    for (const entry of candidates) {
      if (canBeNeeded(entry) && entry.tableKey === need.table && sameSet(entry.keyColumns!, need.columns)) {
        set({ op: 'apply', entry, reason: `built before ${where}: ${need.why}` });
      }
    }
  }
  for (const need of indexNeeds) {
    for (const entry of candidates) {
      // Built under its queued name before the statement (which may rename it): wins over an update, not over a cancel.
      if (entry.kind === 'index' && entry.key === need.key && effects.get(entry)?.op !== 'cancel') {
        effects.set(entry, { op: 'apply', entry, reason: `built before ${where}: ${need.why}` });
      }
    }
  }
  return [...effects.values()];
}

const ALTER_WORDS: Readonly<Record<string, string>> = {
  type: 'changes the type of',
  'column-type': 'changes a column type of (rebuilding every index of)',
  'attach-partition': 'attaches a partition to',
  'detach-partition': 'detaches a partition from',
  'partition-of': 'makes a partition of',
  identity: 'makes an identity of',
  generated: 'changes the generation of',
};

/**
 * Why later statements need a deferred index drop done first (the touches
 * `indexDropConflict` names), in a few words: the most telling touch (the name, then a
 * column, then the table).
 */
export function indexDropConflictReason(touches: readonly Touch[], drop: Pick<PendingEntry, 'key'>): string {
  const rank = (t: Touch) => (t.key === drop.key || t.newKey === drop.key ? 0 : t.object === 'column' ? 1 : 2);
  const touch = [...touches].sort((x, y) => rank(x) - rank(y))[0]!;
  if (touch.action === 'drop') return `drops ${describe(touch)} (the index goes with it)`;
  if (touch.key === drop.key) return touch.action === 'create' ? `creates ${describe(touch)} again, under the same name` : `changes ${describe(touch)}`;
  if (touch.newKey === drop.key) return `renames ${describe(touch)} to the same name`;
  const verb =
    touch.action === 'rename' ? 'renames' : touch.action === 'set-schema' ? 'moves' : (ALTER_WORDS[touch.change ?? ''] ?? `changes (${touch.change ?? touch.action})`);
  return `${verb} ${describe(touch)}: the index must be gone by then`;
}

function describe(t: Touch): string {
  const parts = splitKey(t.key);
  // An extension's key is its bare name.
  return `${t.object} ${parts.length ? parts.map((p) => quoteIdent(p)).join('.') : quoteIdent(t.key)}`;
}

/** The pending set after `effects`. */
export function applyEffects(pending: readonly PendingEntry[], effects: readonly Effect[]): PendingEntry[] {
  const byEntry = new Map(effects.map((e) => [e.entry, e]));
  const out: PendingEntry[] = [];
  for (const entry of pending) {
    const e = byEntry.get(entry);
    if (!e) out.push(entry);
    else if (e.op === 'update') out.push(e.next);
  }
  return out;
}

function samePath(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.length === b.length && a.every((s, i) => s === b[i]));
}

/**
 * The maintenance step for an effect (SQL in blocks.ts), run before a statement whose
 * search_path the migration set to `searchPath` (undefined: the session's own). The
 * entry is found in its table's schema: the one it records, else, when the statement's
 * path is not the one the entry was queued with, the schema the replay resolved it to.
 * Work done inline runs with the search_path the entry was queued with.
 */
export function stepOf(effect: Effect, searchPath?: readonly string[]): MaintenanceStep {
  const { entry } = effect;
  const samePaths = samePath(entry.searchPath, searchPath);
  const tableSchema = entry.tableSchema ?? (samePaths ? undefined : splitKey(entry.tableKey)[0]);
  const base = { kind: entry.kind, objectName: entry.objectName, tableName: entry.tableName, ...(tableSchema === undefined ? {} : { tableSchema }) };
  const path = samePaths ? {} : { queuedSearchPath: true as const };
  // A postponed NOT NULL's temporary check goes with it, cancelled or applied.
  const dropCheck = entry.kind === 'not-null' ? dropNotNullCheckStatement(entry.tableSchema, entry.tableName, entry.objectName) : undefined;
  switch (effect.op) {
    case 'cancel':
      return { op: 'cancel', ...base, reason: effect.reason, ...(dropCheck === undefined ? {} : { undo: dropCheck, ...path }) };
    case 'apply':
      return { op: 'apply', ...base, statement: dropCheck === undefined ? entry.statement : `${entry.statement};\n${dropCheck}`, reason: effect.reason, ...path };
    case 'update':
      return {
        op: 'update',
        ...base,
        set: {
          ...(effect.next.objectName !== entry.objectName ? { objectName: effect.next.objectName } : {}),
          ...(effect.next.tableName !== entry.tableName ? { tableName: effect.next.tableName } : {}),
          ...(effect.next.columns.join('\0') !== entry.columns.join('\0') ? { columns: [...effect.next.columns] } : {}),
          ...(effect.next.statement !== entry.statement ? { statement: effect.next.statement } : {}),
        },
      };
  }
}

export { columnKey, constraintKey };
