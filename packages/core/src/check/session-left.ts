import type { MigrationFacts } from '../facts/model.js';
import type { Execution } from './context.js';
import { readHistory } from './history.js';
import { rolesLeft, type RoleLeft } from './roles-left.js';
import type { SourceStatement } from './source.js';

/** A statement of a migration's source view with its replay facts (a rule's `CheckStatement` is one). */
type FactStatement = Pick<SourceStatement, 'statement' | 'origin'> & { readonly facts: { readonly index: number } };

/**
 * What the migration leaves set, at the statements that set it: the session search_path
 * (`facts.sessionSearchPath`) and the roles (`rolesLeft`). prisma-zd's own blocks stand for
 * their original statements in the source view, not for what they run: never counted.
 * What check's search-path-not-reset and role-not-reset report, and `sessionLeft` returns.
 */
export function leftAt<T extends FactStatement>(
  statements: readonly T[],
  facts: Pick<MigrationFacts, 'sessionSearchPath'>,
  execution: Execution = 'unknown',
): { searchPath?: { path: readonly string[]; at: T }; roles: Array<{ setting: RoleLeft['setting']; role: string; at: T }> } {
  const plain = statements.filter((s) => s.origin !== 'zd-block');
  const left = facts.sessionSearchPath;
  const at = left ? statements.find((s) => s.facts.index === left.statement) : undefined;
  const roles = rolesLeft(plain.map((s) => s.statement), execution).map((r) => ({ setting: r.setting, role: r.role, at: plain.find((s) => s.statement === r.statement)! }));
  return { ...(left && at && at.origin !== 'zd-block' ? { searchPath: { path: left.path, at } } : {}), roles };
}

/**
 * What a migration leaves set for what runs after it on the same connection: Prisma's
 * bookkeeping in "_prisma_migrations", then the next pending migrations. The same reading
 * as check's search-path-not-reset and role-not-reset (DO blocks and the bodies of the
 * history's functions included); the lines are the migration file's.
 */
export interface SessionLeft {
  /** The session-level search_path left set, and the line that set it. */
  readonly searchPath?: { readonly path: readonly string[]; readonly line: number };
  /** `SET ROLE` / `SET SESSION AUTHORIZATION` left in effect, and the line of each. */
  readonly roles: ReadonlyArray<{ readonly setting: RoleLeft['setting']; readonly role: string; readonly line: number }>;
}

export interface SessionLeftOptions {
  readonly defaultSchema?: string;
  readonly execution?: Execution;
  /** Only these migrations (by name); the others are read as history. Default: all. */
  readonly only?: ReadonlySet<string>;
}

/**
 * For each migration of a history (in Prisma's order) that leaves a search_path or a role
 * set, what it leaves. The parser must be initialised.
 */
export function sessionLeft(history: ReadonlyArray<{ readonly name: string; readonly sql: string }>, options: SessionLeftOptions = {}): Map<string, SessionLeft> {
  const read = readHistory(
    history.map((m) => ({ name: m.name, sql: m.sql, report: false })),
    { defaultSchema: options.defaultSchema ?? 'public', ...(options.execution ? { execution: options.execution } : {}) },
  );
  const out = new Map<string, SessionLeft>();
  for (const m of read.migrations) {
    if (options.only && !options.only.has(m.input.name)) continue;
    const line = (s: SourceStatement) => m.parsed.textIndex.positionOf(s.range.start).line;
    const statements = m.source.statements.map((s, i) => ({ ...s, facts: m.facts.statements[i] ?? { index: -1 } }));
    const left = leftAt(statements, m.facts, options.execution);
    const roles = left.roles.map((r) => ({ setting: r.setting, role: r.role, line: line(r.at) }));
    const searchPath = left.searchPath ? { path: left.searchPath.path, line: line(left.searchPath.at) } : undefined;
    if (searchPath || roles.length) out.set(m.input.name, { ...(searchPath ? { searchPath } : {}), roles });
  }
  return out;
}
