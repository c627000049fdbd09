/**
 * `rewrite`: makes a Prisma migration deploy-safe with minimal edits (I4).
 *
 * - `CREATE [UNIQUE] INDEX` on a table that existed before the migration → postponed:
 *   built CONCURRENTLY by `postponed run` (inline where prisma-zd is not installed).
 * - `ADD CONSTRAINT … FOREIGN KEY` or `… CHECK` on an existing table → `NOT VALID` inline, the
 *   `VALIDATE CONSTRAINT` postponed.
 * - `ALTER COLUMN … SET NOT NULL` on an existing column → `CHECK (column IS NOT NULL) NOT
 *   VALID` inline; the validation, the SET NOT NULL it lets skip the scan, and the check's
 *   drop postponed (a partitioned table too: its partitions inherit the check, and each
 *   is proven by it, measured on PostgreSQL 14 and 18).
 * - `ALTER COLUMN … DROP DEFAULT` on an existing column → deferred to `contract`, with
 *   the `DROP SEQUENCE` that goes with it; left alone when something later in the same
 *   migration needs the default gone (Prisma's enum swap).
 * - `DROP INDEX` of a plain index on an existing table → deferred to `contract`, which
 *   drops it CONCURRENTLY; left alone when it is unique or something later in the same
 *   migration needs it gone.
 * - `DROP COLUMN` of an existing column nothing depends on → deferred to `contract` (old
 *   app versions keep selecting it); where prisma-zd is set up the migration only drops
 *   its NOT NULL, so that the new app version inserts without it.
 * - Queue maintenance before later statements that drop, rename or need pending work.
 *
 * Every other byte of the file is kept; a second run changes nothing.
 */
import type { DropStmt, Node } from 'libpg-query';
import { lookupName, type ReplayExecution } from '../facts/context.js';
import type { ColumnFacts, IndexFacts, MigrationFacts, StatementFacts, TableFacts } from '../facts/model.js';
import { columnKey, constraintKey, relationKey } from '../facts/model.js';
import { replayHistory } from '../facts/replay.js';
import { provenNotNull } from '../locks/type-change.js';
import { applyEdits, type Edit } from '../sql/edits.js';
import { quoteIdent, quoteLiteral } from '../sql/ident.js';
import { asNode, referencedColumns, stringList } from '../sql/nodes.js';
import { codeTokens, isStatement, parseSql, type Comment, type ParsedSql, type ParseProblem, type Statement } from '../sql/parse.js';
import { alterTableParts } from './alter.js';
import { conditionalBlock, guardedDeferBlock, maintenanceBlock, markerComment, type EntryKind } from './blocks.js';
import {
  addNotNullCheckStatement,
  columnDropConflict,
  columnDropConflictReason,
  columnListNeeds,
  doBlockDml,
  dropColumnStatement,
  dropDefaultStatement,
  dropNotNullStatement,
  setDefaultStatement,
  entrySpec,
  indexDropConflict,
  indexDropConflictReason,
  notNullCheckName,
  setNotNullStatement,
  noteIndexStatement,
  PendingWork,
  stepOf,
  validateStatement,
  type Effect,
  type PendingEntry,
} from './pending.js';
import { unmanagedView, zdBlockOf, type UnmanagedView } from './view.js';

export interface MigrationSource {
  name: string;
  sql: string;
}

/** Column sub-commands of an ALTER TABLE that neither need nor change the column's default. */
const DEFAULT_AGNOSTIC: ReadonlySet<string> = new Set(['AT_DropNotNull', 'AT_SetNotNull', 'AT_SetStatistics', 'AT_SetStorage', 'AT_SetCompression', 'AT_SetOptions', 'AT_ResetOptions']);

export type ChangeKind =
  | 'postpone-index'
  | 'validate-later'
  | 'postpone-not-null'
  | 'defer-drop-default'
  | 'defer-drop-sequence'
  | 'defer-drop-index'
  | 'defer-drop-column'
  | 'defer-drop-type'
  | 'maintenance';

export interface RewriteChange {
  kind: ChangeKind;
  /** The object, quoted as in SQL: `"Post_title_idx"`, `"Post"."status"`. */
  object: string;
  line: number;
  /** One line for the summary. */
  message: string;
}

export interface RewriteNote {
  line: number;
  message: string;
}

export interface MigrationRewrite {
  name: string;
  original: string;
  text: string;
  changed: boolean;
  changes: RewriteChange[];
  /** Statements deliberately left alone, and why (ignored, partitioned, DO blocks, …). */
  notes: RewriteNote[];
  error?: ParseProblem;
}

export interface RewriteOptions {
  /** Which migrations to rewrite; the others are only read (their pending work is tracked). */
  select: (name: string) => boolean;
  defaultSchema?: string;
  /** How Prisma runs each file (how long a `SET LOCAL search_path` holds). Default `unknown`. */
  execution?: ReplayExecution;
}

// `-- squawk-ignore` is check's alias of `-- prisma-zd-ignore`: rewrite honours it too, so
// that `check` and `rewrite --check` agree on a statement under either.
const IGNORE = /^--\s*(?:prisma-zd|squawk)-ignore(?:\s|:|$)/;
const IGNORE_FILE = /^--\s*(?:prisma-zd|squawk)-ignore-file(?:\s|:|$)/;

/** Does the text end its lines with CRLF (most of them)? */
function usesCrlf(text: string): boolean {
  let crlf = 0;
  let lf = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    if (text.charCodeAt(i - 1) === 13) crlf++;
    else lf++;
  }
  return crlf > lf;
}

/** The ignore comment before the statement (`-- prisma-zd-ignore` or `-- squawk-ignore`), if any. */
function ignoredStatement(s: Statement): string | undefined {
  const c = s.leadingComments.find((c) => c.text.includes('-ignore') && IGNORE.test(c.text) && !IGNORE_FILE.test(c.text));
  return c && /^--\s*([\w-]+)/.exec(c.text)![1];
}

export function ignoredFile(parsed: ParsedSql): boolean {
  // Without `-ignore-file` (Prisma's `-- CreateTable`…) a comment cannot match.
  const ignores = (c: Comment) => c.text.includes('-ignore-file') && IGNORE_FILE.test(c.text);
  for (const s of parsed.statements) for (const c of s.leadingComments) if (ignores(c)) return true;
  for (const c of parsed.trailingComments) if (ignores(c)) return true;
  return false;
}

/**
 * A migration of the history, parsed, with its unmanaged view and the view's replayed
 * facts: what `rewrite` reads. `check` prepares them with its own parse and replay, so
 * the history is parsed and replayed once for both.
 */
export interface PreparedMigration {
  readonly name: string;
  readonly parsed: ParsedSql;
  readonly view: UnmanagedView;
  readonly facts: MigrationFacts;
}

/** Parse a history and replay its unmanaged view. */
export function prepareHistory(history: readonly MigrationSource[], defaultSchema = 'public', execution: ReplayExecution = 'unknown'): PreparedMigration[] {
  const views = history.map((m) => {
    const parsed = parseSql(m.sql);
    return { name: m.name, parsed, view: unmanagedView(parsed) };
  });
  const facts = replayHistory(
    views.map((v) => ({ name: v.name, parsed: v.view.parsed, tops: v.view.source })),
    { defaultSchema, execution },
  );
  return views.map((v, i) => ({ ...v, facts: facts[i]! }));
}

