import type { Node } from 'libpg-query';
import { resolveName } from '../../facts/context.js';
import { asNode } from '../../sql/nodes.js';
import type { CheckStatement, RuleContext } from '../context.js';
import { createRule } from '../rule.js';

function options(node: Record<string, unknown>, field: string): string[] {
  return ((node[field] as Node[] | undefined) ?? []).map((o) => asNode(o, 'DefElem')?.defname ?? '').filter(Boolean);
}

/** The existing table a RangeVar names (a table, or the table of an index), unqualified: along the statement's search_path. */
function tableOf(ctx: RuleContext, s: CheckStatement, rel: { schemaname?: string; relname?: string } | undefined) {
  if (rel?.relname === undefined) return undefined;
  const { tables, indexes } = s.facts.before;
  const key = resolveName(s.facts.searchPath, rel, (k) => tables.has(k) || indexes.has(k));
  const index = indexes.get(key);
  return ctx.existingTable(s, index?.table ?? key);
}

export const rule = createRule({
  id: 'blocking-maintenance',
  severity: 'error',
  summary: 'REINDEX or REFRESH MATERIALIZED VIEW without CONCURRENTLY, VACUUM FULL, CLUSTER (or VACUUM in a transaction) in a migration',
  check(ctx) {
    for (const s of ctx.plain) {
      const node = s.statement.node as Record<string, unknown>;
      if (s.statement.kind === 'ReindexStmt') {
        if (options(node, 'params').includes('concurrently')) continue;
        const table = tableOf(ctx, s, node['relation'] as never);
        const what = table ? ctx.displayTable(table) : 'the tables it names';
        ctx.report({
          at: s,
          message: `REINDEX without CONCURRENTLY blocks writes to ${what} (SHARE lock) and reads that use the index (ACCESS EXCLUSIVE lock on it) until the rebuild is done.`,
          help: 'Instead: run `REINDEX … CONCURRENTLY` (PostgreSQL 12+) outside migrations, or alone in a migration of its own.',
          lock: 'SHARE',
          ...(table ? { table: table.key } : {}),
        });
      } else if (s.statement.kind === 'RefreshMatViewStmt') {
        if (node['concurrent']) continue;
        const rel = node['relation'] as { schemaname?: string; relname?: string } | undefined;
        if (rel?.relname === undefined) continue;
        const views = s.facts.before.views;
        const view = views.get(resolveName(s.facts.searchPath, rel, (k) => views.has(k)));
        if (!view || view.createdIn === ctx.name) continue;
        const v = ctx.displayTable(view);
        ctx.report({
          at: s,
          ...(node['skipData']
            ? {
                message: `REFRESH MATERIALIZED VIEW ${v} WITH NO DATA empties ${v}: every query on it fails ("has not been populated") until it is refreshed again.`,
                help: `Instead: leave ${v} populated; refresh it with \`REFRESH MATERIALIZED VIEW CONCURRENTLY ${v};\` (reads continue).`,
              }
            : {
                message: `REFRESH MATERIALIZED VIEW ${v} recomputes the whole view under an ACCESS EXCLUSIVE lock: every read of ${v} waits until the refresh is done.`,
                help: `Instead: \`REFRESH MATERIALIZED VIEW CONCURRENTLY ${v};\` (reads continue; it needs a unique index on the view), or refresh it outside migrations.`,
                lock: 'ACCESS EXCLUSIVE' as const,
              }),
        });
      } else if (s.statement.kind === 'VacuumStmt' || s.statement.kind === 'ClusterStmt') {
        const vacuum = s.statement.kind === 'VacuumStmt';
        if (vacuum && !node['is_vacuumcmd']) continue; // ANALYZE
        const full = !vacuum || options(node, 'options').includes('full');
        const rel = vacuum ? asNode((node['rels'] as Node[] | undefined)?.[0], 'VacuumRelation')?.relation : node['relation'];
        const table = tableOf(ctx, s, rel as never);
        const command = vacuum ? (full ? 'VACUUM FULL' : 'VACUUM') : 'CLUSTER';
        if (!full) {
          if (!ctx.inTransactionBlock(s)) continue;
          ctx.report({
            at: s,
            message: 'VACUUM cannot run inside a transaction block, and this migration runs it in one: the deploy fails.',
            help: 'Instead: leave VACUUM to autovacuum, or run it outside migrations.',
          });
          continue;
        }
        const what = table ? ctx.displayTable(table) : 'every table it names';
        ctx.report({
          at: s,
          message: `${command} rewrites ${what} under an ACCESS EXCLUSIVE lock: every read and write waits until the rewrite is done.`,
          help: 'Instead: run it outside deploys (a maintenance window), or use pg_repack, which rewrites a table without a long lock.',
          lock: 'ACCESS EXCLUSIVE',
          ...(table ? { table: table.key } : {}),
        });
      }
    }
  },
});
