/**
 * Randomised convergence (I2): seeded random Prisma-like histories, deployed rewritten to
 * a managed database in random batches with the queue run at random points, then queue
 * and contract to the end, always reach the original history's schema — and the
 * rewritten history on an unmanaged database reaches it too (I1).
 *
 * PRISMA_ZD_RANDOM_CASES (default 100) sets the number of cases, PRISMA_ZD_SEED the
 * first seed: a failure names its seed, and `PRISMA_ZD_SEED=<seed> PRISMA_ZD_RANDOM_CASES=1`
 * replays it. The heavy mode (e.g. 2000 cases) is for a long run by hand.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom, withConnection, applyLikePrisma } from '../support/apply.js';
import { freshDatabase, templateDatabase } from '../support/db.js';
import { checkConvergence, randomSchedule } from '../support/managed.js';
import { RANDOM_BASE, randomHistory } from '../support/random-history.js';

const CASES = Number(process.env.PRISMA_ZD_RANDOM_CASES ?? 100);
const FIRST_SEED = Number(process.env.PRISMA_ZD_SEED ?? 1000);
const BASE_NAME = '20260101000000_base';

let template: Promise<string> | undefined;
const base = () =>
  (template ??= templateDatabase((url) => withConnection(url, (c) => applyLikePrisma(c, { name: BASE_NAME, sql: RANDOM_BASE })), 'zd_rnd'));

describe('randomised convergence', () => {
  const seeds = Array.from({ length: CASES }, (_, i) => FIRST_SEED + i);
  it.each(seeds)('seed %i', async (seed) => {
    const rand = seededRandom(seed);
    const steps = randomHistory(rand, 2 + Math.floor(rand() * 6));
    const history = [{ name: BASE_NAME, sql: RANDOM_BASE }, ...steps.map((sql, i) => ({ name: `2026010100${String(i + 1).padStart(4, '0')}_m`, sql }))];
    const schedule = randomSchedule(history.length - 1, rand, 4);
    const tpl = await base();
    const r = await checkConvergence({
      // The base is in the template already; the managed and unmanaged runs apply the rest.
      history,
      skipFirst: true,
      mode: rand() < 0.3 ? 'per-statement' : 'whole-file',
      ...schedule,
      create: () => freshDatabase({ template: tpl, prefix: 'zd_rnd' }),
    });
    const context = `seed ${seed}:\n${steps.map((s, i) => `-- migration ${i + 1}\n${s}`).join('\n')}`;
    expect(r.failures, context).toEqual([]);
    expect(r.unmanaged, context).toEqual([]);
    expect(r.managed, context).toEqual([]);
  });
});