/** Rewrites the selected migrations of a history (in Prisma's order). */
export function rewriteHistory(history: readonly MigrationSource[], opts: RewriteOptions): MigrationRewrite[] {
  return rewritePrepared(prepareHistory(history, opts.defaultSchema, opts.execution), opts).results;
}

/**
 * `rewriteHistory` on a history already parsed and replayed (`prepareHistory`), also
 * giving the work pending after it. `pending`: the work pending before its first
 * migration (the pending work after the migrations before it), so a history can be
 * taken in parts.
 */
export function rewritePrepared(
  history: readonly PreparedMigration[],
  opts: RewriteOptions & { pending?: readonly PendingEntry[] },
): { results: MigrationRewrite[]; pending: readonly PendingEntry[] } {
  const defaultSchema = opts.defaultSchema ?? 'public';
  const pending = new PendingWork(opts.pending);
  const results: MigrationRewrite[] = [];
  for (const w of history) {
    const selected = opts.select(w.name) && !w.parsed.error && !ignoredFile(w.parsed);
    results.push(new MigrationRewriter(w, pending, selected, defaultSchema).run());
  }
  return { results, pending: pending.entries };
}

/** Pending work after a whole history (what a managed database may still have queued). */
export function pendingAfter(history: readonly MigrationSource[], defaultSchema = 'public', execution: ReplayExecution = 'unknown'): PendingEntry[] {
  return pendingHistory(history, defaultSchema, execution).pending;
}

/**
 * The work a history may leave queued, and the work its later statements cancelled or
 * did inline (with the reason), for reconciling a database's queue with it.
 */
export function pendingHistory(
  history: readonly MigrationSource[],
  defaultSchema = 'public',
  execution: ReplayExecution = 'unknown',
): { pending: PendingEntry[]; removed: Array<{ entry: PendingEntry; reason: string }> } {
  const pending = new PendingWork();
  const removed: Array<{ entry: PendingEntry; reason: string }> = [];
  for (const w of prepareHistory(history, defaultSchema, execution)) {
    const r = new MigrationRewriter(w, pending, false, defaultSchema);
    r.run();
    removed.push(...r.removed);
  }
  return { pending: [...pending.entries], removed };
}

class MigrationRewriter {
  readonly edits: Edit[] = [];
  readonly changes: RewriteChange[] = [];
  readonly notes: RewriteNote[] = [];
  /** Statement indexes (of the migration) already replaced by an edit. */
  readonly replaced = new Set<number>();
  /** Entries later statements cancelled or did inline, with the reason. */
  readonly removed: Array<{ entry: PendingEntry; reason: string }> = [];
  /** DROP DEFAULTs deferred in this migration: column key → sequence key drawn from, if any. */
  readonly deferredDefaults = new Map<string, string | undefined>();
  /** Keys of the types of columns whose DROP COLUMN this migration deferred: a DROP TYPE of one moves to contract with them. */
  readonly deferredColumnTypes = new Set<string>();

  constructor(
    readonly w: PreparedMigration,
    readonly pending: PendingWork,
    readonly selected: boolean,
    readonly defaultSchema: string,
  ) {}

  run(): MigrationRewrite {
    const { w } = this;
    if (w.parsed.error) {
      return { name: w.name, original: w.parsed.text, text: w.parsed.text, changed: false, changes: [], notes: [], error: w.parsed.error };
    }
    const viewStatements = w.view.parsed.statements;
    viewStatements.forEach((s, j) => {
      const f = w.facts.statements[j];
      const top = w.parsed.statements[w.view.source[j]!]!;
      if (!f) return;
      this.statement(s, f, top, j);
    });
    // What rewrite writes takes the file's line endings (a CRLF file stays CRLF throughout).
    const crlf = usesCrlf(w.parsed.text);
    const edits = crlf ? this.edits.map((e) => ({ ...e, text: e.text.replace(/\r?\n/g, '\r\n') })) : this.edits;
    const text = applyEdits(w.parsed.text, edits);
    return { name: w.name, original: w.parsed.text, text, changed: text !== w.parsed.text, changes: this.changes, notes: this.notes };
  }

  where(top: Statement): string {
    return `migration ${this.w.name} line ${top.loc.start.line}`;
  }

  /** One statement of the unmanaged view (`s`), from the migration's statement `top`. */
  statement(s: Statement, f: StatementFacts, top: Statement, j: number): void {
    const block = this.w.view.blocks.get(top.index);
    const plain = !block;
    const ignored = this.selected && plain ? ignoredStatement(top) : undefined;
    const active = this.selected && plain && !ignored;
    if (ignored) this.notes.push({ line: top.loc.start.line, message: `left alone: -- ${ignored}` });
    // 1. Maintenance of pending work this statement touches. The DROP SEQUENCE of a
    // deferred default moves to contract with it: it needs no maintenance.
    const moved = this.movedSequence(s, f, block?.role === 'defer' || active);
    // So does the DROP TYPE of the enum of a column whose drop is deferred: the columns of it still standing go first, at contract.
    const movedType = this.movedType(s, f, block?.role === 'defer' || active);
    const effects = (this.pending.size ? this.pending.effectsOf(s, f, this.where(top)) : []).filter(
      (e) =>
        !(moved && e.op === 'apply' && e.entry.kind === 'contract' && e.entry.dependsOn?.includes(moved)) &&
        !(movedType && e.op === 'apply' && e.entry.dropColumn && e.entry.dependsOn?.includes(movedType)),
    );
    // A DROP INDEX deferred to contract carries the cancel of its own index's pending build.
    const deferredDrop = active && s.kind === 'DropStmt' ? this.deferrableDrop(s as Statement<'DropStmt'>, f, top, j, effects) : undefined;
    if (effects.length && active && !deferredDrop) this.maintain(s, f, top, effects);
    for (const e of effects) if (e.op !== 'update') this.removed.push({ entry: e.entry, reason: e.reason });
    this.pending.apply(effects);
    // 2. Our own rewrites (or, for blocks already written, the work they queue).
    if (block) {
      if (block.role === 'postpone' || block.role === 'defer') this.track(s, f, block.role);
      return;
    }
    if (s.kind === 'DoStmt' && active) {
      this.notes.push({ line: top.loc.start.line, message: 'left alone: a DO block (its statements are not rewritten)' });
    }
    if (!active) {
      if (this.selected || !plain) return;
      return;
    }
    if (s.kind === 'IndexStmt') this.index(s as Statement<'IndexStmt'>, f, top);
    else if (s.kind === 'AlterTableStmt') this.alterTable(s as Statement<'AlterTableStmt'>, f, top, j);
    else if (s.kind === 'DropStmt') {
      if (deferredDrop) this.deferDrop(deferredDrop, f, top, effects);
      this.dropSequence(s as Statement<'DropStmt'>, f, top);
      if (movedType) this.dropType(movedType, f, top);
    }
  }

