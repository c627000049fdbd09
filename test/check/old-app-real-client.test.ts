/*
 * Old app compatibility (I3) with a REAL Prisma Client as the old app. The same cases and
 * deploy as old-app-compat.test.ts (old-app-cases.ts), but the old app is Prisma Client
 * 6.19.3 generated from the old schema.prisma (the one BASE_SQL migrates; checked with
 * `prisma migrate diff`) and run offline on its query compiler through `@prisma/adapter-pg`
 * — the path of Prisma 7 and of Prisma 6 with driver adapters — one client per database,
 * kept from before the migration until after `contract` like a running pod. Its queries are
 * the model's: findMany, create with the fields the app gives, upsert by the unique email
 * (a new row), update, update clearing the optional fields, delete, a filter on each scalar
 * field, the enum with every value.
 *
 * Per case, the real client's failures must be the model's (the scenario's `breaks` and
 * `afterContract`, with their errors), except the differences listed in DIFFERENCES, each
 * with its reason; and check's findings must agree with the real client's failures, except
 * where a difference says check overstates the break for this client.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initParser } from '../../packages/core/src/index.js';
import { withConnection } from '../support/apply.js';
import { freshDatabase } from '../support/db.js';
import { runPrisma, type SampleProjectCopy } from '../support/prisma.js';
import { generateOldClient } from './old-client.js';
import {
  BASE_SQL,
  baseTemplate,
  expectCheckAgrees,
  matrixLine,
  observe,
  OLD_APP_BREAKS,
  OLD_MODELS,
  PHASE_NO,
  ROLE_VALUES,
  ROWS,
  SCENARIOS,
  written,
  type Model,
  type Observed,
  type OldApp,
  type Phase,
  type Scenario,
} from './old-app-cases.js';

// ---------------------------------------------------------------------------------------
// Where the real client and the model differ.

interface Difference {
  /** Old-app queries whose outcome differs from the model's: the real client's error, or null when it does not fail. */
  readonly breaks: Readonly<Record<string, RegExp | null>>;
  readonly why: string;
  /** A rule whose finding says old app versions break, though this client keeps working. */
  readonly checkOverstates?: string;
}

/** The query compiler binds no parameter types (pg sends them untyped: PostgreSQL infers each from its context); the Rust engine the model follows binds each with its field's type. */
const UNTYPED = 'the driver-adapter client sends parameters untyped, so PostgreSQL gives each the type of the column it meets';

const DIFFERENCES: Readonly<Record<string, Difference>> = {
  'Int → String': {
    breaks: { 'User.where.age': null },
    why: `${UNTYPED}: "age" = $1 compares text with text ('21'), where the model's $1::int4 finds no text = integer operator; the client reads the text back as a number. What does change: range filters compare as text, and a non-integer the new app writes fails the old app's reads (the next test)`,
    checkOverstates: 'changing-column-type',
  },
  'String → Int (Prisma: drop and add)': {
    breaks: {
      'User.update': /22P02 invalid input syntax for type integer: "old User.bio update/,
      'User.clear': null,
      'User.where.bio': /22P02 invalid input syntax for type integer: "bio"/,
    },
    why: `${UNTYPED}: a string that is no integer fails as invalid input (a numeric one would be stored or compared), and a NULL is stored, where the model's $1::text fails on every value (42804, 42883)`,
  },
};

/**
 * On a table the case empties, update and delete by id find no row: Prisma Client throws
 * P2025 (record not found), the model's UPDATE/DELETE … RETURNING returns no row. Not an
 * effect of the change: asserted apart, left out of the comparison.
 */
const NOT_FOUND = /^P2025 .*No record was found for an? (update|delete)/;

// ---------------------------------------------------------------------------------------
// The real old app.

type Row = Record<string, unknown>;
interface Delegate {
  findMany(args?: unknown): Promise<Row[]>;
  create(args: unknown): Promise<Row>;
  upsert(args: unknown): Promise<Row>;
  update(args: unknown): Promise<Row>;
  delete(args: unknown): Promise<Row>;
}
type Client = Record<string, Delegate> & {
  $on(event: 'query', listener: (e: { query: string }) => void): void;
  $disconnect(): Promise<void>;
};
/** The driver error behind a client error, as the adapter reports it. */
interface DriverError {
  originalCode?: string;
  originalMessage?: string;
}

/** The adapter (factory, connections, transactions), recording the last driver error it throws to the client. */
function watched<T extends object>(target: T, seen: { last?: DriverError }): T {
  return new Proxy(target, {
    get(t, prop) {
      const v = Reflect.get(t, prop, t) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        const r = (v as (...a: unknown[]) => unknown).apply(t, args);
        if (!(r instanceof Promise)) return r;
        return r.then(
          (x: unknown) => (x && typeof x === 'object' && (prop === 'connect' || prop === 'startTransaction') ? watched(x, seen) : x),
          (e: unknown) => {
            seen.last = (e as { cause?: DriverError }).cause;
            throw e;
          },
        );
      };
    },
  });
}

