import type { CommandDefinition } from './command.js';
import { contractCommand } from './contract.js';
import { postponedCommand } from './postponed.js';
import { rewriteCommand } from './rewrite.js';
import { setupCommand } from './setup.js';

/** One line per command, sorted. */
export const commands: CommandDefinition<any>[] = [
  contractCommand,
  postponedCommand,
  rewriteCommand,
  setupCommand,
];