  maintain(s: Statement, f: StatementFacts, top: Statement, effects: Effect[]): void {
    const prev = this.w.parsed.statements[top.index - 1];
    const prevBlock = prev ? zdBlockOf(prev) : undefined;
    if (prevBlock?.role === 'maintain' && prevBlock.original === undefined) return; // already maintained
    const path = this.setPath(f);
    const steps = effects.map((e) => stepOf(e, path));
    const line = top.loc.start.line;
    const describe = effects.map((e) => `${e.op} ${e.entry.kind} ${quoteIdent(e.entry.objectName)}`).join(', ');
    const guard = this.guardIndex(s, effects);
    // A DROP INDEX that a pending index's cancel cannot guard (CONCURRENTLY, several names):
    // IF EXISTS, so that it passes where the index was never built.
    const ifExists = guard ? undefined : this.dropIfExists(s, top, effects);
    if (ifExists) {
      this.edits.push(ifExists);
      this.changes.push({ kind: 'maintenance', object: describe, line, message: 'DROP INDEX … IF EXISTS: an index it drops may still be postponed' });
    }
    if (s.kind === 'DropStmt' && (s.node as { concurrent?: boolean }).concurrent) {
      this.notes.push({ line, message: `DROP INDEX CONCURRENTLY cannot carry queue maintenance: \`postponed run\` reconciles (${describe})` });
      return;
    }
    // CREATE INDEX CONCURRENTLY must stay alone in its file: no maintenance block before it.
    if (s.kind === 'IndexStmt' && (s.node as { concurrent?: boolean }).concurrent) {
      const drops = effects.filter((e) => e.op === 'apply' && e.entry.dropIndex).map((e) => quoteIdent(e.entry.objectName));
      this.notes.push({
        line,
        message: drops.length
          ? `CREATE INDEX CONCURRENTLY cannot carry queue maintenance: where prisma-zd is set up, ${drops.join(', ')} still stands until \`prisma-zd contract\`; run it before this migration is deployed`
          : `CREATE INDEX CONCURRENTLY cannot carry queue maintenance (${describe})`,
      });
      return;
    }
    this.changes.push({ kind: 'maintenance', object: describe, line, message: `queue maintenance before this statement: ${describe}` });
    const comment = markerComment(`keeps the postponed queue in step (${describe})`);
    if (guard) {
      this.replaced.add(top.index);
      this.edits.push({ range: top.range, text: `${comment}\n${maintenanceBlock(steps, top.text, guard)}` });
    } else {
      this.edits.push({ range: { start: top.range.start, end: top.range.start }, text: `${comment}\n${maintenanceBlock(steps, '')};\n` });
    }
  }

  /** ` IF EXISTS` after `DROP INDEX [CONCURRENTLY]` when it drops a pending index and has none. */
  dropIfExists(s: Statement, top: Statement, effects: Effect[]): Edit | undefined {
    if (s.kind !== 'DropStmt' || s.text !== top.text) return undefined;
    const n = s.node as { removeType?: string; missing_ok?: boolean };
    if (n.removeType !== 'OBJECT_INDEX' || n.missing_ok) return undefined;
    if (!effects.some((e) => e.entry.kind === 'index' && e.op === 'cancel')) return undefined;
    const tokens = codeTokens(top.text);
    if (!tokens) return undefined;
    let k = tokens.findIndex((t) => t.text.toUpperCase() === 'INDEX');
    if (k === -1) return undefined;
    if (tokens[k + 1]?.text.toUpperCase() === 'CONCURRENTLY') k++;
    const at = this.w.parsed.textIndex.indexOf(top.byteRange.start + tokens[k]!.end);
    return { range: { start: at, end: at }, text: ' IF EXISTS' };
  }

  /** DROP INDEX / ALTER INDEX … RENAME of a pending index: run only where the index exists. */
  guardIndex(s: Statement, effects: Effect[]): { name: string; schema?: string } | undefined {
    const idx = effects.find((e) => e.entry.kind === 'index' && (e.op === 'cancel' || e.op === 'update'));
    if (!idx) return undefined;
    if (s.kind === 'DropStmt') {
      const n = s.node as { removeType?: string; objects?: Node[]; concurrent?: boolean };
      if (n.removeType !== 'OBJECT_INDEX' || n.concurrent || (n.objects?.length ?? 0) !== 1) return undefined;
      const names = stringList(asNode(n.objects![0], 'List')?.items);
      const name = names[names.length - 1]!;
      return names.length > 1 ? { name, schema: names[0]! } : { name };
    }
    if (s.kind === 'RenameStmt') {
      const n = s.node as { renameType?: string; relation?: { schemaname?: string; relname?: string } };
      if (n.renameType !== 'OBJECT_INDEX' || !n.relation?.relname) return undefined;
      return n.relation.schemaname === undefined ? { name: n.relation.relname } : { name: n.relation.relname, schema: n.relation.schemaname };
    }
    return undefined;
  }

  /** The table `rel` names, resolved with the statement's search_path (the replay's, `SET search_path` included). */
  tableOf(f: StatementFacts, rel: { schemaname?: string; relname?: string } | undefined): TableFacts | undefined {
    if (!rel?.relname) return undefined;
    const { tables } = f.before;
    const key = lookupName(f.searchPath, { schema: rel.schemaname, name: rel.relname }, (k) => tables.has(k));
    return key === undefined ? undefined : tables.get(key);
  }

  /** The statement's search_path when the migration set it; undefined when it is the session's own (`defaultSchema`). */
  setPath(f: StatementFacts): readonly string[] | undefined {
    const path = f.searchPath;
    return path.length === 1 && path[0] === this.defaultSchema ? undefined : path;
  }

  /**
   * Where an entry on `table` (named `rel` in the statement) says its table is: the
   * schema the SQL names; under a search_path the migration set, the schema the name
   * resolved to there, with that path (the queued statement then runs in that schema
   * whatever the session's own search_path is when it runs).
   */
  placement(f: StatementFacts, rel: { schemaname?: string } | undefined, table: TableFacts): { tableSchema?: string; searchPath?: readonly string[] } {
    const path = this.setPath(f);
    const tableSchema = rel?.schemaname ?? (path ? table.schema : undefined);
    return { ...(tableSchema === undefined ? {} : { tableSchema }), ...(path ? { searchPath: [...path] } : {}) };
  }

  /** Existed before this migration (not created, nor dropped and re-created, in it). */
  existing(t: TableFacts | undefined): t is TableFacts {
    return t !== undefined && t.createdIn !== this.w.name;
  }

  index(s: Statement<'IndexStmt'>, f: StatementFacts, top: Statement): void {
    const n = s.node;
    const table = this.tableOf(f, n.relation);
    const line = top.loc.start.line;
    if (!this.existing(table) || n.concurrent) return;
    if (table.partitioned) {
      this.notes.push({ line, message: `left alone: ${quoteIdent(table.name)} is partitioned (PostgreSQL has no CREATE INDEX CONCURRENTLY on a partitioned parent)` });
      return;
    }
    if (!n.idxname) {
      this.notes.push({ line, message: 'left alone: an index without a name cannot be tracked; name it' });
      return;
    }
    const entry = this.indexEntry(s, f, table);
    this.replaced.add(top.index);
    const comment = markerComment(`postponed: index ${quoteIdent(n.idxname)} is built CONCURRENTLY by \`prisma-zd postponed run\` (inline where prisma-zd is not set up)`);
    this.edits.push({ range: top.range, text: `${comment}\n${conditionalBlock('postpone', top.text, entrySpec(entry))}` });
    this.changes.push({ kind: 'postpone-index', object: quoteIdent(n.idxname), line, message: `index ${quoteIdent(n.idxname)} on ${quoteIdent(table.name)}: postponed, built CONCURRENTLY` });
    this.pending.push(entry);
  }

