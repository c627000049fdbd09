import type { AlterEnumStmt } from 'libpg-query';
import { relationKey } from '../../facts/model.js';
import { quoteIdent, quoteLiteral } from '../../sql/ident.js';
import { castsTo, stringConstants } from '../helpers.js';
import type { CheckStatement } from '../context.js';
import { createRule } from '../rule.js';

/** Does `o` cast to enum `key`, or act on a table that has a column of that type? */
function usesEnum(o: CheckStatement, key: string, name: string): boolean {
  if (castsTo(o.statement.node, name)) return true;
  return o.facts.touches.some((t) => {
    if (t.object !== 'table' && t.object !== 'column') return false;
    const table = o.facts.before.tables.get(t.object === 'table' ? t.key : t.key.slice(0, t.key.lastIndexOf('."')));
    return table?.columns.some((c) => c.type.schema !== undefined && relationKey(c.type.schema, c.type.name) === key);
  });
}

export const rule = createRule({
  id: 'new-enum-value-in-transaction',
  severity: 'error',
  summary: 'A value added to an enum and used in the same transaction: the deploy fails',
  check(ctx) {
    ctx.plain.forEach((s, i) => {
      if (s.statement.kind !== 'AlterEnumStmt') return;
      const node = s.statement.node as AlterEnumStmt;
      if (node.oldVal !== undefined || node.newVal === undefined) return;
      const touch = ctx.touches(s, 'enum', 'alter', 'add-value').find((t) => !t.createdInMigration);
      const type = touch && s.facts.before.enums.get(touch.key);
      if (!touch || !type) return; // an enum created in the same transaction may use its new values
      const value = quoteLiteral(node.newVal);
      const e = quoteIdent(type.name);
      if (ctx.postgresVersion < 12 && ctx.inTransactionBlock(s)) {
        ctx.report({
          at: s,
          message: `ALTER TYPE ${e} ADD VALUE cannot run inside a transaction block on PostgreSQL ${ctx.postgresVersion}, and this migration runs it in one: the deploy fails.`,
          help: 'Instead: put the ALTER TYPE alone in a migration of its own (`prisma migrate dev --create-only`, then move it there).',
        });
        return;
      }
      const use = ctx.plain
        .slice(i + 1)
        .find((o) => o.tx.id === s.tx.id && stringConstants(o.statement.node).has(node.newVal!) && usesEnum(o, touch.key, type.name));
      if (!use) return;
      ctx.report({
        at: use,
        message: `${value} is added to enum ${e} at line ${ctx.top(s).loc.start.line} and used here in the same transaction: PostgreSQL rejects it ("unsafe use of new value ${value} of enum type ${type.name}") and the deploy fails.`,
        help: `Instead: add the value in a migration of its own and use it in the next one (\`prisma migrate dev --create-only\`, then move this statement to a new migration).`,
      });
    });
  },
});
