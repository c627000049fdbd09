import type { Constraint, Node } from 'libpg-query';
import { domainChain } from '../../facts/domains.js';
import type { SchemaState } from '../../facts/model.js';
import { quoteIdent } from '../../sql/ident.js';
import { asNode, stringList } from '../../sql/nodes.js';
import type { RuleContext } from '../context.js';
import { createRule } from '../rule.js';

interface ArrayColumn {
  readonly table: string;
  readonly tableKey: string;
  readonly tableName: string;
  readonly column: string;
  /** The domain the column is an array of, when it is one over the domain altered. */
  readonly via?: string;
}

/** The subcommand as written, and whether it is a NOT NULL (which cannot be added NOT VALID). */
function subcommand(subtype: string | undefined, con: Constraint | undefined, name: string | undefined): { what: string; notNull: boolean } {
  if (subtype === 'V') return { what: `VALIDATE CONSTRAINT ${quoteIdent(name ?? '')}`, notNull: false };
  if (subtype === 'O') return { what: 'SET NOT NULL', notNull: true };
  const named = con?.conname === undefined ? '' : `CONSTRAINT ${quoteIdent(con.conname)} `;
  const notNull = con?.contype === 'CONSTR_NOTNULL';
  return { what: `ADD ${named}${notNull ? 'NOT NULL' : 'CHECK'}`, notNull };
}

/**
 * Columns (of any table, created in this migration or not) whose type is an array of the
 * domain `key` or of a domain over it. PostgreSQL refuses to check a domain's values
 * inside arrays: ADD CONSTRAINT, VALIDATE CONSTRAINT and SET NOT NULL fail outright on
 * such a domain ("cannot alter type … because column … uses it", PostgreSQL 14 and 18).
 */
function arrayColumns(ctx: RuleContext, state: SchemaState, key: string): ArrayColumn[] {
  const out: ArrayColumn[] = [];
  for (const table of state.tables.values()) {
    for (const c of table.columns) {
      if (c.type.arrayDims === 0 || c.type.schema === undefined) continue;
      const chain = domainChain(state, { ...c.type, arrayDims: 0 });
      if (!chain.some((d) => d.key === key)) continue;
      const via = chain[0]!.key === key ? {} : { via: quoteIdent(chain[0]!.name) };
      out.push({ table: ctx.displayTable(table), tableKey: table.key, tableName: table.name, column: c.name, ...via });
    }
  }
  return out;
}

export const rule = createRule({
  id: 'domain-constraint-on-array-column',
  severity: 'error',
  summary: 'ALTER DOMAIN … ADD CONSTRAINT, VALIDATE CONSTRAINT or SET NOT NULL on a domain some column holds arrays of: the statement fails',
  check(ctx) {
    for (const s of ctx.plain) {
      if (s.statement.kind !== 'AlterDomainStmt') continue;
      const node = s.statement.node as { subtype?: string; typeName?: Node[]; def?: Node; name?: string };
      const con = asNode(node.def, 'Constraint') as Constraint | undefined;
      // ADD … NOT VALID checks nothing already stored, so it succeeds.
      const checks = node.subtype === 'V' || node.subtype === 'O' || (node.subtype === 'C' && con !== undefined && !con.skip_validation);
      const key = checks ? s.facts.touches.find((t) => t.object === 'domain')?.key : undefined;
      if (key === undefined) continue;
      const columns = arrayColumns(ctx, s.facts.before, key);
      if (columns.length === 0) continue;
      const domain = stringList(node.typeName).map(quoteIdent).join('.');
      const first = columns[0]!;
      const list = columns.map((c) => `${quoteIdent(c.column)} of ${c.table}`).join(', ');
      const { what, notNull } = subcommand(node.subtype, con, node.name);
      const arrays = columns.map((c) => `column ${quoteIdent(c.column)} of ${c.table} holds arrays of ${c.via === undefined ? domain : `${c.via} (a domain over ${domain})`}`).join(', ');
      const keep = `never VALIDATE it while ${list} ${columns.length > 1 ? 'hold' : 'holds'} arrays of ${domain} (VALIDATE fails the same way)`;
      const way =
        node.subtype === 'V'
          ? `Instead: leave the constraint NOT VALID (PostgreSQL already checks every new value with it, array elements included), or first change ${list} to a type that does not use ${domain}.`
          : notNull
            ? `Instead: \`ALTER DOMAIN ${domain} ADD CONSTRAINT "<name>" CHECK (VALUE IS NOT NULL) NOT VALID;\` (a NOT NULL cannot be NOT VALID): new values, array elements included, are checked at once, the stored ones are not; ${keep}.`
            : `Instead: add it with NOT VALID: new values, array elements included, are checked at once, the stored ones are not; ${keep}.`;
      ctx.report({
        at: s,
        message: `ALTER DOMAIN ${domain} ${what} fails: ${arrays}, and PostgreSQL cannot check a domain's constraints on the values stored in arrays of it (ERROR: cannot alter type … because column "${first.tableName}.${first.column}" uses it). The migration stops at this statement.`,
        help: way,
        table: first.tableKey,
        sizeSensitive: false,
      });
    }
  },
});
