/**
 * A `DROP INDEX` that `rewrite` deferred leaves its index standing until `prisma-zd
 * contract`. A later migration that needs the name again carries queue maintenance that
 * drops it first, in its own transaction; one that creates the index CONCURRENTLY cannot
 * (it must stay alone in its file, outside any transaction: `rewrite` says so in a note),
 * and on this database Prisma would fail on it with "relation … already exists". `deploy`
 * refuses such a deploy before anything runs, naming the migration, the line, the queue
 * entry and the command that clears the way.
 */
import type pg from 'pg';
import { isStatement, parseSql, QUEUE_TABLE, quoteIdent } from '@prisma-zd/core';
import { ExitCode, UserError } from '../errors.js';
import { isDropIndex } from '../queue/contract.js';
import type { MigrationFile } from '../project/migrations.js';
import { fileLine } from './session-left.js';

interface OpenDrop {
  id: string;
  migration: string | null;
  object_name: string;
  table_schema: string | null;
  statement: string;
}

export interface LingeringOptions {
  /** How to go on once the way is clear, e.g. "run `prisma-zd deploy` again". */
  readonly again: string;
  /** What drops the deferred index (default `prisma-zd contract`). */
  readonly contract?: string;
}

export async function refuseLingeringIndexes(client: pg.ClientBase, pending: readonly MigrationFile[], options: LingeringOptions): Promise<void> {
  if (pending.length === 0) return;
  const { rows: managed } = await client.query<{ ok: boolean }>(`SELECT pg_catalog.to_regclass('${QUEUE_TABLE}') IS NOT NULL AS ok`);
  if (!managed[0]?.ok) return;
  const { rows } = await client.query<OpenDrop>(
    `SELECT id::text AS id, migration, object_name, table_schema, statement FROM ${QUEUE_TABLE}
      WHERE kind = 'contract' AND status IN ('pending', 'failed') ORDER BY id`,
  );
  const drops = rows.filter((r) => isDropIndex(r.statement));
  if (drops.length === 0) return;
  for (const m of pending) {
    const parsed = parseSql(m.sql);
    for (const s of parsed.statements) {
      if (!isStatement(s, 'IndexStmt') || !s.node.concurrent || !s.node.idxname) continue;
      const schema = s.node.relation?.schemaname;
      const hit = drops.find((d) => d.object_name === s.node.idxname && (schema === undefined || d.table_schema === null || d.table_schema === schema));
      if (!hit) continue;
      const name = quoteIdent(s.node.idxname);
      throw new UserError({
        code: 'ZD_INDEX_STILL_STANDS',
        message:
          `Migration ${m.name} creates index ${name} CONCURRENTLY (${fileLine(m.path, s.loc.start.line)}), but on this database ${name} still stands: ` +
          `migration ${hit.migration ?? '(unknown)'} dropped it, and prisma-zd deferred that drop to \`prisma-zd contract\` (queue entry #${hit.id}). ` +
          `Prisma would fail on it with "relation ${name} already exists". Nothing was applied.`,
        hint: `Run ${options.contract ?? '`prisma-zd contract`'} (once no app version that uses ${name} runs), then ${options.again}.`,
        exit: ExitCode.Usage,
      });
    }
  }
}
