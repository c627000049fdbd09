/**
 * `prisma-zd verify | head -4`: the reader of stdout goes away before the command is
 * done. Every command must end quietly with the exit code it would have had — no
 * EPIPE stack, and a deploy is not cut short by it.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runZd, ZD_BIN, type ZdRun } from '../support/cli.js';
import { freshDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/postgres.js';
import { copySampleProject, type SampleProjectCopy } from '../support/prisma.js';

/** Runs the built CLI with its stdout pipe closed by the reader at once (like `| head -0`). */
function runWithClosedStdout(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<ZdRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ZD_BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: '', stderr });
    });
  });
}

describe('a closed stdout', () => {
  let db: TestDatabase;
  let sample: SampleProjectCopy;
  beforeAll(async () => {
    db = await freshDatabase({ prefix: 'zd_epipe' });
    sample = await copySampleProject();
  });
  afterAll(async () => {
    await sample?.cleanup();
    await db?.drop();
  });

  it('ends every command quietly, with the exit code it would have had', async () => {
    const env = { DATABASE_URL: db.url };
    const commands: string[][] = [
      ['--help'],
      ['explain', 'adding-field-with-default'],
      ['check', '--format', 'json'],
      ['setup', '--json'],
      ['deploy', '--dry-run', '--json'],
      ['postponed', 'list'],
      ['verify'],
      ['verify', '--json'],
      ['contract', '--list', '--json'],
    ];
    for (const args of commands) {
      const what = args.join(' ');
      const normal = await runZd(args, { cwd: sample.dir, env });
      expect(normal.stdout, what).not.toBe(''); // the command does print on stdout
      const closed = await runWithClosedStdout(args, { cwd: sample.dir, env });
      expect(closed.stderr, what).not.toMatch(/EPIPE|prisma-zd hit a bug|\n\s+at .*\(/);
      expect(closed.signal, what).toBeNull();
      expect(closed.code, `${what}: ${closed.stderr}`).toBe(normal.code);
    }
  });
});
