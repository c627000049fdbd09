/**
 * `prisma-zd/testing`: test your own migrations with prisma-zd switched on, from vitest
 * or jest. See docs/recipes/testing-migrations.md.
 *
 * ```ts
 * import { createMigrationTest, createScratchDatabase } from 'prisma-zd/testing';
 *
 * const db = await createScratchDatabase(process.env.TEST_DATABASE_URL!);
 * const t = await createMigrationTest({ url: db.url });
 * await t.migrateTo('20261123203514_post_published_index');
 * // … old app version's writes
 * await t.migrateTo('20261123203517_product_currency_without_default');
 * (await t.state()).deferred; // the DROP DEFAULT waiting for contract
 * // … old app version's writes still work (I3)
 * await t.runPostponed();
 * await t.runContract();
 * await t.expectMatchesUnmanaged();
 * await db.drop();
 * ```
 */
export {
  createMigrationTest,
  MigrationTest,
  PostponedWorkError,
  SchemaMismatchError,
  type CompareOptions,
  type IntermediateState,
  type MigrationTestMode,
  type MigrationTestOptions,
} from './migration-test.js';
export { MigrationError, type FailedStatement } from '../verify/apply.js';
export { createScratchDatabase, dropScratchDatabases } from './scratch.js';
export type { ScratchDatabase, ScratchOptions } from '../verify/scratch.js';
export { formatDiff, type FingerprintDiff } from '../db/fingerprint.js';
export type { QueueEntry } from '../queue/entries.js';
export type { RunResult } from '../queue/runner.js';
export type { ContractResult } from '../queue/contract.js';
