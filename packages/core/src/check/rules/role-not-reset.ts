import { quoteIdent } from '../../sql/ident.js';
import { leftAt } from '../session-left.js';
import { createRule } from '../rule.js';

const SETTINGS = { role: 'SET ROLE', session_authorization: 'SET SESSION AUTHORIZATION' } as const;

/**
 * A session-level `SET ROLE` or `SET SESSION AUTHORIZATION` (in the file or in a DO block)
 * that the migration leaves in effect. Prisma records the migration in "_prisma_migrations"
 * right after the file, then applies the next pending migrations, on the same connection:
 * as that role. `RESET ALL` resets neither (measured on PostgreSQL 18), `RESET ROLE`,
 * `SET ROLE NONE` and `RESET SESSION AUTHORIZATION` do. Measured with the real prisma CLI
 * in test/check/role-not-reset.test.ts.
 */
export const rule = createRule({
  id: 'role-not-reset',
  severity: 'error',
  summary: 'SET ROLE or SET SESSION AUTHORIZATION (session-level) left in effect at the end of the migration: Prisma records the migration, and runs the next ones, as that role',
  check(ctx) {
    for (const { setting, role, at } of leftAt(ctx.statements, ctx.facts, ctx.execution).roles) {
      const reset = setting === 'role' ? 'RESET ROLE' : 'RESET SESSION AUTHORIZATION';
      const local = setting === 'role' && ctx.execution !== 'per-statement' ? ', or use `SET LOCAL ROLE` (it ends with the migration’s transaction)' : '';
      ctx.report({
        at,
        message:
          `${SETTINGS[setting]} ${quoteIdent(role)} stays in effect after this migration. Prisma records the migration in "_prisma_migrations" right after the file, on the same connection, as ${quoteIdent(role)}: ` +
          `without privileges on that table it fails (permission denied) with the migration's changes committed, and leaves it failed; and the next migrations of the deploy run as ${quoteIdent(role)}, so what they create is owned by it, not by the role that deploys.`,
        help: `Instead: end the migration with \`${reset};\` (\`RESET ALL\` does not reset it)${local}.`,
        sizeSensitive: false,
      });
    }
  },
});
