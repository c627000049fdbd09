import type { CommandDefinition } from './command.js';

/** One line per command, sorted. */
export const commands: CommandDefinition<any>[] = [];
