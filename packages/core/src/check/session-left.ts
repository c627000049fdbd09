import type { Execution } from './context.js';
import { readHistory } from './history.js';
import { rolesLeft, type RoleLeft } from './roles-left.js';
import type { SourceStatement } from './source.js';

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
    // prisma-zd's own blocks stand for their original statements here: not what they run.
    const plain = m.source.statements.filter((s) => s.origin !== 'zd-block');
    const left = m.facts.sessionSearchPath;
    const at = left ? m.source.statements.find((_, i) => m.facts.statements[i]?.index === left.statement) : undefined;
    const roles = rolesLeft(plain.map((s) => s.statement)).map((r) => ({
      setting: r.setting,
      role: r.role,
      line: line(plain.find((s) => s.statement === r.statement)!),
    }));
    const searchPath = left && at && at.origin !== 'zd-block' ? { path: left.path, line: line(at) } : undefined;
    if (searchPath || roles.length) out.set(m.input.name, { ...(searchPath ? { searchPath } : {}), roles });
  }
  return out;
}
