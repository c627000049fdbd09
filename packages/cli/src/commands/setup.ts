import { ZD_SCHEMA } from '@prisma-zd/core';
import { ExitCode } from '../errors.js';
import { describeServer, withClient } from '../db/connect.js';
import { permissionDenied } from '../queue/privileges.js';
import { installSchema, type SetupResult } from '../queue/schema.js';
import { queueTarget, type TargetArgs } from '../queue/target.js';
import { paint, type Output } from '../util/output.js';
import { defineCommand } from './command.js';

/** Installs or upgrades the bookkeeping schema on the database at `url`. */
export async function setup(url: string): Promise<SetupResult> {
  return withClient(
    url,
    async (client) => {
      try {
        return await installSchema(client);
      } catch (e) {
        throw (await permissionDenied(e, { url, command: 'prisma-zd setup', client })) ?? e;
      }
    },
    { applicationName: 'setup' },
  );
}

export function renderSetup(o: Output, r: SetupResult, where: string): string {
  if (!r.changed) return `prisma-zd is already set up on ${where} (schema ${ZD_SCHEMA}, version ${r.to}, owned by "${r.owner}").`;
  const verb = r.from === 0 ? 'Installed' : `Upgraded (from version ${r.from})`;
  return (
    `${paint(o, 'green', '✓')} ${verb} the prisma-zd bookkeeping schema ${ZD_SCHEMA} (version ${r.to}) on ${where}, owned by "${r.owner}".\n` +
    `  Migrations rewritten by prisma-zd now queue their index builds, validations and NOT NULLs here: run \`prisma-zd postponed run\` after \`prisma migrate deploy\`.`
  );
}

export const setupCommand = defineCommand({
  command: 'setup',
  describe: 'Install or upgrade the bookkeeping schema prisma_zd (idempotent); the database becomes managed',
  // No --migrations: setup reads no migrations folder (a flag accepted and ignored would say it did).
  builder: (y) =>
    y
      .option('url', { type: 'string', describe: "Database URL (default: the datasource from Prisma's config)" })
      .option('schema', { type: 'string', describe: 'Path to schema.prisma (as with prisma --schema)' })
      .option('json', { type: 'boolean', default: false, describe: 'Machine-readable output on stdout' }),
  async run(argv, out) {
    const target = await queueTarget(argv as TargetArgs, false);
    const result = await setup(target.url);
    if (argv.json) out.out(JSON.stringify({ command: 'setup', schema: ZD_SCHEMA, ...result }));
    else out.out(renderSetup(out, result, describeServer(target.url)));
    return ExitCode.Ok;
  },
});
