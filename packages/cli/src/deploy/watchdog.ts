/**
 * Runs `prisma migrate deploy` (argv after this script) as its own child and makes sure
 * it never outlives prisma-zd: prisma-zd keeps this process's stdin open, so when
 * prisma-zd ends in any way — a SIGKILL included — stdin reaches its end and Prisma is
 * stopped (SIGINT, then SIGKILL). An orphaned Prisma would keep waiting for its table
 * lock, and every query on that table would queue behind it. Signals are forwarded;
 * the exit code (or signal) is Prisma's.
 */
import { spawn } from 'node:child_process';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  process.stderr.write('prisma-zd watchdog: no command\n');
  process.exit(2);
}
const child = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  if (!stopping) {
    stopping = true;
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  }
};
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => stop(s));
// prisma-zd never writes: the end of stdin means it is gone.
process.stdin.on('end', () => stop('SIGINT'));
process.stdin.on('error', () => stop('SIGINT'));
process.stdin.resume();
child.on('exit', (code, signal) => {
  process.stdin.destroy();
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
