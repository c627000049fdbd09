/**
 * Which database and migrations folder a queue command works on: flags first, then
 * what Prisma itself would use (`resolvePrismaProject`). Also the CLI's interrupt
 * handling: the first SIGINT/SIGTERM asks the run to stop cleanly, a second one exits.
 */
import { readingOf, resolvePrismaProject, requireUrl } from '../project/prisma-project.js';
import { ExitCode } from '../errors.js';
import type { Output } from '../util/output.js';
import { registerSecretsFrom } from '../util/redact.js';
import { prismaSchemaOf } from '../db/search-path.js';

export interface TargetArgs {
  url?: string;
  migrations?: string;
  schema?: string;
}

export interface QueueTarget {
  url: string;
  migrationsDir: string;
  /** Schema of `_prisma_migrations` (the URL's `?schema=`, else `public`). */
  schema: string;
  /** How Prisma runs the migrations (as `rewrite` read them when it queued their work). */
  execution: ReturnType<typeof readingOf>;
}

/** `needMigrations`: the command reads the folder (reconciliation), so Prisma's config is loaded for its path. */
export async function queueTarget(argv: TargetArgs, needMigrations: boolean): Promise<QueueTarget> {
  const project = await resolvePrismaProject({
    ...(argv.url === undefined ? {} : { url: argv.url }),
    ...(argv.migrations === undefined ? {} : { migrations: argv.migrations }),
    ...(argv.schema === undefined ? {} : { schema: argv.schema }),
    needUrl: !(argv.url !== undefined && (argv.migrations !== undefined || !needMigrations)),
  });
  const url = requireUrl(project);
  registerSecretsFrom(url);
  // A malformed URL gives `public` here and is reported when connecting.
  return { url, migrationsDir: project.migrationsDir, schema: prismaSchemaOf(url), execution: readingOf(project.execution) };
}

/** An AbortSignal fired by the first SIGINT/SIGTERM; a second one exits at once with 130. */
export function interruptSignal(out: Output): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      out.err(`${sig} again: exiting now; the next run cleans up what is left.`);
      process.exit(ExitCode.Interrupted);
    }
    out.err(`\n${sig}: stopping — cancelling the running statement and cleaning up (press Ctrl-C again to exit at once)…`);
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
