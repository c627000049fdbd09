/*
 * Plain arguments parsed without yargs are what yargs gives the handler, for every
 * command; what is not plain (help, negations, repeated or conflicting options, bad
 * choices, numbers) is left to yargs.
 */
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import type { CommandDefinition } from '../commands/command.js';
import { commands } from '../commands/index.js';
import { plainArguments } from './argv.js';

const definitions = new Map<string, CommandDefinition<any>>();
for (const c of commands) definitions.set(c.name, await c.load());

/** What yargs hands the command's handler (without `$0`), or the usage error it reports. */
async function viaYargs(def: CommandDefinition<any>, argv: string[]): Promise<Record<string, unknown> | string> {
  let args: Record<string, unknown> | undefined;
  let failure: string | undefined;
  await yargs(argv)
    .strict()
    .fail((msg, err) => {
      failure = msg ?? String(err);
    })
    .exitProcess(false)
    .command({
      command: def.command as string,
      describe: def.describe,
      builder: def.builder as never,
      handler: (a) => {
        args = a as Record<string, unknown>;
      },
    })
    .parseAsync();
  if (failure !== undefined || !args) return failure ?? 'no handler';
  const { $0: _, ...rest } = args;
  return rest;
}

const PLAIN: string[][] = [
  ['check'],
  ['check', '--staged'],
  ['check', '--format', 'json', 'prisma/migrations', 'other/migrations'],
  ['check', '--format=github', '--fail-on', 'warning'],
  ['check', '--since', 'origin/main', '--json'],
  ['check', 'a/migration.sql', '--database-url', 'postgresql://u:p@h/db?schema=s', '--url', 'postgresql://x'],
  ['check', '--migrations', 'db/migrations', '--schema', 'db/schema.prisma', '--config', 'zd.config.ts'],
  ['rewrite'],
  ['rewrite', '--all'],
  ['rewrite', '--check', 'prisma/migrations/20240101000000_init'],
  ['explain'],
  ['explain', 'ban-drop-column'],
  ['install-hook', '--force'],
  ['setup', '--url', 'postgresql://x'],
];

const NOT_PLAIN: string[][] = [
  ['check', '--help'],
  ['check', '-h'],
  ['check', '--version'],
  ['check', '--no-json'],
  ['check', '--staged', '--staged'],
  ['check', '--staged', 'true'],
  ['check', '--staged=false'],
  ['check', '--staged', '--since', 'main'],
  ['check', '--format', 'xml'],
  ['check', '--since'],
  ['check', '--since', '--staged'],
  ['check', '123'],
  ['check', '--since', '1.5'],
  ['check', '--bogus'],
  ['check', '--', 'x'],
  ['explain', 'a', 'b'],
  ['chek'],
  // Declared with what the recorder does not know (numbers, …).
  ['postponed'],
  ['postponed', 'list', '--json'],
  ['verify', '--json'],
  ['contract', '--url', 'postgresql://x'],
];

describe('plain arguments', () => {
  it.each(PLAIN.map((argv) => [argv.join(' '), argv] as const))('%s: as yargs parses them', async (_, argv) => {
    const def = definitions.get(argv[0]!)!;
    const plain = plainArguments(def, argv);
    expect(plain).toBeDefined();
    expect(plain).toEqual(await viaYargs(def, argv));
  });

  it.each(NOT_PLAIN.map((argv) => [argv.join(' '), argv] as const))('%s: left to yargs', (_, argv) => {
    const def = definitions.get(argv[0]!) ?? definitions.get('check')!;
    expect(plainArguments(def, argv)).toBeUndefined();
  });
});
