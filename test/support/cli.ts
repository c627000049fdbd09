import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI (`pnpm run build` comes first in `pnpm test`). */
export const ZD_BIN = resolve(fileURLToPath(new URL('../../packages/cli/bin/prisma-zd.js', import.meta.url)));

export interface ZdRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `prisma-zd <args>` as a child process; never rejects on a non-zero exit. */
export function runZd(
  args: string[],
  opts: {
    cwd?: string;
    env?: Record<string, string | undefined>;
    timeoutMs?: number;
    onSpawn?: (pid: number) => void;
    /** The node binary (default: the one running the tests). */
    node?: string;
    /** Called with each chunk of stderr as it arrives. */
    onStderr?: (chunk: string) => void;
  } = {},
): Promise<ZdRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn(opts.node ?? process.execPath, [ZD_BIN, ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      opts.onStderr?.(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('spawn', () => opts.onSpawn?.(child.pid!));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}
