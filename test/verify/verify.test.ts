/**
 * `prisma-zd verify` (the built CLI) on the sample project, rewritten and deployed by the
 * real `prisma migrate deploy` to a managed database: equality after the queue and
 * contract, pending work before, each kind of drift named, the throw-away database
 * dropped, and the shadow database fallback when the role may not CREATE DATABASE.
 */
import { appendFileSync, cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { freshDatabase, templateDatabase, testServer } from '../support/db.js';
import { addMigration, copySampleProject, runPrisma, type SampleProjectCopy } from '../support/prisma.js';
import { query } from '../prisma/helpers.js';

let project: SampleProjectCopy;
/** Managed, history deployed, queue and contract not run. */
let deployed: string;
/** `deployed` after `postponed run` (contract not run). */
let built: string;
/** `built` after `contract`: what a finished deploy leaves. */
let converged: string;

async function zdOk(args: string[]) {
  const r = await runZd(args, { cwd: project.dir });
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

async function deploy(url: string) {
  const r = await runPrisma(['migrate', 'deploy'], { url, cwd: project.dir });
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

beforeAll(async () => {
  project = await copySampleProject();
  await zdOk(['rewrite', '--all', '--migrations', project.migrationsDir]);
  deployed = await templateDatabase(async (url) => {
    await zdOk(['setup', '--url', url]);
    await deploy(url);
  }, 'zd_verify_deployed');
  built = await templateFrom(deployed, ['postponed', 'run'], 'zd_verify_built');
  converged = await templateFrom(built, ['contract'], 'zd_verify_conv');
});

afterAll(async () => {
  await project?.cleanup();
});

/** A template made from `template` by running `prisma-zd <args>` on a copy. */
async function templateFrom(template: string, args: string[], prefix: string): Promise<string> {
  const db = await freshDatabase({ template, prefix });
  await zdOk([...args, '--url', db.url, '--migrations', project.migrationsDir]);
  // Keep it as a template: end every session on it.
  await query(testServer().url(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [db.name]);
  return db.name;
}

async function verify(url: string, extra: string[] = []) {
  const r = await runZd(['verify', '--url', url, '--migrations', project.migrationsDir, ...extra], { cwd: project.dir });
  return { ...r, json: extra.includes('--json') ? (JSON.parse(r.stdout) as VerifyJson) : undefined };
}

interface VerifyJson {
  exitCode: number;
  equal: boolean;
  drift: Array<{ source: string; kind: string; object: string; message: string; change?: string; property?: string | null }>;
  pending: Array<{ kind: string; object: string; message: string; next: string; explains: string[] }>;
  invalidIndexes: Array<{ table: string; index: string; queued: boolean; dropQueued: boolean }>;
  unvalidatedConstraints: Array<{ table: string; constraint: string; queued: boolean; byMigrations: boolean }>;
  compared: string[];
  managed: boolean;
  reference: { kind: string; where: string };
}

async function scratchDatabases(): Promise<string[]> {
  const rows = await query<{ datname: string }>(testServer().url(), `SELECT datname FROM pg_database WHERE datname LIKE 'prisma\\_zd\\_verify\\_%'`);
  return rows.map((r) => r.datname);
}

/**
 * No throw-away database made since `before` is left. Other test files may run verify at
 * the same time: theirs disappear within seconds, a leaked one never does.
 */
async function expectNoLeftover(before: string[]): Promise<void> {
  let left: string[] = [];
  for (let i = 0; i < 60; i++) {
    left = (await scratchDatabases()).filter((n) => !before.includes(n));
    if (left.length === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  expect(left).toEqual([]);
}

describe('prisma-zd verify', () => {
  it('reports equality on a managed database after postponed run and contract (exit 0), and drops its throw-away database', async () => {
    const db = await freshDatabase({ template: converged, prefix: 'zd_verify' });
    const before = await scratchDatabases();
    try {
      const r = await verify(db.url);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain("✓ The database's schema is what the migrations folder produces.");
      expect(r.stdout).toContain('Pending work: none.');
      expect(r.stdout).toContain('Invalid indexes: none.');
      expect(r.stdout).toContain('Unvalidated constraints: none.');
      expect(r.stdout).toMatch(/8 migrations applied there, built unmanaged in a throw-away database \(127\.0\.0\.1:\d+\/prisma_zd_verify_[0-9a-f]+, dropped\); schemas compared: public; managed by prisma-zd/);
      const strict = await verify(db.url, ['--strict', '--json']);
      expect(strict.code).toBe(0);
      expect(strict.json).toMatchObject({ exitCode: 0, equal: true, drift: [], pending: [], invalidIndexes: [], unvalidatedConstraints: [], managed: true });
      expect(strict.json!.compared).toHaveLength(8);
      await expectNoLeftover(before);
    } finally {
      await db.drop();
    }
  });

  it('interrupted (SIGINT, a cancelled CI job) once its throw-away database exists: drops it and exits 130', async () => {
    const db = await freshDatabase({ template: converged, prefix: 'zd_verify' });
    const before = await scratchDatabases();
    // Verify runs as a role of its own, so that the throw-away database it creates is told
    // from those of verify runs in other test files (signalled before its handler is set up,
    // the CLI would just die).
    const role = `zd_verify_sigint_${process.pid}`;
    await query(testServer().url(), `DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD 'sigint-pw'`);
    const url = new URL(db.url);
    url.username = role;
    url.password = 'sigint-pw';
    try {
      let pid = 0;
      let signalled = false;
      const poll = setInterval(() => {
        void query<{ datname: string }>(
          testServer().url(),
          `SELECT d.datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE r.rolname = $1 AND d.datname LIKE 'prisma\\_zd\\_verify\\_%'`,
          [role],
        ).then((mine) => {
          if (!signalled && pid && mine.length > 0) {
            signalled = true;
            process.kill(pid, 'SIGINT');
          }
        });
      }, 25);
      const r = await runZd(['verify', '--url', url.toString(), '--migrations', project.migrationsDir], { cwd: project.dir, onSpawn: (p) => (pid = p) }).finally(() => clearInterval(poll));
      expect(signalled).toBe(true);
      expect(r.code, r.stdout + r.stderr).toBe(130);
      expect(r.stderr).toContain('SIGINT: stopping — cleaning up the throw-away database');
      expect(r.stderr).not.toContain('hit a bug');
      await expectNoLeftover(before);
    } finally {
      await db.drop();
      await query(testServer().url(), `DROP ROLE IF EXISTS ${role}`).catch(() => {});
    }
  });

  it('right after deploy: the queued work is pending, not drift (exit 0), and accounts for each difference; --strict exits 1', async () => {
    const db = await freshDatabase({ template: deployed, prefix: 'zd_verify' });
    try {
      const r = await verify(db.url, ['--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json!.drift).toEqual([]);
      expect(r.json!.pending.map((p) => [p.object, p.next, p.explains])).toEqual([
        ['index "Post_published_publishedAt_idx" on "Post"', 'prisma-zd postponed run', ['index "public"."Post_published_publishedAt_idx": missing in the database']],
        ['contract ALTER TABLE "Product" ALTER COLUMN "currency" DROP DEFAULT', 'prisma-zd contract', [`column "public"."Product"."currency": default differs: none vs 'EUR'::bpchar`]],
        ['validate "Comment_parentId_fkey" on "Comment"', 'prisma-zd postponed run', ['constraint "Comment_parentId_fkey" on "public"."Comment": the migrations folder validated, the database NOT VALID']],
        ['index "User_username_key" on "User"', 'prisma-zd postponed run', ['index "public"."User_username_key": missing in the database']],
      ]);
      expect(r.json!.unvalidatedConstraints).toEqual([{ table: '"public"."Comment"', constraint: 'Comment_parentId_fkey', queued: true, byMigrations: false }]);
      const text = await verify(db.url);
      expect(text.stdout).toContain('Pending work (not drift; --strict counts it):');
      expect(text.stdout).toContain('  - index "User_username_key" on "User" (20261123203526_user_username): not built yet → prisma-zd postponed run');
      expect(text.stdout).toContain('  - Comment_parentId_fkey on "public"."Comment" (queued: `prisma-zd postponed run` validates it)');
      expect(text.stdout).toContain("✓ The database's schema is what the migrations folder produces, apart from the pending work below.");
      const strict = await verify(db.url, ['--strict']);
      expect(strict.code).toBe(1);
      // Exit 1 is not told as a ✓.
      expect(strict.stdout).not.toContain('✓');
      expect(strict.stdout).toContain('✗ Not converged (--strict)');
    } finally {
      await db.drop();
    }
  });

  it('a pending contract entry is reported with its column; --strict makes it drift', async () => {
    const db = await freshDatabase({ template: built, prefix: 'zd_verify' });
    try {
      const r = await verify(db.url);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(
        '  - contract ALTER TABLE "Product" ALTER COLUMN "currency" DROP DEFAULT (20261123203517_product_currency_without_default): deferred until contract → prisma-zd contract',
      );
      expect(r.stdout).toContain(`      accounts for: column "public"."Product"."currency": default differs: none vs 'EUR'::bpchar`);
      const strict = await verify(db.url, ['--strict', '--json']);
      expect(strict.code).toBe(1);
      expect(strict.json!.pending.map((p) => p.kind)).toEqual(['contract']);
    } finally {
      await db.drop();
    }
  });

  it('names each kind of drift: a missing index, an invalid index, an extra column added by hand (exit 1)', async () => {
    const db = await freshDatabase({ template: converged, prefix: 'zd_verify' });
    const before = await scratchDatabases();
    try {
      await query(db.url, `DROP INDEX "Post_published_publishedAt_idx"`);
      await query(db.url, `ALTER TABLE "Post" ADD COLUMN "hotfix" boolean`);
      // A unique index rebuilt by hand CONCURRENTLY over duplicates: it fails and stays INVALID.
      await query(db.url, `DROP INDEX "User_username_key"`);
      await query(db.url, `INSERT INTO "User" ("email", "username", "updatedAt") VALUES ('a@example.com', 'twin', now()), ('b@example.com', 'twin', now())`);
      await expect(query(db.url, `CREATE UNIQUE INDEX CONCURRENTLY "User_username_key" ON "User"("username")`)).rejects.toThrow(/could not create unique index/);
      const r = await verify(db.url);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('✗ Drift: 3 differences from what the migrations folder produces (values: folder vs database):');
      expect(r.stdout).toContain('  - column "public"."Post"."hotfix": missing in the migrations folder');
      expect(r.stdout).toContain('  - index "public"."Post_published_publishedAt_idx": missing in the database');
      expect(r.stdout).toContain('  - index "public"."User_username_key": the migrations folder valid, the database INVALID');
      expect(r.stdout).toContain('Invalid indexes (not used by queries; a failed or interrupted CREATE or DROP INDEX CONCURRENTLY):\n  - User_username_key on "public"."User"');
      const json = (await verify(db.url, ['--json'])).json!;
      expect(json.drift.map((d) => [d.kind, d.object, d.change])).toEqual([
        ['column', '"public"."Post"."hotfix"', 'missing-in-a'],
        ['index', '"public"."Post_published_publishedAt_idx"', 'missing-in-b'],
        ['index', '"public"."User_username_key"', 'changed'],
      ]);
      expect(json.invalidIndexes).toEqual([{ table: '"public"."User"', index: 'User_username_key', queued: false, dropQueued: false }]);
      await expectNoLeftover(before);
    } finally {
      await db.drop();
    }
  });

  it('history drift: an applied migration edited afterwards, one missing from the folder; a new one is pending', async () => {
    const copy = await copySampleProject();
    const db = await freshDatabase({ template: converged, prefix: 'zd_verify' });
    try {
      rmSync(copy.migrationsDir, { recursive: true });
      cpSync(project.migrationsDir, copy.migrationsDir, { recursive: true });
      appendFileSync(join(copy.migrationsDir, '20261123203529_product_stock', 'migration.sql'), '\n-- edited after deploy\n');
      rmSync(join(copy.migrationsDir, '20261123203533_role_without_moderator'), { recursive: true });
      const added = addMigration(copy.migrationsDir, 'post_views', `ALTER TABLE "Post" ADD COLUMN "views" INTEGER NOT NULL DEFAULT 0;\n`);
      const r = await runZd(['verify', '--url', db.url, '--migrations', copy.migrationsDir, '--json'], { cwd: copy.dir });
      expect(r.code).toBe(1);
      const json = JSON.parse(r.stdout) as VerifyJson;
      expect(json.drift.filter((d) => d.source === 'history').map((d) => d.message)).toEqual([
        expect.stringMatching(/^migration 20261123203529_product_stock: edited after it was applied \(checksum [0-9a-f]{12}… on the database, [0-9a-f]{12}… in the folder\)$/),
        'migration 20261123203533_role_without_moderator: applied on the database but not in the migrations folder',
      ]);
      // Without the last migration in the folder, its schema change shows too.
      expect(json.drift.filter((d) => d.source === 'schema').map((d) => d.object)).toContain('"public"."Role"');
      expect(json.pending).toEqual([
        { kind: 'migration', object: added, message: `migration ${added}: in the folder, not applied yet`, next: 'prisma-zd deploy', migration: added, explains: [] },
      ]);
    } finally {
      await copy.cleanup();
      await db.drop();
    }
  });

  it('a migration that does not build names the migration and statement, and the throw-away database is dropped', async () => {
    const copy = await copySampleProject();
    const db = await freshDatabase({ prefix: 'zd_verify' });
    const before = await scratchDatabases();
    try {
      const name = addMigration(copy.migrationsDir, 'post_subtitle', `ALTER TABLE "Post" ADD COLUMN "subtitle" TEXT;\nCREATE INDEX "Post_subtitle_idx" ON "Post"("subtitle");\n`);
      const r0 = await runPrisma(['migrate', 'deploy'], { url: db.url, cwd: copy.dir });
      expect(r0.code, r0.stdout + r0.stderr).toBe(0);
      // The file is broken after it was applied: the folder no longer builds.
      writeFileSync(join(copy.migrationsDir, name, 'migration.sql'), `ALTER TABLE "Post" ADD COLUMN "subtitle" TEXT;\nCREATE INDEX "Post_subtitle_idx" ON "Post"("subtitel");\n`);
      const r = await runZd(['verify', '--url', db.url, '--migrations', copy.migrationsDir], { cwd: copy.dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`Error ZD_MIGRATION_FAILED: Migration ${name} failed at statement 2 of 2 (${join(copy.migrationsDir, name, 'migration.sql')}:2:1):`);
      expect(r.stderr).toContain('CREATE INDEX "Post_subtitle_idx" ON "Post"("subtitel")');
      expect(r.stderr).toContain('ERROR: column "subtitel" does not exist (SQLSTATE 42703)');
      await expectNoLeftover(before);
    } finally {
      await copy.cleanup();
      await db.drop();
    }
  });
});

describe('prisma-zd verify without CREATEDB', () => {
  const role = 'zd_verify_nocreatedb';
  const password = 'nocreatedb-pw-42';
  let live: Awaited<ReturnType<typeof freshDatabase>>;
  let shadow: Awaited<ReturnType<typeof freshDatabase>>;
  const as = (url: string) => {
    const u = new URL(url);
    u.username = role;
    u.password = password;
    return u.toString();
  };

  beforeAll(async () => {
    const admin = testServer().url();
    await query(admin, `DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await query(admin, `CREATE ROLE ${role} LOGIN NOCREATEDB PASSWORD '${password}'`);
    live = await freshDatabase({ prefix: 'zd_verify_nocdb' });
    shadow = await freshDatabase({ prefix: 'zd_verify_shadow' });
    await runPrisma(['migrate', 'deploy'], { url: live.url, cwd: project.dir });
    await query(live.url, `GRANT SELECT ON "_prisma_migrations" TO ${role}`);
    await query(shadow.url, `GRANT ALL ON SCHEMA public TO ${role}`);
  });

  afterAll(async () => {
    await live?.drop();
    await shadow?.drop();
    await query(testServer().url(), `DROP ROLE IF EXISTS ${role}`).catch(() => {});
  });

  it('says the role lacks CREATEDB and names --shadow-database-url (exit 2), without printing the password', async () => {
    const r = await verify(as(live.url));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Error ZD_CREATEDB_REFUSED: The role of the database URL may not create databases');
    expect(r.stderr).toContain('--shadow-database-url');
    expect(r.stdout + r.stderr).not.toContain(password);
  });

  it('builds in the shadow database instead and empties it again; refuses a non-empty one and the live database itself', async () => {
    const r = await verify(as(live.url), ['--shadow-database-url', as(shadow.url)]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`built unmanaged in the shadow database 127.0.0.1:`);
    expect(r.stdout).toContain(`/${shadow.name} (emptied)`);
    expect(await query(shadow.url, `SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace`)).toEqual([{ n: 0 }]);
    expect(await query(shadow.url, `SELECT count(*)::int AS n FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype = 'e'`)).toEqual([{ n: 0 }]);
    // Again: the emptied shadow database is accepted.
    expect((await verify(as(live.url), ['--shadow-database-url', as(shadow.url)])).code).toBe(0);

    await query(shadow.url, `CREATE TABLE leftover (id int)`);
    const notEmpty = await verify(as(live.url), ['--shadow-database-url', as(shadow.url)]);
    expect(notEmpty.code).toBe(2);
    expect(notEmpty.stderr).toContain('ZD_SHADOW_NOT_EMPTY');
    expect(notEmpty.stderr).toContain('relation public.leftover');
    await query(shadow.url, `DROP TABLE leftover`);

    const same = await verify(as(live.url), ['--shadow-database-url', live.url]);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('ZD_SHADOW_IS_LIVE');
  });
});
