/**
 * The testing kit as a user's own test meets it (`prisma-zd/testing`, the built package):
 * what a test runner prints of an error (vitest shows `name: message` and the stack, not
 * `hint` or the other fields), the password of the test server's URL, Prisma configs that
 * read the URL from a variable of their own (multi-file schemas included), several
 * migration tests created at once in one process, and relative paths.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createMigrationTest, createScratchDatabase, dropScratchDatabases, MigrationError } from 'prisma-zd/testing';
import { REPO_ROOT } from '../support/corpus.js';
import { freshDatabase, testServer } from '../support/db.js';
import { TEST_PASSWORD } from '../support/postgres.js';
import { addMigration, copySampleProject, SAMPLE_DIR } from '../support/prisma.js';

const LAST = '20261123203533_role_without_moderator';
/** The sample's history as `prisma-zd rewrite --all` leaves it. */
const EXAMPLE = resolve(fileURLToPath(new URL('../../examples/testing-kit', import.meta.url)));

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
async function database() {
  const db = await freshDatabase({ prefix: 'zd_kit_user' });
  cleanups.push(() => db.drop());
  return db;
}
async function sampleCopy() {
  const copy = await copySampleProject();
  cleanups.push(() => copy.cleanup());
  return copy;
}
/** Sets `process.env[name]` for this test only. */
function setEnv(name: string, value: string) {
  const before = process.env[name];
  process.env[name] = value;
  cleanups.push(async () => {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  });
}
async function caught(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(Error);
  return e as Error;
}
/** What vitest prints of a failed test's error. */
const printed = (e: Error) => `${e.name}: ${e.message}\n${e.stack ?? ''}`;

/** A copy of the sample whose prisma.config.ts reads the URL from `variable` (and takes the schema from `schema`). */
function configReading(dir: string, variable: string, schema = 'schema.prisma') {
  const config = readFileSync(join(dir, 'prisma.config.ts'), 'utf8')
    .replace(`schema: 'schema.prisma'`, `schema: ${JSON.stringify(schema)}`)
    .replaceAll('process.env.DATABASE_URL', `process.env.${variable}`);
  expect(config).toContain(`process.env.${variable}`);
  writeFileSync(join(dir, 'prisma.config.ts'), config);
}

describe('errors as a test runner prints them', () => {
  it('carry the next step in the message, in the testing kit\'s words (not the CLI\'s flags)', async () => {
    const db = await database();
    const copy = await sampleCopy();
    const missing = await caught(createMigrationTest({ url: db.url, cwd: copy.dir, mode: 'sql', migrationsDir: 'nope' }));
    expect(missing.message).toContain(`The migrations folder ${join(copy.dir, 'nope')} does not exist.`);
    expect(missing.message).toContain('hint: Pass `cwd` (the project directory');
    expect(missing.message).not.toContain('--migrations');

    const t = await createMigrationTest({ url: db.url, cwd: copy.dir, mode: 'sql' });
    await t.migrateTo('20261123203517_product_currency_without_default');
    const past = await caught(t.migrateTo('20261123203514_post_published_index'));
    expect(past.message).toContain('later migrations are applied already');
    expect(past.message).toContain('hint: Use a fresh database for each test (createScratchDatabase).');
    expect(printed(past)).toContain('hint: Use a fresh database');

    const unmanaged = await createMigrationTest({ url: (await database()).url, cwd: copy.dir, mode: 'sql', managed: false });
    await unmanaged.migrateTo();
    const notSetUp = await caught(unmanaged.runPostponed());
    expect(notSetUp.message).toContain('hint: This test was created with `managed: false`');
    expect(notSetUp.message).not.toContain('prisma-zd setup');
  });

  for (const mode of ['prisma', 'sql'] as const) {
    it(`${mode} mode: a one-statement migration failing on the data names the file, PostgreSQL's error and what to do next`, async () => {
      const copy = await sampleCopy();
      const db = await database();
      const name = addMigration(copy.migrationsDir, 'user_name_required', `-- AlterTable\nALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;\n`);
      const t = await createMigrationTest({ url: db.url, cwd: copy.dir, mode });
      await t.migrateTo(LAST);
      await t.query(`INSERT INTO "User" ("email", "updatedAt") VALUES ('someone@elsewhere.org', now())`);
      const e = await caught(t.migrateTo(name));
      expect(e).toBeInstanceOf(MigrationError);
      expect((e as MigrationError).sqlstate).toBe('23502');
      expect(e.message).toContain(`Migration ${name} failed at statement 1 of 1 (${join(copy.migrationsDir, name, 'migration.sql')}:2:1):`);
      // Not the driver adapter's "Null constraint failed" alone: PostgreSQL's own words.
      expect(e.message).toContain('ERROR: column "name" of relation "User" contains null values (SQLSTATE 23502)');
      expect(e.message).toContain('hint: `prisma migrate deploy` would stop at this migration the same way in a deploy');
      expect((await t.state()).failed).toEqual([name]);
    });
  }
});

