import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "changing-column-type";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports INTEGER to BIGINT", () => {
    expect(found("ALTER TABLE \"Post\" ALTER COLUMN \"views\" SET DATA TYPE BIGINT;").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" ALTER COLUMN \"views\" SET DATA TYPE BIGINT;"), ID))).toMatchInlineSnapshot(`
      "error[changing-column-type]: ALTER COLUMN "Post"."views" TYPE bigint (from integer) rewrites "Post" and rebuilds its indexes under an ACCESS EXCLUSIVE lock: every read and write of "Post" waits until it is done.
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" ALTER COLUMN "views" SET DATA TYPE BIGINT;
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: expand and contract — add a new column of the new type (a new field, \`@map\` to keep names tidy), write both from the app, backfill in batches, switch reads, and drop the old column in a later release. Changes that need no rewrite: varchar(n) to a longer varchar or to text, numeric(p,s) to a larger p, timestamp(p) to a larger p.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/changing-column-type.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("reports a shorter varchar", () => {
    expect(found("ALTER TABLE \"Post\" ALTER COLUMN \"title\" SET DATA TYPE VARCHAR(100);").length).toBeGreaterThan(0);
  });
  it("accepts a longer varchar", () => {
    expect(found("ALTER TABLE \"Post\" ALTER COLUMN \"title\" SET DATA TYPE VARCHAR(255);")).toEqual([]);
  });
  it("accepts varchar to text", () => {
    expect(found("ALTER TABLE \"Post\" ALTER COLUMN \"title\" SET DATA TYPE TEXT;")).toEqual([]);
  });
  it("reports any change of an array type: PostgreSQL converts it element by element", () => {
    expect(found("ALTER TABLE \"Post\" ALTER COLUMN \"tags\" SET DATA TYPE VARCHAR(20)[];", { history: ["ALTER TABLE \"Post\" ADD COLUMN \"tags\" VARCHAR(10)[];"] }).length).toBe(1);
    expect(found("ALTER TABLE \"Post\" ALTER COLUMN \"tags\" SET DATA TYPE VARCHAR[];", { history: ["ALTER TABLE \"Post\" ADD COLUMN \"tags\" TEXT[];"] }).length).toBe(1);
  });
  it("reports a USING expression, even to the same type", () => {
    expect(found("ALTER TABLE \"Post\" ALTER COLUMN \"content\" SET DATA TYPE TEXT USING lower(\"content\");").length).toBe(1);
    expect(found("ALTER TABLE \"Post\" ALTER COLUMN \"title\" SET DATA TYPE TEXT USING \"title\";")).toEqual([]);
  });
  it("reports citext only where an index on the column is built again", () => {
    expect(found("ALTER TABLE \"User\" ALTER COLUMN \"name\" SET DATA TYPE CITEXT;")).toEqual([]);
    expect(found("ALTER TABLE \"User\" ALTER COLUMN \"email\" SET DATA TYPE CITEXT;").map((d) => d.message)).toEqual([
      "ALTER COLUMN \"User\".\"email\" TYPE citext (from text) keeps the rows but builds the index \"User_email_key\" again under an ACCESS EXCLUSIVE lock on \"User\": every read and write of \"User\" waits until it is built.",
    ]);
  });
  it("says when a UTC session skips the rewrite between timestamp and timestamptz, and only then", () => {
    const note = (sql: string) => found(sql).map((d) => d.message.includes("when the session TimeZone is UTC"));
    expect(note("ALTER TABLE \"User\" ALTER COLUMN \"createdAt\" SET DATA TYPE TIMESTAMPTZ(6);")).toEqual([true]);
    expect(note("ALTER TABLE \"User\" ALTER COLUMN \"createdAt\" SET DATA TYPE TIMESTAMPTZ;")).toEqual([true]);
    expect(note("ALTER TABLE \"User\" ALTER COLUMN \"createdAt\" SET DATA TYPE TIMESTAMPTZ(3);")).toEqual([false]);
    expect(note("ALTER TABLE \"User\" ALTER COLUMN \"createdAt\" SET DATA TYPE TIMESTAMPTZ(6) USING \"createdAt\" AT TIME ZONE 'UTC';")).toEqual([false]);
    expect(note("ALTER TABLE \"User\" ALTER COLUMN \"createdAt\" SET DATA TYPE TIMESTAMP(1);")).toEqual([false]);
  });
  it("names the table at the other end of a foreign key on the column", () => {
    const fk = "ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_authorId_fkey\" FOREIGN KEY (\"authorId\") REFERENCES \"User\"(\"id\");";
    expect(found("ALTER TABLE \"User\" ALTER COLUMN \"id\" SET DATA TYPE BIGINT;", { history: [fk] })[0]?.message).toContain(
      "The foreign key \"Post_authorId_fkey\" is checked again, with \"Post\" under an ACCESS EXCLUSIVE lock too.",
    );
  });
  it("accepts a column of a new table", () => {
    expect(found("CREATE TABLE \"Tag\" (\"n\" INTEGER);\nALTER TABLE \"Tag\" ALTER COLUMN \"n\" SET DATA TYPE BIGINT;")).toEqual([]);
  });
  it("says which old app queries fail when the type changes kind, and not for a wider type of the same kind", () => {
    const message = (sql: string, history: string[] = []) => found(sql, { history })[0]?.message ?? '';
    expect(message("ALTER TABLE \"Post\" ALTER COLUMN \"views\" SET DATA TYPE BIGINT;")).not.toMatch(/old app versions/i);
    expect(message("ALTER TABLE \"Post\" ALTER COLUMN \"views\" SET DATA TYPE TEXT;")).toContain(
      'Old app versions still send "views" as integer: with Prisma\'s Rust query engine (Prisma 6\'s default, typed parameters), their filters on "views" fail ("operator does not exist: text = integer"); with a driver adapter (Prisma 7, untyped parameters), their range filters and ordering on "views" compare text, and reading a value that is not a valid integer fails.',
    );
    expect(message("ALTER TABLE \"Post\" ALTER COLUMN \"content\" SET DATA TYPE INTEGER USING (\"content\"::integer);")).toContain(
      'their writes of "content" fail ("column "content" is of type integer but expression is of type text"), and their filters on "content" fail ("operator does not exist: integer = text"); with a driver adapter (Prisma 7, untyped parameters), their writes and filters fail for every value that is not a valid integer ("invalid input syntax for type integer")',
    );
    expect(message("ALTER TABLE \"Post\" ALTER COLUMN \"title\" SET DATA TYPE VARCHAR(100);")).toContain(
      'Old app versions, for which "title" is up to 191 characters, fail on every write of a longer value ("value too long for type character varying(100)").',
    );
    expect(message("ALTER TABLE \"Post\" ALTER COLUMN \"content\" SET DATA TYPE VARCHAR(20);")).toContain('for which "content" is unbounded');
    expect(message("ALTER TABLE \"Post\" ALTER COLUMN \"views\" SET DATA TYPE SMALLINT;")).toContain('fail on every write of a value beyond the range of smallint ("smallint out of range")');
    expect(message("ALTER TABLE \"Post\" ALTER COLUMN \"tags\" SET DATA TYPE VARCHAR(20)[];", ["ALTER TABLE \"Post\" ADD COLUMN \"tags\" TEXT[];"])).toContain('"tags"\'s values are unbounded');
    expect(message("ALTER TABLE \"Post\" ALTER COLUMN \"tags\" SET DATA TYPE TEXT;", ["ALTER TABLE \"Post\" ADD COLUMN \"tags\" TEXT[];"])).toContain('("operator does not exist: text = text[]")');
    expect(message("ALTER TABLE \"User\" ALTER COLUMN \"createdAt\" SET DATA TYPE TIMESTAMPTZ(3);")).not.toMatch(/old app versions/i);
  });
  it("reports a change to a domain with a CHECK (every row is checked by a rewrite), not to a domain without constraints over the same type", () => {
    const history = ["CREATE DOMAIN posint AS INTEGER CHECK (VALUE > 0);\nCREATE DOMAIN counter AS INTEGER;"];
    expect(found("ALTER TABLE \"Post\" ALTER COLUMN \"views\" SET DATA TYPE posint;", { history }).length).toBe(1);
    expect(found("ALTER TABLE \"Post\" ALTER COLUMN \"views\" SET DATA TYPE counter;", { history })).toEqual([]);
    expect(found("ALTER TABLE \"Post\" ALTER COLUMN \"views\" SET DATA TYPE INTEGER;", { history: [...history, "ALTER TABLE \"Post\" ALTER COLUMN \"views\" SET DATA TYPE posint;"] })).toEqual([]);
  });
});
