/**
 * Random Prisma-like migration histories for convergence tests: a seeded generator that
 * keeps a model of the schema so every migration it writes applies to the schema the
 * previous ones left. Operations are the ones prisma-zd's rewrite and queue maintenance
 * care about: indexes created, dropped (also by a lone DROP INDEX CONCURRENTLY IF
 * EXISTS), created again under a dropped one's name, renamed; defaults dropped and set;
 * foreign keys; columns dropped (enum ones too), added again under a dropped one's name, and
 * renamed; enum fields added with an enum of their own and removed with it (the name
 * coming back later); tables renamed and dropped; Prisma's enum
 * swap; a field made required (backfill, then SET NOT NULL) and optional again (DROP NOT
 * NULL).
 */
interface Column {
  name: string;
  /** `TEXT`, `INTEGER`, `"Kind"` (the shared enum) or a field's own enum (`"E3"`, values 'p' and 'q'). */
  type: string;
  default?: string;
  /** Made NOT NULL by the history (the base's own NOT NULLs are not tracked). */
  notNull?: boolean;
}
interface Table {
  name: string;
  columns: Column[];
}
interface Index {
  name: string;
  table: string;
  columns: string[];
  unique: boolean;
}

const q = (s: string) => `"${s.replaceAll('"', '""')}"`;

export const RANDOM_BASE = `CREATE TYPE "Kind" AS ENUM ('a', 'b', 'c');
CREATE TABLE "T1" ("id" SERIAL NOT NULL, "c1" TEXT, "c2" INTEGER NOT NULL DEFAULT 0, "c3" TEXT DEFAULT 'x', "k" "Kind" NOT NULL DEFAULT 'a', CONSTRAINT "T1_pkey" PRIMARY KEY ("id"));
CREATE TABLE "T2" ("id" SERIAL NOT NULL, "c1" TEXT, "c2" INTEGER DEFAULT 1, "ref" INTEGER, CONSTRAINT "T2_pkey" PRIMARY KEY ("id"));
CREATE TABLE "T3" ("id" SERIAL NOT NULL, "c1" TEXT DEFAULT 'y', "c2" INTEGER, "k" "Kind" DEFAULT 'b', CONSTRAINT "T3_pkey" PRIMARY KEY ("id"));
INSERT INTO "T1" ("c1", "c2") SELECT 'v' || g, g FROM generate_series(1, 20) g;
INSERT INTO "T2" ("c1", "c2", "ref") SELECT 'w' || g, g, g FROM generate_series(1, 20) g;
INSERT INTO "T3" ("c1", "c2") SELECT 'z' || g, g FROM generate_series(1, 20) g;
`;

