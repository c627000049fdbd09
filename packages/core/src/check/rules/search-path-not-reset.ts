import { quoteIdent } from '../../sql/ident.js';
import { createRule } from '../rule.js';
import { leftAt } from '../session-left.js';

/** A search_path as PostgreSQL shows it: `app, public`. */
const shown = (path: readonly string[]) => path.map((s) => (/^[a-z_][a-z0-9_$]*$/.test(s) ? s : quoteIdent(s))).join(', ');

/**
 * A session-level `SET search_path` (or `set_config('search_path', …, false)`, in the file
 * or in a DO block) that the migration leaves set. Prisma runs the file, then its own
 * bookkeeping (`UPDATE "_prisma_migrations"`, unqualified), then the next pending
 * migrations, all on one connection (its native engine, and the driver adapters of one
 * session): they all run under that path. Measured with the real prisma CLI in
 * test/check/search-path-not-reset.test.ts.
 */
export const rule = createRule({
  id: 'search-path-not-reset',
  severity: 'error',
  summary: 'SET search_path (session-level) left set at the end of the migration: Prisma records the migration, and runs the next ones, under it',
  check(ctx) {
    const left = leftAt(ctx.statements, ctx.facts, ctx.execution).searchPath;
    if (!left) return;
    const { at } = left;
    const path = shown(left.path);
    const prisma = ctx.defaultSchema;
    const breaks = !left.path.includes(prisma);
    const local = ctx.execution === 'per-statement' ? '' : ' `SET LOCAL search_path` (it ends with the migration’s transaction),';
    const help = `Instead: end the migration with \`RESET search_path;\`, or use${local} or name the schema in each statement (${quoteIdent(left.path[0] ?? prisma)}."Table").`;
    if (breaks) {
      ctx.report({
        at,
        message:
          `The search_path stays \`${path}\` after this migration. Prisma records it in "_prisma_migrations" (a name it does not qualify) on the same connection right after running the file, ` +
          `and under this path that table is not found (P1014): the migration's changes are committed but it is left failed, \`prisma migrate deploy\` stops, and the next deploy refuses to run (P3009) until \`prisma migrate resolve\`.`,
        help,
        sizeSensitive: false,
      });
      return;
    }
    ctx.report({
      at,
      severity: 'warning',
      message:
        `The search_path stays \`${path}\` after this migration: the migrations \`prisma migrate deploy\` applies after it in the same run share its connection, so their unqualified names resolve in ${quoteIdent(left.path[0]!)} first ` +
        `(a CREATE TABLE there lands in ${quoteIdent(left.path[0]!)}, not ${quoteIdent(prisma)}), while a database that gets them in a later deploy puts them in ${quoteIdent(prisma)}: environments drift.`,
      help,
      sizeSensitive: false,
    });
  },
});
