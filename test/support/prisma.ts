/**
 * Runs the real Prisma CLI (prisma@6.19.3, installed in the sample project `prisma/`)
 * as a child process, against the sample project or a copy of it.
 *
 * The sample's prisma.config.ts runs Prisma's WebAssembly schema engine through the
 * adapter in prisma/adapter, which executes `migration.sql` like a real engine:
 * `mode: 'whole-file'` (one simple query, one implicit transaction: the native engine
 * up to Prisma 7.3) or `mode: 'per-statement'` (parser-split statements, each
 * autocommitted). It also unrefs the engine's never-cleared 10 s timers, so the CLI
 * exits as soon as it is done (see prisma/adapter/engine-timers.ts).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ExecMode = 'whole-file' | 'per-statement';

/** The sample Prisma project (schema.prisma, prisma.config.ts, adapter/, migrations/). */
export const SAMPLE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../prisma');
/** The project's own `prisma` binary (a pnpm shim that `exec`s node: its pid is the CLI's). */
export const PRISMA_BIN = join(SAMPLE_DIR, 'node_modules', '.bin', 'prisma');

/** Prisma's advisory lock for migrate commands (pg_locks: locktype advisory, classid 0, objid …, objsubid 1). */
export const PRISMA_MIGRATE_LOCK_ID = 72707369;

export interface RunPrismaOptions {
  /** The database URL (DATABASE_URL), passed to `pg` untouched: `options`, `application_name` … reach the session. */
  url: string;
  /** How the adapter executes migration.sql; default `whole-file`. */
  mode?: ExecMode;
  /** The project directory holding prisma.config.ts; default the sample project. */
  cwd?: string;
  /** Another migrations folder (absolute, or relative to `cwd`'s prisma.config.ts). */
  migrationsDir?: string;
  /** Extra environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Kill the CLI (SIGKILL) after this long; default 60 s. */
  timeoutMs?: number;
  /** Called once the child is spawned (e.g. to watch or signal it by pid). */
  onSpawn?: (pid: number) => void;
}

export interface PrismaRun {
  /** Exit code; null when the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  durationMs: number;
  /**
   * Time between the CLI's last output and its exit: near zero normally, ~10 s when
   * the WebAssembly engine's timers keep it alive (PRISMA_ZD_KEEP_ENGINE_TIMERS=1).
   */
  lingerMs: number;
}

/** Variables of the parent that would change what the child does. */
const INHERITED_NOISE = ['DATABASE_URL', 'SHADOW_DATABASE_URL', 'PRISMA_ZD_EXEC_MODE', 'PRISMA_ZD_MIGRATIONS_DIR', 'DEBUG'];

/** Runs `prisma <args>` and resolves when it exits (never rejects on a non-zero exit). */
export function runPrisma(args: string[], opts: RunPrismaOptions): Promise<PrismaRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of INHERITED_NOISE) delete env[name];
  Object.assign(env, {
    DATABASE_URL: opts.url,
    PRISMA_ZD_EXEC_MODE: opts.mode ?? 'whole-file',
    CHECKPOINT_DISABLE: '1', // no update check over the network
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    NO_COLOR: '1',
  });
  if (opts.migrationsDir) env.PRISMA_ZD_MIGRATIONS_DIR = opts.migrationsDir;
  for (const [name, value] of Object.entries(opts.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(PRISMA_BIN, args, { cwd: opts.cwd ?? SAMPLE_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let lastOutputAt = started;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      lastOutputAt = performance.now();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      lastOutputAt = performance.now();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('spawn', () => opts.onSpawn?.(child.pid!));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const now = performance.now();
      resolvePromise({ code, signal, stdout, stderr, durationMs: now - started, lingerMs: now - lastOutputAt });
    });
  });
}

export interface SampleProjectCopy {
  /** The copy's directory: pass it as `cwd` to `runPrisma`. */
  dir: string;
  /** Its migrations folder, free to edit. */
  migrationsDir: string;
  cleanup(): Promise<void>;
}

/**
 * A private copy of the sample project (config, schema, adapter, migrations) in a temp
 * dir, whose node_modules links to the sample's, so tests can add, rewrite or remove
 * migration files without touching the repository.
 */
export async function copySampleProject(): Promise<SampleProjectCopy> {
  const dir = await mkdtemp(join(tmpdir(), 'prisma-zd-sample-'));
  for (const entry of ['package.json', 'prisma.config.ts', 'schema.prisma', 'adapter', 'migrations']) {
    await cp(join(SAMPLE_DIR, entry), join(dir, entry), { recursive: true });
  }
  await symlink(join(SAMPLE_DIR, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, migrationsDir: join(dir, 'migrations'), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The migration folder names of a migrations folder (default the sample's), in order. */
export function migrationNames(migrationsDir = join(SAMPLE_DIR, 'migrations')): string[] {
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^\d{14}_/.test(e.name))
    .map((e) => e.name)
    .sort();
}

/**
 * Adds `<timestamp>_<name>/migration.sql` after the last migration of `migrationsDir`
 * (the timestamp is the last one plus one second's worth), returns the folder name.
 */
export function addMigration(migrationsDir: string, name: string, sql: string): string {
  const last = migrationNames(migrationsDir).at(-1)?.slice(0, 14) ?? '20000101000000';
  const folder = `${BigInt(last) + 1n}_${name}`;
  mkdirSync(join(migrationsDir, folder));
  writeFileSync(join(migrationsDir, folder, 'migration.sql'), sql);
  return folder;
}

/**
 * A `prisma.config.ts` for a copy of the sample project whose adapter factory is `body`
 * (statements that end in `return sampleAdapter(…)`): the sample's config otherwise.
 */
export function sampleConfigWithAdapter(body: string): string {
  return `import { defineConfig } from 'prisma/config';
import { unrefEngineTimers } from './adapter/engine-timers.js';
import { sampleAdapter } from './adapter/index.js';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'schema.prisma',
  migrations: { path: 'migrations' },
  adapter: async () => {
    unrefEngineTimers();
    ${body.trim().split('\n').join('\n    ')}
  },
});
`;
}
