/**
 * Least privilege: every command works as a non-superuser role that owns the app's
 * tables (what Prisma's migration role usually is); what needs more is explained.
 */
import { describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { testServer } from '../support/db.js';
import { withAdmin, TEST_PASSWORD } from '../support/postgres.js';
import { copySampleProject, runPrisma } from '../support/prisma.js';

const ROLE = `zd_app_owner_${process.pid}`;

describe('least privilege', () => {
  it('rewrite, setup, deploy, postponed run, contract and verify (with a shadow database) as a non-superuser owner', async () => {
    const server = testServer();
    const db = `zd_lp_${process.pid}_${Date.now().toString(36)}`;
    const shadow = `${db}_shadow`;
    await withAdmin(server, async (c) => {
      await c.query(`DROP ROLE IF EXISTS ${ROLE}`);
      await c.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${TEST_PASSWORD}' NOSUPERUSER NOCREATEDB NOCREATEROLE`);
      await c.query(`CREATE DATABASE ${db} OWNER ${ROLE}`);
      await c.query(`CREATE DATABASE ${shadow} OWNER ${ROLE}`);
    });
    const url = (name: string) => {
      const u = new URL(server.url(name));
      u.username = ROLE;
      return u.toString();
    };
    const copy = await copySampleProject();
    try {
      const env = { DATABASE_URL: url(db) };
      expect((await runZd(['rewrite', '--all'], { cwd: copy.dir, env })).code).toBe(0);
      const setup = await runZd(['setup', '--url', url(db)]);
      expect(setup.code, setup.stderr).toBe(0);
      const deployed = await runPrisma(['migrate', 'deploy'], { url: url(db), cwd: copy.dir });
      expect(deployed.code, deployed.stderr).toBe(0);
      const run = await runZd(['postponed', 'run', '--url', url(db), '--migrations', copy.migrationsDir]);
      expect(run.code, run.stderr).toBe(0);
      const contract = await runZd(['contract', '--url', url(db), '--migrations', copy.migrationsDir]);
      expect(contract.code, contract.stderr).toBe(0);
      // Without CREATEDB, verify says how to proceed; with a shadow database it works.
      const noShadow = await runZd(['verify', '--url', url(db), '--migrations', copy.migrationsDir]);
      expect(noShadow.code).not.toBe(0);
      expect(noShadow.stderr).toContain('--shadow-database-url');
      const verify = await runZd(['verify', '--url', url(db), '--migrations', copy.migrationsDir, '--shadow-database-url', url(shadow)]);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      for (const r of [setup, run, contract, noShadow, verify]) {
        expect(r.stdout + r.stderr).not.toContain(TEST_PASSWORD);
      }
    } finally {
      await copy.cleanup();
      await withAdmin(server, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
        await c.query(`DROP DATABASE IF EXISTS ${shadow} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${ROLE}`);
      });
    }
  });
});