  indexEntry(s: Statement<'IndexStmt'>, f: StatementFacts, table: TableFacts, statement = s.text): PendingEntry {
    const n = s.node;
    // The entry's columns come from the statement's node (PendingWork reads them for every entry it holds).
    if (statement === s.text) noteIndexStatement(statement, n);
    const keyColumns: string[] = [];
    let plainKeys = true;
    for (const p of n.indexParams ?? []) {
      const name = asNode(p, 'IndexElem')?.name;
      if (name === undefined) plainKeys = false;
      else keyColumns.push(name);
    }
    const columns = [...new Set([...keyColumns, ...stringList(n.indexIncludingParams?.map((p) => ({ String: { sval: asNode(p, 'IndexElem')?.name ?? '' } })) as Node[])])];
    return {
      kind: 'index',
      migration: this.w.name,
      key: relationKey(table.schema, n.idxname!),
      tableKey: table.key,
      ...this.placement(f, n.relation, table),
      tableName: table.name,
      objectName: n.idxname!,
      originName: n.idxname!,
      originTable: table.name,
      columns,
      statement,
      unique: Boolean(n.unique),
      ...(plainKeys && !n.whereClause ? { keyColumns } : {}),
    };
  }

  alterTable(s: Statement<'AlterTableStmt'>, f: StatementFacts, top: Statement, j: number): void {
    const n = s.node;
    if (n.objtype !== 'OBJECT_TABLE') return;
    const table = this.tableOf(f, n.relation);
    if (!this.existing(table)) return;
    const placement = this.placement(f, n.relation, table);
    const cmds = (n.cmds ?? []).map((c) => asNode(c, 'AlterTableCmd'));
    const fkCmds: number[] = [];
    const deferCmds: number[] = [];
    const notNullCmds: number[] = [];
    const dropColumnCmds: number[] = [];
    cmds.forEach((c, i) => {
      if (!c) return;
      const con = asNode(c.def, 'Constraint');
      // A named foreign key or CHECK: added NOT VALID, validated later (an unnamed one has no name to validate it by).
      if (c.subtype === 'AT_AddConstraint' && (con?.contype === 'CONSTR_FOREIGN' || con?.contype === 'CONSTR_CHECK') && !con.skip_validation && con.conname) {
        // PostgreSQL before 18 refuses a NOT VALID foreign key on a partitioned table (measured on 14), and
        // a migration must run on every server it is deployed to.
        if (con.contype === 'CONSTR_FOREIGN' && table.partitioned) {
          this.notes.push({
            line: top.loc.start.line,
            message: `left alone: ${quoteIdent(table.name)} is partitioned (PostgreSQL before 18 cannot add a NOT VALID foreign key to a partitioned table)`,
          });
        } else fkCmds.push(i);
      }
      if (c.subtype === 'AT_ColumnDefault' && c.def === undefined && c.name && this.canDefer(table, c.name, cmds, i, j)) deferCmds.push(i);
      if (c.subtype === 'AT_SetNotNull' && c.name) {
        const why = this.cannotPostponeNotNull(table, c.name, cmds, i, j);
        if (why === undefined) notNullCmds.push(i);
        else if (why) this.notes.push({ line: top.loc.start.line, message: `left alone: SET NOT NULL on ${quoteIdent(table.name)}.${quoteIdent(c.name)}: ${why}` });
      }
      if (c.subtype === 'AT_DropColumn' && c.name) {
        const why = this.cannotDeferColumnDrop(f, table, c, cmds, i, j);
        if (why === undefined) dropColumnCmds.push(i);
        else if (why) this.notes.push({ line: top.loc.start.line, message: `left alone: DROP COLUMN ${quoteIdent(table.name)}.${quoteIdent(c.name)}: ${why}` });
      }
    });
    if (!fkCmds.length && !deferCmds.length && !notNullCmds.length && !dropColumnCmds.length) return;
    const parts = alterTableParts(this.w.parsed, top as Statement<'AlterTableStmt'>);
    const line = top.loc.start.line;
    if (!parts) {
      this.notes.push({ line, message: 'left alone: could not locate the ALTER TABLE sub-commands in the text' });
      return;
    }
    const after: string[] = [];
    // A block replaces a statement of one sub-command; otherwise it follows the statement (which loses the sub-command).
    const place = (blockText: string) => {
      if (cmds.length === 1) {
        this.replaced.add(top.index);
        this.edits.push({ range: top.range, text: blockText });
      } else {
        after.push(`${blockText};`);
      }
    };
    for (const i of fkCmds) {
      const con = asNode(cmds[i]!.def, 'Constraint')!;
      const what = con.contype === 'CONSTR_CHECK' ? 'check constraint' : 'foreign key';
      const range = parts.commands[i]!;
      this.edits.push({ range: { start: range.end, end: range.end }, text: ' NOT VALID' });
      const entry: PendingEntry = {
        kind: 'validate',
        migration: this.w.name,
        key: constraintKey(table.key, con.conname!),
        tableKey: table.key,
        ...placement,
        tableName: table.name,
        objectName: con.conname!,
        originName: con.conname!,
        originTable: table.name,
        columns: con.contype === 'CONSTR_CHECK' ? referencedColumns(con.raw_expr) : stringList(con.fk_attrs),
        statement: validateStatement(placement.tableSchema, table.name, con.conname!),
      };
      this.pending.push(entry);
      const comment = markerComment(`postponed: ${what} ${quoteIdent(con.conname!)} is added NOT VALID (brief lock) and validated by \`prisma-zd postponed run\``);
      after.push(`${comment}\n${conditionalBlock('postpone', entry.statement, entrySpec(entry))};`);
      this.changes.push({ kind: 'validate-later', object: quoteIdent(con.conname!), line, message: `${what} ${quoteIdent(con.conname!)} on ${quoteIdent(table.name)}: NOT VALID now, validated later` });
    }
    for (const i of deferCmds) {
      const column = cmds[i]!.name!;
      const col = table.columns.find((c) => c.name === column)!;
      const original = cmds.length === 1 ? top.text : this.subcommandText(parts, i);
      const entry: PendingEntry = {
        kind: 'contract',
        migration: this.w.name,
        key: columnKey(table.key, column),
        tableKey: table.key,
        ...placement,
        tableName: table.name,
        objectName: column,
        originName: column,
        originTable: table.name,
        columns: [column],
        statement: dropDefaultStatement(placement.tableSchema, table.name, column),
        dependsOn: col.defaultSequence ? [col.defaultSequence] : [],
      };
      this.pending.push(entry);
      this.deferredDefaults.set(entry.key, col.defaultSequence);
      const comment = markerComment(`deferred: the default of ${quoteIdent(table.name)}.${quoteIdent(column)} is dropped by \`prisma-zd contract\`, once no old app version inserts without it`);
      const blockText = `${comment}\n${conditionalBlock('defer', original, entrySpec(entry))}`;
      place(blockText);
      this.changes.push({ kind: 'defer-drop-default', object: `${quoteIdent(table.name)}.${quoteIdent(column)}`, line, message: `default of ${quoteIdent(table.name)}.${quoteIdent(column)}: dropped at contract` });
    }
    for (const i of notNullCmds) {
      const column = cmds[i]!.name!;
      const original = cmds.length === 1 ? top.text : this.subcommandText(parts, i);
      const check = notNullCheckName(table.name, column);
      const entry: PendingEntry = {
        kind: 'not-null',
        migration: this.w.name,
        key: columnKey(table.key, column),
        tableKey: table.key,
        ...placement,
        tableName: table.name,
        objectName: check,
        originName: check,
        originTable: table.name,
        columns: [column],
        statement: setNotNullStatement(placement.tableSchema, table.name, column),
      };
      this.pending.push(entry);
      const col = `${quoteIdent(table.name)}.${quoteIdent(column)}`;
      const comment = markerComment(
        `postponed: ${col} is held to CHECK (… IS NOT NULL) NOT VALID now (a brief lock); \`prisma-zd postponed run\` validates it, then sets NOT NULL without a scan`,
      );
      const addCheck = addNotNullCheckStatement(placement.tableSchema, table.name, column, check);
      const blockText = `${comment}\n${conditionalBlock('postpone', original, entrySpec(entry), addCheck)}`;
      place(blockText);
      this.changes.push({ kind: 'postpone-not-null', object: col, line, message: `SET NOT NULL on ${col}: a NOT VALID check now, validated and set NOT NULL later` });
    }
    for (const i of dropColumnCmds) {
      const column = cmds[i]!.name!;
      const col = table.columns.find((c) => c.name === column)!;
      const original = cmds.length === 1 ? top.text : this.subcommandText(parts, i);
      const entry = this.dropColumnEntry(f, placement, table, col);
      this.pending.push(entry);
      for (const key of entry.dependsOn ?? []) this.deferredColumnTypes.add(key);
      const name = `${quoteIdent(table.name)}.${quoteIdent(column)}`;
      // The new app version inserts without the column: where it is NOT NULL without a default, new rows get a placeholder of
      // its type until contract (old app versions read them: Prisma Client 6.19.3 with the query compiler hands a NULL in a
      // required field to code typed never to see one, measured), or NULL where the type has none.
      const relax = col.notNull && col.default === undefined && !col.generated;
      const placeholder = relax ? placeholderOf(col, f) : undefined;
      const until = !relax ? '' : placeholder === undefined ? '; until then it accepts NULL' : `; until then new rows get ${placeholder}`;
      const comment = markerComment(
        `deferred: column ${name} is dropped by \`prisma-zd contract\`, once no old app version selects it (inline where prisma-zd is not set up)${until}`,
      );
      const managedFirst = !relax
        ? undefined
        : placeholder === undefined
          ? dropNotNullStatement(placement.tableSchema, table.name, column)
          : setDefaultStatement(placement.tableSchema, table.name, column, placeholder);
      const blockText = `${comment}\n${conditionalBlock('defer', original, entrySpec(entry), managedFirst)}`;
      place(blockText);
      const meanwhile = !relax ? '' : placeholder === undefined ? ' (NULL allowed until then)' : ` (new rows get ${placeholder} until then)`;
      this.changes.push({ kind: 'defer-drop-column', object: name, line, message: `column ${name}: dropped at contract${meanwhile}` });
    }
    const moved = [...deferCmds, ...notNullCmds, ...dropColumnCmds].sort((a, b) => a - b);
    if (cmds.length > 1 && moved.length) {
      // Remove moved sub-commands (each with one neighbouring comma) from the statement.
      const keep = cmds.map((_, i) => !moved.includes(i));
      if (!keep.some(Boolean)) {
        this.replaced.add(top.index);
        this.edits.push({ range: top.range, text: after.shift()!.replace(/;$/, '') });
      } else {
        // Each run of moved sub-commands goes with the comma before it (after the kept one before it), or, at the start, with the comma after it.
        for (let k = 0; k < cmds.length; k++) {
          if (keep[k]) continue;
          let e = k;
          while (e + 1 < cmds.length && !keep[e + 1]) e++;
          const range = k > 0 ? { start: parts.commands[k - 1]!.end, end: parts.commands[e]!.end } : { start: parts.commands[k]!.start, end: parts.commands[e + 1]!.start };
          this.edits.push({ range, text: '' });
          k = e;
        }
      }
    }
    if (after.length) this.edits.push({ range: { start: top.end, end: top.end }, text: `\n${after.join('\n')}` });
  }

