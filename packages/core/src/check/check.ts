/**
 * `check`: runs the rules over a migration history. The history is replayed once (facts
 * are shared by every rule), `rewrite` is asked once which migrations it would change,
 * and each reported migration gets its rules, its suppressions and its severities.
 */
import type { MigrationFacts } from '../facts/model.js';
import type { Finding, Severity } from '../sql/edits.js';
import type { ParsedSql, ParseProblem } from '../sql/parse.js';
import { TextIndex, type Position } from '../sql/text.js';
import type { MigrationRewrite } from '../zd/rewrite.js';
import { RuleContext, type ContextInit, type Execution, type MigrationStanding, type Report } from './context.js';
import { readHistory, type Checkpoint } from './history.js';
import type { LockMode } from '../locks/locks.js';
import type { Rule } from './rule.js';
import { deletedFinding, rule as deletedMigration, type DeletedMigration } from './rules/deleted-migration.js';
import { rules as allRules } from './rules/index.js';
import type { CheckSource } from './source.js';
import { suppress, suppressionsOf } from './suppress.js';

export interface CheckInput extends MigrationStanding {
  /** The migration's directory name (Prisma's order is the order of the inputs). */
  readonly name: string;
  readonly sql: string;
  /** The file as the user knows it, for messages. Default: `<name>/migration.sql`. */
  readonly path?: string;
  /** Run the rules on it (default true); otherwise it is only replayed, as history. */
  readonly report?: boolean;
}

export type RuleSetting = Severity | 'off';

export interface TableSize {
  /** Estimated rows (`pg_class.reltuples`); negative when never analysed. */
  readonly rows: number;
  /** Table, indexes and TOAST (`pg_total_relation_size`). */
  readonly bytes: number;
}

/** Below both, a lock held for a scan, a rewrite or an index build is short. */
export const TINY_TABLE: TableSize = { rows: 10_000, bytes: 16 * 1024 * 1024 };

export interface CheckOptions {
  /** First schema of the search path. Default `public`. */
  readonly defaultSchema?: string;
  /** Major version of the PostgreSQL the migrations deploy to. Default 14. */
  readonly postgresVersion?: number;
  /** How Prisma runs `migration.sql` (DESIGN §3). Default `unknown`: treated like whole-file. */
  readonly execution?: Execution;
  /** Severity per rule id (`off` disables it), from `prisma-zd.config.ts`. */
  readonly rules?: Readonly<Record<string, RuleSetting>>;
  /** Sizes of tables by key (`"public"."User"`), from `--database-url`. */
  readonly sizes?: ReadonlyMap<string, TableSize>;
  /** The rules to run. Default: all of them. */
  readonly ruleSet?: readonly Rule[];
  /**
   * Start from the state the first `resume.migrations` inputs leave (a checkpoint of an
   * earlier check of the same history: `checkpoint`); none of them may be reported.
   */
  readonly resume?: Checkpoint;
  /**
   * Committed migrations the change deletes (not in the inputs: they are not history any
   * more). Each is reported by `deleted-migration`, in name order among the others.
   */
  readonly deleted?: readonly DeletedMigration[];
  /** Give the checkpoint just before the first reported input (`CheckReport.checkpoint`). */
  readonly checkpoint?: boolean;
}

export interface TableRef {
  readonly key: string;
  readonly schema: string;
  readonly name: string;
  /** As messages show it: `"User"`, or `"auth"."User"` outside the default schema. */
  readonly display: string;
  readonly size?: TableSize;
}

/** A finding located in its migration file, ready to render. */
export interface Diagnostic extends Finding {
  readonly migration: string;
  readonly path: string;
  readonly loc: { readonly start: Position; readonly end: Position };
  readonly docUrl: string;
  readonly lock?: LockMode;
  readonly table?: TableRef;
  /** Running `prisma-zd rewrite` fixes it. */
  readonly fixedBy?: 'rewrite';
  /** The severity was lowered because the table is tiny. */
  readonly tiny?: boolean;
  /** The finding says that old app versions still running break (`OLD_APP_BREAKS`), not only that a lock is held. */
  readonly breaksOldApp?: boolean;
}

/**
 * How a finding says that old app versions break — fail, cannot read, store NULL — rather
 * than that a lock is held: every rule words it so, and the old-app matrices
 * (test/check/old-app-compat.test.ts, old-app-real-client.test.ts) check, change by change,
 * that the findings worded so are the changes that do break a running old app.
 */
export const OLD_APP_BREAKS = /old app versions?\b[^.]*?\b(fail|fails|break|breaks|cannot|store NULL|rejects?)\b/i;

export interface MigrationReport {
  readonly name: string;
  readonly path: string;
  readonly text: string;
  readonly diagnostics: readonly Diagnostic[];
  /** Findings silenced by a suppression comment. */
  readonly suppressed: number;
  readonly parseError?: ParseProblem;
  /** A finding that `prisma-zd rewrite` fixes is reported. */
  readonly needsRewrite: boolean;
}

