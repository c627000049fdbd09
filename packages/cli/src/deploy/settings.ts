/**
 * What `deploy` can be told, declared once: the `deploy` section of `prisma-zd.config.ts`
 * (written type, validated here: unknown keys and bad values are all reported at once)
 * and the resolved settings the library runs with. Sources: defaults < file < flags.
 */
import { ExitCode, UserError } from '../errors.js';
import { parseDurationMs } from '../commands/contract.js';
import type { BlockedSituation, BlockerDecision } from './blockers.js';

export const BLOCKER_POLICIES = ['show', 'cancel', 'terminate', 'off'] as const;
/** What to do about sessions that block Prisma's migration: report them, cancel their query, end their session, or not watch. */
export type BlockerPolicy = (typeof BLOCKER_POLICIES)[number];

/** A duration: milliseconds, or text such as `1s`, `500ms`, `2min`. */
export type Duration = number | string;

/** `deploy` in `prisma-zd.config.ts`, as written. */
export interface DeployConfig {
  /** lock_timeout of every attempt (replaces the schedule's timeouts). */
  lockTimeout?: Duration;
  /** statement_timeout of Prisma's session (default 0: none). */
  statementTimeout?: Duration;
  /** Retries after a lock timeout (attempts = retries + 1). */
  retries?: number;
  /** lock_timeout per attempt, e.g. `'1s*5,3s*3,10s*2'` or `['1s*5', '3s*3']`. */
  retrySchedule?: string | Duration[];
  /** Base pause before a retry; it doubles per retry (at most 15 s), ±30 % jitter. */
  retryDelay?: Duration;
  blockers?: BlockerPolicy;
  /** How long a session must have blocked Prisma before the policy acts on it. */
  blockerGrace?: Duration;
  /** Act only on blockers whose transaction is at least this old. */
  blockerMinAge?: Duration;
  /** Act only on these application names / roles (`*` wildcards); the exclusions win. */
  blockerApps?: string[];
  blockerExcludeApps?: string[];
  blockerUsers?: string[];
  blockerExcludeUsers?: string[];
  /** How often the side connection looks at Prisma's session (default 250 ms). */
  pollInterval?: Duration;
  /** Run `postponed run` after the migrations (default true). */
  postponed?: boolean;
  /** Decides about blockers once they passed the grace period; its answer replaces `blockers` for them. */
  onBlocked?: (situation: BlockedSituation) => BlockerDecision | Promise<BlockerDecision>;
}

export interface BlockerFilters {
  minAgeMs: number;
  apps: string[];
  excludeApps: string[];
  users: string[];
  excludeUsers: string[];
}

export interface DeploySettings {
  /** lock_timeout of each attempt, in order: its length is the number of attempts. */
  schedule: number[];
  statementTimeoutMs: number;
  retryDelayMs: number;
  blockers: BlockerPolicy;
  graceMs: number;
  filters: BlockerFilters;
  pollMs: number;
  postponed: boolean;
  onBlocked?: DeployConfig['onBlocked'];
}

/** 1 s five times, then 3 s three times, then 10 s twice: short waits while the table is busy, longer ones last. */
export const DEFAULT_SCHEDULE = '1s*5,3s*3,10s*2';

export const DEFAULTS = {
  statementTimeoutMs: 0,
  retryDelayMs: 1000,
  blockers: 'show' as BlockerPolicy,
  graceMs: 3000,
  pollMs: 250,
} as const;

/** The flags that override the file (undefined: not given). */
export interface DeployFlags {
  lockTimeout?: string;
  statementTimeout?: string;
  retries?: number;
  retrySchedule?: string;
  retryDelay?: string;
  blockers?: string;
  blockerGrace?: string;
  blockerMinAge?: string;
  blockerApp?: string[];
  blockerExcludeApp?: string[];
  blockerUser?: string[];
  blockerExcludeUser?: string[];
  pollInterval?: string;
  postponed?: boolean;
}

const KEYS: ReadonlySet<string> = new Set([
  'lockTimeout', 'statementTimeout', 'retries', 'retrySchedule', 'retryDelay', 'blockers', 'blockerGrace', 'blockerMinAge',
  'blockerApps', 'blockerExcludeApps', 'blockerUsers', 'blockerExcludeUsers', 'pollInterval', 'postponed', 'onBlocked',
]);

function duration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  if (typeof value === 'string') return parseDurationMs(value);
  return undefined;
}

/** `1s*5,3s*3,10s*2` (also `1s x5`, or a list of such items) → one lock_timeout per attempt. */
export function parseSchedule(value: string | readonly Duration[]): number[] | undefined {
  const items = typeof value === 'string' ? value.split(',') : value;
  const out: number[] = [];
  for (const item of items) {
    if (typeof item === 'number') {
      if (!(item > 0)) return undefined;
      out.push(Math.round(item));
      continue;
    }
    const m = /^\s*([^*x]+?)\s*(?:[*x]\s*(\d+))?\s*$/.exec(item);
    const ms = m ? parseDurationMs(m[1]!) : undefined;
    const times = m?.[2] === undefined ? 1 : Number(m[2]);
    if (ms === undefined || ms <= 0 || !(times >= 1) || times > 1000) return undefined;
    for (let i = 0; i < times; i++) out.push(ms);
  }
  return out.length ? out : undefined;
}

function strings(value: unknown): string[] | undefined {
  if (value === undefined) return [];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return undefined;
}

/** The problems of the config file's `deploy` section alone (checked when the file is loaded, with the other sections'). */
export function deploySectionProblems(file: Readonly<Record<string, unknown>>, fileName: string | undefined): string[] {
  const problems: string[] = [];
  resolveDeploySettings(file, fileName, {}, problems);
  return problems;
}