export function randomHistory(rand: () => number, migrations: number): string[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const tables: Table[] = [
    { name: 'T1', columns: [{ name: 'id', type: 'INTEGER' }, { name: 'c1', type: 'TEXT' }, { name: 'c2', type: 'INTEGER', default: '0' }, { name: 'c3', type: 'TEXT', default: `'x'` }, { name: 'k', type: '"Kind"', default: `'a'` }] },
    { name: 'T2', columns: [{ name: 'id', type: 'INTEGER' }, { name: 'c1', type: 'TEXT' }, { name: 'c2', type: 'INTEGER', default: '1' }, { name: 'ref', type: 'INTEGER' }] },
    { name: 'T3', columns: [{ name: 'id', type: 'INTEGER' }, { name: 'c1', type: 'TEXT', default: `'y'` }, { name: 'c2', type: 'INTEGER' }, { name: 'k', type: '"Kind"', default: `'b'` }] },
  ];
  let enumValues = ['a', 'b', 'c'];
  let enumVersion = 0;
  const indexes: Index[] = [];
  /** Names of indexes dropped, free again (Prisma's default names come back when an @@index is added again). */
  const freed: string[] = [];
  /** Columns dropped, by table: a field added again under its old name (a deferred DROP COLUMN must be done by then). */
  const freedColumns: Array<{ table: string; name: string }> = [];
  /** Enums of their own fields, and the names of those dropped (free again). */
  const ownEnums: string[] = [];
  const freedEnums: string[] = [];
  const fks: Array<{ name: string; table: string; column: string }> = [];
  let counter = 0;
  const fresh = (p: string) => `${p}${++counter}`;
  const plainCols = (t: Table) => t.columns.filter((c) => c.name !== 'id');
  const out: string[] = [];

  const ops: Array<() => string | undefined> = [
    // CREATE [UNIQUE] INDEX on an existing table.
    () => {
      const t = pick(tables);
      const cols = plainCols(t);
      if (!cols.length) return undefined;
      const c = pick(cols);
      const unique = c.name === 'c1' && rand() < 0.4; // c1 values are distinct
      const name = fresh(`${t.name}_${c.name}_${unique ? 'key' : 'idx'}`);
      indexes.push({ name, table: t.name, columns: [c.name], unique });
      return `-- CreateIndex\nCREATE ${unique ? 'UNIQUE ' : ''}INDEX ${q(name)} ON ${q(t.name)}(${q(c.name)});`;
    },
    // DROP INDEX.
    () => {
      if (!indexes.length) return undefined;
      const i = pick(indexes);
      if (fks.some((f) => f.table !== i.table && i.unique)) return undefined;
      indexes.splice(indexes.indexOf(i), 1);
      freed.push(i.name);
      return `-- DropIndex\nDROP INDEX ${q(i.name)};`;
    },
    // CREATE INDEX under the name of an index dropped earlier (in this migration or before).
    () => {
      if (!freed.length) return undefined;
      const name = pick(freed);
      const t = pick(tables);
      const cols = plainCols(t);
      if (!cols.length) return undefined;
      const c = pick(cols);
      freed.splice(freed.indexOf(name), 1);
      indexes.push({ name, table: t.name, columns: [c.name], unique: false });
      return `-- CreateIndex\nCREATE INDEX ${q(name)} ON ${q(t.name)}(${q(c.name)});`;
    },
    // ALTER INDEX … RENAME (Prisma's map: change).
    () => {
      if (!indexes.length) return undefined;
      const i = pick(indexes);
      const name = fresh(`${i.table}_renamed_idx`);
      const sql = `-- RenameIndex\nALTER INDEX ${q(i.name)} RENAME TO ${q(name)};`;
      i.name = name;
      return sql;
    },
    // DROP DEFAULT.
    () => {
      const t = pick(tables);
      const c = plainCols(t).filter((x) => x.default !== undefined);
      if (!c.length) return undefined;
      const col = pick(c);
      delete col.default;
      return `-- AlterTable\nALTER TABLE ${q(t.name)} ALTER COLUMN ${q(col.name)} DROP DEFAULT;`;
    },
    // SET DEFAULT.
    () => {
      const t = pick(tables);
      const col = pick(plainCols(t));
      if (!col) return undefined;
      col.default = col.type === 'TEXT' ? `'d${counter}'` : col.type === 'INTEGER' ? String(counter) : col.type === '"Kind"' ? `'${enumValues[0]}'` : `'p'`;
      return `-- AlterTable\nALTER TABLE ${q(t.name)} ALTER COLUMN ${q(col.name)} SET DEFAULT ${col.default};`;
    },
    // ADD COLUMN with a default.
    () => {
      const t = pick(tables);
      const again = freedColumns.filter((f) => f.table === t.name && !t.columns.some((c) => c.name === f.name));
      const name = again.length && rand() < 0.5 ? pick(again).name : fresh('n');
      t.columns.push({ name, type: 'INTEGER', default: '7' });
      return `-- AlterTable\nALTER TABLE ${q(t.name)} ADD COLUMN ${q(name)} INTEGER NOT NULL DEFAULT 7;`;
    },
    // ADD FOREIGN KEY (an INTEGER column onto another table's id).
    () => {
      const t = pick(tables);
      const target = pick(tables);
      const col = t.columns.find((c) => c.name === 'ref') ?? undefined;
      if (!col || fks.some((f) => f.table === t.name && f.column === col.name)) return undefined;
      const name = fresh(`${t.name}_ref_fkey`);
      fks.push({ name, table: t.name, column: col.name });
      return `-- AddForeignKey\nALTER TABLE ${q(t.name)} ADD CONSTRAINT ${q(name)} FOREIGN KEY (${q(col.name)}) REFERENCES ${q(target.name)}("id") ON DELETE SET NULL ON UPDATE CASCADE;`;
    },
    // DROP CONSTRAINT of a foreign key.
    () => {
      if (!fks.length) return undefined;
      const f = pick(fks);
      fks.splice(fks.indexOf(f), 1);
      return `-- DropForeignKey\nALTER TABLE ${q(f.table)} DROP CONSTRAINT ${q(f.name)};`;
    },
    // DROP COLUMN (and what depends on it).
    () => {
      const t = pick(tables);
      // An enum column too: Prisma's enum swap later renames the type under a deferred drop.
      const c = plainCols(t).filter((x) => x.name !== 'ref');
      if (c.length < 2) return undefined;
      const col = pick(c);
      t.columns.splice(t.columns.indexOf(col), 1);
      freedColumns.push({ table: t.name, name: col.name });
      for (const i of [...indexes]) if (i.table === t.name && i.columns.includes(col.name)) indexes.splice(indexes.indexOf(i), 1);
      return `-- AlterTable\nALTER TABLE ${q(t.name)} DROP COLUMN ${q(col.name)};`;
    },
    // RENAME COLUMN.
    () => {
      const t = pick(tables);
      const c = plainCols(t).filter((x) => x.name !== 'ref' && x.name !== 'k');
      if (!c.length) return undefined;
      const col = pick(c);
      const name = fresh(`${col.name}_r`);
      for (const i of indexes) if (i.table === t.name) i.columns = i.columns.map((x) => (x === col.name ? name : x));
      const sql = `ALTER TABLE ${q(t.name)} RENAME COLUMN ${q(col.name)} TO ${q(name)};`;
      col.name = name;
      return sql;
    },
    // RENAME TABLE.
    () => {
      const t = pick(tables);
      const name = fresh(`${t.name}_r`);
      const sql = `ALTER TABLE ${q(t.name)} RENAME TO ${q(name)};`;
      for (const i of indexes) if (i.table === t.name) i.table = name;
      for (const f of fks) if (f.table === t.name) f.table = name;
      for (const f of freedColumns) if (f.table === t.name) f.table = name;
      t.name = name;
      return sql;
    },
    // A field made required: the rows without a value filled (distinct values: c1 may get a unique index), then SET NOT NULL.
    () => {
      const t = pick(tables);
      const c = plainCols(t).filter((x) => !x.notNull && x.name !== 'ref');
      if (!c.length) return undefined;
      const col = pick(c);
      col.notNull = true;
      const value = col.type === 'TEXT' ? `'f' || "id"` : col.type === 'INTEGER' ? '"id"' : col.type === '"Kind"' ? `'a'` : `'p'`;
      return `UPDATE ${q(t.name)} SET ${q(col.name)} = ${value} WHERE ${q(col.name)} IS NULL;\n-- AlterTable\nALTER TABLE ${q(t.name)} ALTER COLUMN ${q(col.name)} SET NOT NULL;`;
    },
    // Made optional again.
    () => {
      const t = pick(tables);
      const c = plainCols(t).filter((x) => x.notNull);
      if (!c.length) return undefined;
      const col = pick(c);
      col.notNull = false;
      return `-- AlterTable\nALTER TABLE ${q(t.name)} ALTER COLUMN ${q(col.name)} DROP NOT NULL;`;
    },
    // A new enum field with an enum of its own (sometimes under the name of one dropped earlier).
    () => {
      const t = pick(tables);
      const name = freedEnums.length && rand() < 0.5 ? freedEnums.splice(Math.floor(rand() * freedEnums.length), 1)[0]! : fresh('E');
      const column = fresh('e');
      t.columns.push({ name: column, type: q(name) });
      ownEnums.push(name);
      return `-- CreateEnum\nCREATE TYPE ${q(name)} AS ENUM ('p', 'q');\n\n-- AlterTable\nALTER TABLE ${q(t.name)} ADD COLUMN ${q(column)} ${q(name)};`;
    },
    // An enum field removed with its enum (Prisma: DROP COLUMN, then DROP TYPE).
    () => {
      if (!ownEnums.length) return undefined;
      const name = pick(ownEnums);
      ownEnums.splice(ownEnums.indexOf(name), 1);
      freedEnums.push(name);
      const lines: string[] = [];
      for (const t of tables) {
        for (const col of t.columns.filter((c) => c.type === q(name))) {
          t.columns.splice(t.columns.indexOf(col), 1);
          freedColumns.push({ table: t.name, name: col.name });
          for (const i of [...indexes]) if (i.table === t.name && i.columns.includes(col.name)) indexes.splice(indexes.indexOf(i), 1);
          lines.push(`-- AlterTable\nALTER TABLE ${q(t.name)} DROP COLUMN ${q(col.name)};`);
        }
      }
      return [...lines, `-- DropEnum\nDROP TYPE ${q(name)};`].join('\n\n');
    },
    // Prisma's enum swap (removing the last value), on every column of the enum.
    () => {
      if (enumValues.length < 3) return undefined;
      const keep = enumValues.slice(0, -1);
      const next = `Kind_new${++enumVersion}`;
      const lines = [`-- AlterEnum`, `BEGIN;`, `CREATE TYPE ${q(next)} AS ENUM (${keep.map((v) => `'${v}'`).join(', ')});`];
      for (const t of tables) {
        for (const c of t.columns.filter((x) => x.type === '"Kind"')) {
          if (c.default !== undefined) lines.push(`ALTER TABLE ${q(t.name)} ALTER COLUMN ${q(c.name)} DROP DEFAULT;`);
          lines.push(`ALTER TABLE ${q(t.name)} ALTER COLUMN ${q(c.name)} TYPE ${q(next)} USING (${q(c.name)}::text::${q(next)});`);
          if (c.default !== undefined) {
            c.default = `'${keep[0]}'`;
            lines.push(`ALTER TABLE ${q(t.name)} ALTER COLUMN ${q(c.name)} SET DEFAULT ${c.default};`);
          }
        }
      }
      lines.push(`ALTER TYPE "Kind" RENAME TO "Kind_old";`, `ALTER TYPE ${q(next)} RENAME TO "Kind";`, `DROP TYPE "Kind_old";`, `COMMIT;`);
      enumValues = keep;
      return lines.join('\n');
    },
  ];

  for (let m = 0; m < migrations; m++) {
    // Now and then a lone DROP INDEX CONCURRENTLY IF EXISTS (it cannot share its file).
    if (indexes.length && rand() < 0.12) {
      const i = pick(indexes);
      indexes.splice(indexes.indexOf(i), 1);
      freed.push(i.name);
      out.push(`DROP INDEX CONCURRENTLY IF EXISTS ${q(i.name)};\n`);
      continue;
    }
    const n = 1 + Math.floor(rand() * 3);
    const stmts: string[] = [];
    for (let tries = 0; stmts.length < n && tries < 20; tries++) {
      const sql = pick(ops)();
      if (sql) stmts.push(sql);
    }
    out.push(stmts.join('\n\n') + '\n');
  }
  return out;
}
