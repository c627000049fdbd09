import type { CommandDefinition } from './command.js';

/**
 * A command by name, and how to load its definition. A run loads only the command it
 * names (its module pulls in what it needs: the parser, pg, Prisma's config); help,
 * a typo or no command load them all.
 */
export interface CommandEntry {
  /** The first word of the definition's `command`. */
  readonly name: string;
  readonly load: () => Promise<CommandDefinition<any>>;
}

/** One line per command, sorted. */
export const commands: readonly CommandEntry[] = [
  { name: 'check', load: async () => (await import('./check.js')).checkCommand },
  { name: 'contract', load: async () => (await import('./contract.js')).contractCommand },
  { name: 'deploy', load: async () => (await import('./deploy.js')).deployCommand },
  { name: 'explain', load: async () => (await import('./explain.js')).explainCommand },
  { name: 'install-hook', load: async () => (await import('./install-hook.js')).installHookCommand },
  { name: 'postponed', load: async () => (await import('./postponed.js')).postponedCommand },
  { name: 'rewrite', load: async () => (await import('./rewrite.js')).rewriteCommand },
  { name: 'setup', load: async () => (await import('./setup.js')).setupCommand },
  { name: 'verify', load: async () => (await import('./verify.js')).verifyCommand },
];

/**
 * The definitions `argv` needs: the named command's alone when `argv` starts with a
 * command's name (yargs takes the first word as the command), else every command's.
 */
export async function commandsFor(argv: readonly string[]): Promise<CommandDefinition<any>[]> {
  const named = commands.find((c) => c.name === argv[0]);
  return named ? [await named.load()] : Promise.all(commands.map((c) => c.load()));
}