  /** Sub-command `i` of an ALTER TABLE as a statement of its own: the header and that sub-command. */
  subcommandText(parts: NonNullable<ReturnType<typeof alterTableParts>>, i: number): string {
    const text = this.w.parsed.text;
    return `${text.slice(parts.header.start, parts.header.end)} ${text.slice(parts.commands[i]!.start, parts.commands[i]!.end)}`;
  }

  /**
   * Why a SET NOT NULL on an existing table stays as it is: a reason for the notes, ''
   * when it is not worth one (nothing to postpone), undefined when it can be postponed.
   */
  cannotPostponeNotNull(table: TableFacts, column: string, cmds: ReadonlyArray<{ name?: string; subtype?: string } | undefined>, i: number, j: number): string | undefined {
    const col = table.columns.find((c) => c.name === column);
    // Already NOT NULL (a no-op), or a column the replay does not know.
    if (!col || col.notNull) return '';
    // A column added in this migration (ADD COLUMN, backfill, SET NOT NULL): no app version uses it yet, and
    // check reports none of it (adding-not-nullable-field), so that rewrite and check agree.
    if (col.createdIn === this.w.name) return '';
    // A valid CHECK (c IS NOT NULL) already lets it skip the scan (PostgreSQL 12+).
    if (provenNotNull(table, column)) return '';
    const check = notNullCheckName(table.name, column);
    if (table.constraints.some((c) => c.name === check)) return `${quoteIdent(table.name)} already has a constraint named ${quoteIdent(check)}`;
    // A type change in the same statement rewrites the table under the same lock: the NOT NULL check rides along.
    if (cmds.some((c) => c?.subtype === 'AT_AlterColumnType')) return '';
    // Other sub-commands on the column: only its default may change beside it.
    if (cmds.some((c, k) => k !== i && c?.name === column && c.subtype !== 'AT_ColumnDefault')) {
      return 'the statement changes the column otherwise too';
    }
    const key = columnKey(table.key, column);
    if (this.pending.find((p) => p.kind === 'not-null' && p.key === key)) return 'SET NOT NULL of the column is already postponed';
    for (const sf of this.w.facts.statements.slice(j + 1)) {
      for (const t of sf.touches) {
        if (t.key === key && t.action !== 'read' && t.action !== 'write') return 'a later statement of this migration changes the column again';
        if (t.key === table.key && (t.action === 'drop' || t.action === 'rename' || t.action === 'set-schema')) return 'a later statement of this migration drops or renames the table';
        if (t.key === table.key && (t.change === 'partition-of' || t.change === 'attach-partition' || t.change === 'detach-partition')) {
          return 'a later statement of this migration attaches or detaches a partition';
        }
      }
    }
    return undefined;
  }

  /** The `contract` entry of a deferred DROP COLUMN. */
  dropColumnEntry(f: StatementFacts, placement: { tableSchema?: string; searchPath?: readonly string[] }, table: TableFacts, col: ColumnFacts): PendingEntry {
    const dependsOn = new Set<string>(col.defaultTypes ?? []);
    if (col.type.schema !== undefined) dependsOn.add(relationKey(col.type.schema, col.type.name));
    const calls = defaultCalls(col.default);
    return {
      kind: 'contract',
      migration: this.w.name,
      key: columnKey(table.key, col.name),
      tableKey: table.key,
      ...placement,
      tableName: table.name,
      objectName: col.name,
      originName: col.name,
      originTable: table.name,
      columns: [col.name],
      statement: dropColumnStatement(placement.tableSchema, table.name, col.name),
      dependsOn: [...dependsOn],
      dropColumn: true,
      ...(calls.length ? { calls } : {}),
    };
  }