export interface CheckReport {
  /** The reported migrations, in order. */
  readonly migrations: readonly MigrationReport[];
  readonly diagnostics: readonly Diagnostic[];
  readonly counts: Readonly<Record<Severity, number>>;
  /** Migrations that do not parse (each counts as an error). */
  readonly parseErrors: number;
  /** Migrations replayed for context (all inputs). */
  readonly replayed: number;
  /** With `CheckOptions.checkpoint`: the state just before the first reported migration. */
  readonly checkpoint?: Checkpoint;
}

const LOWER: Readonly<Record<Severity, Severity>> = { error: 'warning', warning: 'info', info: 'info' };

export function isTiny(size: TableSize): boolean {
  return size.bytes < TINY_TABLE.bytes && size.rows < TINY_TABLE.rows;
}

/** Check a migration history. The parser must be initialised (`initParser`). */
export function checkHistory(inputs: readonly CheckInput[], options: CheckOptions = {}): CheckReport {
  const defaultSchema = options.defaultSchema ?? 'public';
  const ruleSet = (options.ruleSet ?? allRules).filter((r) => options.rules?.[r.id] !== 'off');
  // Nothing reported (a change that only deletes migrations): no history to read.
  const history = !inputs.some((i) => i.report !== false) ? { migrations: [] } : readHistory(inputs, {
    defaultSchema,
    ...(options.execution ? { execution: options.execution } : {}),
    ...(options.resume ? { resume: options.resume } : {}),
    ...(options.checkpoint ? { checkpoint: true } : {}),
  });
  const rules: RuleSet = {
    list: ruleSet,
    byId: new Map(ruleSet.map((r) => [r.id, r])),
    ids: { known: KNOWN_RULE_IDS, active: new Set(ruleSet.map((r) => r.id)) },
  };
  const migrations: MigrationReport[] = [];
  for (const m of history.migrations) {
    if (m.input.report === false) continue;
    migrations.push(checkMigration(m.input, m.parsed, m.source, m.facts, m.rewrite, rules, options, defaultSchema, m.afterPrismaZd));
  }
  const deletedRule = rules.byId.get(deletedMigration.id);
  if (deletedRule) {
    for (const d of options.deleted ?? []) {
      const at = migrations.findIndex((m) => Buffer.compare(Buffer.from(m.name), Buffer.from(d.name)) > 0);
      migrations.splice(at === -1 ? migrations.length : at, 0, deletedReport(d, deletedRule, options));
    }
  }
  const diagnostics = migrations.flatMap((m) => m.diagnostics);
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const d of diagnostics) counts[d.severity]++;
  return {
    migrations,
    diagnostics,
    counts,
    parseErrors: migrations.filter((m) => m.parseError).length,
    replayed: inputs.length,
    ...(history.checkpoint ? { checkpoint: history.checkpoint } : {}),
  };
}

/** The rules of a check, read once for all its migrations. */
interface RuleSet {
  readonly list: readonly Rule[];
  readonly byId: ReadonlyMap<string, Rule>;
  readonly ids: ContextInit['ruleIds'];
}

const KNOWN_RULE_IDS: ReadonlySet<string> = new Set(allRules.map((r) => r.id));

function checkMigration(
  input: CheckInput,
  parsed: ParsedSql,
  source: CheckSource,
  facts: MigrationFacts,
  rewrite: MigrationRewrite | undefined,
  rules: RuleSet,
  options: CheckOptions,
  defaultSchema: string,
  afterPrismaZd: boolean,
): MigrationReport {
  const path = input.path ?? `${input.name}/migration.sql`;
  const ctx = new RuleContext({
    name: input.name,
    path,
    parsed,
    source,
    facts,
    rewrite,
    standing: {
      ...(input.committed === undefined ? {} : { committed: input.committed, ...(input.committedRef === undefined ? {} : { committedRef: input.committedRef }) }),
      ...(input.appliedChecksum === undefined ? {} : { appliedChecksum: input.appliedChecksum }),
      ...(input.renamedFrom === undefined ? {} : { renamedFrom: input.renamedFrom, ...(input.renamedApplied ? { renamedApplied: true } : {}) }),
    },
    execution: options.execution ?? 'unknown',
    postgresVersion: options.postgresVersion ?? 14,
    defaultSchema,
    suppressions: suppressionsOf(parsed),
    afterPrismaZd,
    ruleIds: rules.ids,
  });
  const run = (rule: Rule) => {
    ctx.ruleId = rule.id;
    rule.check(ctx);
  };
  for (const rule of rules.list) if (!rule.late) run(rule);
  const early = ctx.reports.splice(0).map((r) => ({ ...r, suppressed: isSuppressed(ctx, r.ruleId, r.report) }));
  ctx.earlier = early;
  for (const rule of rules.list) if (rule.late) run(rule);
  const late = ctx.reports.splice(0).map((r) => ({ ...r, suppressed: isSuppressed(ctx, r.ruleId, r.report) }));
  const kept = [...early, ...late].filter((r) => !r.suppressed);
  const diagnostics = kept
    .map((r) => diagnostic(ctx, rules.byId.get(r.ruleId)!, r.report, path, options))
    .sort((a, b) => a.range.start - b.range.start || a.ruleId.localeCompare(b.ruleId));
  return {
    name: input.name,
    path,
    text: parsed.text,
    diagnostics,
    suppressed: early.length + late.length - kept.length,
    ...(parsed.error ? { parseError: parsed.error } : {}),
    needsRewrite: diagnostics.some((d) => d.fixedBy === 'rewrite'),
  };
}

