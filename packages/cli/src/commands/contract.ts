import { ExitCode, UserError } from '../errors.js';
import { checkDatabaseUrl, describeServer } from '../db/connect.js';
import { mapQueueErrors } from '../queue/privileges.js';
import { runContract, type ContractOptions, type ContractResult } from '../queue/contract.js';
import { entryJson } from '../queue/entries.js';
import { contractSummary, countsLine, entryLines } from '../queue/render.js';
import { notSetUpError } from '../queue/schema.js';
import { interruptSignal, queueTarget, type TargetArgs } from '../queue/target.js';
import { defineCommand, projectOptions } from './command.js';

/** `2s`, `500ms`, `1min`, or a bare number of milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min)?\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Math.round(m[2] === 's' ? n * 1000 : m[2] === 'min' ? n * 60_000 : n);
}

function exitOf(r: ContractResult): ExitCode {
  if (r.interrupted) return ExitCode.Interrupted;
  if (r.outcomes.some((o) => o.status === 'failed')) return ExitCode.PostponedFailed;
  if (r.outcomes.some((o) => o.status === 'lock-timeout')) return ExitCode.LockTimeout;
  return ExitCode.Ok;
}

export const contractCommand = defineCommand({
  command: 'contract',
  describe: 'Apply the deferred destructive statements (dropped defaults and indexes) once no old app version is left',
  builder: (y) =>
    projectOptions(y)
      .option('list', { type: 'boolean', default: false, describe: 'Only list the pending contract statements' })
      .option('lock-timeout', { type: 'string', default: '2s', describe: 'lock_timeout of each statement (ms, s, min); a DROP INDEX CONCURRENTLY waits without one (it blocks no one)' })
      .option('attempts', { type: 'number', default: 5, describe: 'Attempts per statement when its lock is not available' }),
  async run(argv, out) {
    const lockTimeoutMs = parseDurationMs(argv.lockTimeout);
    if (lockTimeoutMs === undefined || lockTimeoutMs <= 0) {
      throw new UserError({
        code: 'ZD_USAGE',
        message: `--lock-timeout ${argv.lockTimeout} is not a duration${lockTimeoutMs === undefined ? '' : ' above 0 (0 would wait for the lock forever)'}.`,
        hint: 'Use e.g. --lock-timeout 2s or --lock-timeout 500ms.',
        exit: ExitCode.Usage,
      });
    }
    const attempts = argv.attempts;
    if (!(Number.isInteger(attempts) && attempts >= 1)) {
      throw new UserError({
        code: 'ZD_USAGE',
        // yargs reads a word given to a number option as NaN: the word itself is gone.
        message: `--attempts takes a whole number of attempts, 1 or more${Number.isNaN(attempts) ? '' : `, not ${attempts}`}.`,
        hint: 'Use e.g. --attempts 5 (the default).',
        exit: ExitCode.Usage,
      });
    }
    const target = await queueTarget(argv as TargetArgs, !argv.list);
    checkDatabaseUrl(target.url);
    const interrupt = interruptSignal(out);
    const options: ContractOptions = {
      url: target.url,
      migrationsDir: target.migrationsDir,
      schema: target.schema,
      execution: target.execution,
      lockTimeoutMs,
      attempts,
      list: argv.list,
      signal: interrupt.signal,
      reporter: { log: (t) => out.err(t) },
    };
    let r: ContractResult;
    try {
      r = await mapQueueErrors(target.url, 'prisma-zd contract', () => runContract(options));
    } finally {
      interrupt.dispose();
    }
    if (!r.setUp) throw notSetUpError();
    const exit = exitOf(r);
    if (argv.json) {
      out.out(
        JSON.stringify({
          command: argv.list ? 'contract --list' : 'contract',
          exitCode: exit,
          setUp: true,
          ...(argv.list ? { pending: r.pending.map(entryJson) } : { reconcile: r.reconcile, entries: r.outcomes }),
          interrupted: r.interrupted,
          remaining: r.remaining,
          postponedPending: r.postponedPending,
        }),
      );
      if (!argv.list) for (const line of contractSummary(out, r)) out.err(line);
      return exit;
    }
    if (argv.list) {
      out.out(`Contract statements pending on ${describeServer(target.url)}: ${countsLine(r.pending)}`);
      for (const e of r.pending) {
        for (const line of entryLines(out, e)) out.out(line);
        out.out(`      ${e.statement.replace(/\s+/g, ' ').trim()};`);
      }
      if (r.postponedPending > 0) out.out(`reminder: ${r.postponedPending} postponed index/validation entries are still open: run \`prisma-zd postponed run\`.`);
      return exit;
    }
    for (const line of contractSummary(out, r)) out.out(line);
    return exit;
  },
});
