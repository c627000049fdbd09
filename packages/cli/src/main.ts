import { plainArguments } from './check/argv.js';
import type { CommandDefinition } from './commands/command.js';
import { commandsFor } from './commands/index.js';
import { AlreadyReported, ExitCode, UserError } from './errors.js';
import { paint, processOutput, type Output } from './util/output.js';
import { redact } from './util/redact.js';

export const VERSION = '0.1.0';

/** Renders a user error: code, message, and the next command. */
export function renderUserError(out: Output, e: UserError): void {
  out.err(`${paint(out, 'red', 'Error')} ${e.code}: ${e.message}`);
  if (e.hint) out.err(`${paint(out, 'dim', 'hint:')} ${e.hint}`);
}

export async function main(argv: string[], out: Output = processOutput()): Promise<number> {
  return reported(out, wantsJson(argv), async () => {
    const definitions = await commandsFor(argv);
    // The common case, `prisma-zd <command> --plain options`, needs no command-line parser.
    const plain = definitions.length === 1 ? plainArguments(definitions[0]!, argv) : undefined;
    if (plain) return definitions[0]!.run(plain as never, out);
    return parseAndRun(argv, definitions, out);
  });
}

/** yargs found the command line wrong. Thrown from its `fail` callback: a callback that returns lets yargs run the command anyway. */
class UsageFailure extends Error {}

async function parseAndRun(argv: string[], definitions: readonly CommandDefinition<any>[], out: Output): Promise<number> {
  let exit: number = ExitCode.Ok;
  const { default: yargs } = await import('yargs');
  const cli = yargs(argv)
    .scriptName('prisma-zd')
    .usage('$0 <command> [options]\n\nZero-downtime PostgreSQL deploys for Prisma Migrate.')
    .version(VERSION)
    .strict()
    .demandCommand(1, 'Name a command: see prisma-zd --help.')
    .recommendCommands()
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      throw err ?? new UsageFailure(msg);
    })
    .exitProcess(false);
  for (const def of definitions) {
    cli.command({
      command: def.command as string | string[],
      describe: def.describe,
      builder: def.builder as never,
      handler: async (args) => {
        exit = await def.run(args as never, out);
      },
    });
  }
  try {
    await cli.parseAsync();
  } catch (e) {
    if (!(e instanceof UsageFailure)) throw e;
    out.err(`${paint(out, 'red', 'Error')} ZD_USAGE: ${e.message}`);
    out.err(`${paint(out, 'dim', 'hint:')} prisma-zd --help`);
    return ExitCode.Usage;
  }
  return exit;
}

/** Output asked for as JSON (`--json`, `--format json`): a user error is then also one JSON object on stdout. */
function wantsJson(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === '--json' || a === '--format=json' || (a === '--format' && argv[i + 1] === 'json'));
}

/** Runs a command, rendering what it throws: user errors, errors already reported, bugs. */
async function reported(out: Output, json: boolean, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof UserError) {
      renderUserError(out, e);
      // A tool reading stdout gets the error too, not an empty document.
      if (json) out.out(JSON.stringify({ exitCode: e.exit, error: { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } }, null, 2));
      return e.exit;
    }
    if (e instanceof AlreadyReported) return e.exit;
    const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
    out.err(redact(`prisma-zd hit a bug. Please report it with this trace:\n${text}`));
    return ExitCode.Internal;
  }
}
