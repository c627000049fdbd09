/**
 * Sessions that block Prisma's migration, and what the policy may do about them. The
 * rules that no setting overrides: never a prisma-zd session, never replication or any
 * other non-client process, never a session that does not block Prisma's backend at the
 * moment of acting (checked in the same statement that signals it, see monitor.ts).
 */
import type { BlockerFilters, BlockerPolicy } from './settings.js';

export type BlockerAction = 'show' | 'cancel' | 'terminate';

export interface BlockerInfo {
  pid: number;
  user: string | null;
  application: string | null;
  clientAddr: string | null;
  backendType: string | null;
  /** `active`, `idle in transaction`, … */
  state: string | null;
  /** Age of its transaction (ms), null outside a transaction or when not visible. */
  xactAgeMs: number | null;
  query: string | null;
  /** Why prisma-zd never acts on it; undefined when it may. */
  protectedReason?: string;
  /** Why the filters (--blocker-min-age, --blocker-app, …) leave it alone; undefined when they allow acting. */
  filteredReason?: string;
  /** How long it has been blocking Prisma (since first seen doing so in this run). */
  blockingMs: number;
}

/** What `onBlocked` in prisma-zd.config.ts receives. */
export interface BlockedSituation {
  run: string;
  attempt: number;
  /** Prisma's backend and the lock it waits for. */
  prisma: { pid: number; waitingForMs: number; relation: string | null; mode: string | null; lockTimeoutMs: number };
  /** Every session blocking it now (protected ones included, marked). */
  blockers: BlockerInfo[];
  /** The configured policy (what happens when the hook returns undefined). */
  policy: BlockerPolicy;
}

/** The hook's answer: an action for the blockers the filters allow, or for the pids it names (never protected ones). */
export type BlockerDecision = BlockerAction | { action: BlockerAction; pids?: number[]; reason?: string } | undefined | void;

export interface ActivityRow {
  pid: number;
  usename: string | null;
  application_name: string | null;
  client_addr: string | null;
  backend_type: string | null;
  state: string | null;
  xact_ms: number | null;
}

/** Why prisma-zd never signals this session, or undefined. */
export function protectedReason(pid: number, row: ActivityRow | undefined): string | undefined {
  if (pid === 0) return 'a prepared transaction (end it with COMMIT PREPARED or ROLLBACK PREPARED; see pg_prepared_xacts)';
  if (!row) return 'not visible in pg_stat_activity';
  if (row.application_name?.startsWith('prisma-zd/')) return 'a prisma-zd session';
  if (row.backend_type === 'walsender') return 'replication (walsender)';
  // backend_type is hidden from roles without pg_read_all_stats: the signalling statement checks pg_stat_replication then.
  if (row.backend_type !== null && row.backend_type !== 'client backend') return `a ${row.backend_type} process`;
  return undefined;
}

/** `*` matches any run of characters; everything else literally. */
export function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

/** Why the user's filters leave this blocker alone, or undefined. */
export function filteredReason(b: Pick<BlockerInfo, 'application' | 'user' | 'xactAgeMs'>, f: BlockerFilters): string | undefined {
  const app = b.application ?? '';
  const user = b.user ?? '';
  if (f.minAgeMs > 0 && b.xactAgeMs === null) return 'its transaction age is not visible to this role (pg_read_all_stats), so the minimum age cannot be checked';
  if (f.minAgeMs > 0 && (b.xactAgeMs ?? 0) < f.minAgeMs) return `its transaction is younger than the minimum age (${f.minAgeMs} ms)`;
  if (f.apps.length && !f.apps.some((p) => globMatch(p, app))) return `application "${app}" is not among ${f.apps.join(', ')}`;
  if (f.excludeApps.some((p) => globMatch(p, app))) return `application "${app}" is excluded`;
  if (f.users.length && !f.users.some((p) => globMatch(p, user))) return `role "${user}" is not among ${f.users.join(', ')}`;
  if (f.excludeUsers.some((p) => globMatch(p, user))) return `role "${user}" is excluded`;
  return undefined;
}

/** The pids to act on and how, from the policy or the hook's decision. */
export function chooseTargets(
  blockers: readonly BlockerInfo[],
  policy: BlockerPolicy,
  decision: BlockerDecision,
): { action: BlockerAction; pids: number[]; reason?: string } {
  const allowed = blockers.filter((b) => !b.protectedReason);
  if (decision !== undefined) {
    const d = typeof decision === 'string' ? { action: decision } : decision;
    if (d.pids) return { action: d.action, pids: allowed.filter((b) => d.pids!.includes(b.pid)).map((b) => b.pid), ...(d.reason ? { reason: d.reason } : {}) };
    return { action: d.action, pids: allowed.filter((b) => !b.filteredReason).map((b) => b.pid), ...(d.reason ? { reason: d.reason } : {}) };
  }
  const action: BlockerAction = policy === 'off' ? 'show' : policy;
  return { action, pids: allowed.filter((b) => !b.filteredReason).map((b) => b.pid) };
}

/** `AccessExclusiveLock` → `ACCESS EXCLUSIVE`. */
export function lockModeName(mode: string | null): string | null {
  if (!mode) return null;
  return mode.replace(/Lock$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}
