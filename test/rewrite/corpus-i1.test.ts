/**
 * I1 — unmanaged equivalence on real histories: on a database without prisma-zd, the
 * `rewrite --all` history produces exactly the schema the original history produces.
 */
import { describe, expect, it } from 'vitest';
import { initParser, rewriteHistory } from '@prisma-zd/core';
import { diffFingerprints, fingerprintUrl, formatDiff } from '../../packages/cli/src/db/fingerprint.js';
import { applyHistory } from '../support/apply.js';
import { CORPUS_PRESENT, corpusProjects } from '../support/corpus.js';
import { freshDatabase } from '../support/db.js';

describe.skipIf(!CORPUS_PRESENT)('I1 on the corpus: rewritten history == original history on unmanaged databases', () => {
  for (const project of corpusProjects()) {
    it(project.name, async () => {
      await initParser();
      const rewritten = rewriteHistory(project.migrations, { select: () => true });
      const changes = rewritten.reduce((n, r) => n + r.changes.length, 0);
      const original = await freshDatabase({ prefix: 'zd_i1_orig' });
      const mine = await freshDatabase({ prefix: 'zd_i1_rw' });
      try {
        const a = await applyHistory(original.url, project.migrations);
        // Stop the rewritten history where the original one stopped (a history may hold a
        // migration that only worked on its authors' data): both must fail or pass alike.
        const b = await applyHistory(
          mine.url,
          rewritten.map((r) => ({ name: r.name, sql: r.text })),
          { limit: a.error ? a.applied : undefined },
        );
        expect(b.error, `rewritten history failed where the original did not: ${JSON.stringify(b.error)}`).toBeUndefined();
        expect(b.applied).toBe(a.applied);
        const diff = diffFingerprints(await fingerprintUrl(original.url), await fingerprintUrl(mine.url));
        expect(diff, formatDiff(diff)).toEqual([]);
        expect(changes, 'the rewrite changed something in this history').toBeGreaterThan(0);
        console.log(`${project.name}: ${a.applied}/${project.migrations.length} migrations applied, ${changes} rewrites, schemas equal${a.error ? ` (original stops at ${a.error.migration}: ${a.error.message})` : ''}`);
      } finally {
        await original.drop();
        await mine.drop();
      }
    });
  }
});
