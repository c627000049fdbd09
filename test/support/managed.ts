import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { installSchema } from '../../packages/cli/src/queue/schema.js';
import { runPostponed } from '../../packages/cli/src/queue/runner.js';
import { runContract } from '../../packages/cli/src/queue/contract.js';
import { applyLikePrisma, type ExecMode } from './apply.js';

/** A migrations folder on disk for a history (the runner reconciles against it). */
export function writeMigrationsFolder(history: ReadonlyArray<{ name: string; sql: string }>): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'zd-migrations-'));
  writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  for (const m of history) {
    mkdirSync(join(dir, m.name));
    writeFileSync(join(dir, m.name, 'migration.sql'), m.sql);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function setUp(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await installSchema(c);
  } finally {
    await c.end();
  }
}

/**
 * Deploys a rewritten history to a managed database in batches; after the batches in
 * `runAfter` the queue runs. Then the queue and contract run to the end.
 */
export async function deployManaged(
  url: string,
  history: ReadonlyArray<{ name: string; sql: string }>,
  opts: { batches: number[][]; runAfter: Set<number>; migrationsDir: string; mode?: ExecMode },
): Promise<{ failures: string[] }> {
  const failures: string[] = [];
  const run = async () => {
    const r = await runPostponed({ url, migrationsDir: opts.migrationsDir });
    for (const o of r.outcomes) if (o.status === 'failed') failures.push(`${o.label}: ${o.error}`);
  };
  for (let b = 0; b < opts.batches.length; b++) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      for (const i of opts.batches[b]!) await applyLikePrisma(c, history[i]!, opts.mode);
    } finally {
      await c.end();
    }
    if (opts.runAfter.has(b)) await run();
  }
  await run();
  const contract = await runContract({ url, migrationsDir: opts.migrationsDir });
  for (const o of contract.outcomes) if (o.status !== 'applied') failures.push(`contract ${o.label}: ${o.error ?? o.status}`);
  return { failures };
}

/** Cuts `n` migrations into random consecutive batches and picks random points to run the queue. */
export function randomSchedule(n: number, rand: () => number, maxBatch = 25): { batches: number[][]; runAfter: Set<number> } {
  const batches: number[][] = [];
  let i = 0;
  while (i < n) {
    const size = 1 + Math.floor(rand() * maxBatch);
    batches.push(Array.from({ length: Math.min(size, n - i) }, (_, k) => i + k));
    i += size;
  }
  const runAfter = new Set<number>();
  batches.forEach((_, b) => {
    if (rand() < 0.4) runAfter.add(b);
  });
  return { batches, runAfter };
}

/**
 * I1 + I2 for one history: the original applied to an unmanaged database, the rewritten
 * one applied to an unmanaged database and, in the given batches, to a managed one
 * (queue and contract run at the end). Returns the differences of both with the original.
 */
export async function checkConvergence(opts: {
  history: Array<{ name: string; sql: string }>;
  /** Migrations to rewrite (default: all but the first). */
  select?: (name: string) => boolean;
  mode?: ExecMode;
  batches?: number[][];
  runAfter?: Set<number>;
  /** The databases come with the first migration applied (a template): apply the rest. */
  skipFirst?: boolean;
  create: () => Promise<{ url: string; drop(): Promise<void> }>;
}): Promise<{ unmanaged: string[]; managed: string[]; failures: string[]; rewritten: Array<{ name: string; sql: string }> }> {
  const { initParser, rewriteHistory } = await import('@prisma-zd/core');
  const { diffFingerprints, fingerprintUrl } = await import('../../packages/cli/src/db/fingerprint.js');
  const { applyHistory } = await import('./apply.js');
  await initParser();
  const first = opts.history[0]!.name;
  const rewritten = rewriteHistory(opts.history, { select: opts.select ?? ((n) => n !== first) }).map((r) => ({ name: r.name, sql: r.text }));
  const [a, u, m] = await Promise.all([opts.create(), opts.create(), opts.create()]);
  const folder = writeMigrationsFolder(rewritten);
  try {
    const skip = opts.skipFirst ? 1 : 0;
    const plain = await applyHistory(a.url, opts.history.slice(skip), { mode: opts.mode });
    if (plain.error) throw new Error(`the original history fails at ${plain.error.migration}: ${plain.error.message}`);
    const un = await applyHistory(u.url, rewritten.slice(skip), { mode: opts.mode });
    if (un.error) throw new Error(`the rewritten history fails unmanaged at ${un.error.migration}: ${un.error.message}`);
    await setUp(m.url);
    const n = rewritten.length - skip;
    const { failures } = await deployManaged(m.url, rewritten.slice(skip), {
      batches: opts.batches ?? Array.from({ length: n }, (_, i) => [i]),
      runAfter: opts.runAfter ?? new Set(),
      migrationsDir: folder.dir,
      ...(opts.mode ? { mode: opts.mode } : {}),
    });
    const want = await fingerprintUrl(a.url);
    return {
      unmanaged: diffFingerprints(want, await fingerprintUrl(u.url)).map((d) => d.message),
      managed: diffFingerprints(want, await fingerprintUrl(m.url)).map((d) => d.message),
      failures,
      rewritten,
    };
  } finally {
    folder.cleanup();
    await Promise.all([a.drop(), u.drop(), m.drop()]);
  }
}