describe('the password of the database URL', () => {
  it('prisma mode: never in the error of a Prisma config that prints its URL', async () => {
    const copy = await sampleCopy();
    const db = await database();
    expect(db.url).toContain(TEST_PASSWORD);
    const config = readFileSync(join(copy.dir, 'prisma.config.ts'), 'utf8').replace(
      'unrefEngineTimers();',
      `unrefEngineTimers();\n    if (process.env.BREAK_ADAPTER) throw new Error('cannot reach ' + url);`,
    );
    writeFileSync(join(copy.dir, 'prisma.config.ts'), config);
    const t = await createMigrationTest({ url: db.url, cwd: copy.dir, mode: 'prisma', env: { BREAK_ADAPTER: '1' } });
    const e = await caught(t.migrateTo());
    expect(e.message).toContain('`prisma migrate deploy` exited with 1 before applying a migration');
    expect(e.message).toContain('cannot reach postgresql://postgres:****@');
    expect(printed(e)).not.toContain(TEST_PASSWORD);
  });

  it('never in the error of a server that refuses the role', async () => {
    const url = new URL(testServer().url());
    url.password = `${TEST_PASSWORD}-wrong`;
    const e = await caught(createScratchDatabase(url.toString()));
    expect(printed(e)).not.toContain(TEST_PASSWORD);
  });
});

describe('Prisma configs that read the URL from a variable of their own', () => {
  it('prisma mode, multi-file schema whose datasource names POSTGRES_URL: the migrations go to the test database, not to what POSTGRES_URL points at', async () => {
    const copy = await sampleCopy();
    // prisma/schema/{base,models}.prisma, the datasource reading POSTGRES_URL.
    const schema = readFileSync(join(copy.dir, 'schema.prisma'), 'utf8').replace('env("DATABASE_URL")', 'env("POSTGRES_URL")');
    const split = schema.indexOf('enum Role');
    mkdirSync(join(copy.dir, 'schema'));
    writeFileSync(join(copy.dir, 'schema', 'base.prisma'), schema.slice(0, split));
    writeFileSync(join(copy.dir, 'schema', 'models.prisma'), schema.slice(split));
    renameSync(join(copy.dir, 'schema.prisma'), join(copy.dir, 'schema.prisma.old'));
    configReading(copy.dir, 'POSTGRES_URL', 'schema');
    const db = await database();
    const dev = await database();
    setEnv('POSTGRES_URL', dev.url); // the developer's own database, as a .env loaded by the test setup sets it

    const t = await createMigrationTest({ url: db.url, cwd: copy.dir, mode: 'prisma' });
    expect(await t.migrateTo('20261123203517_product_currency_without_default')).toHaveLength(3);
    expect((await t.state()).applied).toHaveLength(3);
    const other = await createMigrationTest({ url: dev.url, cwd: copy.dir, mode: 'sql', managed: false });
    expect((await other.state()).applied).toEqual([]);
  });

  it('prisma mode: a config reading a variable nothing names fails instead of passing, and urlEnv is the fix', async () => {
    const copy = await sampleCopy();
    configReading(copy.dir, 'APP_DB');
    const db = await database();
    const dev = await database();
    setEnv('APP_DB', dev.url);

    const t = await createMigrationTest({ url: db.url, cwd: copy.dir, mode: 'prisma' });
    const e = await caught(t.migrateTo('20261123203514_post_published_index'));
    expect((e as { code?: string }).code).toBe('ZD_PRISMA_ELSEWHERE');
    expect(e.message).toContain('`prisma migrate deploy` succeeded but did not apply 20261123203511_init, 20261123203514_post_published_index to the database under test');
    expect(e.message).toContain('hint: Pass the variable your Prisma config reads the URL from in urlEnv');
    expect(printed(e)).not.toContain(TEST_PASSWORD);

    const fixed = await createMigrationTest({ url: (await database()).url, cwd: copy.dir, mode: 'prisma', urlEnv: ['APP_DB'] });
    expect(await fixed.migrateTo('20261123203514_post_published_index')).toHaveLength(2);
    expect((await fixed.state()).applied).toHaveLength(2);
  });
});

