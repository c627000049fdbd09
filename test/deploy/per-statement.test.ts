/**
 * Per-statement execution (Prisma 7.4+ may commit each statement of migration.sql on its
 * own; the sample adapter's PRISMA_ZD_EXEC_MODE=per-statement reproduces it): a rewritten
 * migration's prisma-zd blocks commit their queue entries before a later statement fails,
 * so I5 cannot hold. What deploy reports, and that the fix it prints converges (I2)
 * without building anything for a migration that is not applied.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/db.js';
import { runZd } from '../support/cli.js';
import { sampleTemplate } from '../prisma/helpers.js';
import { addRewrittenMigration, columnExists, deployProject, migrationRows, query, Resources, session, zdDeploy, type DeployProject } from './support.js';

let template: string;
const res = new Resources();
const newDatabase = () => freshDatabase({ template, prefix: 'zd_perstmt' });
const PER_STATEMENT = { PRISMA_ZD_EXEC_MODE: 'per-statement' };

beforeAll(async () => {
  template = await sampleTemplate();
});
afterAll(() => res.cleanup());

const zd = (p: Pick<DeployProject, 'url' | 'project'>, args: string[]) =>
  runZd(args, { cwd: p.project.dir, env: { DATABASE_URL: p.url, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1', ...PER_STATEMENT }, timeoutMs: 90_000 });

const queueRows = (url: string) =>
  query<{ id: string; kind: string; object_name: string; status: string; note: string | null }>(url, 'SELECT id, kind, object_name, status, note FROM prisma_zd.queue ORDER BY id');
const indexExists = async (url: string, name: string) => (await query(url, 'SELECT 1 FROM pg_class WHERE relname = $1', [name])).length > 0;
const stockDefault = async (url: string) =>
  (await query<{ d: string | null }>(url, `SELECT column_default AS d FROM information_schema.columns WHERE table_name = 'Product' AND column_name = 'stock'`))[0]!.d;

/** ADD COLUMN; a postponed CREATE INDEX; a deferred DROP DEFAULT; then a statement that times out behind a lock on "Tag". */
async function failingDeploy() {
  const p = await deployProject(res, newDatabase);
  const name = await addRewrittenMigration(
    p.project.migrationsDir,
    'weight_idx_tag',
    `-- AlterTable\nALTER TABLE "Product" ADD COLUMN "weightGrams" INTEGER;\n\n-- CreateIndex\nCREATE INDEX "Product_weightGrams_idx" ON "Product"("weightGrams");\n\n` +
      `-- AlterTable\nALTER TABLE "Product" ALTER COLUMN "stock" DROP DEFAULT;\n\n-- AlterTable\nALTER TABLE "Tag" ADD COLUMN "color" TEXT;\n`,
  );
  const blocker = await session(p.url, 'old-app', 'LOCK TABLE "Tag" IN ACCESS SHARE MODE');
  res.add(() => blocker.end());
  const run = await zdDeploy(p, ['--lock-timeout', '500ms'], { env: PER_STATEMENT });
  await blocker.end();
  return { p, name, run };
}

/** The report of the failed deploy: exit 3, the columns and the queue entries named, the fix. */
function expectReport(run: Awaited<ReturnType<typeof failingDeploy>>['run'], name: string) {
  expect(run.code, run.stderr).toBe(3);
  expect(run.stdout).toContain(`Error: ${name}: canceling statement due to lock timeout`);
  expect(run.stdout).toMatch(
    /left behind: column "public"."Product"."weightGrams", queue entry #1 \(index "Product_weightGrams_idx" on "Product"\), queue entry #2 \(contract: ALTER TABLE "Product" ALTER COLUMN "stock" DROP DEFAULT\); not applied: column "public"."Tag"."color"/,
  );
  expect(run.stdout).toContain('except the queue entries #1, #2: leave them in the queue');
  expect(run.stdout).toContain(`npx prisma migrate resolve --rolled-back "${name}"    # you reverted it; deploy applies it again and cancels queue entries #1, #2`);
}

