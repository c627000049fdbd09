/**
 * The checkpoint cache of `check --staged`: the state the committed history leaves
 * (core's `Checkpoint`), so that a commit replays only the migrations added since the
 * last one instead of the whole history. It lives in the project's
 * `node_modules/.cache/prisma-zd/check/` and is safe to delete. A checkpoint's file is
 * named by a hash chained over the name and text of every migration it comes after,
 * starting from prisma-zd's version and build: an edited, renamed, inserted or removed
 * migration, or another prisma-zd, never finds a stale one. Any problem with the cache
 * only costs the time it would have saved.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpointFromJson, checkpointToJson, type CheckInput, type Checkpoint, type Execution } from '@prisma-zd/core';

/** Checkpoints kept (the newest): the last commit's, and a few for switching branches. */
const KEEP = 4;

export interface CheckpointCache {
  /** The checkpoint after the longest prefix of `inputs` held, before the first reported input. */
  load(inputs: readonly CheckInput[]): Checkpoint | undefined;
  /** Keep `checkpoint` (taken on `inputs`) when it comes after more migrations than `resumed`. */
  save(inputs: readonly CheckInput[], checkpoint: Checkpoint, resumed: Checkpoint | undefined): void;
}

/**
 * The cache for the migrations folder `folder`: in the `node_modules` of the nearest
 * directory up to `root` (the repository) that has one; undefined when none has.
 */
export function checkpointCache(folder: string, root: string, defaultSchema = 'public', execution: Execution = 'unknown'): CheckpointCache | undefined {
  let dir: string | undefined;
  for (let d = resolve(folder); ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) {
      dir = join(d, 'node_modules', '.cache', 'prisma-zd', 'check');
      break;
    }
    if (d === resolve(root) || dirname(d) === d) return undefined;
  }
  let seed: string;
  try {
    // The state depends on how the files run too (how long a SET LOCAL search_path holds).
    seed = hash(`prisma-zd check checkpoint\0${build()}\0${defaultSchema}\0${execution}`);
  } catch {
    return undefined;
  }
  const cacheDir = dir;
  return {
    load(inputs) {
      try {
        const first = firstReported(inputs);
        const names = new Set(readdirSync(cacheDir));
        const chain = chainOf(seed, inputs, first);
        for (let k = first; k >= 1; k--) {
          if (!names.has(`${chain[k]}.json`)) continue;
          const checkpoint = checkpointFromJson(readFileSync(join(cacheDir, `${chain[k]}.json`), 'utf8'));
          if (checkpoint?.migrations === k) return checkpoint;
        }
      } catch {
        // No cache, or an unreadable one: replay from the start.
      }
      return undefined;
    },
    save(inputs, checkpoint, resumed) {
      const k = checkpoint.migrations;
      if (k === 0 || k <= (resumed?.migrations ?? 0)) return;
      try {
        const file = join(cacheDir, `${chainOf(seed, inputs, k)[k]}.json`);
        mkdirSync(cacheDir, { recursive: true });
        const temporary = `${file}.${process.pid}.tmp`;
        writeFileSync(temporary, checkpointToJson(checkpoint));
        renameSync(temporary, file);
        prune(cacheDir);
      } catch {
        // A read-only node_modules, a full disk: the next run replays again.
      }
    },
  };
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function firstReported(inputs: readonly CheckInput[]): number {
  const i = inputs.findIndex((m) => m.report !== false);
  return i === -1 ? inputs.length : i;
}

/** chain[k]: the key of the first `k` migrations (k ≤ `upTo`). */
function chainOf(seed: string, inputs: readonly CheckInput[], upTo: number): string[] {
  const chain = [seed];
  for (let i = 0; i < upTo; i++) chain.push(hash(`${chain[i]}\0${inputs[i]!.name}\0${hash(inputs[i]!.sql)}`));
  return chain;
}

/**
 * What makes this prisma-zd's replay: the core package's version, and the build of
 * both packages (tsc's build info, and the entry files; a rebuilt working copy has
 * newer ones).
 */
function build(): string {
  const coreEntry = fileURLToPath(import.meta.resolve('@prisma-zd/core'));
  const here = fileURLToPath(import.meta.url);
  const version = (JSON.parse(readFileSync(join(dirname(coreEntry), '..', 'package.json'), 'utf8')) as { version?: string }).version;
  const files = [join(dirname(coreEntry), '.tsbuildinfo'), join(dirname(here), '..', '.tsbuildinfo'), coreEntry, here];
  return [version, ...files.map((f) => (existsSync(f) ? `${f} ${statSync(f).size} ${statSync(f).mtimeMs}` : `${f} -`))].join('\n');
}

/** Keep the newest checkpoints; remove the others (and leftovers of interrupted writes). */
function prune(dir: string): void {
  const files = readdirSync(dir)
    .map((name) => ({ name, time: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => b.time - a.time);
  let kept = 0;
  for (const f of files) {
    if (f.name.endsWith('.json') && kept < KEEP) kept++;
    else if (f.name.endsWith('.json') || Date.now() - f.time > 60_000) rmSync(join(dir, f.name), { force: true });
  }
}
