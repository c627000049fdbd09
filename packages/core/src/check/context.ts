/**
 * What a rule sees of one migration: its statements as they run (`source.ts`), the
 * replayed facts of each (computed once for all rules), how the migration is executed
 * (transactions), what `rewrite` would change in it, and where it stands in git and in
 * `_prisma_migrations`. Rules report through `report`; the context turns reports into
 * findings located in the migration file.
 */
import type { ReplayExecution } from '../facts/context.js';
import type { MigrationFacts, ObjectKind, StatementFacts, TableFacts, Touch, TouchAction } from '../facts/model.js';
import { quoteIdent } from '../sql/ident.js';
import type { ParsedSql, Statement } from '../sql/parse.js';
import type { Severity } from '../sql/edits.js';
import type { Range } from '../sql/text.js';
import type { ChangeKind, MigrationRewrite, RewriteChange } from '../zd/rewrite.js';
import type { LockMode } from '../locks/locks.js';
import type { CheckSource, SourceProblem, SourceStatement } from './source.js';
import type { Suppression } from './suppress.js';

/** How Prisma sends `migration.sql` to PostgreSQL (DESIGN §3). */
export type Execution = ReplayExecution;

/** The transaction a statement runs in. */
export interface Transaction {
  /** Statements sharing an id run in the same transaction. */
  readonly id: number;
  /** Opened by an explicit `BEGIN`. */
  readonly explicit: boolean;
  /** Number of statements (other than BEGIN/COMMIT) in it. */
  readonly size: number;
}

export interface CheckStatement extends SourceStatement {
  /** Index in `RuleContext.statements`. */
  readonly position: number;
  readonly facts: StatementFacts;
  readonly tx: Transaction;
}

/** What the history knows about the migration beyond its text. */
export interface MigrationStanding {
  /** The text committed in git (HEAD, or the base of `--since`), when it is committed. */
  readonly committed?: string;
  /** Where `committed` is, as the user names it (`--since`'s ref), for the command that restores it. Default `HEAD`. */
  readonly committedRef?: string;
  /** `_prisma_migrations.checksum` when it is applied to the database given. */
  readonly appliedChecksum?: string;
  /**
   * The directory name it had where it is committed (HEAD, or the base of `--since`), when
   * it is a committed migration moved to another directory with the same text.
   */
  readonly renamedFrom?: string;
  /** With `renamedFrom`: the database given applied it under that name. */
  readonly renamedApplied?: boolean;
}

/** A rule's report about one place of the migration. */
export interface Report {
  /** The statement; absent for a finding about the whole file. */
  readonly at?: CheckStatement;
  /** A part of `at`, in the text of `at`'s view (`helpers.alterCommands` gives such ranges). Default: the statement. */
  readonly range?: Range;
  /** A range of the migration file itself (a comment, a line in a DO block); wins over `range`. */
  readonly fileRange?: Range;
  /** What gets locked and for how long, or what breaks, in the user's own names. */
  readonly message: string;
  /** "Instead: …" with the exact command or SQL. */
  readonly help: string;
  /** The strongest table lock the statement takes. */
  readonly lock?: LockMode;
  /** Key of the table the risk is about (sizes from the database are shown for it). */
  readonly table?: string;
  /**
   * The risk grows with the table (a lock held for a scan, a rewrite, an index build):
   * with table sizes known, a tiny table lowers the severity one level. Default: true
   * when `lock` is given.
   */
  readonly sizeSensitive?: boolean;
  /** `rewrite` makes this statement safe: the finding is fixed by running it. */
  readonly rewrite?: RewriteChange;
  /** This case's severity when it differs from the rule's default. */
  readonly severity?: Severity;
}

export interface ContextInit {
  readonly name: string;
  readonly path: string;
  readonly parsed: ParsedSql;
  readonly source: CheckSource;
  readonly facts: MigrationFacts;
  readonly rewrite: MigrationRewrite | undefined;
  readonly standing: MigrationStanding;
  readonly execution: Execution;
  readonly postgresVersion: number;
  readonly defaultSchema: string;
  readonly suppressions: readonly Suppression[];
  /** An earlier migration of the history holds prisma-zd blocks: work may really be pending in the queue. */
  readonly afterPrismaZd: boolean;
  /** Ids of every rule prisma-zd has, and of those running (not `off`). */
  readonly ruleIds: { readonly known: ReadonlySet<string>; readonly active: ReadonlySet<string> };
}