/**
 * A failure as `<Prisma code or client error> <SQLSTATE> <PostgreSQL's message>` (the
 * model's form, so its patterns apply). The driver error comes from the adapter: Prisma
 * Client 6.19.3 does not know the error kinds adapter-pg 7 adds (22P02 InvalidInputValue …)
 * and throws "Unknown error: [object Object]" for them.
 */
function errorText(e: unknown, driver: DriverError | undefined): string {
  const err = e as { code?: string; name?: string; message?: string };
  const message = (err.message ?? String(e)).trim().split('\n').pop() ?? '';
  if (err.name === 'DataMapperError') return `client: ${message}`;
  const head = err.code ?? (message.startsWith('Unknown error') ? 'unknown-to-client' : (err.name ?? 'Error'));
  return driver?.originalCode ? `${head} ${driver.originalCode} ${driver.originalMessage}` : `${head} ${message}`;
}

const delegate = (c: Client, m: Model) => c[m.table[0]!.toLowerCase() + m.table.slice(1)]!;

/** The model's queries (old-app-compat.test.ts), through the client, in the same order. */
function realQueries(phase: Phase): Array<{ label: string; run: (c: Client) => Promise<unknown> }> {
  const out: Array<{ label: string; run: (c: Client) => Promise<unknown> }> = [];
  for (const m of OLD_MODELS) {
    const id = m.fields.find((f) => f.id)!;
    const rows = ROWS[m.table]!;
    const data = (fields: typeof m.fields, op: 'create' | 'update' | 'upsert') => Object.fromEntries(fields.map((f) => [f.name, written(m, f, phase, op)]));
    out.push({ label: `${m.table}.findMany`, run: (c) => delegate(c, m).findMany() });
    // The fields the app gives: the client fills in @default and @updatedAt itself.
    const given = m.fields.filter((f) => !f.clientDefault && !f.dbDefault && !f.optional);
    out.push({ label: `${m.table}.create`, run: (c) => delegate(c, m).create({ data: data(given, 'create') }) });
    if (m.upsertBy) {
      const by = m.upsertBy;
      const create = data(given, 'upsert');
      out.push({ label: `${m.table}.upsert`, run: (c) => delegate(c, m).upsert({ where: { [by]: create[by] }, create, update: { age: written(m, m.fields.find((f) => f.name === 'age')!, phase, 'update') } }) });
    }
    const set = m.fields.filter((f) => !f.id && !(f.clientDefault === 'static' && f.type === 'DateTime'));
    out.push({ label: `${m.table}.update`, run: (c) => delegate(c, m).update({ where: { [id.name]: rows.update }, data: data(set, 'update') }) });
    const optional = m.fields.filter((f) => f.optional);
    if (optional.length) {
      out.push({ label: `${m.table}.clear`, run: (c) => delegate(c, m).update({ where: { [id.name]: rows.clear }, data: Object.fromEntries(optional.map((f) => [f.name, null])) }) });
    }
    out.push({ label: `${m.table}.delete`, run: (c) => delegate(c, m).delete({ where: { [id.name]: rows.delete[PHASE_NO[phase]] } }) });
    for (const f of m.fields) {
      if (f.id) continue;
      const where = f.type === 'Role' ? { [f.name]: { in: ROLE_VALUES } } : { [f.name]: rows.where[f.name] };
      out.push({ label: `${m.table}.where.${f.name}`, run: (c) => delegate(c, m).findMany({ where }) });
    }
  }
  return out;
}

let project: SampleProjectCopy | undefined;
let PrismaClient: new (opts: unknown) => Client;
let PrismaPg: new (config: pg.PoolConfig) => object;

/** A client of the old app on `url`, with one pooled connection. */
function newClient(url: string, seen: { last?: DriverError } = {}): Client {
  return new PrismaClient({ adapter: watched(new PrismaPg({ connectionString: url, max: 1 }), seen), log: [{ emit: 'event', level: 'query' }] });
}

/** The old app on `url`: one client (one pooled connection) for all phases; `sent` gets the first SQL of each query. */
async function openRealApp(url: string, sent?: Map<string, string>): Promise<OldApp> {
  const seen: { last?: DriverError } = {};
  const client = newClient(url, seen);
  let current = '';
  client.$on('query', (e) => {
    if (sent && !sent.has(current)) sent.set(current, e.query);
  });
  return {
    async run(phase) {
      const failures: Record<string, string> = {};
      for (const query of realQueries(phase)) {
        current = query.label;
        seen.last = undefined;
        try {
          await query.run(client);
        } catch (e) {
          failures[query.label] = errorText(e, seen.last);
        }
      }
      return failures;
    },
    close: () => client.$disconnect(),
  };
}

