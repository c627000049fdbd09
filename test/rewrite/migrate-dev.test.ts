/**
 * The developer's daily loop with the REAL `prisma migrate dev` (prisma@6.19.3, its
 * WebAssembly schema engine through the sample's adapter, which creates a temporary
 * shadow database per command): edit schema.prisma → `prisma migrate dev` →
 * `prisma-zd rewrite` → edit → `prisma migrate dev` … → commit, on a copy of the sample
 * project. The next `migrate dev` must stay quiet: the shadow database replays the
 * rewritten files on an unmanaged database (I1) and rewrite fixed the dev database's
 * checksum, so no "modified", no drift, no reset.
 *
 * PostgreSQL 14: 6.19.3's schema describer panics on 18 (see prisma/README.md), and
 * `migrate dev` describes the dev and shadow databases.
 *
 * Two quirks of 6.19.3's offline path, both Prisma's (measured with un-rewritten files
 * too), are tolerated where they occur, never elsewhere:
 * - `migrate dev --create-only` writes the migration, then exits 1 with "null pointer
 *   passed to rust" (it frees the engine twice);
 * - a `migrate dev` that applies pending migrations exits 1 after applying them with
 *   "PostgreSQL shadow DB must be provided through an external factory"; the next
 *   `migrate dev` goes on.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { createDatabase, createTemplate, startEmbedded, type PgServer, type TestDatabase } from '../support/postgres.js';
import { copySampleProject, migrationNames, runPrisma, type PrismaRun, type SampleProjectCopy } from '../support/prisma.js';
import { query } from '../prisma/helpers.js';

const QUIET = 'Already in sync, no schema change or pending migration was found.';
const CREATE_ONLY_QUIRK = 'null pointer passed to rust';
const APPLY_QUIRK = 'PostgreSQL shadow DB must be provided through an external factory';

let server: PgServer;
/** A database with the sample history applied by `prisma migrate deploy`, copied by each test. */
let history: string;
beforeAll(async () => {
  server = await startEmbedded({ major: 14 });
  history = await createTemplate(
    server,
    async (url) => {
      const run = await runPrisma(['migrate', 'deploy'], { url });
      if (run.code !== 0) throw new Error(`prisma migrate deploy of the sample failed:\n${run.stdout}\n${run.stderr}`);
    },
    'zd_migrate_dev_tpl',
  );
});
afterAll(async () => {
  await server?.stop();
});