/** How a scenario's migrations reach a managed database: together or apart, the queue run between or not. */
export interface Batching {
  readonly name: string;
  readonly batches: (n: number) => number[][];
  readonly runAfter: (n: number) => Set<number>;
}

export const BATCHINGS: readonly Batching[] = [
  { name: 'one batch', batches: (n) => [Array.from({ length: n }, (_, i) => i)], runAfter: () => new Set() },
  { name: 'apart, queue not run between', batches: (n) => Array.from({ length: n }, (_, i) => [i]), runAfter: () => new Set() },
  { name: 'apart, queue run between', batches: (n) => Array.from({ length: n }, (_, i) => [i]), runAfter: (n) => new Set(Array.from({ length: n }, (_, i) => i)) },
];

/**
 * I2 for one scenario: `steps` after the base migration (`base`, already applied in the
 * `template` database), original on an unmanaged database and rewritten on a managed one
 * in `batching`: no failure, and the same schema. `changed`: the first step must be rewritten.
 */
export async function expectScenarioConverges(opts: {
  base: string;
  template: () => Promise<string>;
  steps: readonly string[];
  mode: ExecMode;
  batching: Batching;
  changed?: boolean;
}): Promise<void> {
  const { expect } = await import('vitest');
  const { initParser, rewriteHistory } = await import('@prisma-zd/core');
  const { diffFingerprints, fingerprintUrl, formatDiff } = await import('../../packages/cli/src/db/fingerprint.js');
  const { applyHistory } = await import('./apply.js');
  const { freshDatabase } = await import('./db.js');
  await initParser();
  const BASE_NAME = '20260101000000_base';
  const original = opts.steps.map((sql, i) => ({ name: `2026010100000${i + 1}_step${i + 1}`, sql }));
  const rewritten = rewriteHistory([{ name: BASE_NAME, sql: opts.base }, ...original], { select: (n) => n !== BASE_NAME });
  if (opts.changed) expect(rewritten[1]!.changed).toBe(true);
  const steps = rewritten.slice(1).map((r) => ({ name: r.name, sql: r.text }));
  const a = await freshDatabase({ template: await opts.template() });
  const m = await freshDatabase({ template: await opts.template() });
  const folder = writeMigrationsFolder([{ name: BASE_NAME, sql: opts.base }, ...steps]);
  try {
    const plain = await applyHistory(a.url, original, { mode: opts.mode });
    expect(plain.error).toBeUndefined();
    await setUp(m.url);
    const { failures } = await deployManaged(m.url, steps, {
      batches: opts.batching.batches(steps.length),
      runAfter: opts.batching.runAfter(steps.length),
      migrationsDir: folder.dir,
      mode: opts.mode,
    });
    expect(failures).toEqual([]);
    const diff = diffFingerprints(await fingerprintUrl(a.url), await fingerprintUrl(m.url));
    expect(diff, formatDiff(diff)).toEqual([]);
  } finally {
    folder.cleanup();
    await a.drop();
    await m.drop();
  }
}