beforeAll(async () => {
  await initParser();
  ({ project, PrismaClient, PrismaPg } = await generateOldClient<Client>());
});
afterAll(() => project?.cleanup());

// ---------------------------------------------------------------------------------------

describe('the real old app', () => {
  it('is generated from the schema that BASE_SQL migrates', async () => {
    // migrate diff connects through the project's adapter: an empty database, never used.
    const db = await freshDatabase({ prefix: 'zd_real_diff' });
    try {
      const diff = await runPrisma(['migrate', 'diff', '--from-empty', '--to-schema-datamodel', 'schema.prisma', '--script'], { url: db.url, cwd: project!.dir });
      expect(diff.code, diff.stderr).toBe(0);
      // From an empty database Prisma also creates the schema, which `migrate dev` leaves out where "public" exists.
      expect(diff.stdout.trim()).toBe(`-- CreateSchema\nCREATE SCHEMA IF NOT EXISTS "public";\n\n${BASE_SQL.trim()}`);
    } finally {
      await db.drop();
    }
  });

  it('sends the model SQL, with untyped parameters', async () => {
    const db = await freshDatabase({ template: await baseTemplate(), prefix: 'zd_real_sql' });
    const sent = new Map<string, string>();
    const app = await openRealApp(db.url, sent);
    try {
      expect(await app.run('migrated')).toEqual({});
    } finally {
      await app.close();
      await db.drop();
    }
    const cols = '"public"."User"."id", "public"."User"."email", "public"."User"."name", "public"."User"."age", "public"."User"."bio", "public"."User"."role"::text, "public"."User"."active", "public"."User"."createdAt"';
    // Like the model: every scalar column named, @default values sent by the client, the enum through a cast; unlike it: no parameter types.
    expect(sent.get('User.create')).toBe(`INSERT INTO "public"."User" ("email","age","role","active","createdAt") VALUES ($1,$2,CAST($3::text AS "public"."Role"),$4,$5) RETURNING ${cols}`);
    expect(sent.get('User.where.age')).toBe(`SELECT ${cols} FROM "public"."User" WHERE "public"."User"."age" = $1 OFFSET $2`);
    expect(sent.get('User.clear')).toBe(`UPDATE "public"."User" SET "name" = $1, "bio" = $2 WHERE ("public"."User"."id" = $3 AND 1=1) RETURNING ${cols}`);
    expect(sent.get('Post.create')).toMatch(/^INSERT INTO "public"."Post" \("title","authorId","updatedAt"\) VALUES \(\$1,\$2,\$3\) RETURNING /);
    expect(sent.get('Tag.create')).toMatch(/^INSERT INTO "public"."Tag" \("id","label"\) VALUES \(\$1,\$2\) RETURNING /);
  });

  it('reads the rows a new version writes while a required field\'s drop is deferred: a placeholder, not the NULL its types say it never gets', async () => {
    const db = await freshDatabase({ template: await baseTemplate(), prefix: 'zd_real_drop' });
    const client = newClient(db.url);
    const users = client.user!;
    try {
      // What rewrite's deferred DROP COLUMN "age" does on a managed database: a placeholder default; the new version's INSERT leaves "age" out.
      await withConnection(db.url, (c) => c.query(`ALTER TABLE "User" ALTER COLUMN "age" SET DEFAULT 0; INSERT INTO "User" ("email") VALUES ('new@example.com')`));
      expect((await users.findMany({ where: { email: 'new@example.com' } })).map((u) => u.age)).toEqual([0]);
      // Had the column merely accepted NULL, this client (6.19.3, query compiler) would hand the old version's code a null
      // where its generated types promise a number.
      await withConnection(db.url, (c) => c.query(`ALTER TABLE "User" ALTER COLUMN "age" DROP DEFAULT, ALTER COLUMN "age" DROP NOT NULL; INSERT INTO "User" ("email") VALUES ('null@example.com')`));
      expect((await users.findMany({ where: { email: 'null@example.com' } })).map((u) => u.age)).toEqual([null]);
    } finally {
      await client.$disconnect();
      await db.drop();
    }
  });

  it('keeps working after Int → String, and compares the numbers as text', async () => {
    const db = await freshDatabase({ template: await baseTemplate(), prefix: 'zd_real_text' });
    const client = newClient(db.url);
    const users = client.user!;
    try {
      await withConnection(db.url, (c) => c.query(`ALTER TABLE "User" ALTER COLUMN "age" SET DATA TYPE TEXT`));
      // Read back as numbers; equality works ('21' = '21').
      expect((await users.findMany({ where: { age: 21 } })).map((u) => u.age)).toEqual([21]);
      // Every age (21 … 28) is below 100, but not as text: the filter silently finds nothing.
      expect(await users.findMany({ where: { age: { lt: 100 } } })).toEqual([]);
      // A value the new app may now write is one the old app cannot read.
      await withConnection(db.url, (c) => c.query(`UPDATE "User" SET "age" = 'n/a' WHERE "id" = 1`));
      const error = await users.findMany().then(() => undefined, (e: unknown) => errorText(e, undefined));
      expect(error).toBe("client: Expected an integer in column 'age', got string: n/a");
    } finally {
      await client.$disconnect();
      await db.drop();
    }
  });
});

