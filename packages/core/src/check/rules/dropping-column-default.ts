import type { Node, SelectStmt } from 'libpg-query';
import type { ColumnFacts } from '../../facts/model.js';
import { quoteIdent } from '../../sql/ident.js';
import { asNode, stringList } from '../../sql/nodes.js';
import { parseSql } from '../../sql/parse.js';
import { commandRange, existingColumn, tableCommands } from '../helpers.js';
import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'dropping-column-default',
  severity: 'error',
  summary: 'DROP DEFAULT on a column old app versions insert without',
  check(ctx) {
    for (const { s, table, command, cmd } of tableCommands(ctx)) {
      if (cmd.subtype !== 'AT_ColumnDefault' || cmd.def !== undefined) continue;
      // A column added earlier in this migration counts too (Prisma's required column: ADD COLUMN
      // … NOT NULL DEFAULT x, then DROP DEFAULT): old app versions do not know it and insert without it.
      const known = table.columns.find((c) => c.name === cmd.name);
      const added = known !== undefined && known.createdIn === ctx.name;
      const column = existingColumn(ctx, table, cmd.name) ?? (added ? known : undefined);
      if (!column || column.default === undefined) continue;
      // Dropped for good: the column is still there at the end of the migration, without a default
      // (Prisma's enum swap drops a default and sets it again).
      const final = ctx.facts.after.tables.get(table.key)?.columns.find((c) => c.name === column.name);
      if (!final || final.default !== undefined) continue;
      const c = ctx.displayColumn(table, column.name);
      const change = ctx.rewriteChange(s, 'defer-drop-default', `${quoteIdent(table.name)}.${quoteIdent(column.name)}`);
      const col = quoteIdent(column.name);
      const t = ctx.displayTable(table);
      const outcome = column.notNull ? 'fail with "null value in column … violates not-null constraint"' : `store NULL instead of ${column.default}`;
      const kind = added ? undefined : prismaDefault(column);
      let message: string;
      if (added) {
        message = `during the rollout, old app versions, which do not know ${col}, insert into ${t} without it and ${outcome}`;
      } else if (kind === 'client') {
        // Prisma Client sends a literal or now() @default itself (its INSERT names the column):
        // what leaves the column to the database is SQL written by hand, or another program.
        message = `old app versions keep writing ${col}: their Prisma Client sends its @default value itself. During the rollout, INSERTs into ${t} that leave ${col} out (raw SQL such as $executeRaw, other services, database functions) ${outcome}`;
      } else {
        const why = kind === 'sequence' ? '@default(autoincrement()) in their schema: the database numbers the rows' : '@default(dbgenerated(…)) in their schema: the database computes the value';
        message = `during the rollout, old app versions leave ${col} out of their INSERTs into ${t} (${why}) and ${outcome}`;
      }
      const keep = 'Instead: run `prisma-zd rewrite`: it defers this DROP DEFAULT (and a DROP SEQUENCE that goes with it) to `prisma-zd contract`, which runs once no old app version is left.';
      const later = `Instead: keep the default in this release and drop it in a later migration, once no pod of the current version runs (\`prisma-zd rewrite\` defers a DROP DEFAULT to \`prisma-zd contract\` when nothing later in the migration needs it gone).`;
      const onlyPrisma = kind === 'client' ? ` If only Prisma Client inserts into ${t}, the DROP DEFAULT is safe as it is: \`-- prisma-zd-ignore dropping-column-default: only Prisma Client inserts\`.` : '';
      ctx.report({
        at: s,
        ...commandRange(command),
        message: `DROP DEFAULT on ${c} (was ${column.default}): ${message}.`,
        help: (change ? keep : later) + onlyPrisma,
        severity: column.notNull && kind !== 'client' ? 'error' : 'warning',
        lock: 'ACCESS EXCLUSIVE',
        sizeSensitive: false,
        table: table.key,
        ...(change ? { rewrite: change } : {}),
      });
    }
  },
});

/**
 * Who fills a column the app leaves out, by the default the database had, as Prisma maps it
 * (introspection): `sequence` (nextval: `@default(autoincrement())`) and `database`
 * (anything else it cannot evaluate: `@default(dbgenerated(…))`) are left to the database
 * — Prisma Client leaves the column out of its INSERTs; `client`: a constant (`@default(0)`,
 * an enum value, `@default([])`, Json) or `now()`, which Prisma Client evaluates and sends
 * itself, naming the column in its INSERTs.
 */
export function prismaDefault(column: ColumnFacts): 'sequence' | 'database' | 'client' {
  if (column.defaultSequence !== undefined) return 'sequence';
  const text = column.default;
  if (text === undefined) return 'database';
  const parsed = parseSql(`SELECT ${text}`);
  const [only, ...more] = parsed.statements;
  if (parsed.error || !only || more.length) return 'database';
  const targets = only.kind === 'SelectStmt' ? ((only.node as SelectStmt).targetList ?? []) : [];
  if (targets.length !== 1) return 'database';
  const value = asNode(targets[0], 'ResTarget')?.val;
  return constantOrNow(value) ? 'client' : 'database';
}

function constantOrNow(value: Node | undefined): boolean {
  if (value === undefined) return false;
  if (asNode(value, 'A_Const')) return true;
  const cast = asNode(value, 'TypeCast');
  if (cast) return constantOrNow(cast.arg);
  const array = asNode(value, 'A_ArrayExpr');
  if (array) return (array.elements ?? []).every((e) => constantOrNow(e));
  const svf = asNode(value, 'SQLValueFunction');
  if (svf) return svf.op === 'SVFOP_CURRENT_TIMESTAMP' || svf.op === 'SVFOP_CURRENT_TIMESTAMP_N';
  const call = asNode(value, 'FuncCall');
  if (call) {
    const name = stringList(call.funcname);
    return (call.args ?? []).length === 0 && name[name.length - 1] === 'now' && (name.length === 1 || name[0] === 'pg_catalog');
  }
  return false;
}
