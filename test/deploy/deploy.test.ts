/**
 * `prisma-zd deploy` end to end: the built CLI runs the sample project's real `prisma
 * migrate deploy` (prisma@6.19.3, whole-file execution) as its child, against a real
 * PostgreSQL, with sessions of an "old app" holding locks.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/db.js';
import { runZd } from '../support/cli.js';
import { sampleTemplate } from '../prisma/helpers.js';
import {
  ADD_WEIGHT,
  addRewrittenMigration,
  columnExists,
  deployerRole,
  deployProject,
  HOLD_PRODUCT,
  migrationRows,
  prismaWaiting,
  query,
  Resources,
  session,
  waitFor,
  zdDeploy,
} from './support.js';

let template: string;
const res = new Resources();
const newDatabase = () => freshDatabase({ template, prefix: 'zd_deploy' });

beforeAll(async () => {
  template = await sampleTemplate();
});
afterAll(() => res.cleanup());

describe.concurrent('prisma-zd deploy', () => {
  it('retries after a lock timeout: the first attempt times out behind a blocker, the retry succeeds once it ends; a second concurrent deploy fails clearly', async () => {
    const p = await deployProject(res, newDatabase, { name: 'product_weight', sql: ADD_WEIGHT });
    const blocker = await session(p.url, 'old-app', HOLD_PRODUCT);
    res.add(() => blocker.end());
    // The blocker ends once the first attempt has been rolled back.
    const releasing = waitFor('the first attempt to be rolled back', async () => (await migrationRows(p.url, p.migration)).some((r) => r.rolled_back_at)).then(() =>
      blocker.end(),
    );
    const running = zdDeploy(p, ['--json', '--retry-schedule', '1s*4', '--retry-delay', '300ms']);
    await waitFor("the deploy's Prisma session to wait for its lock", () => prismaWaiting(p.url));
    const second = await zdDeploy(p, []);
    expect(second.code, second.stderr).toBe(7);
    expect(second.stderr).toMatch(/ZD_BUSY: Another prisma-zd run holds the queue lock of this database: pid \d+, application_name "prisma-zd\/deploy-[0-9a-f]+-control"/);
    const run = await running;
    await releasing;
    expect(run.code, run.stderr).toBe(0);
    const attempts = run.json!.attempts as Array<Record<string, any>>;
    expect(attempts[0]).toMatchObject({ outcome: 'lock-timeout', lockTimeoutMs: 1000, rolledBack: true, migration: p.migration });
    expect(attempts[0]!.blockers.map((b: { pid: number }) => b.pid)).toContain(blocker.pid);
    expect(attempts[0]!.wait).toMatchObject({ relation: '"Product"', mode: 'ACCESS EXCLUSIVE', statement: { migration: p.migration, line: 2 } });
    expect(attempts.at(-1)).toMatchObject({ outcome: 'applied', applied: [p.migration] });
    expect(run.json!.actions).toEqual([]);
    expect(await columnExists(p.url, 'Product', 'weightGrams')).toBe(true);
    const rows = await migrationRows(p.url, p.migration);
    expect(rows.filter((r) => r.rolled_back_at)).toHaveLength(attempts.length - 1);
    expect(rows.filter((r) => r.finished_at && !r.rolled_back_at)).toHaveLength(1);
    expect(run.stderr).toMatch(/lock_timeout \(1s\) reached waiting for ACCESS EXCLUSIVE on "Product": nothing of \S+ was applied; retrying in/);
    expect(run.stderr).toContain(`pid ${blocker.pid} · role "postgres" · application "old-app"`);
  });

  it('--url with DATABASE_URL unset: the adapter factory sees the URL as Prisma does, so a lock timeout is retried, not left failed', async () => {
    const p = await deployProject(res, newDatabase, { name: 'product_weight', sql: ADD_WEIGHT });
    const blocker = await session(p.url, 'old-app', HOLD_PRODUCT);
    res.add(() => blocker.end());
    const releasing = waitFor('the first attempt to be rolled back', async () => (await migrationRows(p.url, p.migration)).some((r) => r.rolled_back_at)).then(() =>
      blocker.end(),
    );
    const run = await zdDeploy(p, ['--url', p.url, '--json', '--retry-schedule', '1s*4', '--retry-delay', '300ms'], { env: { DATABASE_URL: undefined } });
    await releasing;
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ execution: 'whole-file', status: 'applied' });
    expect(run.stderr).not.toContain('cannot tell');
    expect(run.json!.attempts[0]).toMatchObject({ outcome: 'lock-timeout', rolledBack: true, migration: p.migration });
    expect(run.json!.attempts.at(-1)).toMatchObject({ outcome: 'applied', applied: [p.migration] });
    expect(await columnExists(p.url, 'Product', 'weightGrams')).toBe(true);
    expect((await migrationRows(p.url, p.migration)).filter((r) => r.finished_at && !r.rolled_back_at)).toHaveLength(1);
  });

  it('says why the execution model is unknown when the adapter factory throws', async () => {
    const p = await deployProject(res, newDatabase, { name: 'product_weight', sql: ADD_WEIGHT });
    const run = await zdDeploy(p, ['--dry-run', '--json'], { env: { PRISMA_ZD_EXEC_MODE: 'sideways' } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ execution: 'unknown' });
    expect(run.stderr).toContain('in a way prisma-zd cannot tell (the driver adapter factory of the Prisma config threw: PRISMA_ZD_EXEC_MODE must be one of whole-file, per-statement; got "sideways".)');
  });

  it("sets lock_timeout, statement_timeout and application_name on Prisma's session and names its pid; terminates the blocker after the grace period, in one attempt, never touching an idle session or a lock on another table", async () => {
    const p = await deployProject(res, newDatabase, {
      name: 'session_probe_and_weight',
      sql: `CREATE TABLE "SessionProbe" AS
SELECT current_setting('lock_timeout') AS lock_timeout,
       current_setting('statement_timeout') AS statement_timeout,
       current_setting('application_name') AS application_name,
       pg_backend_pid() AS pid,
       EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 72707369 AND pid = pg_backend_pid() AND granted) AS holds_migrate_lock;

${ADD_WEIGHT}`,
    });
    const blocker = await session(p.url, 'old-app', HOLD_PRODUCT);
    const idle = await session(p.url, 'idle-app');
    const otherTable = await session(p.url, 'tag-app', 'LOCK TABLE "Tag" IN ACCESS EXCLUSIVE MODE');
    const idleInTx = await session(p.url, 'reader-app', 'SELECT count(*) FROM "User"');
    for (const s of [blocker, idle, otherTable, idleInTx]) res.add(() => s.end());
    const run = await zdDeploy(p, ['--json', '--blockers', 'terminate', '--blocker-grace', '1s', '--lock-timeout', '20s', '--statement-timeout', '45s', '--poll-interval', '20ms']);
    expect(run.code, run.stderr).toBe(0);
    // What Prisma's own session saw (read back from that backend, by the migration itself).
    const [probe] = await query(p.url, 'SELECT * FROM "SessionProbe"');
    expect(probe).toMatchObject({ lock_timeout: '20s', statement_timeout: '45s', holds_migrate_lock: true, application_name: `prisma-zd/deploy-${run.json!.run}` });
    expect(run.json).toMatchObject({ status: 'applied', exitCode: 0, migrations: { appliedNow: [p.migration] } });
    expect(run.json!.attempts).toHaveLength(1);
    expect(run.json!.attempts[0].prismaPid).toBe(probe!.pid);
    expect(run.stderr).toContain(`Prisma's session: backend pid ${probe!.pid}`);
    expect(run.stderr).toContain('All migrations have been successfully applied.'); // Prisma's own output, streamed
    expect(run.json!.actions).toMatchObject([{ pid: blocker.pid, action: 'terminate', ok: true }]);
    expect(run.json!.attempts[0].longestWaitMs).toBeGreaterThanOrEqual(900);
    expect(await blocker.alive()).toBe(false);
    for (const s of [idle, otherTable, idleInTx]) expect(await s.alive()).toBe(true);
    expect(await columnExists(p.url, 'Product', 'weightGrams')).toBe(true);
    expect(run.stderr).toMatch(new RegExp(`terminated pid ${blocker.pid} after it blocked Prisma for \\d`));
  });

  it('with --blockers show only reports; when every attempt times out it exits 4 and names who blocked', async () => {
    const p = await deployProject(res, newDatabase, { name: 'product_weight', sql: ADD_WEIGHT });
    const blocker = await session(p.url, 'old-app', HOLD_PRODUCT);
    res.add(() => blocker.end());
    const run = await zdDeploy(p, ['--json', '--blockers', 'show', '--blocker-grace', '0s', '--lock-timeout', '700ms', '--retries', '0']);
    expect(run.code, run.stderr).toBe(4);
    expect(run.json).toMatchObject({ status: 'lock-timeout', exitCode: 4, actions: [], failure: { migration: p.migration } });
    expect(run.json!.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['lock-timeout']);
    expect(run.json!.blockers).toMatchObject([{ pid: blocker.pid, application: 'old-app', state: 'idle in transaction' }]);
    expect(await blocker.alive()).toBe(true);
    expect(await columnExists(p.url, 'Product', 'weightGrams')).toBe(false);
    // The attempt was rolled back: a plain `prisma migrate deploy` is not left in P3009.
    expect((await migrationRows(p.url, p.migration)).every((r) => r.rolled_back_at)).toBe(true);
    expect(run.stderr).toContain('lock_timeout reached in the only attempt');
    expect(run.stderr).toMatch(new RegExp(`blocked by:\\n\\s+pid ${blocker.pid} `));
  });

  it('asks the onBlocked hook of prisma-zd.config.ts, which terminates the blocker it picks', async () => {
    const p = await deployProject(res, newDatabase, { name: 'product_weight', sql: ADD_WEIGHT });
    const seen = join(p.project.dir, 'situation.json');
    writeFileSync(
      join(p.project.dir, 'prisma-zd.config.ts'),
      `import { writeFileSync } from 'node:fs';
export default {
  deploy: {
    blockerGrace: '500ms',
    onBlocked(situation: { blockers: Array<{ pid: number; application: string | null }> }) {
      writeFileSync(${JSON.stringify(seen)}, JSON.stringify(situation));
      return { action: 'terminate', pids: situation.blockers.filter((b) => b.application === 'old-app').map((b) => b.pid), reason: 'old-app retries its reads' };
    },
  },
};
`,
    );
    const blocker = await session(p.url, 'old-app', HOLD_PRODUCT);
    res.add(() => blocker.end());
    const run = await zdDeploy(p, ['--json', '--lock-timeout', '20s']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json!.actions).toMatchObject([{ pid: blocker.pid, action: 'terminate', ok: true, reason: 'old-app retries its reads' }]);
    const situation = JSON.parse((await import('node:fs')).readFileSync(seen, 'utf8'));
    expect(situation).toMatchObject({
      run: run.json!.run,
      attempt: 1,
      policy: 'show',
      prisma: { pid: run.json!.attempts[0].prismaPid, relation: '"Product"', mode: 'ACCESS EXCLUSIVE', lockTimeoutMs: 20000 },
      blockers: [{ pid: blocker.pid, application: 'old-app', state: 'idle in transaction' }],
    });
  });

  it('a migration that fails with an SQL error: exit 3 and the exact fix; the next deploy reports the failed state', async () => {
    const p = await deployProject(res, newDatabase, {
      name: 'broken',
      sql: `CREATE TABLE "Shipment" ("id" SERIAL PRIMARY KEY);\n\nALTER TABLE "Shipments" ADD COLUMN "x" INTEGER;\n`,
    });
    const run = await zdDeploy(p, ['--json']);
    expect(run.code, run.stderr).toBe(3);
    // The adapter's message for 42P01 (the native engine's is PostgreSQL's own).
    expect(run.json!.failure.message).toContain('Shipments');
    const again = await zdDeploy(p, ['--dry-run']);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain(`✗ Migration ${p.migration} failed in an earlier deploy`);
    expect(again.stderr).toContain('left behind: nothing (absent: table "public"."Shipment", ');
    expect(again.stdout).toContain(`npx prisma migrate resolve --rolled-back "${p.migration}"`);
    expect(again.stdout).toContain(`UPDATE "public"."_prisma_migrations" SET rolled_back_at = now() WHERE id = '`);
    expect(await migrationRows(p.url, p.migration)).toMatchObject([{ finished_at: null, rolled_back_at: null }]);
  });

  it('warns that deploying makes a development database managed, and what that means for prisma migrate dev', async () => {
    const p = await deployProject(res, () => freshDatabase({ template, prefix: 'app_dev' }));
    const run = await zdDeploy(p, ['--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('This looks like a development database: deploying makes it managed by prisma-zd');
    expect(run.stderr).toContain('`prisma migrate dev` reports drift until `prisma-zd postponed run` and `prisma-zd contract` have run');
    // Not on a database whose name does not say dev.
    const other = await deployProject(res, newDatabase);
    expect((await zdDeploy(other, ['--dry-run'])).stderr).not.toContain('looks like a development database');
  });

  it('refuses to deploy when an applied migration was edited, naming the file', async () => {
    const p = await deployProject(res, newDatabase);
    const file = join(p.project.migrationsDir, '20261123203529_product_stock', 'migration.sql');
    writeFileSync(file, `-- edited\n${(await import('node:fs')).readFileSync(file, 'utf8')}`);
    const run = await zdDeploy(p, []);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('ZD_MIGRATION_EDITED');
    expect(run.stderr).toContain(`${file}: applied with checksum`);
    expect(run.stderr).toContain("UPDATE \"public\".\"_prisma_migrations\" SET checksum = '");
  });

  it('--dry-run prints the plan (locks, postponed and deferred work, table sizes) and changes nothing; then deploy runs the postponed work', async () => {
    const p = await deployProject(res, newDatabase);
    const sql = `-- CreateIndex\nCREATE INDEX "Product_name_idx" ON "Product"("name");\n\n-- AlterTable\nALTER TABLE "Product" ALTER COLUMN "stock" DROP DEFAULT,\nADD COLUMN "weightGrams" INTEGER;\n`;
    const name = await addRewrittenMigration(p.project.migrationsDir, 'demo', sql);
    await query(p.url, 'INSERT INTO "Product" ("sku", "name", "priceCents", "currency", "updatedAt") SELECT \'s\' || g, \'n\', 1, \'EUR\', now() FROM generate_series(1, 2000) g; ANALYZE "Product"');
    const run = await zdDeploy(p, ['--dry-run', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json!.status).toBe('dry-run');
    const [m] = run.json!.plan.migrations;
    expect(m.statements.map((s: { zd?: string; locks: Array<{ mode: string }> }) => s.zd ?? s.locks.map((l) => l.mode).join())).toEqual([
      'postponed',
      'ACCESS EXCLUSIVE',
      'deferred',
    ]);
    expect(run.json!.plan.tables).toMatchObject([{ name: 'Product', exists: true, rows: 2000 }]);
    expect(run.stderr).toMatch(/line \d+\s+postponed: CREATE INDEX "Product_name_idx" ON "Product"\("name"\)/);
    expect(run.stderr).toContain('deferred to `prisma-zd contract`: ALTER TABLE "Product" ALTER COLUMN "stock" DROP DEFAULT');
    expect(run.stderr).toMatch(/ACCESS EXCLUSIVE on "Product" \(ADD COLUMN: blocks every read and write\)/);
    expect(run.stderr).toContain('Tables: "Product" ~2.0k rows');
    expect(await query(p.url, `SELECT to_regnamespace('prisma_zd') AS s`)).toEqual([{ s: null }]);
    expect(await migrationRows(p.url, name)).toEqual([]);

    const real = await zdDeploy(p, ['--json']);
    expect(real.code, real.stderr).toBe(0);
    expect(real.json).toMatchObject({
      status: 'applied',
      setupChanged: true,
      postponed: { entries: [{ kind: 'index', status: 'built', label: expect.stringContaining('Product_name_idx') }] },
      contractPending: 1,
      postponedPending: 0,
    });
    expect(await query(p.url, `SELECT indisvalid FROM pg_index WHERE indexrelid = '"Product_name_idx"'::regclass`)).toEqual([{ indisvalid: true }]);
    expect(real.stderr).toMatch(/1 contract statement waits for `prisma-zd contract`/);
  });

  it('without the privilege to signal the blocker, says what is missing instead of crashing', async () => {
    const p = await deployProject(res, newDatabase, { name: 'product_weight', sql: ADD_WEIGHT });
    // A deploying role that owns the application's tables but is no superuser; the blocker is a superuser's session.
    const deployer = await deployerRole(res, p.url, { createOnDatabase: true });
    const role = deployer.role;
    const asDeployer = new URL(deployer.url);
    const blocker = await session(p.url, 'old-app', HOLD_PRODUCT);
    res.add(() => blocker.end());
    const missing = `--blockers terminate: role "${role}" is not a member of pg_signal_backend (nor a superuser), so it can cancel or terminate only sessions of its own role; other blockers will only be reported. To let it: GRANT pg_signal_backend TO "${role}";`;
    const dry = await zdDeploy({ ...p, url: asDeployer.toString() }, ['--dry-run', '--blockers', 'terminate']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain(`warning: ${missing}`);
    const run = await zdDeploy({ ...p, url: asDeployer.toString() }, ['--json', '--blockers', 'terminate', '--blocker-grace', '200ms', '--lock-timeout', '2s', '--retries', '0']);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).not.toContain('hit a bug');
    expect(run.json!.warnings).toContainEqual(expect.stringContaining(missing));
    expect(run.json!.failure.fix).toContain(
      `or allow the deploying role to end them (it was denied): GRANT pg_signal_backend TO "${role}"; (only a superuser may end a superuser's session), then run this prisma-zd deploy again`,
    );
    expect(run.stdout + run.stderr).not.toContain('--blockers terminate --blocker-grace 5s');
    expect(run.stderr).toMatch(new RegExp(`could not terminate pid ${blocker.pid}: permission denied: .*pg_signal_backend`));
    expect(run.json!.actions).toMatchObject([{ pid: blocker.pid, action: 'terminate', ok: false }]);
    expect(await blocker.alive()).toBe(true);
  });

  it('a deploying role without privileges on the bookkeeping gets ZD_PERMISSION (exit 2) naming the role, the object denied and the GRANT; after that GRANT the deploy completes', async () => {
    const p = await deployProject(res, newDatabase);
    const name = await addRewrittenMigration(p.project.migrationsDir, 'product_currency_idx', `-- CreateIndex\nCREATE INDEX "Product_currency_idx" ON "Product"("currency");\n`);
    const deployer = await deployerRole(res, p.url, { createOnDatabase: false });
    const role = `"${deployer.role}"`;
    const database = new URL(p.url).pathname.slice(1);

    // A fresh database where the role may not create schemas.
    const noCreate = await zdDeploy({ ...p, url: deployer.url });
    expect(noCreate.code, noCreate.stderr).toBe(2);
    expect(noCreate.stderr).not.toContain('hit a bug');
    expect(noCreate.stderr).toContain(`ZD_PERMISSION: Role ${role} lacks a privilege on database ${database}: permission denied for database ${database}`);
    expect(noCreate.stderr).toContain(`GRANT CREATE ON DATABASE "${database}" TO ${role};`);
    expect(noCreate.stderr).toContain('`prisma-zd setup` once as the database owner');

    // The bookkeeping installed by a superuser: the role may not read it.
    expect((await runZd(['setup', '--url', p.url])).code).toBe(0);
    const notOwner = await zdDeploy({ ...p, url: deployer.url });
    expect(notOwner.code, notOwner.stderr).toBe(2);
    expect(notOwner.stderr).not.toContain('hit a bug');
    expect(notOwner.stderr).toContain(`ZD_PERMISSION: Role ${role} lacks a privilege on table prisma_zd.meta: permission denied for table meta`);
    const grant = `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA prisma_zd TO ${role}; GRANT USAGE ON ALL SEQUENCES IN SCHEMA prisma_zd TO ${role};`;
    expect(notOwner.stderr).toContain(`hint: As "postgres" (the owner of prisma_zd, who ran \`prisma-zd setup\`), grant ${role} the bookkeeping (its migrations queue work there too): ${grant} Then run \`prisma-zd deploy\` again.`);
    const list = await runZd(['postponed', 'list', '--url', deployer.url]);
    expect(list.code).toBe(2);
    expect(list.stderr).toContain(`ZD_PERMISSION: Role ${role} lacks a privilege on table prisma_zd.meta: permission denied for table meta`);
    expect(list.stderr).not.toContain('prisma_zd.queue');
    const contract = await runZd(['contract', '--url', deployer.url, '--migrations', p.project.migrationsDir]);
    expect(contract.code, contract.stderr).toBe(2);
    expect(contract.stderr).toContain(`ZD_PERMISSION: Role ${role} lacks a privilege on table prisma_zd.`);
    expect(contract.stderr).not.toContain('hit a bug');

    await query(p.url, grant);
    const granted = await zdDeploy({ ...p, url: deployer.url }, ['--json']);
    expect(granted.code, granted.stderr).toBe(0);
    expect(granted.json).toMatchObject({ status: 'applied', migrations: { appliedNow: [name] }, postponed: { entries: [{ status: 'built' }] } });
  });

  it('per-statement execution: a lock timeout may leave earlier statements applied, so it is reported with the exact fix, never retried', async () => {
    const p = await deployProject(res, newDatabase, {
      name: 'shipment_and_weight',
      sql: `-- CreateTable\nCREATE TABLE "Shipment" ("id" SERIAL NOT NULL, CONSTRAINT "Shipment_pkey" PRIMARY KEY ("id"));\n\n${ADD_WEIGHT}`,
    });
    const blocker = await session(p.url, 'old-app', HOLD_PRODUCT);
    res.add(() => blocker.end());
    const run = await zdDeploy(p, ['--json', '--lock-timeout', '500ms'], { env: { PRISMA_ZD_EXEC_MODE: 'per-statement' } });
    expect(run.code, run.stderr).toBe(3);
    expect(run.json!.execution).toBe('per-statement');
    expect(run.json!.attempts).toHaveLength(1);
    expect(run.json!.failure).toMatchObject({ migration: p.migration, message: 'canceling statement due to lock timeout', statement: { line: 5 } });
    expect(run.stderr).toContain('it may be partly applied: Prisma runs migration.sql one statement at a time');
    expect(run.stderr).toMatch(/left behind: table "public"."Shipment"/);
    expect(run.stderr).toContain(`npx prisma migrate resolve --applied "${p.migration}"`);
    expect(await migrationRows(p.url, p.migration)).toMatchObject([{ finished_at: null, rolled_back_at: null }]);
  });

  it('per-statement execution: a lock timeout on a migration whose every statement creates something, none of it in the catalog, is retried', async () => {
    // The blocked statement comes first, and the table after it is created only once it ran:
    // with none of the two in the catalog, no statement was committed.
    const p = await deployProject(res, newDatabase, {
      name: 'weight_and_shipment',
      sql: `${ADD_WEIGHT}\n-- CreateTable\nCREATE TABLE "Shipment" ("id" SERIAL NOT NULL, CONSTRAINT "Shipment_pkey" PRIMARY KEY ("id"));\n`,
    });
    const blocker = await session(p.url, 'old-app', HOLD_PRODUCT);
    res.add(() => blocker.end());
    const releasing = waitFor('the first attempt to be rolled back', async () => (await migrationRows(p.url, p.migration)).some((r) => r.rolled_back_at)).then(() =>
      blocker.end(),
    );
    const run = await zdDeploy(p, ['--json', '--retry-schedule', '1s*4', '--retry-delay', '300ms'], { env: { PRISMA_ZD_EXEC_MODE: 'per-statement' } });
    await releasing;
    expect(run.code, run.stderr).toBe(0);
    expect(run.json!.execution).toBe('per-statement');
    const attempts = run.json!.attempts as Array<Record<string, any>>;
    expect(attempts[0]).toMatchObject({ outcome: 'lock-timeout', rolledBack: true, migration: p.migration });
    expect(attempts.at(-1)).toMatchObject({ outcome: 'applied', applied: [p.migration] });
    expect(run.stderr).toContain('retries one that hit lock_timeout only when each of its statements creates an object');
    expect(await columnExists(p.url, 'Product', 'weightGrams')).toBe(true);
  });

  it('per-statement execution: a statement that leaves nothing in the catalog (an UPDATE) before the blocked one: reported, not retried', async () => {
    const p = await deployProject(res, newDatabase, {
      name: 'touch_and_weight',
      sql: `UPDATE "Product" SET "name" = "name" WHERE false;\n${ADD_WEIGHT}`,
    });
    const blocker = await session(p.url, 'old-app', HOLD_PRODUCT);
    res.add(() => blocker.end());
    const run = await zdDeploy(p, ['--json', '--lock-timeout', '500ms'], { env: { PRISMA_ZD_EXEC_MODE: 'per-statement' } });
    expect(run.code, run.stderr).toBe(3);
    expect(run.json!.attempts).toHaveLength(1);
    expect(run.stderr).toMatch(/line 1 \(UPDATE "Product" SET "name" = "name" WHERE false\) leaves nothing in the catalog to tell whether it ran/);
    expect(await migrationRows(p.url, p.migration)).toMatchObject([{ finished_at: null, rolled_back_at: null }]);
  });

  it('--no-postponed leaves the index builds to a later step; a failed build exits 5', async () => {
    const p = await deployProject(res, newDatabase);
    await query(p.url, `INSERT INTO "Product" ("sku", "name", "priceCents", "currency", "updatedAt") VALUES ('a', 'Same', 1, 'EUR', now()), ('b', 'Same', 1, 'EUR', now())`);
    const name = await addRewrittenMigration(p.project.migrationsDir, 'product_name_key', `-- CreateIndex\nCREATE UNIQUE INDEX "Product_name_key" ON "Product"("name");\n`);
    const first = await zdDeploy(p, ['--json', '--no-postponed']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json).toMatchObject({ status: 'applied', migrations: { appliedNow: [name] }, postponed: null, postponedPending: 1 });
    expect(first.stderr).toContain('1 postponed entry is open (--no-postponed)');
    const second = await zdDeploy(p, ['--json']);
    expect(second.code, second.stderr).toBe(5);
    expect(second.json).toMatchObject({ status: 'postponed-failed', postponed: { entries: [{ status: 'failed', sqlstate: '23505' }] } });
    expect(second.stderr).toContain('do not roll out code that relies on it');
  });
});