  /**
   * Why a DROP COLUMN of an existing table stays as it is: a reason for the notes, ''
   * when there is nothing to defer, undefined when it can wait for contract. Only a
   * column nothing depends on is deferred: PostgreSQL drops an index or constraint on
   * it with it, and those are the migration's to drop (Prisma drops them explicitly
   * first); nothing later in the migration may need it gone.
   */
  cannotDeferColumnDrop(
    f: StatementFacts,
    table: TableFacts,
    cmd: { name?: string; behavior?: string },
    cmds: ReadonlyArray<{ name?: string; subtype?: string; def?: Node } | undefined>,
    i: number,
    j: number,
  ): string | undefined {
    const column = cmd.name!;
    const col = table.columns.find((c) => c.name === column);
    // Unknown to the replay (DROP COLUMN IF EXISTS of a missing column), or added in this migration: no app version uses it.
    if (!col || col.createdIn === this.w.name) return '';
    const t = quoteIdent(table.name);
    if (cmd.behavior === 'DROP_CASCADE') return 'CASCADE drops what depends on the column with it';
    if (table.partitioned) return `${t} is partitioned`;
    if (table.partitionOf !== undefined) return `${t} is a partition`;
    if (col.identity || col.defaultSequence) return 'the column draws from a sequence (serial or identity), which goes with it';
    // What depends on it is what the replay dropped with it (PostgreSQL drops indexes, constraints and owned
    // sequences with their column; a foreign key of another table can only reference a column under a unique
    // index or constraint, which is one of those).
    for (const touch of f.touches) {
      if (!touch.implicit || touch.action !== 'drop') continue;
      if (touch.object === 'index') {
        const index = f.before.indexes.get(touch.key);
        if (index?.table === table.key && index.columnsReferenced.includes(column)) return `index ${quoteIdent(index.name)} depends on it`;
      } else if (touch.object === 'constraint') {
        const con = table.constraints.find((c) => constraintKey(table.key, c.name) === touch.key);
        if (con?.columns.includes(column)) return `constraint ${quoteIdent(con.name)} depends on it`;
      } else if (touch.object === 'sequence') {
        const seq = f.before.sequences.get(touch.key);
        if (seq?.ownedBy?.table === table.key && seq.ownedBy.column === column) return `sequence ${quoteIdent(seq.name)} is owned by it`;
      }
    }
    for (let k = 0; k < cmds.length; k++) {
      const c = cmds[k];
      if (k === i || !c) continue;
      if (c.name === column || asNode(c.def, 'ColumnDef')?.colname === column) return 'the statement changes or adds a column of that name too';
      if (c.subtype === 'AT_AttachPartition' || c.subtype === 'AT_DetachPartition' || c.subtype === 'AT_AddInherit' || c.subtype === 'AT_DropInherit' || c.subtype === 'AT_AddOf') {
        return 'the statement changes the table\'s partitions or inheritance';
      }
    }
    const entry = this.dropColumnEntry(f, {}, table, col);
    const names = new Map([[table.name, [table.key]]]);
    const statements = this.w.facts.statements;
    for (let k = j + 1; k < statements.length; k++) {
      const later = statements[k]!;
      const at = this.w.parsed.statements[this.w.view.source[k]!]?.loc.start.line;
      // A DO block of plain data statements changes no schema: only its column lists matter (below).
      if (!later.understood && !doBlockDml(this.w.view.parsed.statements[k]!)) return `what line ${at} does to the schema is not known, and it may need the column gone`;
      // The DROP TYPE of its enum (Prisma removes an enum with its last field) moves to contract with it.
      const typeDrop = this.typeDropAt(k);
      const conflicts = later.touches.filter((touch) => columnDropConflict(touch, entry) !== undefined && !(typeDrop !== undefined && touch.key === typeDrop));
      if (conflicts.length) return `line ${at} ${columnDropConflictReason(conflicts, entry)}`;
      if (columnListNeeds(this.w.view.parsed.statements[k]!, later, names).length) {
        return `line ${at} depends on the columns of ${t} (a \`*\`, an INSERT without a column list, LIKE): the column must be gone by then`;
      }
    }
    return undefined;
  }

  /** A DROP DEFAULT can wait for contract unless this migration needs the default gone. */
  canDefer(table: TableFacts, column: string, cmds: ReadonlyArray<{ name?: string; subtype?: string } | undefined>, i: number, j: number): boolean {
    // The column may be new in this migration (Prisma's "required column": ADD COLUMN … NOT NULL
    // DEFAULT x, then DROP DEFAULT): old app versions insert without it all the same.
    const col = table.columns.find((c) => c.name === column);
    if (!col || col.default === undefined) return false;
    // Other sub-commands of the statement on the same column: only those that do not care
    // about the default (Prisma's "make it optional": DROP NOT NULL, DROP DEFAULT in one statement).
    if (cmds.some((c, k) => k !== i && c?.name === column && !DEFAULT_AGNOSTIC.has(c.subtype ?? ''))) return false;
    const key = columnKey(table.key, column);
    const later = this.w.facts.statements.slice(j + 1);
    for (const sf of later) {
      for (const t of sf.touches) {
        if (t.key === key && t.action !== 'read' && t.action !== 'write') return false;
        if (t.key === table.key && (t.action === 'drop' || t.action === 'rename' || t.action === 'set-schema')) return false;
        // The default's own enum type dropped later (the default must be gone by then).
        if (t.action === 'drop' && t.object === 'enum' && col.type.schema !== undefined && t.key === relationKey(col.type.schema, col.type.name)) return false;
        // A function or extension dropped later may be what the default calls (uuid_generate_v4()): it must be gone by then.
        if (t.action === 'drop' && (t.object === 'function' || t.object === 'extension')) return false;
      }
    }
    return true;
  }

  /** The index a one-object `DROP INDEX` drops, with its table and the schema the statement names (facts before it). */
  droppedIndex(n: DropStmt, f: StatementFacts): { index: IndexFacts; table: TableFacts; schema?: string } | undefined {
    const drop = f.touches.find((t) => t.object === 'index' && t.action === 'drop' && !t.implicit);
    const index = drop && f.before.indexes.get(drop.key);
    const table = index && f.before.tables.get(index.table);
    if (!index || !table) return undefined;
    const names = stringList(asNode(n.objects?.[0], 'List')?.items);
    return names.length > 1 ? { index, table, schema: names[0]! } : { index, table };
  }

  /** What `deferDrop` needs when it may defer `s` (a note says why, where it is left alone). */
  deferrableDrop(s: Statement<'DropStmt'>, f: StatementFacts, top: Statement, j: number, effects: readonly Effect[]): { entry: PendingEntry; table: TableFacts } | undefined {
    const n = s.node;
    if (n.removeType !== 'OBJECT_INDEX' || n.concurrent || (n.objects?.length ?? 0) !== 1 || n.behavior === 'DROP_CASCADE') return undefined;
    const dropped = this.droppedIndex(n, f);
    if (!dropped || !this.existing(dropped.table) || dropped.index.createdIn === this.w.name) return undefined;
    const { index, table } = dropped;
    // Its own pending build may be cancelled with it (an index postponed by an earlier migration); any other effect: maintenance as usual.
    if (effects.some((e) => !(e.op === 'cancel' && e.entry.kind === 'index' && e.entry.key === index.key))) return undefined;
    const line = top.loc.start.line;
    const name = quoteIdent(index.name);
    if (index.unique || index.primary || index.constraint !== undefined) {
      this.notes.push({ line, message: `left alone: ${name} is ${index.constraint !== undefined ? 'the index of a constraint' : 'unique'}; the new app version may write what it rejects, so it goes with the migration` });
      return undefined;
    }
    if (table.partitioned) {
      this.notes.push({ line, message: `left alone: ${quoteIdent(table.name)} is partitioned (PostgreSQL has no DROP INDEX CONCURRENTLY on a partitioned table)` });
      return undefined;
    }
    const entry = this.dropIndexEntry(f, dropped, top.text);
    const statements = this.w.facts.statements;
    for (let k = j + 1; k < statements.length; k++) {
      const later = statements[k]!;
      const at = this.w.parsed.statements[this.w.view.source[k]!]?.loc.start.line;
      if (!later.understood) {
        this.notes.push({ line, message: `left alone: what line ${at} does to the schema is not known, and it may need ${name} gone` });
        return undefined;
      }
      const conflicts = later.touches.filter((t) => indexDropConflict(t, entry) !== undefined);
      if (conflicts.length) {
        this.notes.push({ line, message: `left alone: line ${at} ${indexDropConflictReason(conflicts, entry)}` });
        return undefined;
      }
    }
    return { entry, table };
  }

