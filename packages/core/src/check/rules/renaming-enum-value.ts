import type { AlterEnumStmt } from 'libpg-query';
import { quoteIdent, quoteLiteral } from '../../sql/ident.js';
import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'renaming-enum-value',
  severity: 'error',
  summary: 'ALTER TYPE … RENAME VALUE breaks old app versions that read or write the old value',
  check(ctx) {
    for (const s of ctx.plain) {
      if (s.statement.kind !== 'AlterEnumStmt') continue;
      const node = s.statement.node as AlterEnumStmt;
      if (node.oldVal === undefined || node.newVal === undefined) continue;
      const touch = ctx.touches(s, 'enum', 'alter', 'rename-value').find((t) => !t.createdInMigration);
      const type = touch && s.facts.before.enums.get(touch.key);
      if (!type) continue;
      const [from, to] = [quoteLiteral(node.oldVal), quoteLiteral(node.newVal)];
      ctx.report({
        at: s,
        message: `RENAME VALUE ${from} TO ${to} of enum ${quoteIdent(type.name)}: old app versions that write ${from} fail ("invalid input value for enum"), and they cannot read rows holding ${to} (Prisma Client rejects a value its schema does not know).`,
        help: `Instead: keep the database value and rename only in schema.prisma: \`${node.newVal} @map("${node.oldVal}")\` in enum ${type.name} (no migration at all).`,
      });
    }
  },
});
