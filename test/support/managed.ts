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
