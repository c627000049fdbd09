import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  diffFingerprints,
  fingerprint,
  fingerprintUrl,
  formatDiff,
  type FingerprintDiff,
  type FingerprintOptions,
  type SchemaFingerprint,
} from '../../packages/cli/src/db/fingerprint.js';
import { freshDatabase, templateDatabase, testServer } from '../support/db.js';
import { createDatabase, freePort, startEmbedded, TEST_PASSWORD, type PgServer } from '../support/postgres.js';
import { BASE, BASE_REORDERED, exec, withClient } from './schema.js';

/** Messages of the differences between two fingerprints. */
const messages = (a: SchemaFingerprint, b: SchemaFingerprint) => diffFingerprints(a, b).map((d) => d.message);

/** The error `p` rejects with (the test fails if it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

/** Builds A and B from the same template, applies each side's statements, returns both fingerprints. */
async function compare(
  server: { url(db?: string): string },
  template: string,
  sides: { a?: readonly string[]; b?: readonly string[] },
  opts?: FingerprintOptions,
): Promise<{ a: SchemaFingerprint; b: SchemaFingerprint }> {
  const [da, db] = await Promise.all([createDatabase(server, { template }), createDatabase(server, { template })]);
  try {
    await Promise.all([exec(da.url, sides.a ?? []), exec(db.url, sides.b ?? [])]);
    const [a, b] = await Promise.all([fingerprintUrl(da.url, opts), fingerprintUrl(db.url, opts)]);
    return { a, b };
  } finally {
    await Promise.all([da.drop(), db.drop()]);
  }
}

/** Two fresh databases built by `a` and `b` from scratch (no template). */
async function build(server: { url(db?: string): string }, a: readonly string[], b: readonly string[]) {
  const [da, db] = await Promise.all([createDatabase(server), createDatabase(server)]);
  try {
    await Promise.all([exec(da.url, a), exec(db.url, b)]);
    return { a: await fingerprintUrl(da.url), b: await fingerprintUrl(db.url) };
  } finally {
    await Promise.all([da.drop(), db.drop()]);
  }
}

/** A unique index built CONCURRENTLY over duplicate slugs: the build fails and leaves an INVALID index. */
const INVALID_SLUG_INDEX = [
  `INSERT INTO "User" ("email") VALUES ('a@example.com')`,
  `INSERT INTO "Post" ("title", "slug", "authorId") SELECT 'T', 'same-slug', "id" FROM "User"`,
  `INSERT INTO "Post" ("title", "slug", "authorId") SELECT 'T', 'same-slug', "id" FROM "User"`,
];

async function createInvalidIndex(url: string) {
  await exec(url, INVALID_SLUG_INDEX);
  await expect(exec(url, [`CREATE UNIQUE INDEX CONCURRENTLY "Post_slug_key" ON "Post"("slug")`])).rejects.toThrow(
    /could not create unique index/,
  );
}

