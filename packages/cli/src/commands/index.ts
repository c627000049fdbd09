import { checkCommand } from './check.js';
import type { CommandDefinition } from './command.js';
import { contractCommand } from './contract.js';
import { explainCommand } from './explain.js';
import { installHookCommand } from './install-hook.js';
import { postponedCommand } from './postponed.js';
import { rewriteCommand } from './rewrite.js';
import { setupCommand } from './setup.js';

/** One line per command, sorted. */
export const commands: CommandDefinition<any>[] = [
  checkCommand,
  contractCommand,
  explainCommand,
  installHookCommand,
  postponedCommand,
  rewriteCommand,
  setupCommand,
];
