import { migrationChecksum } from '../../migrations/checksum.js';
import { parseSql } from '../../sql/parse.js';
import { unmanagedView } from '../../zd/view.js';
import { createRule } from '../rule.js';

/** The statements a migration runs on a database without prisma-zd, as text. */
function effect(text: string): string[] {
  return unmanagedView(parseSql(text)).parsed.statements.map((s) => s.text);
}

export const rule = createRule({
  id: 'modified-migration',
  severity: 'error',
  summary: 'A migration that is already committed or applied was edited afterwards',
  check(ctx) {
    const { committed, appliedChecksum } = ctx.standing;
    const text = ctx.parsed.text;
    const applied = appliedChecksum !== undefined && appliedChecksum !== migrationChecksum(text);
    const edited = committed !== undefined && committed !== text;
    if (!applied && !edited) return;
    const where = applied ? 'applied to the database (its checksum in _prisma_migrations differs)' : 'committed';
    const previous = edited ? committed : undefined;
    const sameEffect = previous !== undefined && JSON.stringify(effect(previous)) === JSON.stringify(effect(text));
    if (sameEffect) {
      ctx.report({
        message: `${ctx.name} was edited after it was ${where}, without changing what it does on a database without prisma-zd (\`prisma-zd rewrite\` or comments): every database that already applied it has the old checksum, so \`prisma migrate dev\` there reports the migration as modified.`,
        help: 'Instead: rewrite migrations before they are committed. When adopting prisma-zd on an existing history on purpose, keep the change and tell the team; `prisma-zd rewrite` updates the checksum in your own development database.',
        severity: 'warning',
      });
      return;
    }
    ctx.report({
      message: `${ctx.name} was edited after it was ${where}: databases that already applied it (other developers, staging, production) keep the old version, and \`prisma migrate deploy\` never runs the new one there.`,
      help: `Instead: restore the ${applied ? 'applied' : 'committed'} version (\`git checkout HEAD -- ${ctx.path}\`) and make the change in a new migration (\`prisma migrate dev --create-only\`).`,
    });
  },
});