/** A copy of the sample project (committed in a new git repository, or outside git) and its development database, with the history applied. */
async function devProject(opts: { git: 'committed' | 'none' }) {
  const copy: SampleProjectCopy = await copySampleProject();
  const db: TestDatabase = await createDatabase(server, { template: history, prefix: 'zd_migrate_dev' });
  const git = (...args: string[]) => {
    const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: copy.dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  };
  if (opts.git !== 'none') git('init', '-q');
  const commit = () => {
    git('add', '.');
    git('commit', '-qm', 'work');
  };
  if (opts.git === 'committed') commit();
  const schemaPath = join(copy.dir, 'schema.prisma');
  const all = () => migrationNames(copy.migrationsDir);
  const read = (name: string) => readFileSync(join(copy.migrationsDir, name, 'migration.sql'), 'utf8');
  const show = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;
  const prisma = (args: string[]) => runPrisma(args, { url: db.url, cwd: copy.dir });
  return {
    copy,
    db,
    commit,
    read,
    show,
    prisma,
    editSchema(from: string, to: string) {
      const text = readFileSync(schemaPath, 'utf8');
      expect(text).toContain(from);
      writeFileSync(schemaPath, text.replace(from, to));
    },
    /** `prisma migrate dev --name <name>`: creates and applies one migration; returns its folder. */
    async migrateDev(name: string): Promise<string> {
      const before = all();
      const run = await prisma(['migrate', 'dev', '--name', name, '--skip-generate']);
      expect(run.code, show(run)).toBe(0);
      const created = all().filter((n) => !before.includes(n));
      expect(created, show(run)).toEqual([expect.stringMatching(new RegExp(`^\\d{14}_${name}$`))]);
      expect(run.stdout).toContain('The following migration(s) have been created and applied from new schema changes');
      return created[0]!;
    },
    /** `prisma migrate dev --create-only --name <name>`: writes one migration, applies nothing. */
    async createOnly(name: string): Promise<string> {
      const before = all();
      const run = await prisma(['migrate', 'dev', '--create-only', '--name', name, '--skip-generate']);
      if (run.code !== 0) expect(run.stderr, show(run)).toContain(CREATE_ONLY_QUIRK);
      const created = all().filter((n) => !before.includes(n));
      expect(created, show(run)).toEqual([expect.stringMatching(new RegExp(`^\\d{14}_${name}$`))]);
      return created[0]!;
    },
    /** `prisma migrate dev` applying `name`, a pending migration. */
    async applyPending(name: string) {
      const run = await prisma(['migrate', 'dev', '--skip-generate']);
      if (run.code !== 0) expect(run.stderr, show(run)).toContain(APPLY_QUIRK);
      expect(run.stdout, show(run)).toMatch(new RegExp(`The following migration\\(s\\) have been applied:[\\s\\S]*${name}/`));
      expect(show(run)).not.toMatch(/modified|Drift detected/);
    },
    /** `prisma migrate dev` with nothing to do must say so: no drift, no "modified", no reset. */
    async expectQuiet() {
      const run = await prisma(['migrate', 'dev', '--skip-generate']);
      expect(run.code, show(run)).toBe(0);
      expect(run.stdout, show(run)).toContain(QUIET);
      expect(show(run)).not.toMatch(/modified|Drift detected|reset/);
    },
    /** `prisma migrate status` agrees: every migration applied, none failed or edited. */
    async expectStatusUpToDate() {
      const status = await prisma(['migrate', 'status']);
      expect(status.code, show(status)).toBe(0);
      expect(status.stdout, show(status)).toContain('Database schema is up to date!');
    },
    rewrite: (paths: string[] = []) => runZd(['rewrite', ...paths], { cwd: copy.dir, env: { DATABASE_URL: db.url } }),
    async cleanup() {
      await copy.cleanup();
      await db.drop();
    },
  };
}

/** Drift as `prisma migrate dev` reports it: exit 130, the differences, a reset suggested. */
function expectDrift(run: PrismaRun, ...differences: string[]) {
  expect(run.code, run.stdout + run.stderr).toBe(130);
  expect(run.stdout).toContain('Drift detected: Your database schema is not in sync with your migration history.');
  for (const d of differences) expect(run.stdout).toContain(d);
}

const indexesOf = async (url: string, table: string) =>
  (await query<{ indexname: string }>(url, `SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY 1`, [table])).map((r) => r.indexname);
const defaultOf = async (url: string, table: string, column: string) =>
  (await query<{ d: string | null }>(url, `SELECT column_default AS d FROM information_schema.columns WHERE table_name = $1 AND column_name = $2`, [table, column]))[0]!.d;