describe('schema fingerprint', () => {
  const server = testServer();
  let template: string;

  beforeAll(async () => {
    template = await templateDatabase((url) => exec(url, BASE), 'zd_fp_tpl');
  });

  it('is equal for the same schema built in another statement order', async () => {
    const { a, b } = await build(server, BASE, BASE_REORDERED);
    expect(formatDiff(diffFingerprints(a, b))).toBe('The schemas are identical.');
    expect(b).toEqual(a);
    // Deterministic and JSON-serialisable.
    expect(JSON.parse(JSON.stringify(a))).toStrictEqual(a);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    // It does describe what was built.
    expect(a.schemas).toEqual(['audit', 'public']);
    expect(a.tables.map((t) => `${t.schema}.${t.name}:${t.kind}`)).toEqual([
      'audit.Log:table',
      'public.Event:partitioned',
      'public.Event_2020:table',
      'public.Post:table',
      'public.PostCounts:matview',
      'public.PostWithAuthor:view',
      'public.User:table',
    ]);
    expect(a.enums).toEqual([{ schema: 'public', name: 'Role', values: ['USER', 'ADMIN'] }]);
    expect(a.functions.map((f) => f.name)).toEqual(['touch_post']); // citext's functions are the extension's
    expect(a.extensions.map((e) => e.name)).toEqual(['citext', 'plpgsql']);
  });

  it('does not depend on the session: search_path, TimeZone, DateStyle are fixed while reading, then restored', async () => {
    const db = await freshDatabase({ template });
    try {
      const reference = await fingerprintUrl(db.url);
      await withClient(db.url, async (c) => {
        await c.query(`SET search_path = audit`);
        await c.query(`SET TimeZone = 'Asia/Tokyo'`);
        await c.query(`SET DateStyle = 'German'`);
        await c.query(`SET quote_all_identifiers = on`);
        expect(diffFingerprints(reference, await fingerprint(c))).toEqual([]);
        const { rows } = await c.query(
          `SELECT current_setting('search_path') AS sp, current_setting('TimeZone') AS tz, current_setting('quote_all_identifiers') AS q`,
        );
        expect(rows[0]).toEqual({ sp: 'audit', tz: 'Asia/Tokyo', q: 'on' });
        // Inside the caller's transaction: nothing is committed or ended.
        await c.query('BEGIN');
        await c.query(`CREATE TABLE public."InTx" ("id" int)`);
        const inTx = await fingerprint(c);
        await c.query('ROLLBACK');
        expect(messages(reference, inTx)).toEqual(['table "public"."InTx": missing in A']);
        expect(diffFingerprints(reference, await fingerprint(c))).toEqual([]);
      });
    } finally {
      await db.drop();
    }
  });

  const unequal: { name: string; a?: string[]; b: string[]; expected: string[] }[] = [
    {
      name: 'index definition',
      b: [`DROP INDEX "Post_title_idx"`, `CREATE UNIQUE INDEX "Post_title_idx" ON "Post"("title")`],
      expected: [
        'index "public"."Post_title_idx": definition differs:\n' +
          '  A: CREATE INDEX "Post_title_idx" ON public."Post" USING btree (title)\n' +
          '  B: CREATE UNIQUE INDEX "Post_title_idx" ON public."Post" USING btree (title)',
      ],
    },
    {
      name: 'foreign key validity',
      b: [
        `ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey"`,
        `ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE NOT VALID`,
      ],
      expected: ['constraint "Post_authorId_fkey" on "public"."Post": A validated, B NOT VALID'],
    },
    {
      name: 'check constraint validity',
      a: [`ALTER TABLE "Post" ADD CONSTRAINT "Post_slug_check" CHECK (length("slug") > 0)`],
      b: [`ALTER TABLE "Post" ADD CONSTRAINT "Post_slug_check" CHECK (length("slug") > 0) NOT VALID`],
      expected: ['constraint "Post_slug_check" on "public"."Post": A validated, B NOT VALID'],
    },
    {
      name: 'column default',
      b: [`ALTER TABLE "User" ALTER COLUMN "role" DROP DEFAULT`],
      expected: [`column "public"."User"."role": default differs: 'USER'::"Role" vs none`],
    },
    {
      name: 'enum value order',
      a: [`ALTER TYPE "Role" ADD VALUE 'MODERATOR'`],
      b: [`ALTER TYPE "Role" ADD VALUE 'MODERATOR' BEFORE 'USER'`],
      expected: ['enum "public"."Role": value order differs: [USER, ADMIN, MODERATOR] vs [MODERATOR, USER, ADMIN]'],
    },
    {
      name: 'column type',
      b: [`ALTER TABLE "User" ALTER COLUMN "age" TYPE BIGINT`],
      expected: ['column "public"."User"."age": type differs: integer vs bigint'],
    },
    {
      name: 'missing column',
      b: [`ALTER TABLE "User" DROP COLUMN "bio"`],
      expected: ['column "public"."User"."bio": missing in B'],
    },
    {
      name: 'column order',
      b: [`ALTER TABLE "User" DROP COLUMN "age"`, `ALTER TABLE "User" ADD COLUMN "age" INTEGER`],
      expected: [
        'table "public"."User": column order differs: [id, email, name, role, age, bio, createdAt] vs [id, email, name, role, bio, createdAt, age]',
      ],
    },
    {
      name: 'nullability',
      b: [`ALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL`],
      expected: ['column "public"."User"."name": nullability differs: NULL vs NOT NULL'],
    },
    {
      name: 'extra table',
      b: [`CREATE TABLE "Extra" ("id" INTEGER)`],
      expected: ['table "public"."Extra": missing in A'],
    },
    {
      name: 'function body',
      b: [
        `CREATE OR REPLACE FUNCTION "touch_post"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."views" := NEW."views" + 2;
  RETURN NEW;
END
$$`,
      ],
      expected: [
        'function "public"."touch_post"(): definition differs at line 6:\n' +
          '  A:   NEW."views" := NEW."views" + 1;\n' +
          '  B:   NEW."views" := NEW."views" + 2;',
      ],
    },
    {
      name: 'trigger',
      b: [
        `DROP TRIGGER "Post_touch" ON "Post"`,
        `CREATE TRIGGER "Post_touch" BEFORE INSERT OR UPDATE ON "Post" FOR EACH ROW EXECUTE FUNCTION "touch_post"()`,
      ],
      expected: [
        'trigger "Post_touch" on "public"."Post": definition differs:\n' +
          '  A: CREATE TRIGGER "Post_touch" BEFORE UPDATE ON public."Post" FOR EACH ROW EXECUTE FUNCTION touch_post()\n' +
          '  B: CREATE TRIGGER "Post_touch" BEFORE INSERT OR UPDATE ON public."Post" FOR EACH ROW EXECUTE FUNCTION touch_post()',
      ],
    },
    {
      name: 'sequence',
      b: [`ALTER SEQUENCE "invoice_no" INCREMENT BY 1`],
      expected: ['sequence "public"."invoice_no": increment differs: 5 vs 1'],
    },
    {
      name: 'view definition',
      b: [
        `CREATE OR REPLACE VIEW "PostWithAuthor" AS SELECT p."id", p."title", u."email" FROM "Post" p JOIN "User" u ON u."id" = p."authorId" WHERE p."views" > 0`,
      ],
      expected: [
        'view "public"."PostWithAuthor": definition differs at line 5:\n' +
          '  A:      JOIN "User" u ON ((u.id = p."authorId")));\n' +
          '  B:      JOIN "User" u ON ((u.id = p."authorId")))\n' +
          '       WHERE (p.views > 0);',
      ],
    },
    {
      name: 'table persistence, row level security and trigger state',
      b: [
        `ALTER TABLE "audit"."Log" SET UNLOGGED`,
        `ALTER TABLE "Post" ENABLE ROW LEVEL SECURITY`,
        `ALTER TABLE "Post" DISABLE TRIGGER "Post_touch"`,
      ],
      expected: [
        'table "audit"."Log": persistence differs: LOGGED vs UNLOGGED',
        'table "public"."Post": row level security differs: disabled vs enabled',
        'trigger "Post_touch" on "public"."Post": enabled differs: origin (default) vs disabled',
      ],
    },
    {
      name: 'identity',
      b: [`ALTER TABLE "Post" ALTER COLUMN "id" DROP IDENTITY`],
      expected: [
        'column "public"."Post"."id": identity differs: GENERATED BY DEFAULT AS IDENTITY vs none',
        'sequence "public"."Post_id_seq": missing in B',
      ],
    },
  ];

  it.each(unequal)('is unequal for a different $name, naming the object', async ({ a, b, expected }) => {
    const fp = await compare(server, template, { a: a ?? [], b });
    expect(messages(fp.a, fp.b)).toEqual(expected);
    expect(fp.a).not.toEqual(fp.b);
  });

  it.runIf(server.major >= 18)('is unequal for a NOT NULL NOT VALID constraint (PostgreSQL 18)', async () => {
    const fp = await compare(server, template, {
      a: [`ALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL`],
      b: [`ALTER TABLE "User" ADD CONSTRAINT "User_name_not_null" NOT NULL "name" NOT VALID`],
    });
    expect(messages(fp.a, fp.b)).toEqual(['column "public"."User"."name": A NOT NULL validated, B NOT NULL NOT VALID']);
  });

  it('is unequal for an INVALID index left by a failed CREATE UNIQUE INDEX CONCURRENTLY', async () => {
    const [da, db] = await Promise.all([freshDatabase({ template }), freshDatabase({ template })]);
    try {
      await exec(da.url, [`CREATE UNIQUE INDEX CONCURRENTLY "Post_slug_key" ON "Post"("slug")`]);
      await createInvalidIndex(db.url);
      const diffs = diffFingerprints(await fingerprintUrl(da.url), await fingerprintUrl(db.url));
      expect(diffs.map((d) => d.message)).toEqual(['index "public"."Post_slug_key": A valid, B INVALID']);
      expect(diffs[0]).toMatchObject({ kind: 'index', object: '"public"."Post_slug_key"', change: 'changed', property: 'valid', a: true, b: false });
    } finally {
      await Promise.all([da.drop(), db.drop()]);
    }
  });

  it('leaves out _prisma_migrations and the prisma_zd schema by default', async () => {
    const bookkeeping = [
      `CREATE TABLE "_prisma_migrations" (
        "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
        "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
        "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`,
      `CREATE SCHEMA "prisma_zd"`,
      `CREATE TABLE "prisma_zd"."queue" ("id" BIGSERIAL PRIMARY KEY, "kind" TEXT NOT NULL, "statement" TEXT NOT NULL)`,
      `CREATE INDEX "queue_kind_idx" ON "prisma_zd"."queue" ("kind")`,
      `CREATE FUNCTION "prisma_zd"."noop"() RETURNS void LANGUAGE sql AS 'SELECT'`,
    ];
    const fp = await compare(server, template, { b: bookkeeping });
    expect(messages(fp.a, fp.b)).toEqual([]);

    // Named explicitly, the bookkeeping schema is described.
    const named = await compare(server, template, { b: bookkeeping }, { schemas: ['public', 'audit', 'prisma_zd'] });
    expect(messages(named.a, named.b)).toEqual([
      'schema "prisma_zd": missing in A',
      'table "prisma_zd"."queue": missing in A',
      'sequence "prisma_zd"."queue_id_seq": missing in A',
      'function "prisma_zd"."noop"(): missing in A',
    ]);
  });

  it('honours exclude.schemas and exclude.tables (with their sequences)', async () => {
    const fp = await compare(
      server,
      template,
      { b: [`CREATE TABLE "Scratch" ("id" SERIAL PRIMARY KEY)`, `DROP TABLE "audit"."Log"`] },
      { exclude: { schemas: ['audit'], tables: ['public.Scratch'] } },
    );
    expect(messages(fp.a, fp.b)).toEqual([]);
    expect(fp.a.schemas).toEqual(['public']);
  });

  it('formats differences for test failures and verify', async () => {
    const fp = await compare(server, template, {
      b: [`ALTER TABLE "User" ALTER COLUMN "age" TYPE BIGINT`, `DROP INDEX "Post_title_idx"`],
    });
    expect(formatDiff(diffFingerprints(fp.a, fp.b, { labels: { a: 'migrations', b: 'database' } }))).toBe(
      [
        '2 schema differences:',
        '- index "public"."Post_title_idx": missing in database',
        '- column "public"."User"."age": type differs: integer vs bigint',
      ].join('\n'),
    );
  });

  it('fingerprintUrl reports a connection failure without the password', async () => {
    const url = new URL(server.url('postgres'));
    url.port = String(await freePort());
    const failure = await rejection(fingerprintUrl(url.toString()));
    // The code the CLI gives the same failure (db/connect.ts), naming the server.
    expect(failure).toMatchObject({ name: 'UserError', code: 'ZD_DB_UNREACHABLE', exit: 6 });
    expect(failure.message).toContain(url.port);
    expect(failure.message).not.toContain(TEST_PASSWORD);

    const malformed = await rejection(fingerprintUrl(`postgresql://u:${TEST_PASSWORD}@host:notaport/db`));
    expect(malformed).toMatchObject({ name: 'UserError' });
    expect(JSON.stringify(malformed) + String(malformed) + malformed.stack).not.toContain(TEST_PASSWORD);
  });

  it('fingerprints ~100 tables well under a second', async () => {
    const ddl = [`CREATE TYPE "Status" AS ENUM ('A', 'B', 'C')`];
    for (let i = 0; i < 100; i++) {
      ddl.push(`CREATE TABLE "T${i}" (
        "id" BIGSERIAL PRIMARY KEY, "name" TEXT NOT NULL DEFAULT '', "status" "Status" NOT NULL DEFAULT 'A',
        "amount" NUMERIC(12, 2), "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "data" JSONB,
        "parentId" BIGINT ${i > 0 ? `REFERENCES "T${i - 1}"("id")` : ''}, CHECK ("amount" >= 0))`);
      ddl.push(`CREATE UNIQUE INDEX "T${i}_name_key" ON "T${i}"("name")`);
      ddl.push(`CREATE INDEX "T${i}_status_createdAt_idx" ON "T${i}"("status", "createdAt")`);
    }
    const db = await freshDatabase();
    try {
      await exec(db.url, [ddl.join(';\n')]);
      await withClient(db.url, async (c) => {
        const times: number[] = [];
        let fp: SchemaFingerprint | undefined;
        for (let run = 0; run < 3; run++) {
          const start = performance.now();
          fp = await fingerprint(c);
          times.push(performance.now() - start);
        }
        expect(fp!.tables).toHaveLength(100);
        expect(fp!.tables.flatMap((t) => t.indexes)).toHaveLength(300);
        console.info(`[fingerprint] 100 tables: ${times.map((t) => `${t.toFixed(0)} ms`).join(', ')}`);
        expect(Math.min(...times)).toBeLessThan(500);
      });
    } finally {
      await db.drop();
    }
  });
});