export class RuleContext {
  /** The migration's directory name. */
  readonly name: string;
  /** The file, as the user knows it. */
  readonly path: string;
  /** The file as written. */
  readonly parsed: ParsedSql;
  readonly source: CheckSource;
  readonly facts: MigrationFacts;
  /** All statements as they run, prisma-zd's own blocks included. */
  readonly statements: readonly CheckStatement[];
  /** Statements that are not prisma-zd's own blocks: what rules look at. */
  readonly plain: readonly CheckStatement[];
  readonly rewrite: MigrationRewrite | undefined;
  readonly standing: MigrationStanding;
  readonly execution: Execution;
  readonly postgresVersion: number;
  readonly defaultSchema: string;
  readonly reports: Array<{ ruleId: string; report: Report }> = [];
  /** Suppression comments of the file (`used` is filled once the other rules ran). */
  readonly suppressions: readonly Suppression[];
  readonly ruleIds: ContextInit['ruleIds'];
  readonly afterPrismaZd: boolean;
  /** For late rules: what the other rules reported, and whether a comment suppressed it. */
  earlier: ReadonlyArray<{ readonly ruleId: string; readonly report: Report; readonly suppressed: boolean }> = [];
  /** Set by the checker while a rule runs. */
  ruleId = '';
  /** `alteredTable` by statement position (null: none). */
  readonly #altered: Array<TableFacts | null | undefined> = [];

  constructor(init: ContextInit) {
    this.name = init.name;
    this.path = init.path;
    this.parsed = init.parsed;
    this.source = init.source;
    this.facts = init.facts;
    this.rewrite = init.rewrite;
    this.standing = init.standing;
    this.execution = init.execution;
    this.postgresVersion = init.postgresVersion;
    this.defaultSchema = init.defaultSchema;
    this.suppressions = init.suppressions;
    this.ruleIds = init.ruleIds;
    this.afterPrismaZd = init.afterPrismaZd;
    const txs = transactions(init.parsed.statements, init.execution);
    // Every field spelled out (no spread): one shape for all statements, read by every rule.
    this.statements = init.source.statements.map((s, i) => ({
      statement: s.statement,
      top: s.top,
      origin: s.origin,
      role: s.role,
      range: s.range,
      shift: s.shift,
      position: i,
      facts: init.facts.statements[i]!,
      tx: txs[s.top] ?? NO_TRANSACTION,
    }));
    this.plain = this.statements.filter((s) => s.origin !== 'zd-block');
  }

  report(report: Report): void {
    this.reports.push({ ruleId: this.ruleId, report });
  }

  /** The migration's own top-level statement `s` comes from. */
  top(s: CheckStatement): Statement {
    return this.parsed.statements[s.top]!;
  }

  get problems(): readonly SourceProblem[] {
    return this.source.problems;
  }

  /** `s` runs inside a transaction block (where CONCURRENTLY and VACUUM fail). */
  inTransactionBlock(s: CheckStatement): boolean {
    return s.origin === 'do-block' || s.origin === 'function' || s.tx.explicit || s.tx.size > 1;
  }

  /** Touches of `s` matching the filter. */
  touches(s: CheckStatement, object: ObjectKind, action?: TouchAction, change?: string): Touch[] {
    return s.facts.touches.filter(
      (t) => t.object === object && (action === undefined || t.action === action) && (change === undefined || t.change === change),
    );
  }

  /** The table with this key just before `s`, when it existed before this migration. */
  existingTable(s: CheckStatement, key: string): TableFacts | undefined {
    const table = s.facts.before.tables.get(key);
    return table && table.createdIn !== this.name ? table : undefined;
  }

