import type { Argv, ArgumentsCamelCase } from 'yargs';
import type { ExitCode } from '../errors.js';
import type { Output } from '../util/output.js';

/**
 * A CLI adapter: declares its options once (they drive parsing and help), calls a
 * library function and renders its result. It returns the process exit code.
 */
export interface CommandDefinition<A = Record<string, unknown>> {
  command: string | readonly string[];
  describe: string;
  builder: (y: Argv) => Argv<A>;
  run: (argv: ArgumentsCamelCase<A>, out: Output) => Promise<ExitCode>;
}

export function defineCommand<A>(def: CommandDefinition<A>): CommandDefinition<A> {
  return def;
}

/** Options every database/migrations command takes. */
export function projectOptions<T>(y: Argv<T>) {
  return y
    .option('url', {
      type: 'string',
      describe: "Database URL (default: the datasource from Prisma's config)",
    })
    .option('migrations', {
      type: 'string',
      describe: "Migrations folder (default: from Prisma's config, or prisma/migrations)",
    })
    .option('schema', { type: 'string', describe: 'Path to schema.prisma (as with prisma --schema)' })
    .option('json', { type: 'boolean', default: false, describe: 'Machine-readable output on stdout' });
}

/**
 * `--config`, for the commands that read `prisma-zd.config.ts` (`check`, `deploy`). The
 * others do not declare it: a flag that is accepted and then ignored tells the user it did something.
 */
export function configOption<T>(y: Argv<T>) {
  return y.option('config', { type: 'string', describe: 'Path to prisma-zd.config.ts (default: the nearest one from here up)' });
}
