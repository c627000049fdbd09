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
  // The command the line names, for the hint and for "did you mean" on its options.
  const named = definitions.length === 1 ? definitions[0] : undefined;
  const cli = yargs(argv)
    .scriptName('prisma-zd')
    .usage('$0 <command> [options]\n\nZero-downtime PostgreSQL deploys for Prisma Migrate.')
    .help()
    .alias('help', 'h')
    .version(VERSION)
    .alias('version', 'v')
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
        const empty = emptyOptions(argv, def);
        if (empty.length) {
          throw new UsageFailure(
            `${empty.map((n) => `--${n}`).join(', ')} ${empty.length === 1 ? 'needs a value' : 'need values'}: an empty one ` +
              '(an unset environment variable?) is not taken as "use the default".',
          );
        }
        exit = await def.run(args as never, out);
      },
    });
  }
  try {
    await cli.parseAsync();
  } catch (e) {
    if (!(e instanceof UsageFailure)) throw e;
    const message = usageMessage(e.message, argv, named);
    const hint = named ? `prisma-zd ${commandName(named)} --help` : 'prisma-zd --help';
    throw new UserError({ code: 'ZD_USAGE', message, hint, exit: ExitCode.Usage });
  }
  return exit;
}

function commandName(def: CommandDefinition<any>): string {
  return String(typeof def.command === 'string' ? def.command : def.command[0]).split(' ')[0]!;
}

/** yargs' words, told the way the user typed them: `--stagd` for an unknown option, the command that does not exist, the option meant. */
export function usageMessage(message: string, argv: readonly string[], def: CommandDefinition<any> | undefined): string {
  const recommended = /^Did you mean (.+)\?$/.exec(message);
  if (recommended && argv[0] !== undefined) return `There is no command "${argv[0]}". Did you mean ${recommended[1]}?`;
  const unknown = /^Unknown arguments?: (.+)$/s.exec(message);
  if (!unknown) return message;
  // yargs names an unknown `--dry-run` twice, also as `dryRun`.
  const listed = unknown[1]!.split(', ');
  const names = listed.filter((n) => !(/[A-Z]/.test(n) && listed.includes(n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))));
  if (!def && argv[0] !== undefined && !argv[0].startsWith('-') && names[0] === argv[0]) {
    return `There is no command "${argv[0]}".`;
  }
  const options = def ? [...optionSpecs(def).keys()] : [];
  const shown = names.map((name) => {
    const typed = argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`) || a === `-${name}`);
    if (typed === undefined) return name;
    const flag = typed.startsWith('--') ? `--${name}` : `-${name}`;
    const near = closest(name, options);
    return near ? `${flag} (did you mean --${near}?)` : flag;
  });
  return `Unknown argument${shown.length === 1 ? '' : 's'}: ${shown.join(', ')}`;
}

interface OptionSpec {
  readonly type?: string;
  readonly choices?: readonly unknown[];
}

/** The long options a command declares, with their specs (its builder run on a recorder). */
function optionSpecs(def: CommandDefinition<any>): Map<string, OptionSpec> {
  const specs = new Map<string, OptionSpec>();
  const recorder: unknown = new Proxy(
    {},
    {
      get: (_target, prop) =>
        (...args: unknown[]) => {
          if (prop === 'option' && typeof args[0] === 'string') specs.set(args[0], (args[1] ?? {}) as OptionSpec);
          return recorder;
        },
    },
  );
  try {
    def.builder(recorder as never);
  } catch {
    // Only a suggestion or a check of empty values is lost.
  }
  return specs;
}

/** The option `name` was most likely meant to be: a small edit away, or a prefix of it. */
function closest(name: string, options: readonly string[]): string | undefined {
  let best: { option: string; d: number } | undefined;
  for (const option of options) {
    const d = option.startsWith(name) && name.length >= 3 ? 1 : distance(name, option);
    if (d <= Math.min(2, Math.floor(option.length / 3)) && (!best || d < best.d)) best = { option, d };
  }
  return best?.option;
}

/** Levenshtein distance, with an adjacent swap as one edit. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * Options that take a value given without one: `--url ""`, `--url=`, `--format` last or
 * followed by another option. yargs reads these as "" or as nothing, which a command takes
 * as "not given" and falls back to its default: `--url "$STAGING_URL"` with the variable
 * unset must not run against the datasource of Prisma's config.
 */
export function emptyOptions(argv: readonly string[], def: CommandDefinition<any>): string[] {
  const specs = optionSpecs(def);
  const names = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    const m = /^--([a-z][\w-]*?)(?:=(.*))?$/is.exec(a);
    if (!m) continue;
    const name = m[1]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const spec = specs.get(name);
    if (!spec || spec.type === 'boolean' || (spec.type === undefined && spec.choices === undefined)) continue;
    const value = m[2] ?? argv[i + 1];
    if (value === undefined || value === '' || (value.startsWith('-') && !/^-\d/.test(value))) names.add(name);
  }
  return [...names];
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
      // A tool reading stdout gets the error too, not an empty document: one line, like every --json document.
      if (json) out.out(JSON.stringify({ exitCode: e.exit, error: { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } }));
      return e.exit;
    }
    if (e instanceof AlreadyReported) return e.exit;
    // A read-only database (replica, maintenance window) refuses the first write, wherever it is.
    // (Imported here: main.ts loads no database code for commands that need none.)
    if ((e as { code?: unknown } | null)?.code === '25006') {
      const readOnly = (await import('./db/connect.js')).readOnlyError(e);
      if (readOnly) return reported(out, json, () => Promise.reject(readOnly));
    }
    const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
    out.err(redact(`prisma-zd hit a bug. Please report it with this trace:\n${text}`));
    return ExitCode.Internal;
  }
}
