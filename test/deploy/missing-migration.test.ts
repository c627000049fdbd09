/*
 * A migration this database applied that the folder no longer has (deleted, or a stale
 * checkout): plain `prisma migrate deploy` carries on without a word (measured here), so
 * `prisma-zd deploy` warns, naming it, and carries on too.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/db.js';
import { migrationNames, runPrisma } from '../support/prisma.js';
import { deployProject, Resources, zdDeploy } from './support.js';

const res = new Resources();
afterAll(() => res.cleanup());

describe('an applied migration missing from the folder', () => {
  it('plain Prisma says nothing; prisma-zd deploy warns, naming it, and carries on', async () => {
    const p = await deployProject(res, () => freshDatabase({ prefix: 'zd_missing' }));
    expect((await zdDeploy(p)).code).toBe(0);
    const gone = migrationNames(p.project.migrationsDir).find((n) => n.endsWith('_comment_replies'))!;
    rmSync(join(p.project.migrationsDir, gone), { recursive: true });

    const plain = await runPrisma(['migrate', 'deploy'], { url: p.url, cwd: p.project.dir });
    expect(plain.code).toBe(0);
    expect(plain.stdout + plain.stderr).not.toContain(gone);

    const zd = await zdDeploy(p, ['--json']);
    expect(zd.code, zd.stderr).toBe(0);
    const warning = `A migration applied to this database is not in ${p.project.migrationsDir}: ${gone}.`;
    expect(zd.stderr).toContain(warning);
    expect(zd.json!['warnings']).toContainEqual(expect.stringContaining("a database built from this folder (a new environment, Prisma's shadow database) will not have what it did"));
  }, 120_000);
});
