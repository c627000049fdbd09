/**
 * `prisma migrate deploy` as a child process: the project's own installed `prisma`, run
 * with node from the project's directory, its output streamed line by line. Our
 * settings reach its session through the database URL, which Prisma reads from the
 * environment variable its datasource names.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, UserError } from '../errors.js';

export interface PrismaCli {
  /** The JS entry point of the `prisma` package's bin. */
  entry: string;
  version: string | undefined;
}

/** The project's installed `prisma` CLI, or a user error. */
export function locatePrismaCli(root: string): PrismaCli {
  try {
    const req = createRequire(join(root, 'package.json'));
    const pkgPath = req.resolve('prisma/package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version?: string; bin?: string | Record<string, string> };
    const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.['prisma'];
    if (!bin) throw new Error('no bin');
    return { entry: join(dirname(pkgPath), bin), version: pkg.version };
  } catch {
    throw new UserError({
      code: 'ZD_PRISMA_NOT_INSTALLED',
      message: `The \`prisma\` package is not installed in ${root}: prisma-zd deploy runs the project's own \`prisma migrate deploy\`.`,
      hint: 'Install it (npm i -D prisma) and run prisma-zd from the project directory.',
      exit: ExitCode.Usage,
    });
  }
}

export { urlVariables } from '../project/prisma-project.js';

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  pid: number | undefined;
  /** Everything it printed (both streams, in order). */
  output: string;
  durationMs: number;
}

export interface RunMigrateDeploy {
  cli: PrismaCli;
  cwd: string;
  /** Prisma's `--schema`, when the user gave one (absolute: Prisma runs in `cwd`). */
  schema?: string;
  /**
   * Prisma's `--config`: the config file prisma-zd read (absolute), so that Prisma reads
   * the same one whichever files its own lookup would try first.
   */
  config?: string;
  env: NodeJS.ProcessEnv;
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
  onSpawn?: (pid: number) => void;
  /** Aborting sends SIGINT (then SIGKILL after 10 s): Prisma's transaction rolls back with its session. */
  signal?: AbortSignal;
}

export function runMigrateDeploy(opts: RunMigrateDeploy): Promise<ChildRun> {
  // Through the watchdog (watchdog.ts): Prisma never outlives prisma-zd, even a SIGKILLed one.
  const watchdog = fileURLToPath(new URL('./watchdog.js', import.meta.url));
  const args = [
    watchdog,
    opts.cli.entry,
    'migrate',
    'deploy',
    ...(opts.schema ? ['--schema', opts.schema] : []),
    ...(opts.config ? ['--config', opts.config] : []),
  ];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // stdin stays open (never written): its end tells the watchdog that prisma-zd is gone.
    const child = spawn(process.execPath, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => {});
    let output = '';
    const pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
    const feed = (stream: 'stdout' | 'stderr') => (chunk: string) => {
      output += chunk;
      const text = pending[stream] + chunk;
      const lines = text.split('\n');
      pending[stream] = lines.pop()!;
      for (const l of lines) opts.onLine(stream, l.replace(/\r$/, ''));
    };
    child.stdout.setEncoding('utf8').on('data', feed('stdout'));
    child.stderr.setEncoding('utf8').on('data', feed('stderr'));
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      child.kill('SIGINT');
      killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    };
    opts.signal?.addEventListener('abort', onAbort);
    child.on('spawn', () => opts.onSpawn?.(child.pid!));
    child.on('error', (e) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      for (const stream of ['stdout', 'stderr'] as const) if (pending[stream]) opts.onLine(stream, pending[stream]);
      resolve({ code, signal, pid: child.pid, output, durationMs: performance.now() - started });
    });
  });
}