/**
 * Validates the file's section and the flags together (every problem at once) and resolves
 * them. With `collect`, problems are pushed there instead of thrown.
 */
export function resolveDeploySettings(
  file: Readonly<Record<string, unknown>>,
  fileName: string | undefined,
  flags: DeployFlags,
  collect?: string[],
): DeploySettings {
  const problems: string[] = collect ?? [];
  const where = (key: string) => `"deploy.${key}" in ${fileName ?? 'prisma-zd.config.ts'}`;
  for (const key of Object.keys(file)) {
    if (!KEYS.has(key)) problems.push(`unknown key ${where(key)} (known: ${[...KEYS].join(', ')})`);
  }
  const pick = <T>(flag: string | undefined, flagName: string, key: string, parse: (v: unknown) => T | undefined): T | undefined => {
    if (flag !== undefined) {
      const v = parse(flag);
      if (v === undefined) problems.push(`--${flagName} ${flag} is not valid`);
      return v;
    }
    if (file[key] === undefined) return undefined;
    const v = parse(file[key]);
    if (v === undefined) problems.push(`${where(key)} is not valid: ${JSON.stringify(file[key])}`);
    return v;
  };
  const lockTimeout = pick(flags.lockTimeout, 'lock-timeout', 'lockTimeout', (v) => {
    const ms = duration(v);
    return ms !== undefined && ms > 0 ? ms : undefined;
  });
  const schedule = pick(flags.retrySchedule, 'retry-schedule', 'retrySchedule', (v) =>
    typeof v === 'string' || Array.isArray(v) ? parseSchedule(v as string | Duration[]) : undefined,
  );
  const retries = pick(flags.retries === undefined ? undefined : String(flags.retries), 'retries', 'retries', (v) => {
    const n = Number(v);
    return Number.isInteger(n) && n >= 0 && n <= 1000 ? n : undefined;
  });
  const statementTimeoutMs = pick(flags.statementTimeout, 'statement-timeout', 'statementTimeout', duration);
  const retryDelayMs = pick(flags.retryDelay, 'retry-delay', 'retryDelay', duration);
  const blockers = pick(flags.blockers, 'blockers', 'blockers', (v) =>
    (BLOCKER_POLICIES as readonly unknown[]).includes(v) ? (v as BlockerPolicy) : undefined,
  );
  const graceMs = pick(flags.blockerGrace, 'blocker-grace', 'blockerGrace', duration);
  const minAgeMs = pick(flags.blockerMinAge, 'blocker-min-age', 'blockerMinAge', duration);
  const pollMs = pick(flags.pollInterval, 'poll-interval', 'pollInterval', (v) => {
    const ms = duration(v);
    return ms !== undefined && ms >= 10 ? ms : undefined;
  });
  const list = (flag: string[] | undefined, key: string) => {
    if (flag !== undefined && flag.length) return flag;
    const v = strings(file[key]);
    if (v === undefined) problems.push(`${where(key)} must be an array of names`);
    return v ?? [];
  };
  const filters: BlockerFilters = {
    minAgeMs: minAgeMs ?? 0,
    apps: list(flags.blockerApp, 'blockerApps'),
    excludeApps: list(flags.blockerExcludeApp, 'blockerExcludeApps'),
    users: list(flags.blockerUser, 'blockerUsers'),
    excludeUsers: list(flags.blockerExcludeUser, 'blockerExcludeUsers'),
  };
  const postponed = flags.postponed ?? (file['postponed'] === undefined ? true : file['postponed']);
  if (typeof postponed !== 'boolean') problems.push(`${where('postponed')} must be true or false`);
  const onBlocked = file['onBlocked'];
  if (onBlocked !== undefined && typeof onBlocked !== 'function') problems.push(`${where('onBlocked')} must be a function`);
  if (problems.length && !collect) {
    throw new UserError({
      code: 'ZD_USAGE',
      message: `deploy options are not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      hint: 'Durations look like 500ms, 2s or 1min; a retry schedule like 1s*5,3s*3,10s*2; --blockers is show, cancel, terminate or off.',
      exit: ExitCode.Usage,
    });
  }
  // The schedule: explicit, else the default; --lock-timeout flattens it; --retries cuts or extends it.
  let timeouts = schedule ?? parseSchedule(DEFAULT_SCHEDULE)!;
  if (lockTimeout !== undefined) timeouts = timeouts.map(() => lockTimeout);
  if (retries !== undefined) {
    const n = retries + 1;
    timeouts = Array.from({ length: n }, (_, i) => timeouts[Math.min(i, timeouts.length - 1)]!);
  }
  return {
    schedule: timeouts,
    statementTimeoutMs: statementTimeoutMs ?? DEFAULTS.statementTimeoutMs,
    retryDelayMs: retryDelayMs ?? DEFAULTS.retryDelayMs,
    blockers: blockers ?? DEFAULTS.blockers,
    graceMs: graceMs ?? DEFAULTS.graceMs,
    filters,
    pollMs: pollMs ?? DEFAULTS.pollMs,
    postponed: postponed as boolean,
    ...(typeof onBlocked === 'function' ? { onBlocked: onBlocked as DeployConfig['onBlocked'] } : {}),
  };
}

/** Pause before attempt `n` (2-based: the first retry): `base`·2^(n-2), capped at 15 s, then ±30 % jitter. */
export function retryDelay(baseMs: number, n: number, random: () => number = Math.random): number {
  const ms = Math.min(15_000, baseMs * 2 ** Math.max(0, n - 2));
  return Math.round(ms * (0.7 + random() * 0.6));
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1))}s`;
  return `${Number((ms / 60_000).toFixed(1))}min`;
}
