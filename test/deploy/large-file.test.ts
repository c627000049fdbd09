/*
 * A pending migration too large for prisma-zd's copy of PostgreSQL's parser (a ~64 MB
 * seed in one INSERT): deploy does not take it for bad SQL. Its plan says the file was not
 * analysed and why, nothing of the parser's own report reaches the output, and the deploy
 * goes on (here a dry run: exit 0). `rewrite` leaves it as it is and says why (exit 1:
 * it could not make it deploy-safe).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { freshDatabase } from '../support/db.js';
import { deployProject, Resources, zdDeploy } from './support.js';

const res = new Resources();
afterAll(() => res.cleanup());

describe('a pending migration too large for the parser', () => {
  it('is shown as not analysed in the plan (not as SQL that does not parse), and the deploy goes on', async () => {
    const p = await deployProject(res, () => freshDatabase({ prefix: 'zd_large' }), { name: 'seed', sql: '' });
    const rows = "('a row of the seed', 1),\n".repeat(2_600_000);
    writeFileSync(join(p.project.migrationsDir, p.migration, 'migration.sql'), `CREATE TABLE "Seed" ("name" TEXT, "n" INTEGER);\nINSERT INTO "Seed" VALUES\n${rows}('last', 2);\n`);
    const r = await zdDeploy(p, ['--dry-run'], { timeoutMs: 200_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toContain(
      `  ${p.migration}\n    not analysed: PostgreSQL's parser, run inside prisma-zd as WebAssembly, could not read this file: it ran out of its 1 GB of memory (the file is 64 MB); its locks are not shown (PostgreSQL may well accept it)`,
    );
    expect(out).not.toContain('does not parse');
    expect(out).not.toContain('Grand total');
    expect(out).not.toContain('Terminating process');

    const rewrite = await runZd(['rewrite', join(p.project.migrationsDir, p.migration)], { cwd: p.project.dir, env: { DATABASE_URL: undefined } });
    expect(rewrite.code).toBe(1);
    expect(rewrite.stderr).toContain(`✗ ${p.migration}: left as it is, not analysed: `);
    expect(rewrite.stderr).toContain('could not read this file: it ran out of its 1 GB of memory (the file is 64 MB)');
  }, 240_000);
});
