/**
 * The plan `deploy` prints before it runs anything: per pending migration, each
 * statement's table locks (read from the parsed SQL, `statementLocks`), what is postponed
 * to `postponed run` or deferred to `contract`, and the tables touched with their
 * estimated rows and size (from the catalog).
 */
import type pg from 'pg';
import {
  asNode,
  checkHistory,
  LOCK_EFFECT,
  lockRank,
  parseSql,
  quoteIdent,
  replay,
  statementLocks,
  unmanagedView,
  type BlockRole,
  type Diagnostic,
  type LockMode,
  type Execution,
  type RuleSetting,
  type Statement,
  type TableLock,
} from '@prisma-zd/core';
import type { MigrationFile } from '../project/migrations.js';
import { oneLine } from './failed.js';
import { leavingMigrations, type LeftSettings } from './session-left.js';

export interface PlannedStatement {
  /** 0-based index among the file's statements. */
  index: number;
  line: number;
  text: string;
  locks: TableLock[];
  /** A prisma-zd block: postponed (queued for `postponed run`), deferred (queued for `contract`), or maintenance. */
  zd?: { role: BlockRole; original?: string; work?: PostponedWork };
  opaque?: string;
  /** Advice, e.g. that `prisma-zd rewrite` would postpone this index build. */
  hint?: string;
  /** What `check` says breaks old app versions still running (a dropped column, a removed @unique …), unless suppressed there. */
  breaks?: Array<{ rule: string; message: string; fixedByRewrite?: true }>;
}

function zdOf(zd: { role: BlockRole; original?: string }, work: PostponedWork | undefined): NonNullable<PlannedStatement['zd']> {
  return { role: zd.role, ...(zd.original === undefined ? {} : { original: oneLine(zd.original, 160) }), ...(work === undefined ? {} : { work }) };
}

/** What a postponed block leaves to `postponed run`: an index build, a validation, or a NOT NULL. */
export type PostponedWork = 'index' | 'validate' | 'not-null';

/** The work a postponed block's original statement (`s`, of the unmanaged view) is. */
function postponedWork(s: Statement | undefined): PostponedWork | undefined {
  if (s?.kind === 'IndexStmt') return 'index';
  if (s?.kind !== 'AlterTableStmt') return undefined;
  const cmd = asNode((s.node as { cmds?: unknown[] }).cmds?.[0] as never, 'AlterTableCmd');
  return cmd?.subtype === 'AT_ValidateConstraint' ? 'validate' : cmd?.subtype === 'AT_SetNotNull' ? 'not-null' : undefined;
}

export interface PlannedMigration extends LeftSettings {
  name: string;
  path: string;
  statements: PlannedStatement[];
  /** The strongest lock any statement takes, if any. */
  strongest: LockMode | undefined;
  parseError?: string;
  /** The parser itself could not read the file (a very large one): the SQL may be fine, its locks are not known. */
  unread?: string;
}

export interface TableInfo {
  key: string;
  schema: string;
  name: string;
  /** False: the table does not exist yet (a pending migration creates it). */
  exists: boolean;
  /** Planner estimate (`reltuples`); null when never analysed. */
  rows: number | null;
  /** Table + indexes + TOAST. */
  bytes: number | null;
}

export interface Plan {
  migrations: PlannedMigration[];
  tables: TableInfo[];
}