describe('several migration tests in one process', () => {
  it('created at the same instant (it.concurrent, Promise.all): each loads the config with its own URL, and process.env is left as it was', async () => {
    const copy = await sampleCopy();
    const before = process.env.DATABASE_URL;
    const dbs = await Promise.all([0, 1, 2, 3].map(() => database()));
    const tests = await Promise.all(dbs.map((db) => createMigrationTest({ url: db.url, cwd: copy.dir })));
    expect(process.env.DATABASE_URL).toBe(before);
    expect(tests.map((t) => [t.mode, t.url])).toEqual(dbs.map((db) => ['prisma', db.url]));
  });
});

describe('paths', () => {
  it('compareWithUnmanaged({ migrationsDir }) is relative to cwd, as createMigrationTest\'s migrationsDir', async () => {
    const copy = await sampleCopy();
    // The history before `prisma-zd rewrite` beside the project, as a user keeps it.
    cpSync(join(SAMPLE_DIR, 'migrations'), join(copy.dir, 'original-migrations'), { recursive: true });
    const db = await database();
    const t = await createMigrationTest({ url: db.url, cwd: copy.dir, mode: 'sql', migrationsDir: 'migrations' });
    await t.migrateTo();
    await t.runPostponed();
    await t.runContract();
    expect(await t.compareWithUnmanaged({ migrationsDir: 'original-migrations' })).toEqual([]);
  });
});