describe('schema fingerprint on PostgreSQL 14', () => {
  let pg14: PgServer;
  let template: string;

  beforeAll(async () => {
    pg14 = await startEmbedded({ major: 14 });
    const db = await createDatabase(pg14, { prefix: 'zd_fp14_tpl' });
    await exec(db.url, BASE);
    template = db.name;
  });
  afterAll(async () => {
    await pg14?.stop();
  });

  it('is equal for the same schema built in another statement order', async () => {
    const { a, b } = await build(pg14, BASE, BASE_REORDERED);
    expect(messages(a, b)).toEqual([]);
    expect(b).toEqual(a);
    expect(a.tables).toHaveLength(7);
  });

  it('is unequal for constraint and index validity', async () => {
    const fp = await compare(pg14, template, {
      a: [`ALTER TABLE "Post" ADD CONSTRAINT "Post_slug_check" CHECK (length("slug") > 0)`],
      b: [`ALTER TABLE "Post" ADD CONSTRAINT "Post_slug_check" CHECK (length("slug") > 0) NOT VALID`],
    });
    expect(messages(fp.a, fp.b)).toEqual(['constraint "Post_slug_check" on "public"."Post": A validated, B NOT VALID']);

    const [da, db] = await Promise.all([createDatabase(pg14, { template }), createDatabase(pg14, { template })]);
    try {
      await exec(da.url, [`CREATE UNIQUE INDEX CONCURRENTLY "Post_slug_key" ON "Post"("slug")`]);
      await createInvalidIndex(db.url);
      expect(messages(await fingerprintUrl(da.url), await fingerprintUrl(db.url))).toEqual([
        'index "public"."Post_slug_key": A valid, B INVALID',
      ]);
    } finally {
      await Promise.all([da.drop(), db.drop()]);
    }
  });

  it('describes the same schema as the run server, except version-specific text', async () => {
    const [d14, dRun] = await Promise.all([createDatabase(pg14, { template }), freshDatabase()]);
    try {
      await exec(dRun.url, BASE);
      const diffs = diffFingerprints(await fingerprintUrl(d14.url), await fingerprintUrl(dRun.url));
      // Between majors only version-specific text may differ: extension versions (citext
      // 1.6 on 14, 1.8 on 18) and the deparsed text of views (PostgreSQL 16 stopped
      // qualifying columns of a single-table query with the table name).
      const versionSpecific = (d: FingerprintDiff) =>
        d.kind === 'extension' || ((d.kind === 'view' || d.kind === 'materialized view') && d.property === 'definition');
      expect(diffs.filter((d) => !versionSpecific(d)).map((d) => d.message)).toEqual([]);
    } finally {
      await Promise.all([d14.drop(), dRun.drop()]);
    }
  });
});
