/**
 * docs/recipes/verify.md: its scripts run against real databases, and its example output
 * is what verify prints for the scenario it describes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/db.js';
import { query } from '../prisma/helpers.js';
import { ciEnv, recipeBlock, runScript, userRepo, type UserRepo } from './support.js';

describe('docs/recipes/verify.md', () => {
  let repo: UserRepo;
  /** Deployed and its queue run; contract still pending. */
  let db: Awaited<ReturnType<typeof freshDatabase>>;

  beforeAll(async () => {
    repo = userRepo();
    db = await freshDatabase({ prefix: 'zd_verify_recipe' });
    const deploy = await runScript('npx prisma-zd deploy', { cwd: repo.dir, env: ciEnv({ DATABASE_URL: db.url }) });
    expect(deploy.code, deploy.stderr).toBe(0);
    // The 3 a.m. fix.
    await query(db.url, `ALTER TABLE "Post" ADD COLUMN "hotfix" boolean`);
    await query(db.url, `DROP INDEX "Post_published_publishedAt_idx"`);
  });
  afterAll(async () => {
    repo?.cleanup();
    await db?.drop();
  });

  it('after-an-incident.sh prints the report of verify-output.txt and writes verify.json', async () => {
    const r = await runScript(recipeBlock('verify', 'after-an-incident.sh'), { cwd: repo.dir, env: ciEnv({ PROD_DIRECT_URL: db.url }) });
    expect(r.code, r.stderr).toBe(0);
    const host = new URL(db.url).host;
    const normalised = r.stdout
      .replaceAll(`${host}/${db.name}`, 'db.internal:5432/app')
      .replaceAll(host, 'db.internal:5432')
      .replace(/prisma_zd_verify_[0-9a-f]+/, 'prisma_zd_verify_3f9a1c2b7d');
    expect(normalised).toBe(`${recipeBlock('verify', 'verify-output.txt')}verify exited 1\n`);
    const { readFileSync } = await import('node:fs');
    const json = JSON.parse(readFileSync(`${repo.dir}/verify.json`, 'utf8')) as { exitCode: number; drift: Array<{ object: string }> };
    expect(json.exitCode).toBe(1);
    expect(json.drift.map((d) => d.object)).toEqual(['"public"."Post"."hotfix"', '"public"."Post_published_publishedAt_idx"']);
  });

  it('staging-verify.sh: --strict with a shadow database fails on the drift and on the pending contract, then passes once both are resolved', async () => {
    const staging = await freshDatabase({ template: db.name, prefix: 'zd_verify_staging' });
    const shadow = await freshDatabase({ prefix: 'zd_verify_staging_shadow' });
    try {
      const env = ciEnv({ STAGING_DATABASE_URL: staging.url, STAGING_SHADOW_DATABASE_URL: shadow.url });
      const script = recipeBlock('verify', 'staging-verify.sh');
      const bad = await runScript(script, { cwd: repo.dir, env });
      expect(bad.code).toBe(1);
      expect(bad.stdout).toContain(`built unmanaged in the shadow database`);
      await query(staging.url, `ALTER TABLE "Post" DROP COLUMN "hotfix"`);
      await query(staging.url, `CREATE INDEX "Post_published_publishedAt_idx" ON "Post"("published", "publishedAt")`);
      expect((await runScript(script, { cwd: repo.dir, env })).code).toBe(1); // contract still pending
      const contract = await runScript('npx prisma-zd contract --url "$STAGING_DATABASE_URL"', { cwd: repo.dir, env });
      expect(contract.code, contract.stderr).toBe(0);
      const good = await runScript(script, { cwd: repo.dir, env });
      expect(good.code, good.stdout + good.stderr).toBe(0);
    } finally {
      await staging.drop();
      await shadow.drop();
    }
  });
});