// Each test runs up to a dozen Prisma commands one after another (~2 s each unloaded): room
// for a loaded machine.
describe('prisma migrate dev → prisma-zd rewrite → prisma migrate dev (real Prisma CLI)', { timeout: 240_000 }, () => {
  it('an unmanaged dev database: rewrite after migrate dev, rewrite before applying (--create-only), then migrate reset; migrate dev stays quiet throughout', async () => {
    const p = await devProject({ git: 'committed' });
    try {
      // Round 1: an index on an existing table, created and applied by migrate dev.
      p.editSchema('  @@index([postId, createdAt])\n', '  @@index([postId, createdAt])\n  @@index([authorId])\n');
      const commentAuthor = await p.migrateDev('comment_author');
      expect(p.read(commentAuthor)).toBe('-- CreateIndex\nCREATE INDEX "Comment_authorId_idx" ON "Comment"("authorId");\n');
      let rw = await p.rewrite();
      expect(rw.code, rw.stderr).toBe(0);
      expect(rw.stderr).toContain(`• ${commentAuthor}: rewritten`);
      expect(rw.stderr).toContain('index "Comment_authorId_idx" on "Comment": postponed, built CONCURRENTLY');
      expect(rw.stderr).toContain("checksum updated in the development database's _prisma_migrations");
      expect(rw.stderr).toContain('Next: commit');
      expect(p.read(commentAuthor)).toContain('DO $zd$');
      await p.expectQuiet();

      // Round 2: a dropped default and an index in one migration.
      p.editSchema('  viewCount   Int       @default(0)\n', '  viewCount   Int\n');
      p.editSchema('  @@index([published, publishedAt])\n', '  @@index([published, publishedAt])\n  @@index([title])\n');
      const postChanges = await p.migrateDev('post_view_count');
      rw = await p.rewrite();
      expect(rw.code, rw.stderr).toBe(0);
      expect(rw.stderr).toContain(`✓ ${commentAuthor}: already deploy-safe`);
      expect(rw.stderr).toContain(`• ${postChanges}: rewritten`);
      expect(rw.stderr).toContain('default of "Post"."viewCount": dropped at contract');
      expect(rw.stderr).toContain('index "Post_title_idx" on "Post": postponed');
      await p.expectQuiet();
      expect(await defaultOf(p.db.url, 'Post', 'viewCount')).toBe(null);

      // Round 3: rewrite before applying.
      p.editSchema('  placedAt   DateTime    @default(now())\n', '  placedAt   DateTime    @default(now())\n\n  @@index([status])\n');
      const orderStatus = await p.createOnly('order_status');
      rw = await p.rewrite();
      expect(rw.code, rw.stderr).toBe(0);
      expect(rw.stderr).toContain(`• ${orderStatus}: rewritten`);
      expect(rw.stderr).not.toContain('checksum updated');
      expect(rw.stderr).not.toContain('is managed by prisma-zd');
      expect(rw.stderr).toContain(`Next: \`prisma migrate dev\` applies ${orderStatus} to your development database; then commit.`);
      await p.applyPending(orderStatus);
      await p.expectQuiet();
      await p.expectStatusUpToDate();
      expect(await indexesOf(p.db.url, 'Order')).toContain('Order_status_idx');

      // Round 4: a later edit drops an index an earlier rewritten migration postponed: the drop waits for contract
      // (and cancels the build where it has not run); on this unmanaged database it ran inline.
      p.editSchema('  @@index([title])\n', '');
      const dropTitle = await p.migrateDev('post_title_index_dropped');
      rw = await p.rewrite();
      expect(rw.code, rw.stderr).toBe(0);
      expect(rw.stderr).toContain(`• ${dropTitle}: rewritten`);
      expect(rw.stderr).toContain('index "Post_title_idx" on "Post": dropped CONCURRENTLY at contract (its postponed build is cancelled where it has not run)');
      expect(await indexesOf(p.db.url, 'Post')).not.toContain('Post_title_idx');
      await p.expectQuiet();

      // Committed; the developer starts over from the rewritten history.
      p.commit();
      const reset = await p.prisma(['migrate', 'reset', '--force', '--skip-generate', '--skip-seed']);
      expect(reset.code, p.show(reset)).toBe(0);
      await p.expectQuiet();
      expect(await indexesOf(p.db.url, 'Comment')).toContain('Comment_authorId_idx');
      expect(await indexesOf(p.db.url, 'Order')).toContain('Order_status_idx');
      expect(await indexesOf(p.db.url, 'Post')).not.toContain('Post_title_idx');
      expect(await defaultOf(p.db.url, 'Post', 'viewCount')).toBe(null);
    } finally {
      await p.cleanup();
    }
  });

  it('a managed dev database (prisma-zd setup): applied rewritten migrations queue their work, migrate dev reports drift until postponed run and contract; rewrite says so', async () => {
    const p = await devProject({ git: 'committed' });
    try {
      const setup = await runZd(['setup', '--url', p.db.url]);
      expect(setup.code, setup.stderr).toBe(0);

      // Applied by migrate dev before the rewrite: the index was built by the original file.
      p.editSchema('  @@index([postId, createdAt])\n', '  @@index([postId, createdAt])\n  @@index([authorId])\n');
      const commentAuthor = await p.migrateDev('comment_author');
      let rw = await p.rewrite();
      expect(rw.code, rw.stderr).toBe(0);
      expect(rw.stderr).toContain(`• ${commentAuthor}: rewritten`);
      expect(rw.stderr).toContain('checksum updated');
      await p.expectQuiet();

      // Rewritten before applying: on this database the index is queued and the default kept.
      p.editSchema('  viewCount   Int       @default(0)\n', '  viewCount   Int\n');
      p.editSchema('  @@index([published, publishedAt])\n', '  @@index([published, publishedAt])\n  @@index([title])\n');
      const postChanges = await p.createOnly('post_view_count');
      rw = await p.rewrite();
      expect(rw.code, rw.stderr).toBe(0);
      expect(rw.stderr).toContain(`• ${postChanges}: rewritten`);
      expect(rw.stderr).toContain('is managed by prisma-zd');
      expect(rw.stderr).toContain('`prisma-zd postponed run`');
      expect(rw.stderr).toContain('`prisma-zd contract`');
      await p.applyPending(postChanges);
      expect(await query(p.db.url, `SELECT kind, object_name, status FROM prisma_zd.queue ORDER BY id`)).toEqual([
        { kind: 'contract', object_name: 'viewCount', status: 'pending' },
        { kind: 'index', object_name: 'Post_title_idx', status: 'pending' },
      ]);
      expectDrift(await p.prisma(['migrate', 'dev', '--skip-generate']), 'Removed index on columns (title)');
      // migrate status does not compare schemas: it sees nothing wrong.
      await p.expectStatusUpToDate();
      const run = await runZd(['postponed', 'run', '--url', p.db.url, '--migrations', p.copy.migrationsDir]);
      expect(run.code, run.stderr).toBe(0);
      const contract = await runZd(['contract', '--url', p.db.url, '--migrations', p.copy.migrationsDir]);
      expect(contract.code, contract.stderr).toBe(0);
      await p.expectQuiet();

      // migrate reset empties Prisma's schema only: prisma_zd stays, and the replay queues
      // again, even the migration that was rewritten after migrate dev had applied it.
      p.commit();
      const reset = await p.prisma(['migrate', 'reset', '--force', '--skip-generate', '--skip-seed']);
      expect(reset.code, p.show(reset)).toBe(0);
      expectDrift(await p.prisma(['migrate', 'dev', '--skip-generate']), 'Removed index on columns (authorId)', 'Removed index on columns (title)');
    } finally {
      await p.cleanup();
    }
  });

  it('without git, or before the first commit: rewrite selects by the database and says how to name the migration migrate dev just applied; named, only it is rewritten', async () => {
    const p = await devProject({ git: 'none' });
    try {
      p.editSchema('  @@index([postId, createdAt])\n', '  @@index([postId, createdAt])\n  @@index([authorId])\n');
      const commentAuthor = await p.migrateDev('comment_author');
      // No git: only the database can tell what is new, and migrate dev already applied it.
      let rw = await p.rewrite();
      expect(rw.code, rw.stderr).toBe(0);
      expect(rw.stderr).toContain('No migrations to rewrite (migrations not applied to the development database).');
      expect(rw.stderr).toContain(`prisma-zd rewrite migrations/${commentAuthor}`);
      // `git init`, nothing committed yet: git cannot tell what is new either (every migration
      // would look new, applied ones included: I4), so the database selects, as outside git.
      expect(spawnSync('git', ['init', '-q'], { cwd: p.copy.dir }).status).toBe(0);
      rw = await p.rewrite();
      expect(rw.code, rw.stderr).toBe(0);
      expect(rw.stderr).toContain('No migrations to rewrite (migrations not applied to the development database).');
      expect(rw.stderr).toContain(`prisma-zd rewrite migrations/${commentAuthor}`);
      // Named, it is rewritten (checksum updated), and nothing else is.
      rw = await p.rewrite([`migrations/${commentAuthor}`]);
      expect(rw.code, rw.stderr).toBe(0);
      expect(rw.stderr).toContain(`• ${commentAuthor}: rewritten`);
      expect(rw.stderr).toContain('checksum updated');
      expect(rw.stderr.match(/: rewritten/g)).toHaveLength(1);
      await p.expectQuiet();
    } finally {
      await p.cleanup();
    }
  });
});