  /** The first table `s` acts on (action/change filter) that existed before this migration. */
  existingTableTouched(s: CheckStatement, action?: TouchAction, change?: string): TableFacts | undefined {
    for (const t of s.facts.touches) {
      if (t.object !== 'table' || (action !== undefined && t.action !== action) || (change !== undefined && t.change !== change)) continue;
      if (t.createdInMigration) continue;
      const table = this.existingTable(s, t.key);
      if (table) return table;
    }
    return undefined;
  }

  /** `existingTableTouched(s, 'alter')`, remembered by statement position: most rules ask it of every statement. */
  alteredTable(s: CheckStatement): TableFacts | undefined {
    let table = this.#altered[s.position];
    if (table === undefined) this.#altered[s.position] = table = this.existingTableTouched(s, 'alter') ?? null;
    return table ?? undefined;
  }

  /** `"User"`, or `"auth"."User"` outside the default schema. */
  displayTable(table: Pick<TableFacts, 'schema' | 'name'>): string {
    return table.schema === this.defaultSchema ? quoteIdent(table.name) : `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
  }

  /** `"User"."email"`. */
  displayColumn(table: Pick<TableFacts, 'schema' | 'name'>, column: string): string {
    return `${this.displayTable(table)}.${quoteIdent(column)}`;
  }

  /** What `rewrite` changes at `s`'s statement, of this kind (and object, as rewrite quotes it). */
  rewriteChange(s: CheckStatement, kind: ChangeKind, object?: string): RewriteChange | undefined {
    if (s.origin !== 'statement' || !this.rewrite?.changed) return undefined;
    const line = this.top(s).loc.start.line;
    return this.rewrite.changes.find((c) => c.kind === kind && c.line === line && (object === undefined || c.object === object));
  }

  /** Why `rewrite` leaves `s`'s statement alone, when it says (the note that starts `left alone: <about>`, when given). */
  rewriteNote(s: CheckStatement, about?: string): string | undefined {
    if (s.origin !== 'statement' || !this.rewrite) return undefined;
    const line = this.top(s).loc.start.line;
    const prefix = about === undefined ? undefined : `left alone: ${about}`;
    return this.rewrite.notes.find((n) => n.line === line && (prefix === undefined || n.message.startsWith(prefix)))?.message;
  }

  /** The range of a part of `s` in the file: exact for the file's own statements, else where `s` came from. */
  fileRange(s: CheckStatement | undefined, range?: Range): Range {
    if (s === undefined) return range ?? this.parsed.statements[0]?.range ?? { start: 0, end: 0 };
    if (range === undefined || s.shift === undefined) return s.range;
    return { start: range.start + s.shift, end: range.end + s.shift };
  }
}

const NO_TRANSACTION: Transaction = { id: -1, explicit: false, size: 1 };

/** The transaction of each top-level statement under the execution model. */
export function transactions(statements: readonly Statement[], execution: Execution): Transaction[] {
  const ids: number[] = [];
  const explicitIds = new Set<number>();
  let id = 0;
  let open = false;
  for (const s of statements) {
    const kind = s.kind === 'TransactionStmt' ? (s.node as { kind?: string }).kind : undefined;
    const begins = kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START';
    const ends = kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK' || kind === 'TRANS_STMT_PREPARE';
    if (begins) {
      if (execution === 'per-statement' && !open) id++;
      open = true;
      explicitIds.add(id);
      ids.push(id);
      continue;
    }
    if (ends) {
      ids.push(id);
      if ((s.node as { chain?: boolean }).chain === true) {
        // COMMIT / ROLLBACK AND CHAIN: the next explicit transaction opens at once.
        id++;
        explicitIds.add(id);
        continue;
      }
      // After COMMIT, a whole file goes on in a new implicit transaction; per-statement, the next statement opens its own.
      if (execution !== 'per-statement') id++;
      open = false;
      continue;
    }
    if (execution === 'per-statement' && !open) id++;
    ids.push(id);
  }
  const sizes = new Map<number, number>();
  statements.forEach((s, i) => {
    if (s.kind !== 'TransactionStmt') sizes.set(ids[i]!, (sizes.get(ids[i]!) ?? 0) + 1);
  });
  return ids.map((txId) => ({ id: txId, explicit: explicitIds.has(txId), size: sizes.get(txId) ?? 0 }));
}