/** A deleted migration's report: the finding at its first line that is not blank or a comment. */
function deletedReport(d: DeletedMigration, rule: Rule, options: CheckOptions): MigrationReport {
  const lines = d.sql.split('\n');
  let start = 0;
  let line = lines.findIndex((l) => l.trim() !== '' && !l.trimStart().startsWith('--'));
  if (line === -1) line = 0;
  for (let i = 0; i < line; i++) start += lines[i]!.length + 1;
  const end = start + lines[line]!.replace(/\r$/, '').length;
  const index = new TextIndex(d.sql);
  const finding = deletedFinding(d);
  const severity = severityOf(rule, finding.severity, options);
  const diagnostic: Diagnostic = {
    ruleId: rule.id,
    severity,
    message: finding.message,
    help: finding.help,
    range: { start, end },
    migration: d.name,
    path: d.path,
    loc: { start: index.positionOf(start), end: index.positionOf(end) },
    docUrl: rule.docUrl,
  };
  return { name: d.name, path: d.path, text: d.sql, diagnostics: [diagnostic], suppressed: 0, needsRewrite: false };
}

/** The configured severity of the rule, else the finding's own, else the rule's default. */
function severityOf(rule: Rule, own: Severity | undefined, options: CheckOptions): Severity {
  const configured = options.rules?.[rule.id];
  return configured !== undefined && configured !== 'off' ? configured : (own ?? rule.severity);
}

function isSuppressed(ctx: RuleContext, ruleId: string, report: Report): boolean {
  return suppress(ctx.suppressions, ruleId, report.at?.top) !== undefined;
}

function diagnostic(ctx: RuleContext, rule: Rule, report: Report, path: string, options: CheckOptions): Diagnostic {
  const range = report.fileRange ?? ctx.fileRange(report.at, report.range);
  const index = ctx.parsed.textIndex;
  const table = report.table === undefined ? undefined : tableRef(ctx, report, options);
  let severity = severityOf(rule, report.severity, options);
  const sizeSensitive = report.sizeSensitive ?? report.lock !== undefined;
  const tiny = sizeSensitive && table?.size !== undefined && isTiny(table.size);
  if (tiny) severity = LOWER[severity];
  return {
    ruleId: rule.id,
    severity,
    message: report.message,
    help: report.help,
    range,
    migration: ctx.name,
    path,
    loc: { start: index.positionOf(range.start), end: index.positionOf(range.end) },
    docUrl: rule.docUrl,
    ...(report.lock === undefined ? {} : { lock: report.lock }),
    ...(table === undefined ? {} : { table }),
    ...(report.rewrite ? { fixedBy: 'rewrite' as const } : {}),
    ...(tiny ? { tiny } : {}),
    ...(OLD_APP_BREAKS.test(report.message) ? { breaksOldApp: true } : {}),
  };
}

function tableRef(ctx: RuleContext, report: Report, options: CheckOptions): TableRef {
  const key = report.table!;
  const facts = report.at?.facts.before.tables.get(key) ?? ctx.facts.before.tables.get(key) ?? ctx.facts.after.tables.get(key);
  const size = options.sizes?.get(key);
  const schema = facts?.schema ?? ctx.defaultSchema;
  const name = facts?.name ?? key;
  return {
    key,
    schema,
    name,
    display: ctx.displayTable({ schema, name }),
    ...(size === undefined ? {} : { size }),
  };
}

export interface CheckSqlOptions extends CheckOptions {
  /** The migrations before this one, oldest first (each one SQL file). */
  readonly history?: readonly string[];
  /** The migration's name. Default `99999999999999_migration`. */
  readonly name?: string;
  /** Committed text and applied checksum of the migration. */
  readonly standing?: MigrationStanding;
}

/** Check one migration's SQL on top of earlier migrations' SQL (for tools, docs and tests). */
export function checkSql(sql: string, options: CheckSqlOptions = {}): CheckReport {
  const history = (options.history ?? []).map((text, i) => ({
    name: `${String(i).padStart(14, '0')}_history`,
    sql: text,
    report: false,
  }));
  const name = options.name ?? '99999999999999_migration';
  return checkHistory([...history, { name, sql, path: 'migration.sql', ...options.standing }], options);
}
