import { constraintKey, type IndexFacts, type SchemaState } from '../../facts/model.js';
import { quoteIdent } from '../../sql/ident.js';
import type { CheckStatement, RuleContext } from '../context.js';
import { createRule } from '../rule.js';

/**
 * A unique index (or UNIQUE / PRIMARY KEY constraint) dropped from an existing table.
 * Prisma Client runs `upsert` as `INSERT … ON CONFLICT (<the unique columns>) DO UPDATE`
 * (a "database upsert", Prisma 4.6 and later; measured with Prisma Client 6.19.3 on its
 * query compiler): once no unique index matches those columns, PostgreSQL refuses the
 * statement (42P10), so an old app version's `upsert` by that field fails until the last
 * old pod is gone. Prisma's `DROP INDEX` of a removed `@unique` / `@@unique` is the common case.
 */
export const rule = createRule({
  id: 'dropping-unique-index',
  severity: 'warning',
  summary: "A unique index or constraint dropped: old app versions' upsert by its fields fails",
  check(ctx) {
    for (const s of ctx.plain) {
      const dropped: Array<{ sql: string; what: string; columns: readonly string[]; table: string }> = [];
      for (const t of ctx.touches(s, 'index', 'drop')) {
        if (t.createdInMigration || t.implicit) continue;
        const index = s.facts.before.indexes.get(t.key);
        const columns = index && !index.constraint ? upsertColumns(index) : undefined;
        if (!index || !columns) continue;
        dropped.push({ sql: `DROP INDEX ${quoteIdent(index.name)}`, what: 'unique index', columns, table: index.table });
      }
      for (const t of ctx.touches(s, 'constraint', 'drop')) {
        if (t.createdInMigration || t.implicit) continue;
        const found = constraintAt(s.facts.before, t.key);
        if (!found || (found.contype !== 'u' && found.contype !== 'p')) continue;
        const index = found.index === undefined ? undefined : s.facts.before.indexes.get(found.index);
        const columns = index ? upsertColumns(index) : found.columns;
        if (!columns) continue;
        dropped.push({ sql: `DROP CONSTRAINT ${quoteIdent(found.name)}`, what: found.contype === 'p' ? 'primary key' : 'unique constraint', columns, table: found.table });
      }
      for (const d of dropped) {
        const table = ctx.existingTable(s, d.table);
        // A table or column dropped or renamed later in the migration has its own finding (old app versions fail on it anyway).
        const after = ctx.facts.after.tables.get(d.table);
        if (!table || !after || d.columns.some((c) => !after.columns.some((col) => col.name === c))) continue;
        const replacement = replacementOf(ctx, s, d.table, d.columns);
        if (replacement === 'in-place') continue;
        const tn = ctx.displayTable(table);
        const cols = d.columns.map(quoteIdent).join(', ');
        const fields = d.columns.length === 1 ? `the field on ${cols}` : `the fields on ${cols}`;
        const until =
          replacement === undefined
            ? 'from then on'
            : `until ${quoteIdent(replacement.name)}, which ${replacement.postponed ? 'this migration queues in its place, is built by `prisma-zd postponed run`' : 'a later statement creates in its place, is built (statements run one by one)'}`;
        ctx.report({
          at: s,
          message:
            `${d.sql} removes the ${d.what} of ${tn} on ${cols}: old app versions run \`upsert\` by ${fields} as INSERT … ON CONFLICT (${cols}) DO UPDATE, ` +
            `which fails ${until} ("there is no unique or exclusion constraint matching the ON CONFLICT specification")${replacement === undefined ? ' until the last old pod is gone' : ''}.`,
          help:
            `Instead: remove the ${d.what === 'primary key' ? '\`@id\` (or \`@@id\`)' : '\`@unique\` (or \`@@unique\`)'} in the release after one whose code no longer calls \`upsert\` with \`where\` on ${fields}, once that release runs everywhere. ` +
            `If no app version upserts by ${d.columns.length === 1 ? 'it' : 'them'}, say so above the statement: \`-- prisma-zd-ignore dropping-unique-index: no upsert by ${d.columns.join(', ')}\`.`,
          sizeSensitive: false,
          table: table.key,
        });
      }
    }
  },
});

/** The columns an ON CONFLICT of Prisma's names to use `index`: its key columns, when it is a plain unique index on columns. */
function upsertColumns(index: IndexFacts): readonly string[] | undefined {
  if (!index.unique || index.partial) return undefined;
  const columns: string[] = [];
  for (const k of index.keys) {
    if (!('column' in k)) return undefined;
    columns.push(k.column);
  }
  return columns;
}

/**
 * Another unique, non-partial index on exactly these columns (in any order) at the end of
 * the migration, which ON CONFLICT finds in place of the dropped one: `in-place` when there
 * is no moment without one (it was there before, or the file runs as one transaction); the
 * index when the upserts fail until it is built (a build `rewrite` postponed, or statements
 * run one by one); undefined when there is none.
 */
function replacementOf(ctx: RuleContext, s: CheckStatement, table: string, columns: readonly string[]): 'in-place' | { name: string; postponed: boolean } | undefined {
  for (const index of ctx.facts.after.indexes.values()) {
    if (index.table !== table) continue;
    const cols = upsertColumns(index);
    if (!cols || cols.length !== columns.length || !cols.every((c) => columns.includes(c))) continue;
    if (index.createdIn !== ctx.name) return 'in-place';
    const created = ctx.statements.find((x) => x.position > s.position && x.facts.touches.some((t) => t.object === 'index' && t.action === 'create' && t.key === index.key));
    if (created?.origin === 'zd-block') return { name: index.name, postponed: true };
    if (created && ctx.execution === 'per-statement') return { name: index.name, postponed: false };
    return 'in-place';
  }
  return undefined;
}

function constraintAt(state: SchemaState, key: string) {
  for (const table of state.tables.values()) {
    for (const c of table.constraints) if (constraintKey(table.key, c.name) === key) return c;
  }
  return undefined;
}