  /**
   * `DROP INDEX` of a plain index on a table that existed before the migration →
   * deferred to `contract`, which drops it CONCURRENTLY: the migration takes no lock for
   * it, and old app versions keep the index their queries use until they are gone. Left
   * alone (`deferrableDrop`): a unique index (the new app version may write what it
   * rejects), an index of a constraint, one on a partitioned table (no DROP INDEX
   * CONCURRENTLY there), and one that a later statement of the migration needs gone (its
   * name taken again, its table renamed or moved, a column it depends on changed or
   * dropped: maintenance would drop it inline there anyway). An index an earlier migration
   * postponed may not be built yet where the migration runs: its build is cancelled there,
   * and the drop is queued only where the index exists.
   */
  deferDrop({ entry, table }: { entry: PendingEntry; table: TableFacts }, f: StatementFacts, top: Statement, effects: readonly Effect[]): void {
    const name = quoteIdent(entry.objectName);
    const line = top.loc.start.line;
    this.pending.push(entry);
    this.replaced.add(top.index);
    const comment = markerComment(`deferred: index ${name} is dropped CONCURRENTLY by \`prisma-zd contract\`, once no old app version runs (inline where prisma-zd is not set up)`);
    const spec = entrySpec(entry);
    const block = effects.length
      ? guardedDeferBlock(top.text, spec, effects.map((e) => stepOf(e, this.setPath(f))), { name: entry.objectName, ...(spec.tableSchema === undefined ? {} : { schema: spec.tableSchema }) })
      : conditionalBlock('defer', top.text, spec);
    this.edits.push({ range: top.range, text: `${comment}\n${block}` });
    const cancelled = effects.length ? ` (its postponed build is cancelled where it has not run)` : '';
    this.changes.push({ kind: 'defer-drop-index', object: name, line, message: `index ${name} on ${quoteIdent(table.name)}: dropped CONCURRENTLY at contract${cancelled}` });
  }

  dropIndexEntry(f: StatementFacts, { index, table, schema }: { index: IndexFacts; table: TableFacts; schema?: string }, statement: string): PendingEntry {
    return {
      kind: 'contract',
      migration: this.w.name,
      key: index.key,
      tableKey: table.key,
      ...this.placement(f, schema === undefined ? undefined : { schemaname: schema }, table),
      tableName: table.name,
      objectName: index.name,
      originName: index.name,
      originTable: table.name,
      columns: [...index.columnsReferenced],
      statement,
      dropIndex: true,
    };
  }

  /** The key of the sequence `s` drops when it is the sequence of a default deferred in this migration. */
  movedSequence(s: Statement, f: StatementFacts, eligible: boolean): string | undefined {
    if (!eligible || s.kind !== 'DropStmt') return undefined;
    const n = (s as Statement<'DropStmt'>).node;
    if (n.removeType !== 'OBJECT_SEQUENCE' || (n.objects?.length ?? 0) !== 1) return undefined;
    const drop = f.touches.find((t) => t.object === 'sequence' && t.action === 'drop' && !t.implicit);
    return drop && [...this.deferredDefaults.values()].includes(drop.key) ? drop.key : undefined;
  }

  /** The DROP SEQUENCE of a deferred default's sequence moves to contract with it. */
  dropSequence(s: Statement<'DropStmt'>, f: StatementFacts, top: Statement): void {
    const n = s.node;
    if (n.removeType !== 'OBJECT_SEQUENCE' || (n.objects?.length ?? 0) !== 1) return;
    const drop = f.touches.find((t) => t.object === 'sequence' && t.action === 'drop' && !t.implicit);
    if (!drop || ![...this.deferredDefaults.values()].includes(drop.key)) return;
    const names = stringList(asNode(n.objects![0], 'List')?.items);
    const seq = names[names.length - 1]!;
    const owner = [...this.deferredDefaults.entries()].find(([, v]) => v === drop.key)![0];
    const ownerEntry = this.pending.find((p) => p.key === owner);
    if (!ownerEntry) return;
    const entry: PendingEntry = {
      kind: 'contract',
      migration: this.w.name,
      key: drop.key,
      tableKey: ownerEntry.tableKey,
      ...(ownerEntry.tableSchema === undefined ? {} : { tableSchema: ownerEntry.tableSchema }),
      ...(ownerEntry.searchPath === undefined ? {} : { searchPath: ownerEntry.searchPath }),
      tableName: ownerEntry.tableName,
      objectName: seq,
      originName: seq,
      originTable: ownerEntry.tableName,
      columns: [...ownerEntry.columns],
      statement: top.text,
    };
    this.pending.push(entry);
    this.replaced.add(top.index);
    const comment = markerComment(`deferred: sequence ${quoteIdent(seq)} is dropped by \`prisma-zd contract\`, after the default that uses it`);
    this.edits.push({ range: top.range, text: `${comment}\n${conditionalBlock('defer', top.text, entrySpec(entry))}` });
    this.changes.push({ kind: 'defer-drop-sequence', object: quoteIdent(seq), line: top.loc.start.line, message: `sequence ${quoteIdent(seq)}: dropped at contract` });
  }

  /** The type a plain one-object `DROP TYPE` (no CASCADE) at view statement `k` of this migration drops, when rewrite may move it. */
  typeDropAt(k: number): string | undefined {
    const s = this.w.view.parsed.statements[k];
    const top = this.w.parsed.statements[this.w.view.source[k]!];
    if (!s || !top || !isPlainTypeDrop(s) || !this.selected || this.w.view.blocks.has(top.index) || ignoredStatement(top)) return undefined;
    return this.w.facts.statements[k]?.touches.find((t) => t.object === 'enum' && t.action === 'drop' && !t.implicit)?.key;
  }

  /** The key of the enum `s` drops when it is the type of a column whose drop this migration deferred. */
  movedType(s: Statement, f: StatementFacts, eligible: boolean): string | undefined {
    if (!eligible || !isPlainTypeDrop(s)) return undefined;
    const drop = f.touches.find((t) => t.object === 'enum' && t.action === 'drop' && !t.implicit);
    return drop && this.deferredColumnTypes.has(drop.key) ? drop.key : undefined;
  }

  /** The contract entry of a moved DROP TYPE: placed with a column of the type whose drop is deferred. */
  dropTypeEntry(key: string, f: StatementFacts, statement: string): PendingEntry | undefined {
    const owner = this.pending.find((p) => p.dropColumn === true && p.dependsOn?.includes(key) === true);
    const type = f.before.enums.get(key);
    if (!owner || !type) return undefined;
    return {
      kind: 'contract',
      migration: this.w.name,
      key,
      tableKey: owner.tableKey,
      ...(owner.tableSchema === undefined ? {} : { tableSchema: owner.tableSchema }),
      ...(owner.searchPath === undefined ? {} : { searchPath: owner.searchPath }),
      tableName: owner.tableName,
      objectName: type.name,
      originName: type.name,
      originTable: owner.tableName,
      columns: [],
      statement,
      dropType: true,
    };
  }

