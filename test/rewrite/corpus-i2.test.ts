/**
 * I2 — managed convergence on real histories: the rewritten history deployed to a
 * managed database in random batches, with the queue run at random points, then the
 * queue and contract run to the end, gives exactly the original history's schema.
 * Schedules are seeded (PRISMA_ZD_SEED), so a failure is reproducible.
 */
import { describe, expect, it } from 'vitest';
import { initParser, rewriteHistory } from '@prisma-zd/core';
import { diffFingerprints, fingerprintUrl, formatDiff } from '../../packages/cli/src/db/fingerprint.js';
import { applyHistory, seededRandom } from '../support/apply.js';
import { CORPUS_PRESENT, corpusProjects } from '../support/corpus.js';
import { freshDatabase } from '../support/db.js';
import { deployManaged, randomSchedule, setUp, writeMigrationsFolder } from '../support/managed.js';

const SEED = Number(process.env.PRISMA_ZD_SEED ?? 20261123);

describe.skipIf(!CORPUS_PRESENT)('I2 on the corpus: managed deploys in random batches converge to the original schema', () => {
  corpusProjects().forEach((project, p) => {
    it(`${project.name} (seed ${SEED + p})`, async () => {
      await initParser();
      const original = await freshDatabase({ prefix: 'zd_i2_orig' });
      const managed = await freshDatabase({ prefix: 'zd_i2_man' });
      try {
        const a = await applyHistory(original.url, project.migrations);
        const history = rewriteHistory(project.migrations.slice(0, a.applied), { select: () => true }).map((r) => ({ name: r.name, sql: r.text }));
        const folder = writeMigrationsFolder(history);
        try {
          await setUp(managed.url);
          const schedule = randomSchedule(history.length, seededRandom(SEED + p));
          const { failures } = await deployManaged(managed.url, history, { ...schedule, migrationsDir: folder.dir });
          expect(failures).toEqual([]);
        } finally {
          folder.cleanup();
        }
        const diff = diffFingerprints(await fingerprintUrl(original.url), await fingerprintUrl(managed.url));
        expect(diff, formatDiff(diff)).toEqual([]);
      } finally {
        await original.drop();
        await managed.drop();
      }
    });
  });
});
