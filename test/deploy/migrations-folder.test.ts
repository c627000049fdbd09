/**
 * `prisma-zd deploy --migrations DIR`: `prisma migrate deploy` has no option for the
 * folder, it applies the one of Prisma's own config. A DIR that is not that folder was
 * planned ("2 pending") while Prisma applied nothing and the deploy exited 0: it is
 * refused before anything runs; a DIR that Prisma's config points at deploys.
 */
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/db.js';
import { sampleTemplate } from '../prisma/helpers.js';
import { addMigration } from '../support/prisma.js';
import { ADD_WEIGHT, columnExists, deployProject, migrationRows, Resources, zdDeploy } from './support.js';

let template: string;
const res = new Resources();
const newDatabase = () => freshDatabase({ template, prefix: 'zd_deploy_dir' });

beforeAll(async () => {
  template = await sampleTemplate();
});
afterAll(() => res.cleanup());

/** The sample project with its migrations moved to `elsewhere/` (Prisma's config still names `migrations`), plus two new ones. */
async function movedProject() {
  const p = await deployProject(res, newDatabase);
  const elsewhere = join(p.project.dir, 'elsewhere');
  renameSync(p.project.migrationsDir, elsewhere);
  const weight = addMigration(elsewhere, 'weight', ADD_WEIGHT);
  const notes = addMigration(elsewhere, 'notes', `ALTER TABLE "Product" ADD COLUMN "notes" TEXT;\n`);
  return { p, elsewhere, weight, notes };
}

describe.concurrent('prisma-zd deploy --migrations', () => {
  it('refuses a folder that is not the one Prisma applies (exit 2, both folders named, how to point Prisma at it); nothing runs', async () => {
    const { p, elsewhere, weight, notes } = await movedProject();
    for (const args of [['--migrations', 'elsewhere'], ['--migrations', elsewhere, '--dry-run']]) {
      const run = await zdDeploy(p, args);
      expect(run.code, run.stdout + run.stderr).toBe(2);
      expect(run.stderr).toContain('ZD_MIGRATIONS_MISMATCH');
      expect(run.stderr).toContain(elsewhere);
      expect(run.stderr).toContain(`${p.project.migrationsDir} (which does not exist)`);
      expect(run.stderr).toContain(join(p.project.dir, 'prisma.config.ts'));
      expect(run.stderr).toContain('migrations: { path: "elsewhere" }');
      expect(run.stdout).not.toContain('pending');
    }
    expect(await columnExists(p.url, 'Product', 'weightGrams')).toBe(false);
    expect(await migrationRows(p.url, weight)).toEqual([]);
    expect(await migrationRows(p.url, notes)).toEqual([]);
  });

  it("deploys a --migrations folder that Prisma's config points at", async () => {
    const { p, weight, notes } = await movedProject();
    // The sample config reads its folder from PRISMA_ZD_MIGRATIONS_DIR (relative to the config).
    const run = await zdDeploy(p, ['--migrations', 'elsewhere'], { env: { PRISMA_ZD_MIGRATIONS_DIR: 'elsewhere' } });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await columnExists(p.url, 'Product', 'weightGrams')).toBe(true);
    expect(await columnExists(p.url, 'Product', 'notes')).toBe(true);
    for (const m of [weight, notes]) expect((await migrationRows(p.url, m))[0]?.finished_at).not.toBeNull();
  });
});
