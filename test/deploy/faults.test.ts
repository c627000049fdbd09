/**
 * Faults during `prisma-zd deploy` (I5): the deploy process killed in the middle of a
 * migration, and the database restarted under it. The next run reports the state and
 * completes without manual SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/db.js';
import { createDatabase, startEmbedded, type PgServer } from '../support/postgres.js';
import { addMigration, runPrisma } from '../support/prisma.js';
import { sampleTemplate } from '../prisma/helpers.js';
import {
  ADD_WEIGHT,
  columnExists,
  deployProject,
  HOLD_PRODUCT,
  prismaWaiting,
  Resources,
  session,
  waitFor,
  zdDeploy,
} from './support.js';

let template: string;
const res = new Resources();

beforeAll(async () => {
  template = await sampleTemplate();
});
afterAll(() => res.cleanup());

describe.concurrent('deploy faults', () => {
  it('SIGKILL in the middle of a migration: Prisma goes with it; the next deploy resolves the row it left and applies', async () => {
    const p = await deployProject(res, () => freshDatabase({ template, prefix: 'zd_deploy_kill' }), { name: 'product_weight', sql: ADD_WEIGHT });
    const blocker = await session(p.url, 'old-app', HOLD_PRODUCT);
    res.add(() => blocker.end());
    let pid = 0;
    const killed = zdDeploy(p, ['--lock-timeout', '30s'], { onSpawn: (x) => (pid = x) });
    await waitFor("the deploy's Prisma session to wait for its lock", () => prismaWaiting(p.url));
    process.kill(pid, 'SIGKILL');
    expect((await killed).signal).toBe('SIGKILL');

    // Prisma does not outlive it (the watchdog stops it; its backend notices the lost client
    // within client_connection_check_interval), long before its own 30 s lock_timeout.
    await waitFor("Prisma's session to end", async () => !(await prismaWaiting(p.url)), 10_000);
    const next = zdDeploy(p, ['--json', '--lock-timeout', '2s']);
    await waitFor('the next deploy to be blocked too', () => prismaWaiting(p.url));
    await blocker.end();
    const run = await next;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`✗ Migration ${p.migration} failed in an earlier deploy`);
    expect(run.stderr).toContain('its process ended first');
    expect(run.stderr).toContain('prisma-zd marks it rolled back and applies it again');
    expect(run.json).toMatchObject({ status: 'applied', resolved: [{ migration: p.migration }], migrations: { appliedNow: [p.migration] } });
    expect(await columnExists(p.url, 'Product', 'weightGrams')).toBe(true);
  });

  it('a database restart during the deploy: a clear error (exit 6), and the re-run completes', async () => {
    // Its own server: the restart must not disturb the other tests.
    const server: PgServer = await startEmbedded();
    res.add(() => server.stop());
    const p = await deployProject(res, () => createDatabase(server, { prefix: 'zd_deploy_restart' }));
    const base = await runPrisma(['migrate', 'deploy'], { url: p.url, cwd: p.project.dir });
    expect(base.code, base.stderr).toBe(0);
    const migration = addMigration(p.project.migrationsDir, 'product_weight', ADD_WEIGHT);
    const blocker = await session(p.url, 'old-app', HOLD_PRODUCT);
    res.add(() => blocker.end());
    const deploying = zdDeploy(p, ['--lock-timeout', '60s']);
    await waitFor("the deploy's Prisma session to wait for its lock", () => prismaWaiting(p.url));
    await server.restart!('fast');
    const failed = await deploying;
    expect(failed.code, failed.stderr).toBe(6);
    expect(failed.stderr).toMatch(/Error (ZD_DB_CONNECTION_LOST|ZD_DB_UNREACHABLE): .*(lost|failed)/);
    expect(failed.stderr).toContain('run `prisma-zd deploy` again');
    expect(failed.stderr).not.toContain('hit a bug');

    const rerun = await zdDeploy(p, ['--json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json).toMatchObject({ status: 'applied', migrations: { appliedNow: [migration] } });
    // Prisma's row of the interrupted attempt (if it wrote one) was judged: nothing applied, so rolled back.
    for (const f of rerun.json!.failed) expect(f).toMatchObject({ migration, leftBehind: 'nothing', autoResolve: true });
    expect(await columnExists(p.url, 'Product', 'weightGrams')).toBe(true);
  });
});