/** The plan for `pending` (a suffix of `files` in Prisma's order, possibly with gaps). */
export async function buildPlan(
  client: pg.ClientBase,
  files: readonly MigrationFile[],
  pending: readonly MigrationFile[],
  defaultSchema: string,
  execution: Execution = 'unknown',
  checkRules?: Readonly<Record<string, RuleSetting>>,
): Promise<Plan> {
  const pendingNames = new Set(pending.map((p) => p.name));
  const views = files.map((f) => {
    const parsed = parseSql(f.sql);
    return { file: f, parsed, view: unmanagedView(parsed) };
  });
  const facts = replay(views.map((v) => ({ name: v.file.name, parsed: v.view.parsed, tops: v.view.source })), { defaultSchema, execution });
  const migrations: PlannedMigration[] = [];
  const tableKeys = new Map<string, { schema: string; name: string }>();
  // The costs depend on the server (SET NOT NULL proven by a CHECK skips its scan on 12+).
  const version = Number((await client.query<{ v: string }>('SELECT pg_catalog.current_setting($1) AS v', ['server_version_num'])).rows[0]?.v);
  const postgresVersion = Number.isFinite(version) && version > 0 ? Math.floor(version / 10000) : undefined;
  // What each pending file leaves set for Prisma's bookkeeping, read as check reads it.
  const leaving = leavingMigrations(files, pendingNames, defaultSchema, execution);
  views.forEach((v, i) => {
    if (!pendingNames.has(v.file.name)) return;
    const mf = facts[i]!;
    const statements: PlannedStatement[] = v.parsed.statements.map((s) => {
      const j = v.view.source.indexOf(s.index);
      const before = j === -1 ? mf.before : (mf.statements[j]?.before ?? mf.before);
      const r = statementLocks(s, { defaultSchema, before, migration: v.file.name, ...(postgresVersion === undefined ? {} : { postgresVersion }) });
      for (const l of r.locks) tableKeys.set(l.key, { schema: l.schema, name: l.name });
      return {
        index: s.index,
        line: s.loc.start.line,
        text: oneLine(s.text, 160),
        locks: [...r.locks],
        ...(r.zd ? { zd: zdOf(r.zd, r.zd.role === 'postpone' ? postponedWork(j === -1 ? undefined : v.view.parsed.statements[j]) : undefined) } : {}),
        ...(r.opaque ? { opaque: r.opaque } : {}),
      };
    });
    let strongest: LockMode | undefined;
    for (const s of statements) for (const l of s.locks) if (!strongest || lockRank(l.mode) > lockRank(strongest)) strongest = l.mode;
    migrations.push({
      name: v.file.name,
      path: v.file.path,
      statements,
      strongest,
      ...(leaving.get(v.file.name) ?? {}),
      ...(v.parsed.error?.kind === 'parser'
        ? { unread: v.parsed.error.message }
        : v.parsed.error
          ? { parseError: `line ${v.parsed.error.line}: ${v.parsed.error.message}` }
          : {}),
    });
  });
  const tables: TableInfo[] = [];
  for (const [key, t] of tableKeys) {
    const { rows } = await client.query<{ rows: number | null; bytes: string | null }>(
      `SELECT CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::float8 END AS rows, pg_catalog.pg_total_relation_size(c.oid) AS bytes
         FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1)`,
      [key],
    );
    const r = rows[0];
    tables.push({ key, ...t, exists: r !== undefined, rows: r?.rows ?? null, bytes: r?.bytes == null ? null : Number(r.bytes) });
  }
  // Statements on tables that exist now, as check reads them (the same history): a build
  // or scan under a lock there gets what to do instead — `rewrite` where it postpones the
  // work, the rule's own way out where it cannot (SET NOT NULL, an index on a partitioned
  // table, …) — and what breaks the old app versions still running during the rollout.
  const existing = new Map(tables.filter((t) => t.exists).map((t) => [t.key, t]));
  let findings: ReadonlyMap<string, readonly Diagnostic[]> | undefined;
  for (const m of migrations) {
    const parsed = views.find((v) => v.file.name === m.name)!.parsed;
    for (const s of m.statements) {
      if (s.zd || !s.locks.some((l) => existing.has(l.key))) continue;
      findings ??= checkFindings(files, pendingNames, defaultSchema, execution, postgresVersion, checkRules);
      const range = parsed.statements[s.index]!.range;
      const here = (findings.get(m.name) ?? []).filter((d) => d.range.start >= range.start && d.range.start < range.end);
      const breaks = here.filter((d) => d.breaksOldApp);
      if (breaks.length) s.breaks = breaks.map((d) => ({ rule: d.ruleId, message: d.message, ...(d.fixedBy === 'rewrite' ? { fixedByRewrite: true as const } : {}) }));
      const heavy = s.locks.find((l) => existing.has(l.key) && (l.cost === 'build' || l.cost === 'scan') && lockRank(l.mode) >= lockRank('SHARE'));
      if (!heavy) continue;
      const what = `${heavy.cost === 'build' ? 'builds an index' : 'scans the table'} while holding ${heavy.mode} on ${quote(heavy)} (${LOCK_EFFECT[heavy.mode]})`;
      const fixable = here.some((d) => d.fixedBy === 'rewrite');
      const rule = here.find((d) => d.help);
      s.hint = fixable
        ? `${what}: run \`prisma-zd rewrite\` on this migration so the work is postponed`
        : rule
          ? `${what}. ${rule.help} (\`prisma-zd explain ${rule.ruleId}\`)`
          : what;
    }
  }
  return { migrations, tables };
}

/** What `check` reports on each pending migration, read with the same history, execution and server version. */
function checkFindings(
  files: readonly MigrationFile[],
  pending: ReadonlySet<string>,
  defaultSchema: string,
  execution: Execution,
  postgresVersion: number | undefined,
  rules: Readonly<Record<string, RuleSetting>> | undefined,
): Map<string, readonly Diagnostic[]> {
  const report = checkHistory(
    files.map((f) => ({ name: f.name, sql: f.sql, report: pending.has(f.name) })),
    { defaultSchema, execution, ...(postgresVersion === undefined ? {} : { postgresVersion }), ...(rules ? { rules } : {}) },
  );
  return new Map(report.migrations.map((m) => [m.name, m.diagnostics]));
}

function quote(t: { schema: string; name: string }): string {
  return t.schema === 'public' ? quoteIdent(t.name) : `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
}