describe("the URL's ?schema=", () => {
  it('sql mode: the history, the queue, contract and the comparison run in that schema', async () => {
    const db = await database();
    const t = await createMigrationTest({ url: `${db.url}?schema=app`, cwd: EXAMPLE, mode: 'sql' });
    await t.migrateTo('20261123203529_product_stock');
    expect(await t.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`)).toEqual([{ n: 0 }]);
    expect((await t.state()).applied).toHaveLength(7);
    await t.runPostponed();
    await t.runContract();
    await t.expectMatchesUnmanaged();
  });

  it('prisma mode: a driver adapter that ignores ?schema= is named, instead of a test passing on an empty schema', async () => {
    const copy = await sampleCopy();
    // The sample adapter honours ?schema= as the native engine does; a stub config hides it from the adapter.
    const config = join(copy.dir, 'prisma.config.ts');
    const original = readFileSync(config, 'utf8');
    const stub = original.replace('return sampleAdapter({\n      url,', "const ignored = new URL(url);\n    ignored.searchParams.delete('schema');\n    return sampleAdapter({\n      url: ignored.toString(),");
    expect(stub).not.toBe(original);
    writeFileSync(config, stub);
    const db = await database();
    const t = await createMigrationTest({ url: `${db.url}?schema=app`, cwd: copy.dir, mode: 'prisma' });
    const e = await caught(t.migrateTo('20261123203514_post_published_index'));
    expect((e as { code?: string }).code).toBe('ZD_PRISMA_SCHEMA');
    expect(e.message).toContain('applied 20261123203511_init, 20261123203514_post_published_index in schema "public" of the database under test, not in "app"');
    expect(e.message).toContain('hint: A driver adapter takes the schema as an option');
  });
});

describe("Prisma's enum swap (BEGIN … COMMIT in the file) failing on rows the old app wrote", () => {
  const ENUM_SWAP = '20261123203533_role_without_moderator';
  async function moderatorWritten(mode: 'prisma' | 'sql') {
    const db = await database();
    const t = await createMigrationTest({ url: db.url, cwd: EXAMPLE, mode });
    await t.migrateTo('20261123203529_product_stock');
    await t.query(`INSERT INTO "User" ("email", "role", "updatedAt") VALUES ('mod@example.com', 'MODERATOR', now())`);
    return t;
  }
  function expectNamed(e: Error) {
    expect(e).toBeInstanceOf(MigrationError);
    expect(e.message).toContain(`Migration ${ENUM_SWAP} failed at statement 4 of 9 (${join(EXAMPLE, 'migrations', ENUM_SWAP, 'migration.sql')}:11:1):`);
    expect(e.message).toContain('ERROR: invalid input value for enum "Role_new": "MODERATOR" (SQLSTATE 22P02)');
  }

  it('prisma mode: names the statement and PostgreSQL\'s error, and Prisma\'s error line as detail (not its warnings)', async () => {
    const t = await moderatorWritten('prisma');
    const e = await caught(t.migrateTo(ENUM_SWAP));
    expectNamed(e);
    expect(e.message).toMatch(/detail: prisma migrate deploy: Error: .*\n/);
    expect(e.message).not.toContain('WARNING');
    expect((await t.state()).failed).toEqual([ENUM_SWAP]);
  });

  // The file's own BEGIN leaves the session in an aborted transaction when a statement fails:
  // applyMigrations rolls it back before recording and locating the failure.
  it('sql mode: names the statement and PostgreSQL\'s error', async () => {
    const t = await moderatorWritten('sql');
    expectNamed(await caught(t.migrateTo(ENUM_SWAP)));
  });
});

describe('after a migration failed', () => {
  for (const mode of ['prisma', 'sql'] as const) {
    it(`${mode} mode: migrating again is refused as \`prisma migrate deploy\` refuses it (P3009), naming the migration`, async () => {
      const copy = await sampleCopy();
      const db = await database();
      const name = addMigration(copy.migrationsDir, 'user_name_required', `-- AlterTable\nALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;\n`);
      const t = await createMigrationTest({ url: db.url, cwd: copy.dir, mode });
      await t.migrateTo(LAST);
      await t.query(`INSERT INTO "User" ("email", "updatedAt") VALUES ('someone@elsewhere.org', now())`);
      await caught(t.migrateTo(name));
      // The test fixes the data and tries again on the same database: a deploy would not apply it now either.
      await t.query(`UPDATE "User" SET "name" = 'someone'`);
      const again = await caught(t.migrateTo(name));
      expect((again as { code?: string }).code).toBe('ZD_MIGRATION_FAILED_BEFORE');
      expect(again.message).toContain(`Migration ${name} failed earlier on this database and is in Prisma's failed state`);
      expect(again.message).toContain('hint: Use a fresh database for each attempt (createScratchDatabase)');
      expect(await t.state()).toMatchObject({ failed: [name], notApplied: [] });
      expect(await t.query(`SELECT count(*)::int AS n FROM "_prisma_migrations" WHERE migration_name = $1`, [name])).toEqual([{ n: 1 }]);
    });
  }
});

describe('the printed stack', () => {
  it("keeps a failed statement's dollar quotes as written ($$, $1 are not replacement patterns)", async () => {
    const copy = await sampleCopy();
    const db = await database();
    const body = `DO $guard$ BEGIN IF (SELECT count(*) FROM "User") = 0 THEN RAISE EXCEPTION 'no users: $1 $& $$ $\''; END IF; END $guard$;`;
    const name = addMigration(copy.migrationsDir, 'guard', `-- A guard\n${body}\n`);
    const t = await createMigrationTest({ url: db.url, cwd: copy.dir, mode: 'sql' });
    const e = await caught(t.migrateTo(name));
    expect(e.message).toContain(body.slice(0, -1));
    // The stack starts with exactly what the message says (vitest prints both).
    expect(e.stack!.slice(0, `MigrationError: ${e.message}\n`.length)).toBe(`MigrationError: ${e.message}\n`);
    expect(e.message).toContain('hint: `prisma migrate deploy` would stop');
  });
});

describe('postponed work behind a transaction the test holds', () => {
  it('runPostponed stops after lockWaitMs and names the session, instead of waiting as long as the test keeps it open', async () => {
    const db = await database();
    const t = await createMigrationTest({ url: db.url, cwd: EXAMPLE, mode: 'sql' });
    await t.migrateTo('20261123203514_post_published_index');
    // The old app's report, in a transaction (a snapshot) that started before the build.
    const report = new pg.Client({ connectionString: db.url, application_name: 'old-app-report' });
    await report.connect();
    cleanups.push(() => report.end());
    await report.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await report.query('SELECT count(*) FROM "User"');
    const started = Date.now();
    const guard = new Promise<Error>((r) => setTimeout(() => r(new Error('runPostponed still waiting after 60 s')), 60_000).unref());
    const e = await Promise.race([caught(t.runPostponed({ lockWaitMs: 1000 })), guard]);
    expect((e as { code?: string }).code, e.message).toBe('ZD_POSTPONED_BLOCKED');
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(e.message).toContain('(lockWaitMs: 1000) for a lock held by pid');
    expect(e.message).toContain('(old-app-report, idle in transaction: SELECT count(*) FROM "User")');
    expect(e.message).toContain('hint: End that transaction in the test');
    expect((await t.state()).postponed.map((x) => [x.objectName, x.status])).toEqual([['Post_published_publishedAt_idx', 'pending']]);

    await report.query('COMMIT');
    await t.runPostponed();
    expect((await t.state()).postponed).toEqual([]);
  });
});

describe('contract behind a transaction the test holds', () => {
  it("runContract's lock timeout names the session holding the table", async () => {
    const db = await database();
    const t = await createMigrationTest({ url: db.url, cwd: EXAMPLE, mode: 'sql' });
    await t.migrateTo('20261123203517_product_currency_without_default');
    await t.runPostponed();
    const report = new pg.Client({ connectionString: db.url, application_name: 'old-app-report' });
    await report.connect();
    cleanups.push(() => report.end());
    await report.query('BEGIN');
    await report.query('SELECT count(*) FROM "Product"');
    const e = await caught(t.runContract({ lockTimeoutMs: 200, attempts: 1 }));
    expect(e.message).toContain('- contract ALTER TABLE "Product" ALTER COLUMN "currency" DROP DEFAULT');
    expect(e.message).toContain('(SQLSTATE 55P03); "Product" is locked by pid');
    expect(e.message).toContain('(old-app-report, idle in transaction: SELECT count(*) FROM "Product")');
    expect(e.message).toContain('hint: End that transaction in the test before runContract()');
    await report.query('COMMIT');
    await t.runContract();
    await t.expectMatchesUnmanaged();
  });
});

describe('databases a killed run left behind', () => {
  it('dropScratchDatabases (a globalSetup) drops those of its prefix, and only those', async () => {
    const server = testServer().url();
    const prefix = `kit_left_${process.pid}`;
    // A test process killed (Ctrl-C, a cancelled CI job) after creating its database: its afterEach never runs.
    const child = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `import { createScratchDatabase } from 'prisma-zd/testing'; await createScratchDatabase(process.argv[1], { prefix: '${prefix}' }); process.kill(process.pid, 'SIGKILL');`, server],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(child.signal, child.stderr).toBe('SIGKILL');
    const other = await createScratchDatabase(server, { prefix: `${prefix}_other` });
    cleanups.push(() => other.drop());
    const names = async () => {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      try {
        return (await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1`, [`prisma_zd_${prefix}%`])).rows.map((r) => r.datname);
      } finally {
        await c.end();
      }
    };
    const before = await names();
    expect(before).toHaveLength(2);

    const dropped = await dropScratchDatabases(server, { prefix });
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatch(new RegExp(`^prisma_zd_${prefix}_[0-9a-f]{10}$`));
    expect(await names()).toEqual([other.url.split('/').pop()]);
    await expect(dropScratchDatabases(server, { prefix: 'x%' })).rejects.toThrow(/prefix "x%" is not one createScratchDatabase names databases with/);
  });
});
