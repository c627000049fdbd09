import type { ColumnDef, Constraint, Node } from 'libpg-query';
import { serialBase } from '../../facts/column-type.js';
import { quoteIdent } from '../../sql/ident.js';
import { asNode } from '../../sql/nodes.js';
import { expressionText } from '../../sql/span.js';
import { baseType, fromDomains } from '../../facts/domains.js';
import type { TableFacts } from '../../facts/model.js';
import { calledFunctions, commandRange, isRecreated, stateAfter, tableCommands } from '../helpers.js';
import type { CheckStatement, RuleContext } from '../context.js';
import { createRule } from '../rule.js';

/** Built-in volatile functions seen in column defaults: a different value for each row. */
const VOLATILE = new Set([
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuid_generate_v7',
  'uuidv4',
  'uuidv7',
  'gen_random_bytes',
  'random',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'txid_current',
]);

/** Why adding this column rewrites the table, and a way out when it is not the usual one; undefined when it does not. */
interface Rewrite {
  readonly reason: string;
  readonly help?: string;
}

/** Is a call to one of `calls` volatile: a built-in one, or a function of the migrations (assumed volatile)? */
function volatileCall(s: CheckStatement, calls: Iterable<string>): string | undefined {
  const userFunctions = new Set([...s.facts.before.functions].map((k) => k.slice(k.lastIndexOf('.') + 1).replace(/^"|"$/g, '')));
  for (const f of calls) if (VOLATILE.has(f) || userFunctions.has(f)) return f;
  return undefined;
}

function rewriteReason(ctx: RuleContext, s: CheckStatement, table: TableFacts, def: ColumnDef): Rewrite | undefined {
  const constraints = (def.constraints ?? []).map((c) => asNode(c, 'Constraint')).filter((c): c is Constraint => !!c);
  if (serialBase(def.typeName) !== undefined) return { reason: 'a serial column draws a value from its sequence for every row' };
  if (constraints.some((c) => c.contype === 'CONSTR_IDENTITY')) return { reason: 'an identity column draws a value from its sequence for every row' };
  if (constraints.some((c) => c.contype === 'CONSTR_GENERATED')) return { reason: 'a stored generated column is computed for every row' };
  const expr = constraints.find((c) => c.contype === 'CONSTR_DEFAULT')?.raw_expr as Node | undefined;
  const domain = domainRewrite(ctx, s, table, def, constraints, expr);
  if (domain !== null) return domain;
  if (expr === undefined || asNode(expr, 'A_Const')?.isnull) return undefined;
  // Locating the expression's text takes the scanner: only for a message.
  const text = () => expressionText(ctx.source.parsed, s.statement, expr) ?? 'the default';
  if (ctx.postgresVersion < 11) return { reason: `PostgreSQL ${ctx.postgresVersion} writes the default ${text()} into every row` };
  const volatile = volatileCall(s, calledFunctions(expr));
  return volatile === undefined ? undefined : { reason: `the default ${text()} is volatile (${volatile}() gives each row its own value)` };
}

/**
 * A column of a domain type (measured in test/check/handwritten-locks.test.ts): PostgreSQL
 * rewrites the table when the domain has any constraint (CHECK or NOT NULL, its own or of
 * a domain it is over, valid or not), whatever the column's default, to check it on every
 * row; and a column without a DEFAULT clause takes the domain's default, which rewrites
 * when it is volatile. Null: not a column of a domain.
 */
