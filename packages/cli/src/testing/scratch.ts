/**
 * Throw-away databases for tests: `verify`'s, with errors as a test runner shows them, and
 * a sweep for the ones a killed run left behind (Ctrl-C, a cancelled CI job: `afterEach`
 * never ran).
 */
import { quoteIdent } from '@prisma-zd/core';
import { withClient } from '../db/connect.js';
import { ExitCode, UserError } from '../errors.js';
import { createScratchDatabase as create, type ScratchDatabase, type ScratchOptions } from '../verify/scratch.js';
import { reported } from './errors.js';

/**
 * `CREATE DATABASE prisma_zd_<prefix>_<random>` on the server of `serverUrl` (the role needs
 * CREATEDB), or the empty database `options.shadowUrl`. `drop()` drops (or empties) it and
 * returns what could not be cleaned.
 */
export function createScratchDatabase(serverUrl: string, options: Pick<ScratchOptions, 'prefix' | 'shadowUrl'> = {}): Promise<ScratchDatabase> {
  return reported(() =>
    create(serverUrl, {
      ...options,
      purpose: 'testing',
      shadowHint: 'Grant CREATEDB to the test role, or pass `shadowUrl` (an empty database, emptied again by drop()) to createScratchDatabase.',
    }),
  );
}

/**
 * Drops the databases `createScratchDatabase(serverUrl, { prefix })` made that are still on
 * the server: call it before the tests create theirs (vitest `globalSetup`), on a server, or
 * with a prefix, that no other run uses at the same time. Returns their names.
 */
export function dropScratchDatabases(serverUrl: string, options: { prefix: string }): Promise<string[]> {
  return reported(async () => {
    if (!/^[a-z0-9_]+$/.test(options.prefix)) {
      throw new UserError({
        code: 'ZD_USAGE',
        message: `dropScratchDatabases: prefix ${JSON.stringify(options.prefix)} is not one createScratchDatabase names databases with.`,
        hint: 'Pass the prefix your tests give createScratchDatabase (lower-case letters, digits and _).',
        exit: ExitCode.Usage,
      });
    }
    return withClient(
      serverUrl,
      async (c) => {
        const { rows } = await c.query<{ datname: string }>(`SELECT datname FROM pg_catalog.pg_database WHERE datname ~ $1 ORDER BY 1`, [
          `^prisma_zd_${options.prefix}_[0-9a-f]{10}$`,
        ]);
        const v = await c.query<{ n: number }>(`SELECT current_setting('server_version_num')::int AS n`);
        const force = (v.rows[0]?.n ?? 0) >= 130000 ? ' WITH (FORCE)' : '';
        for (const r of rows) await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(r.datname)}${force}`);
        return rows.map((r) => r.datname);
      },
      { applicationName: 'testing' },
    );
  });
}
