/**
 * No password — and no URL with credentials — ever appears in what prisma-zd prints
 * (stdout, stderr, --json) or stores (the queue), in success and failure paths of every
 * command. The URL carries the test password; every output is scanned for it.
 */
import { describe, expect, it } from 'vitest';
import { runZd, type ZdRun } from '../support/cli.js';
import { freshDatabase } from '../support/db.js';
import { TEST_PASSWORD } from '../support/postgres.js';
import { addMigration, copySampleProject } from '../support/prisma.js';
import { sql } from '../queue/support.js';

describe('secrets', () => {
  it('never prints or stores the password, whatever the command and outcome', async () => {
    const db = await freshDatabase({ prefix: 'zd_secret' });
    const copy = await copySampleProject();
    const u = new URL(db.url);
    expect(decodeURIComponent(u.password)).toBe(TEST_PASSWORD);
    const wrong = new URL(db.url);
    wrong.password = `${TEST_PASSWORD}x`;
    const unreachable = new URL(db.url);
    unreachable.port = '1';
    const runs: Array<[string, ZdRun]> = [];
    const zd = async (args: string[], env: Record<string, string> = {}) => {
      const r = await runZd(args, { cwd: copy.dir, env: { DATABASE_URL: db.url, ...env } });
      runs.push([args.join(' '), r]);
      return r;
    };
    try {
      addMigration(copy.migrationsDir, 'post_title_index', `CREATE INDEX "Post_title_idx" ON "Post"("title");\n`);
      // Success paths (the datasource comes from Prisma's config via DATABASE_URL, or --url).
      expect((await zd(['rewrite', '--all', '--json'])).code).toBe(0);
      expect((await zd(['deploy', '--dry-run', '--json'])).code).toBe(0);
      expect((await zd(['deploy', '--json'])).code).toBe(0);
      await zd(['postponed', 'list', '--json']);
      await zd(['postponed', 'run', '--json']);
      await zd(['postponed', 'list', '--url', db.url]);
      await zd(['contract', '--list', '--json']);
      await zd(['contract']);
      await zd(['postponed', 'cleanup']);
      await zd(['check', '--database-url', db.url, '--format', 'json']);
      await zd(['verify', '--json']);
      await zd(['setup', '--url', db.url, '--json']);
      // Failure paths: a wrong password for each database command, an unreachable server for some.
      const failing: Array<[string, string[][]]> = [
        [wrong.toString(), [['setup'], ['deploy'], ['deploy', '--dry-run'], ['postponed', 'run'], ['postponed', 'list'], ['contract'], ['verify']]],
        [unreachable.toString(), [['setup'], ['deploy'], ['verify']]],
      ];
      for (const [bad, commands] of failing) {
        for (const args of commands) {
          const r = await zd([...args, '--url', bad, '--json']);
          expect(r.code, `${args.join(' ')}: ${r.stderr}`).not.toBe(0);
        }
        await zd(['check', '--database-url', bad]);
        await zd(['rewrite', '--all'], { DATABASE_URL: bad });
      }
      for (const [what, r] of runs) {
        const text = r.stdout + r.stderr;
        expect(text, what).not.toContain(TEST_PASSWORD);
        expect(text, what).not.toContain(encodeURIComponent(TEST_PASSWORD));
        expect(text, what).not.toMatch(/\bat .*\(.*\.js:\d+:\d+\)/); // no stack trace
      }
      const stored = await sql<{ t: string }>(db.url, `SELECT string_agg(q::text, ' ') AS t FROM prisma_zd.queue q`);
      expect(stored[0]?.t ?? '').not.toContain(TEST_PASSWORD);
    } finally {
      await copy.cleanup();
      await db.drop();
    }
  });
});