function domainRewrite(ctx: RuleContext, s: CheckStatement, table: TableFacts, def: ColumnDef, constraints: Constraint[], expr: Node | undefined): Rewrite | undefined | null {
  const type = stateAfter(ctx, s).tables.get(table.key)?.columns.find((c) => c.name === def.colname)?.type;
  const { chain, constraints: inherited, defaultFrom } = type ? fromDomains(s.facts.before, type) : { chain: [], constraints: [] };
  const domain = chain[0];
  if (!domain) return null;
  const t = ctx.displayTable(table);
  const c = quoteIdent(def.colname ?? '');
  const d = ctx.displayTable(domain);
  const base = baseType(s.facts.before, domain.base).text;
  if (inherited.length) {
    // Required and nothing to fill it: the ADD fails on a table with rows (adding-required-field says so).
    const required = def.is_not_null === true || constraints.some((x) => x.contype === 'CONSTR_NOTNULL' || x.contype === 'CONSTR_PRIMARY') || inherited.some((x) => x.constraint.kind === 'not-null');
    const filled = expr === undefined ? defaultFrom !== undefined : !asNode(expr, 'A_Const')?.isnull;
    if (required && !filled) return undefined;
    const list = inherited
      .map((x) => (x.constraint.kind === 'not-null' ? 'NOT NULL' : `CHECK (${x.constraint.expression ?? '…'})`) + (x.domain === domain ? '' : ` (of ${ctx.displayTable(x.domain)}, the domain it is over)`))
      .join(', ');
    const rule = inherited.map((x) => (x.constraint.kind === 'not-null' ? `\`CHECK (${c} IS NOT NULL)\`` : `\`CHECK (${x.constraint.expression ?? '…'})\` with VALUE written ${c}`)).join(', ');
    return {
      reason: `its type ${d} is a domain with ${list}, which PostgreSQL checks on every existing row by rewriting the table`,
      help: `Instead: add ${c} with the domain's base type (\`ADD COLUMN ${c} ${base}\`, no rewrite) and hold it to the domain's rules with a table constraint added NOT VALID (a brief lock; new writes are checked at once): ${rule}; then \`ALTER TABLE ${t} VALIDATE CONSTRAINT "<name>";\` in a later migration (reads and writes continue). Changing ${c} to the domain's type later rewrites ${t} as well.`,
    };
  }
  if (expr !== undefined || !defaultFrom?.default) return undefined;
  const from = defaultFrom === domain ? `of its type ${d} (a domain)` : `of ${ctx.displayTable(defaultFrom)} (the domain its type ${d} is over)`;
  const help = `Instead: add ${c} with \`DEFAULT NULL\` (it overrides the domain's default: no rewrite), then \`ALTER TABLE ${t} ALTER COLUMN ${c} DROP DEFAULT;\` in a separate statement (new rows get the domain's default again, without a rewrite), and backfill the existing rows in batches outside the migration.`;
  if (ctx.postgresVersion < 11) return { reason: `PostgreSQL ${ctx.postgresVersion} writes the default ${defaultFrom.default} ${from} into every row`, help };
  const volatile = volatileCall(s, defaultFrom.defaultCalls ?? []);
  return volatile === undefined ? undefined : { reason: `the default ${defaultFrom.default} ${from} is volatile (${volatile}() gives each row its own value)`, help };
}

export const rule = createRule({
  id: 'adding-field-with-default',
  severity: 'error',
  summary: 'A column whose value is computed or checked per row (volatile default, serial, identity, stored generated, a domain with constraints) rewrites the table',
  check(ctx) {
    for (const { s, table, command, cmd } of tableCommands(ctx)) {
      const def = asNode(cmd.def, 'ColumnDef');
      if (cmd.subtype !== 'AT_AddColumn' || !def?.colname) continue;
      if (isRecreated(ctx, table, def.colname)) continue;
      const rewrite = rewriteReason(ctx, s, table, def);
      if (rewrite === undefined) continue;
      const t = ctx.displayTable(table);
      const c = quoteIdent(def.colname);
      ctx.report({
        at: s,
        ...commandRange(command),
        message: `ADD COLUMN ${c} rewrites all of ${t} under an ACCESS EXCLUSIVE lock, because ${rewrite.reason}: every read and write of ${t} waits until the rewrite is done.`,
        help: rewrite.help ?? `Instead: add ${c} without a default (nullable), then \`ALTER TABLE ${t} ALTER COLUMN ${c} SET DEFAULT …\` in a separate statement (it applies to new rows only, without a rewrite), and backfill the existing rows in batches outside the migration. In Prisma, \`@default(uuid())\` and \`@default(cuid())\` make the value in Prisma Client instead of the database.`,
        lock: 'ACCESS EXCLUSIVE',
        table: table.key,
      });
    }
  },
});
