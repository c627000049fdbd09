import type { IndexStmt } from 'libpg-query';
import { quoteIdent } from '../../sql/ident.js';
import { createRule } from '../rule.js';

export const rule = createRule({
  id: 'require-concurrent-index-creation',
  severity: 'error',
  summary: 'CREATE INDEX on an existing table without CONCURRENTLY blocks writes for the whole build',
  check(ctx) {
    for (const s of ctx.plain) {
      if (s.statement.kind !== 'IndexStmt') continue;
      const node = s.statement.node as IndexStmt;
      if (node.concurrent) continue;
      const table = ctx.existingTableTouched(s, 'alter', 'add-index');
      if (!table) continue;
      // ON ONLY a partitioned table: an invalid index on the parent alone, nothing built.
      if (table.partitioned && node.relation?.inh !== true) continue;
      const t = ctx.displayTable(table);
      const name = node.idxname === undefined ? 'an index' : quoteIdent(node.idxname);
      const change = node.idxname === undefined ? undefined : ctx.rewriteChange(s, 'postpone-index', quoteIdent(node.idxname));
      let help: string;
      if (change) {
        help = `Instead: run \`prisma-zd rewrite\`: it postpones ${name}, and \`prisma-zd deploy\` builds it with CREATE INDEX CONCURRENTLY after the migration (writes continue).`;
        // Until it is built, nothing stops a duplicate: old app versions, which know no such constraint, may write one.
        if (node.unique) help += ` Until it is built, old app versions may still write duplicates: one makes the build fail (\`prisma-zd deploy\` exits 5 before the rollout; the old version keeps working); remove it and run \`prisma-zd postponed run\` again.`;
      } else if (table.partitioned) {
        help = `Instead: ${t} is partitioned and PostgreSQL cannot build an index CONCURRENTLY on a partitioned table: create it ON ONLY ${t}, build the same index CONCURRENTLY on each partition (one migration each), then ALTER INDEX ${name} ATTACH PARTITION each one.`;
      } else if (node.idxname === undefined) {
        help = 'Instead: name the index (in Prisma: `@@index([...], map: "…")`) so that `prisma-zd rewrite` can postpone it.';
      } else if (s.origin !== 'statement') {
        help = `Instead: move the CREATE INDEX out of the ${s.origin === 'do-block' ? 'DO block' : 'function'} so that \`prisma-zd rewrite\` can postpone it, or build it with CREATE INDEX CONCURRENTLY alone in a migration of its own.`;
      } else {
        const note = ctx.rewriteNote(s)?.replace(/^left alone: /, '');
        help = `Instead: build it with CREATE INDEX CONCURRENTLY, alone in a migration of its own (\`prisma migrate dev --create-only\`, then edit)${note ? `; \`prisma-zd rewrite\` left it alone (${note})` : ''}.`;
      }
      ctx.report({
        at: s,
        message: `CREATE ${node.unique ? 'UNIQUE ' : ''}INDEX ${name} on existing table ${t} takes a SHARE lock: every INSERT, UPDATE and DELETE on ${t} waits until the whole index is built.`,
        help,
        lock: 'SHARE',
        table: table.key,
        ...(change ? { rewrite: change } : {}),
      });
    }
  },
});