const observed = new Map<string, Observed>();

afterAll(() => {
  if (observed.size === 0) return;
  const lines = SCENARIOS.filter((s) => observed.has(s.change)).map((s) => matrixLine(s, observed.get(s.change)!));
  process.stdout.write(`\nold app compatibility matrix, real Prisma Client (driver adapter):\n${lines.map((l) => `- ${l}`).join('\n')}\n`);
});

/** The model's failures for a case, with the listed differences applied: before `contract`, and after it. */
function expected(s: Scenario): { before: Record<string, RegExp>; after: Record<string, RegExp> } {
  const apply = (from: Readonly<Record<string, RegExp>>) => {
    const out: Record<string, RegExp> = { ...from };
    for (const [label, error] of Object.entries(DIFFERENCES[s.change]?.breaks ?? {})) {
      if (error === null) delete out[label];
      else out[label] = error;
    }
    return out;
  };
  const before = apply(s.breaks ?? {});
  return { before, after: { ...before, ...apply(s.afterContract ?? {}) } };
}

/** Takes the P2025s of emptied tables out of `failures`; they must be exactly update and delete of those tables. */
function withoutNotFound(s: Scenario, failures: Record<string, string>, line: string): Record<string, string> {
  const notFound = Object.keys(failures).filter((l) => NOT_FOUND.test(failures[l]!));
  expect(notFound.sort(), line).toEqual((s.empty ?? []).flatMap((t) => [`${t}.delete`, `${t}.update`]).sort());
  return Object.fromEntries(Object.entries(failures).filter(([l]) => !notFound.includes(l)));
}

it('lists differences of existing cases only', () => {
  for (const change of Object.keys(DIFFERENCES)) expect(SCENARIOS.map((s) => s.change)).toContain(change);
});

describe.concurrent('old app compatibility with a real Prisma Client, measured against the model and check', () => {
  it.each(SCENARIOS.map((s) => [s.change, s] as const))('%s', async (_change, s) => {
    const raw = await observe(s, (url) => openRealApp(url));
    observed.set(s.change, raw);
    const line = matrixLine(s, raw);
    if (s.migrationFails) {
      expect(raw.migrationError, line).toMatch(s.migrationFails);
      return;
    }
    expect(raw.migrationError, line).toBeUndefined();
    const o: Observed = {
      ...raw,
      migrated: withoutNotFound(s, raw.migrated, line),
      postponed: withoutNotFound(s, raw.postponed, line),
      contracted: withoutNotFound(s, raw.contracted, line),
    };
    const want = expected(s);
    const before = { ...o.migrated, ...o.postponed };
    expect(Object.keys(before).sort(), line).toEqual(Object.keys(want.before).sort());
    for (const [label, error] of Object.entries(want.before)) expect(before[label], `${label}: ${line}`).toMatch(error);
    if (s.postponedFails) expect(o.postponedError, line).toMatch(s.postponedFails);
    else expect(o.postponedError, line).toBeUndefined();
    expect(o.contractError, line).toBeUndefined();
    expect(Object.keys(o.contracted).sort(), line).toEqual(Object.keys(want.after).sort());
    for (const [label, error] of Object.entries(want.after)) expect(o.contracted[label], `${label}: ${line}`).toMatch(error);

    const overstated = DIFFERENCES[s.change]?.checkOverstates;
    if (overstated) {
      // This client breaks nowhere in the case's queries. The finding says old app versions
      // break with the Rust engine (typed parameters), and what changes with a driver adapter.
      expect(Object.keys(before).length + Object.keys(o.contracted).length, line).toBe(0);
      const message = o.findings.find((d) => d.ruleId === overstated)?.message;
      expect(message, line).toMatch(OLD_APP_BREAKS);
      expect(message, line).toContain('with a driver adapter (Prisma 7, untyped parameters), their range filters and ordering on "age" compare text, and reading a value that is not a valid integer fails');
    } else {
      expectCheckAgrees(o, line);
    }
  });
});
