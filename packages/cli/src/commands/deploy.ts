import { loadConfig } from '../config.js';
import { deploy } from '../deploy/deploy.js';
import { deployJson, eventLines, summaryLines } from '../deploy/render.js';
import { BLOCKER_POLICIES, DEFAULT_SCHEDULE, resolveDeploySettings } from '../deploy/settings.js';
import { parseDurationMs } from './contract.js';
import { ExitCode, UserError } from '../errors.js';
import { progressView } from '../queue/progress.js';
import { interruptSignal } from '../queue/target.js';
import { configOption, defineCommand, projectOptions } from './command.js';

export const DEPLOY_EXIT_CODES = `Exit codes:
  0  migrations applied (or none pending) and the postponed work done
  1  refused before running: an applied migration was edited, or another user error
  2  usage or configuration error
  3  a migration failed: the report says what it left behind and the exact fix
  4  lock_timeout reached in every attempt: nothing of the migration was applied
  5  postponed work (an index build, a validation, a NOT NULL) failed: do not roll out code that needs it
  6  the database could not be reached, or the connection was lost (run deploy again)
  7  busy: another prisma-zd run holds the queue lock, or Prisma's migrate lock stayed taken
130  interrupted`;

const list = (v: unknown) => (v === undefined ? undefined : ([] as unknown[]).concat(v).flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter(Boolean));

export const deployCommand = defineCommand({
  command: 'deploy',
  describe: '`prisma migrate deploy` under lock_timeout with retries and blocker handling, then the postponed work',
  builder: (y) =>
    configOption(projectOptions(y))
      .option('dry-run', { type: 'boolean', default: false, describe: 'Preflight and plan only (locks, tables, failed migrations); change nothing' })
      .option('lock-timeout', { type: 'string', describe: `lock_timeout of every attempt (default schedule ${DEFAULT_SCHEDULE})` })
      .option('retries', { type: 'number', describe: 'Retries after a lock timeout (default: the schedule, 9)' })
      .option('retry-schedule', { type: 'string', describe: `lock_timeout per attempt, e.g. ${DEFAULT_SCHEDULE}` })
      .option('retry-delay', { type: 'string', describe: 'Base pause before a retry, doubling, ±30% jitter (default 1s)' })
      .option('statement-timeout', { type: 'string', describe: "statement_timeout of Prisma's session (default 0: none)" })
      .option('blockers', { choices: BLOCKER_POLICIES, describe: "What to do about sessions blocking Prisma's migration (default show)" })
      .option('blocker-grace', { type: 'string', describe: 'How long a session must block before cancel/terminate (default 3s)' })
      .option('blocker-min-age', { type: 'string', describe: 'Act only on blockers whose transaction is at least this old' })
      .option('blocker-app', { type: 'string', array: true, describe: 'Act only on these application_names (* wildcard)' })
      .option('blocker-exclude-app', { type: 'string', array: true, describe: 'Never act on these application_names' })
      .option('blocker-user', { type: 'string', array: true, describe: 'Act only on these roles' })
      .option('blocker-exclude-user', { type: 'string', array: true, describe: 'Never act on these roles' })
      .option('poll-interval', { type: 'string', describe: "How often the side connection looks at Prisma's session (default 250ms)" })
      .option('postponed', { type: 'boolean', describe: 'Run `postponed run` after the migrations (--no-postponed: leave it to a later step)' })
      .option('prisma-lock-wait', { type: 'string', default: '60s', describe: "How long to wait for another session holding Prisma's migrate lock" })
      .epilogue(DEPLOY_EXIT_CODES),
  async run(argv, out) {
    if (argv.retries !== undefined && !(Number.isInteger(argv.retries) && argv.retries >= 0)) {
      throw new UserError({
        code: 'ZD_USAGE',
        // yargs reads a word given to a number option as NaN: the word itself is gone.
        message: `--retries takes a whole number of retries, 0 or more${Number.isNaN(argv.retries) ? '' : `, not ${argv.retries}`}.`,
        hint: `Use e.g. --retries 3, or --retry-schedule ${DEFAULT_SCHEDULE} for the timeout of each attempt.`,
        exit: ExitCode.Usage,
      });
    }
    const config = await loadConfig({ ...(argv.config === undefined ? {} : { config: argv.config }) });
    const settings = resolveDeploySettings(config.deploy, config.file, {
      ...(argv.lockTimeout === undefined ? {} : { lockTimeout: argv.lockTimeout }),
      ...(argv.statementTimeout === undefined ? {} : { statementTimeout: argv.statementTimeout }),
      ...(argv.retries === undefined ? {} : { retries: argv.retries }),
      ...(argv.retrySchedule === undefined ? {} : { retrySchedule: argv.retrySchedule }),
      ...(argv.retryDelay === undefined ? {} : { retryDelay: argv.retryDelay }),
      ...(argv.blockers === undefined ? {} : { blockers: argv.blockers }),
      ...(argv.blockerGrace === undefined ? {} : { blockerGrace: argv.blockerGrace }),
      ...(argv.blockerMinAge === undefined ? {} : { blockerMinAge: argv.blockerMinAge }),
      ...(argv.blockerApp === undefined ? {} : { blockerApp: list(argv.blockerApp)! }),
      ...(argv.blockerExcludeApp === undefined ? {} : { blockerExcludeApp: list(argv.blockerExcludeApp)! }),
      ...(argv.blockerUser === undefined ? {} : { blockerUser: list(argv.blockerUser)! }),
      ...(argv.blockerExcludeUser === undefined ? {} : { blockerExcludeUser: list(argv.blockerExcludeUser)! }),
      ...(argv.pollInterval === undefined ? {} : { pollInterval: argv.pollInterval }),
      ...(argv.postponed === undefined ? {} : { postponed: argv.postponed }),
    });
    const prismaLockWaitMs = parseDurationMs(argv.prismaLockWait);
    if (prismaLockWaitMs === undefined) {
      throw new UserError({ code: 'ZD_USAGE', message: `--prisma-lock-wait ${argv.prismaLockWait} is not a duration.`, hint: 'Use e.g. --prisma-lock-wait 60s (prisma-zd deploy --help).', exit: ExitCode.Usage });
    }
    const view = progressView(out);
    const log = (text: string) => {
      view.clear();
      out.err(text);
    };
    const interrupt = interruptSignal(out);
    let result;
    try {
      result = await deploy({
        ...(argv.url === undefined ? {} : { url: argv.url }),
        ...(argv.migrations === undefined ? {} : { migrations: argv.migrations }),
        ...(argv.schema === undefined ? {} : { schema: argv.schema }),
        settings,
        checkRules: config.check.rules,
        dryRun: argv.dryRun,
        prismaLockWaitMs,
        signal: interrupt.signal,
        onEvent: (e) => {
          for (const line of eventLines(out, e)) log(line);
        },
        postponedReporter: { log: (t) => log(`  ${t}`), progress: view.update, clearProgress: view.clear },
      });
    } finally {
      interrupt.dispose();
    }
    if (argv.json) {
      out.out(JSON.stringify(deployJson(result)));
      for (const line of summaryLines(out, result)) out.err(line);
    } else {
      for (const line of summaryLines(out, result)) out.out(line);
    }
    return result.exitCode;
  },
});
