import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { freshDatabase, templateDatabase } from '../support/db.js';
import { startEmbedded } from '../support/postgres.js';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('test PostgreSQL provider', () => {
  it('gives each test a fresh database, and copies a template', async () => {
    const tpl = await templateDatabase(async (url) => {
      await query(url, 'CREATE TABLE t (id int primary key); INSERT INTO t VALUES (1), (2)');
    });
    const a = await freshDatabase({ template: tpl });
    const b = await freshDatabase();
    try {
      expect(await query(a.url, 'SELECT count(*)::int AS n FROM t')).toEqual([{ n: 2 }]);
      await expect(query(b.url, 'SELECT * FROM t')).rejects.toThrow(/relation "t" does not exist/);
    } finally {
      await a.drop();
      await b.drop();
    }
  });

  it('starts two different majors side by side, and restarts one', async () => {
    const [old, cur] = await Promise.all([startEmbedded({ major: 14 }), startEmbedded({ major: 18 })]);
    try {
      const v = async (url: string) =>
        Number((await query<{ v: string }>(url, `SELECT current_setting('server_version_num') AS v`))[0]!.v);
      expect(Math.floor((await v(old.url())) / 10000)).toBe(14);
      expect(Math.floor((await v(cur.url())) / 10000)).toBe(18);
      const before = old.pid!();
      await old.restart!('immediate');
      expect(old.pid!()).not.toBe(before);
      expect(Math.floor((await v(old.url())) / 10000)).toBe(14);
    } finally {
      await Promise.all([old.stop(), cur.stop()]);
    }
  });
});
