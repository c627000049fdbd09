import { checkCommand } from './check.js';
import type { CommandDefinition } from './command.js';
import { contractCommand } from './contract.js';
import { deployCommand } from './deploy.js';
import { explainCommand } from './explain.js';
import { installHookCommand } from './install-hook.js';
import { postponedCommand } from './postponed.js';
import { rewriteCommand } from './rewrite.js';
import { setupCommand } from './setup.js';
import { verifyCommand } from './verify.js';

/** One line per command, sorted. */
export const commands: CommandDefinition<any>[] = [
  checkCommand,
  contractCommand,
  deployCommand,
  explainCommand,
  installHookCommand,
  postponedCommand,
  rewriteCommand,
  setupCommand,
  verifyCommand,
];
