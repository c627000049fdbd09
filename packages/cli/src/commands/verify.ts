import { ExitCode } from '../errors.js';
import { checkDatabaseUrl, mapDbErrors } from '../db/connect.js';
import { requireUrl, resolvePrismaProject } from '../project/prisma-project.js';
import { registerSecretsFrom } from '../util/redact.js';
import { verifyJson, verifyLines } from '../verify/render.js';
import { verifyDatabase } from '../verify/verify.js';
import { prismaSchemaOf } from '../db/search-path.js';
import { defineCommand, projectOptions } from './command.js';

export const VERIFY_EXIT_CODES = `Exit codes:
  0  no drift: the schema is what the migrations folder produces (with --strict: nothing pending)
  1  drift, each difference named (with --strict, pending work too), or the folder does not build
  2  usage error, or the role may not CREATE DATABASE (pass --shadow-database-url)
  6  the database could not be reached`;

export const verifyCommand = defineCommand({
  command: 'verify',
  describe:
    'Compare the live database with what the migrations folder produces (built in a throw-away database); list pending queue and contract work, invalid indexes, unvalidated constraints. Exit 1 on drift',
  builder: (y) =>
    projectOptions(y)
      .option('shadow-database-url', {
        type: 'string',
        describe: 'An empty database to build the migrations folder in, when the role may not CREATE DATABASE (emptied afterwards)',
      })
      .option('strict', { type: 'boolean', default: false, describe: 'Pending queue/contract work and unapplied migrations count as drift' })
      .epilogue(VERIFY_EXIT_CODES),
  async run(argv, out) {
    const project = await resolvePrismaProject({
      ...(argv.url === undefined ? {} : { url: argv.url }),
      ...(argv.migrations === undefined ? {} : { migrations: argv.migrations }),
      ...(argv.schema === undefined ? {} : { schema: argv.schema }),
      needUrl: !(argv.url !== undefined && argv.migrations !== undefined),
    });
    const url = requireUrl(project);
    registerSecretsFrom(url);
    registerSecretsFrom(argv.shadowDatabaseUrl);
    checkDatabaseUrl(url);
    if (argv.shadowDatabaseUrl) checkDatabaseUrl(argv.shadowDatabaseUrl, 'The shadow database URL (--shadow-database-url)');
    const prismaSchema = prismaSchemaOf(url);
    const report = await mapDbErrors(url, 'the database (reading its catalogs, _prisma_migrations and prisma_zd.queue)', () =>
      verifyDatabase({
        url,
        migrationsDir: project.migrationsDir,
        prismaSchema,
        schemas: project.schemas,
        ...(argv.shadowDatabaseUrl ? { shadowUrl: argv.shadowDatabaseUrl } : {}),
        strict: argv.strict,
        warn: (t) => out.err(`warning: ${t}`),
      }),
    );
    if (argv.json) out.out(verifyJson(report));
    else for (const line of verifyLines(out, report)) out.out(line);
    return report.exitCode === ExitCode.Ok ? ExitCode.Ok : ExitCode.Failure;
  },
});
