/**
 * `prisma-zd rewrite` on the real sample Prisma project, deployed by the real
 * `prisma migrate deploy`: unmanaged and managed, in both execution models (I1, I2),
 * the window for old app versions (I3), and the command's own behaviour (I4,
 * `--check`, checksums, refusing a naive splitter).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffFingerprints, fingerprintUrl, formatDiff } from '../../packages/cli/src/db/fingerprint.js';
import { runZd } from '../support/cli.js';
import { freshDatabase } from '../support/db.js';
import { addMigration, copySampleProject, migrationNames, runPrisma, type ExecMode } from '../support/prisma.js';
import { query, sampleTemplate } from '../prisma/helpers.js';

const read = (dir: string, name: string) => readFileSync(join(dir, name, 'migration.sql'), 'utf8');

async function deploy(url: string, cwd: string, mode: ExecMode) {
  const run = await runPrisma(['migrate', 'deploy'], { url, cwd, mode });
  expect(run.code, run.stdout + run.stderr).toBe(0);
}

describe('prisma-zd rewrite on the sample project', () => {
  for (const mode of ['whole-file', 'per-statement'] as ExecMode[]) {
    it(`the rewritten history deploys with prisma migrate deploy (${mode}), unmanaged and managed, to the original schema`, async () => {
      const copy = await copySampleProject();
      const original = await freshDatabase({ prefix: 'zd_sample_orig' });
      const unmanaged = await freshDatabase({ prefix: 'zd_sample_unm' });
      const managed = await freshDatabase({ prefix: 'zd_sample_man' });
      try {
        await deploy(original.url, copy.dir, mode);
        const rw = await runZd(['rewrite', '--all'], { cwd: copy.dir, env: { DATABASE_URL: unmanaged.url } });
        expect(rw.code, rw.stderr).toBe(0);
        expect(rw.stderr).toContain('index "Post_published_publishedAt_idx" on "Post": postponed, built CONCURRENTLY');
        expect(rw.stderr).toContain('default of "Product"."currency": dropped at contract');
        await deploy(unmanaged.url, copy.dir, mode);
        const setup = await runZd(['setup', '--url', managed.url]);
        expect(setup.code, setup.stderr).toBe(0);
        await deploy(managed.url, copy.dir, mode);
        const queued = await query<{ kind: string; object_name: string }>(managed.url, `SELECT kind, object_name FROM prisma_zd.queue ORDER BY id`);
        expect(queued).toEqual([
          { kind: 'index', object_name: 'Post_published_publishedAt_idx' },
          { kind: 'contract', object_name: 'currency' },
          { kind: 'validate', object_name: 'Comment_parentId_fkey' },
          { kind: 'index', object_name: 'User_username_key' },
        ]);
        const run = await runZd(['postponed', 'run', '--url', managed.url, '--migrations', copy.migrationsDir]);
        expect(run.code, run.stderr).toBe(0);
        const contract = await runZd(['contract', '--url', managed.url, '--migrations', copy.migrationsDir]);
        expect(contract.code, contract.stderr).toBe(0);
        const want = await fingerprintUrl(original.url);
        for (const db of [unmanaged, managed]) {
          const diff = diffFingerprints(want, await fingerprintUrl(db.url));
          expect(diff, formatDiff(diff)).toEqual([]);
        }
      } finally {
        await copy.cleanup();
        await Promise.all([original.drop(), unmanaged.drop(), managed.drop()]);
      }
    });
  }

  it('I3: an old-version INSERT without the column whose default was dropped works until contract; a plain deploy breaks it at once', async () => {
    const copy = await copySampleProject();
    const plain = await freshDatabase({ prefix: 'zd_i3_plain' });
    const managed = await freshDatabase({ prefix: 'zd_i3_man' });
    const oldInsert = `INSERT INTO "Product" ("sku", "name", "priceCents", "updatedAt") VALUES ('sku-old', 'written by the old app', 100, now())`;
    try {
      await deploy(plain.url, copy.dir, 'whole-file');
      await expect(query(plain.url, oldInsert)).rejects.toThrow(/null value in column "currency"/);
      expect((await runZd(['rewrite', '--all'], { cwd: copy.dir, env: { DATABASE_URL: managed.url } })).code).toBe(0);
      expect((await runZd(['setup', '--url', managed.url])).code).toBe(0);
      await deploy(managed.url, copy.dir, 'whole-file');
      await query(managed.url, oldInsert);
      expect(await query(managed.url, `SELECT "currency" FROM "Product" WHERE "sku" = 'sku-old'`)).toEqual([{ currency: 'EUR' }]);
      expect((await runZd(['contract', '--url', managed.url, '--migrations', copy.migrationsDir])).code).toBe(0);
      await expect(query(managed.url, oldInsert.replace('sku-old', 'sku-old-2'))).rejects.toThrow(/null value in column "currency"/);
    } finally {
      await copy.cleanup();
      await Promise.all([plain.drop(), managed.drop()]);
    }
  });

  it('I4: --check exits 1 listing what would change, rewrites nothing; after rewrite it exits 0 and a second rewrite changes nothing', async () => {
    const copy = await copySampleProject();
    try {
      const names = migrationNames(copy.migrationsDir);
      const before = names.map((n) => read(copy.migrationsDir, n));
      const check = await runZd(['rewrite', '--all', '--check', '--migrations', copy.migrationsDir], { cwd: copy.dir });
      expect(check.code).toBe(1);
      expect(check.stderr).toContain('20261123203514_post_published_index: needs rewrite');
      expect(names.map((n) => read(copy.migrationsDir, n))).toEqual(before);
      expect((await runZd(['rewrite', '--all', '--migrations', copy.migrationsDir], { cwd: copy.dir })).code).toBe(0);
      const after = names.map((n) => read(copy.migrationsDir, n));
      // Migrations without anything to rewrite are byte-identical.
      expect(after[0]).toBe(before[0]);
      expect(after[4]).toBe(before[4]);
      expect(after[7]).toBe(before[7]);
      const again = await runZd(['rewrite', '--all', '--check', '--json', '--migrations', copy.migrationsDir], { cwd: copy.dir });
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout).migrations.every((m: { changed: boolean }) => !m.changed)).toBe(true);
      expect(names.map((n) => read(copy.migrationsDir, n))).toEqual(after);
    } finally {
      await copy.cleanup();
    }
  });

  it('rewrites only uncommitted migrations by default and updates their checksum in the development database', async () => {
    const copy = await copySampleProject();
    const dev = await freshDatabase({ template: await sampleTemplate() });
    try {
      const git = (...args: string[]) => spawnSync('git', args, { cwd: copy.dir, encoding: 'utf8' });
      git('init', '-q');
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'add', '.');
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'history');
      // `prisma migrate dev` writes a new migration and applies it to the dev database.
      const name = addMigration(copy.migrationsDir, 'comment_author_index', `-- CreateIndex\nCREATE INDEX "Comment_authorId_idx" ON "Comment"("authorId");\n`);
      await deploy(dev.url, copy.dir, 'whole-file');
      const rw = await runZd(['rewrite'], { cwd: copy.dir, env: { DATABASE_URL: dev.url } });
      expect(rw.code, rw.stderr).toBe(0);
      expect(rw.stderr).toContain(`${name}: rewritten`);
      expect(rw.stderr).toContain("checksum updated in the development database's _prisma_migrations");
      expect(rw.stderr).not.toContain('20261123203514_post_published_index'); // committed: untouched
      const sha = createHash('sha256').update(readFileSync(join(copy.migrationsDir, name, 'migration.sql'))).digest('hex');
      expect(await query(dev.url, `SELECT checksum FROM _prisma_migrations WHERE migration_name = $1`, [name])).toEqual([{ checksum: sha }]);
    } finally {
      await copy.cleanup();
      await dev.drop();
    }
  });

  it("with ?schema=, reads and updates the checksum in that schema's _prisma_migrations (where Prisma keeps it)", async () => {
    const copy = await copySampleProject();
    const dev = await freshDatabase({ prefix: 'zd_rw_schema' });
    try {
      const url = `${dev.url}${dev.url.includes('?') ? '&' : '?'}schema=tenant`;
      // The sample's last migration names "public" (as Prisma wrote it): not one to deploy into another schema.
      for (const n of migrationNames(copy.migrationsDir).filter((n) => n.endsWith('_role_without_moderator'))) rmSync(join(copy.migrationsDir, n), { recursive: true });
      await deploy(url, copy.dir, 'whole-file');
      expect(await query(dev.url, `SELECT to_regclass('tenant._prisma_migrations') IS NOT NULL AS ok, to_regclass('public._prisma_migrations') IS NOT NULL AS public`)).toEqual([{ ok: true, public: false }]);
      const git = (...args: string[]) => spawnSync('git', args, { cwd: copy.dir, encoding: 'utf8' });
      git('init', '-q');
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'add', '.');
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'history');
      const name = addMigration(copy.migrationsDir, 'comment_author_index', `-- CreateIndex\nCREATE INDEX "Comment_authorId_idx" ON "Comment"("authorId");\n`);
      await deploy(url, copy.dir, 'whole-file');
      const rw = await runZd(['rewrite'], { cwd: copy.dir, env: { DATABASE_URL: url } });
      expect(rw.code, rw.stderr).toBe(0);
      expect(rw.stderr).toContain(`${name}: rewritten`);
      expect(rw.stderr).toContain("checksum updated in the development database's _prisma_migrations");
      const sha = createHash('sha256').update(readFileSync(join(copy.migrationsDir, name, 'migration.sql'))).digest('hex');
      expect(await query(dev.url, `SELECT checksum FROM tenant._prisma_migrations WHERE migration_name = $1`, [name])).toEqual([{ checksum: sha }]);
    } finally {
      await copy.cleanup();
      await dev.drop();
    }
  });

  it('leaves a committed migration with a non-ASCII name alone (git quotes such paths unless asked not to)', async () => {
    const copy = await copySampleProject();
    try {
      const name = addMigration(copy.migrationsDir, 'idx_café', `-- CreateIndex\nCREATE INDEX "Comment_authorId_idx" ON "Comment"("authorId");\n`);
      const git = (...args: string[]) => spawnSync('git', args, { cwd: copy.dir, encoding: 'utf8' });
      git('init', '-q');
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'add', '.');
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'history');
      const before = readFileSync(join(copy.migrationsDir, name, 'migration.sql'), 'utf8');
      const check = await runZd(['rewrite', '--check'], { cwd: copy.dir, env: { DATABASE_URL: undefined } });
      expect(check.code, check.stderr).toBe(0);
      const rw = await runZd(['rewrite'], { cwd: copy.dir, env: { DATABASE_URL: undefined } });
      expect(rw.code, rw.stderr).toBe(0);
      expect(rw.stderr).not.toContain(`${name}: rewritten`);
      expect(readFileSync(join(copy.migrationsDir, name, 'migration.sql'), 'utf8')).toBe(before);
    } finally {
      await copy.cleanup();
    }
  });

  it("refuses a Prisma config whose adapter splits scripts on every ';'", async () => {
    const copy = await copySampleProject();
    try {
      writeFileSync(
        join(copy.dir, 'prisma.config.ts'),
        `import { defineConfig } from 'prisma/config';\nimport { PrismaPg } from '@prisma/adapter-pg';\nexport default defineConfig({ experimental: { adapter: true }, engine: 'js', schema: 'schema.prisma', adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL }) });\n`,
      );
      const rw = await runZd(['rewrite', '--all'], { cwd: copy.dir, env: { DATABASE_URL: 'postgresql://u:secret-pw@127.0.0.1:1/db' } });
      expect(rw.code).toBe(2);
      expect(rw.stderr).toContain('ZD_NAIVE_SPLITTER');
      expect(rw.stderr).not.toContain('secret-pw');
    } finally {
      await copy.cleanup();
    }
  });
});