  /** The DROP TYPE of a deferred column's enum moves to contract with it. */
  dropType(key: string, f: StatementFacts, top: Statement): void {
    const entry = this.dropTypeEntry(key, f, top.text);
    if (!entry) return;
    this.pending.push(entry);
    this.replaced.add(top.index);
    const name = quoteIdent(entry.objectName);
    const comment = markerComment(`deferred: type ${name} is dropped by \`prisma-zd contract\`, after the columns of it whose drop is deferred`);
    this.edits.push({ range: top.range, text: `${comment}\n${conditionalBlock('defer', top.text, entrySpec(entry))}` });
    this.changes.push({ kind: 'defer-drop-type', object: name, line: top.loc.start.line, message: `type ${name}: dropped at contract, after its columns` });
  }

  /** The work a block written earlier queues (for maintenance of later statements). */
  track(s: Statement, f: StatementFacts, role: 'postpone' | 'defer'): void {
    if (s.kind === 'IndexStmt') {
      const table = this.tableOf(f, (s as Statement<'IndexStmt'>).node.relation);
      if (table && (s as Statement<'IndexStmt'>).node.idxname) this.pending.push(this.indexEntry(s as Statement<'IndexStmt'>, f, table));
      return;
    }
    if (s.kind === 'AlterTableStmt') {
      const n = (s as Statement<'AlterTableStmt'>).node;
      const table = this.tableOf(f, n.relation);
      const cmd = asNode(n.cmds?.[0], 'AlterTableCmd');
      if (!table || !cmd?.name) return;
      const placement = this.placement(f, n.relation, table);
      const schema = placement.tableSchema;
      const base = {
        migration: this.w.name,
        tableKey: table.key,
        ...placement,
        tableName: table.name,
        originName: cmd.name,
        originTable: table.name,
      };
      if (role === 'postpone' && cmd.subtype === 'AT_ValidateConstraint') {
        const con = table.constraints.find((c) => c.name === cmd.name);
        this.pending.push({ ...base, kind: 'validate', key: constraintKey(table.key, cmd.name), objectName: cmd.name, columns: [...(con?.columns ?? [])], statement: validateStatement(schema, table.name, cmd.name) });
      } else if (role === 'postpone' && cmd.subtype === 'AT_SetNotNull') {
        const check = notNullCheckName(table.name, cmd.name);
        this.pending.push({ ...base, kind: 'not-null', key: columnKey(table.key, cmd.name), objectName: check, originName: check, columns: [cmd.name], statement: setNotNullStatement(schema, table.name, cmd.name) });
      } else if (role === 'defer' && cmd.subtype === 'AT_DropColumn') {
        const col = table.columns.find((c) => c.name === cmd.name);
        if (col) {
          const entry = this.dropColumnEntry(f, placement, table, col);
          this.pending.push(entry);
          for (const key of entry.dependsOn ?? []) this.deferredColumnTypes.add(key);
        }
      } else if (role === 'defer' && cmd.subtype === 'AT_ColumnDefault') {
        const col = table.columns.find((c) => c.name === cmd.name);
        const key = columnKey(table.key, cmd.name);
        this.deferredDefaults.set(key, col?.defaultSequence);
        this.pending.push({ ...base, kind: 'contract', key, objectName: cmd.name, columns: [cmd.name], statement: dropDefaultStatement(schema, table.name, cmd.name), dependsOn: col?.defaultSequence ? [col.defaultSequence] : [] });
      }
      return;
    }
    if (s.kind === 'DropStmt' && role === 'defer' && (s as Statement<'DropStmt'>).node.removeType === 'OBJECT_TYPE') {
      const key = this.movedType(s, f, true);
      if (key) this.pending.push(this.dropTypeEntry(key, f, s.text)!);
      return;
    }
    if (s.kind === 'DropStmt' && role === 'defer' && (s as Statement<'DropStmt'>).node.removeType === 'OBJECT_INDEX') {
      const dropped = this.droppedIndex((s as Statement<'DropStmt'>).node, f);
      if (dropped) this.pending.push(this.dropIndexEntry(f, dropped, s.text));
      return;
    }
    if (s.kind === 'DropStmt' && role === 'defer') {
      const drop = f.touches.find((t) => t.object === 'sequence' && t.action === 'drop' && !t.implicit);
      const owner = drop && [...this.deferredDefaults.entries()].find(([, v]) => v === drop.key);
      const ownerEntry = owner && this.pending.find((p) => p.key === owner[0]);
      if (!drop || !ownerEntry) return;
      const names = stringList(asNode((s as Statement<'DropStmt'>).node.objects?.[0], 'List')?.items);
      this.pending.push({ ...ownerEntry, kind: 'contract', key: drop.key, objectName: names[names.length - 1]!, originName: names[names.length - 1]!, originTable: ownerEntry.tableName, statement: s.text, dependsOn: [] });
    }
  }
}

/** A `DROP TYPE` of one type without CASCADE: what may move to contract with a deferred column of it. */
function isPlainTypeDrop(s: Statement): boolean {
  if (!isStatement(s, 'DropStmt')) return false;
  const n = s.node;
  return n.removeType === 'OBJECT_TYPE' && (n.objects?.length ?? 0) === 1 && n.behavior !== 'DROP_CASCADE';
}

/** Built-in types by canonical name, with the placeholder a row gets in a NOT NULL column of that type the new app version leaves out. */
const PLACEHOLDERS: Readonly<Record<string, string>> = {
  text: `''`,
  'character varying': `''`,
  character: `''`,
  citext: `''`,
  smallint: '0',
  integer: '0',
  bigint: '0',
  numeric: '0',
  real: '0',
  'double precision': '0',
  money: '0',
  boolean: 'false',
  'timestamp without time zone': 'CURRENT_TIMESTAMP',
  'timestamp with time zone': 'CURRENT_TIMESTAMP',
  date: 'CURRENT_DATE',
  jsonb: `'{}'`,
  json: `'{}'`,
  uuid: `'00000000-0000-0000-0000-000000000000'`,
  bytea: `''`,
};

/**
 * A value of the column's type that old app versions can read (their Prisma Client
 * expects the required field to hold one): a zero value, now for a timestamp, the first
 * value of an enum, an empty array; undefined for other types (a domain, a type the
 * replay does not know).
 */
function placeholderOf(col: ColumnFacts, f: StatementFacts): string | undefined {
  if (col.type.arrayDims > 0) return `'{}'`;
  if (col.type.schema !== undefined) {
    const first = f.before.enums.get(relationKey(col.type.schema, col.type.name))?.values[0];
    return first === undefined ? undefined : quoteLiteral(first);
  }
  return PLACEHOLDERS[col.type.name];
}

/** The names of the functions a default expression calls (`uuid_generate_v4()`, `"nanoid"(21)`), as PostgreSQL folds them. */
function defaultCalls(expression: string | undefined): string[] {
  if (expression === undefined) return [];
  const names = new Set<string>();
  for (const m of expression.matchAll(/("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s*\(/g)) {
    const name = m[1]!;
    names.add(name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name.toLowerCase());
  }
  return [...names];
}

export type { EntryKind, PendingEntry };