describe.concurrent('per-statement execution: a rewritten migration that fails after its prisma-zd blocks queued', () => {
  it('reverted and resolved --rolled-back: nothing is built while it is failed (with or without a folder); deploy again, postponed run, contract converge, the first attempt\'s entries cancelled as duplicates', async () => {
    const { p, name, run } = await failingDeploy();
    expectReport(run, name);
    // Before it is resolved: held, never built (even when no folder lets reconcile judge).
    const held = await zd(p, ['postponed', 'run']);
    expect(held.code, held.stderr).toBe(0);
    expect(held.stderr).toContain(`#1 index "Product_weightGrams_idx" waits: its migration ${name} failed and is not resolved`);
    const noFolder = await zd(p, ['postponed', 'run', '--migrations', '/nonexistent-migrations']);
    expect(noFolder.code, noFolder.stderr).toBe(0);
    const contract = await zd(p, ['contract']);
    expect(contract.code, contract.stderr).toBe(0);
    expect(await indexExists(p.url, 'Product_weightGrams_idx')).toBe(false);
    expect(await stockDefault(p.url)).toBe('0');
    expect((await queueRows(p.url)).map((r) => r.status)).toEqual(['pending', 'pending']);

    // The printed fix: revert by hand, resolve --rolled-back (its SQL: 6.19.3's resolve needs the native engine), deploy.
    await query(p.url, 'ALTER TABLE "Product" DROP COLUMN "weightGrams"');
    await query(p.url, 'UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1 AND finished_at IS NULL', [name]);
    const again = await zdDeploy(p, ['--json'], { env: PER_STATEMENT });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json).toMatchObject({ status: 'applied', migrations: { appliedNow: [name] } });
    expect(await indexExists(p.url, 'Product_weightGrams_idx')).toBe(true);
    const post = await zd(p, ['postponed', 'run']);
    expect(post.code, post.stderr).toBe(0);
    const done = await zd(p, ['contract']);
    expect(done.code, done.stderr + done.stdout).toBe(0);
    expect(await stockDefault(p.url)).toBeNull();
    const rows = await queueRows(p.url);
    expect(rows.filter((r) => r.status === 'done').map((r) => r.kind).sort()).toEqual(['contract', 'index']);
    expect(rows.filter((r) => r.status !== 'done').every((r) => r.status === 'cancelled' && /duplicate of #[12]/.test(r.note ?? ''))).toBe(true);
    const verify = await zd(p, ['verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('resolved --rolled-back and run before it is applied again: its entries are voided, the new deploy queues and builds them once', async () => {
    const { p, name, run } = await failingDeploy();
    expectReport(run, name);
    await query(p.url, 'ALTER TABLE "Product" DROP COLUMN "weightGrams"');
    await query(p.url, 'UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1 AND finished_at IS NULL', [name]);
    const between = await zd(p, ['postponed', 'run']);
    expect(between.code, between.stderr).toBe(0);
    expect(between.stderr).toContain(`reconcile: cancelled #1 index "Product_weightGrams_idx": its migration ${name} was rolled back`);
    expect(await indexExists(p.url, 'Product_weightGrams_idx')).toBe(false);
    const again = await zdDeploy(p, [], { env: PER_STATEMENT });
    expect(again.code, again.stderr).toBe(0);
    const done = await zd(p, ['contract']);
    expect(done.code, done.stderr + done.stdout).toBe(0);
    expect((await queueRows(p.url)).map((r) => r.status)).toEqual(['cancelled', 'cancelled', 'done', 'done']);
    const verify = await zd(p, ['verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('completed by hand and resolved --applied: the failed attempt\'s entries are kept and completed', async () => {
    const { p, name, run } = await failingDeploy();
    expectReport(run, name);
    // Complete the rest by hand, then what `prisma migrate resolve --applied` does: the failed row rolled back, an applied row added.
    await query(p.url, 'ALTER TABLE "Tag" ADD COLUMN "color" TEXT');
    const checksum = createHash('sha256').update(readFileSync(join(p.project.migrationsDir, name, 'migration.sql'))).digest('hex');
    await query(p.url, 'UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1 AND finished_at IS NULL', [name]);
    await query(
      p.url,
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count) VALUES (gen_random_uuid()::text, $1, $2, now(), now(), 1)`,
      [checksum, name],
    );
    const again = await zdDeploy(p, ['--json'], { env: PER_STATEMENT });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json).toMatchObject({ status: 'up-to-date', postponed: { entries: [{ id: 1, status: 'built' }] } });
    const done = await zd(p, ['contract']);
    expect(done.code, done.stderr + done.stdout).toBe(0);
    expect((await queueRows(p.url)).map((r) => r.status)).toEqual(['done', 'done']);
    expect(await columnExists(p.url, 'Tag', 'color')).toBe(true);
    expect((await migrationRows(p.url, name)).filter((r) => r.finished_at && !r.rolled_back_at)).toHaveLength(1);
    const verify = await zd(p, ['verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});
