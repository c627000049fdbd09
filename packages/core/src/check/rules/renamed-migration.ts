import { createRule } from '../rule.js';

/**
 * A committed migration moved to another directory, its text unchanged. Prisma knows a
 * migration by its directory name (`_prisma_migrations.migration_name`): a database that
 * applied it under the old name takes the new one for a migration it never ran.
 */
export const rule = createRule({
  id: 'renamed-migration',
  severity: 'error',
  summary: 'A committed migration was moved to a directory of another name',
  check(ctx) {
    const old = ctx.standing.renamedFrom;
    if (old === undefined) return;
    const there = ctx.standing.renamedApplied ? `The database given applied it as ${old}. ` : '';
    ctx.report({
      message:
        `${ctx.name} is ${old} renamed (the same text; ${old} is committed). Prisma knows a migration by its directory name: ` +
        `every database that applied ${old} (other developers, staging, production) takes ${ctx.name} for a new migration, and \`prisma migrate deploy\` runs it again ` +
        `there — it fails on the objects it created the first time (leaving the deploy failed), or runs its data changes twice — while \`prisma migrate dev\` reports ${old} as missing. ${there}`.trimEnd(),
      help:
        `Instead: keep its name (\`git mv\` the directory back to ${old}); to change what runs next, add a new migration. ` +
        `Only if no database ever applied ${old} (not even a development one) is the new name safe: then say so with \`-- prisma-zd-ignore-file renamed-migration: never applied\`.`,
    });
  },
});
