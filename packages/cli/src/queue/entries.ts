/**
 * Rows of `prisma_zd.queue`: reading them and moving them between states. Every status
 * change is its own autocommitted statement, so what the table says is what happened.
 */
import type pg from 'pg';
import { QUEUE_TABLE, quoteIdent, type EntryKind } from '@prisma-zd/core';

export const STATUSES = ['pending', 'running', 'done', 'failed', 'cancelled'] as const;
export type EntryStatus = (typeof STATUSES)[number];
export const KINDS = ['index', 'validate', 'not-null', 'contract'] as const satisfies readonly EntryKind[];

export interface QueueEntry {
  id: number;
  kind: EntryKind;
  migration: string | null;
  tableSchema: string | null;
  tableName: string | null;
  objectName: string | null;
  columns: string[];
  searchPath: string | null;
  statement: string;
  status: EntryStatus;
  attempts: number;
  pid: number | null;
  sqlstate: string | null;
  error: string | null;
  note: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

interface Row {
  id: string;
  kind: EntryKind;
  migration: string | null;
  table_schema: string | null;
  table_name: string | null;
  object_name: string | null;
  columns: string[] | null;
  search_path: string | null;
  statement: string;
  status: EntryStatus;
  attempts: number;
  pid: number | null;
  sqlstate: string | null;
  error: string | null;
  note: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const COLUMNS = `id, kind, migration, table_schema, table_name, object_name, columns, search_path, statement,
  status, attempts, pid, sqlstate, error, note, created_at, started_at, finished_at`;

function fromRow(r: Row): QueueEntry {
  return {
    id: Number(r.id),
    kind: r.kind,
    migration: r.migration,
    tableSchema: r.table_schema,
    tableName: r.table_name,
    objectName: r.object_name,
    columns: r.columns ?? [],
    searchPath: r.search_path,
    statement: r.statement,
    status: r.status,
    attempts: r.attempts,
    pid: r.pid,
    sqlstate: r.sqlstate,
    error: r.error,
    note: r.note,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export interface EntryFilter {
  status?: readonly EntryStatus[];
  kind?: readonly EntryKind[];
}

/** Entries in id order, optionally filtered. */
export async function readEntries(client: pg.ClientBase, filter: EntryFilter = {}): Promise<QueueEntry[]> {
  const { rows } = await client.query<Row>(
    `SELECT ${COLUMNS} FROM ${QUEUE_TABLE}
      WHERE ($1::text[] IS NULL OR status = ANY ($1)) AND ($2::text[] IS NULL OR kind = ANY ($2))
      ORDER BY id`,
    [filter.status?.length ? filter.status : null, filter.kind?.length ? filter.kind : null],
  );
  return rows.map(fromRow);
}

export async function markRunning(client: pg.ClientBase, id: number, pid: number): Promise<void> {
  await client.query(
    `UPDATE ${QUEUE_TABLE} SET status = 'running', pid = $2, attempts = attempts + 1, started_at = clock_timestamp(),
            finished_at = NULL, sqlstate = NULL, error = NULL WHERE id = $1`,
    [id, pid],
  );
}

export async function markDone(client: pg.ClientBase, id: number, note: string | null = null): Promise<void> {
  await client.query(
    `UPDATE ${QUEUE_TABLE} SET status = 'done', pid = NULL, finished_at = clock_timestamp(), note = COALESCE($2, note),
            sqlstate = NULL, error = NULL WHERE id = $1`,
    [id, note],
  );
}

export async function markFailed(
  client: pg.ClientBase,
  id: number,
  failure: { sqlstate: string | null; error: string },
): Promise<void> {
  await client.query(
    `UPDATE ${QUEUE_TABLE} SET status = 'failed', pid = NULL, finished_at = clock_timestamp(), sqlstate = $2, error = $3 WHERE id = $1`,
    [id, failure.sqlstate, failure.error],
  );
}

export async function markPending(client: pg.ClientBase, id: number, note: string): Promise<void> {
  await client.query(
    `UPDATE ${QUEUE_TABLE} SET status = 'pending', pid = NULL, started_at = NULL, finished_at = NULL, note = $2 WHERE id = $1`,
    [id, note],
  );
}

export async function markCancelled(client: pg.ClientBase, id: number, reason: string): Promise<void> {
  await client.query(
    `UPDATE ${QUEUE_TABLE} SET status = 'cancelled', pid = NULL, finished_at = clock_timestamp(), note = $2 WHERE id = $1`,
    [id, reason],
  );
}

export async function updateTarget(
  client: pg.ClientBase,
  id: number,
  set: { objectName: string; tableName: string; columns: string[]; statement: string; note: string },
): Promise<void> {
  await client.query(
    `UPDATE ${QUEUE_TABLE} SET object_name = $2, table_name = $3, columns = $4, statement = $5, note = $6 WHERE id = $1`,
    [id, set.objectName, set.tableName, set.columns, set.statement, set.note],
  );
}

/** Deletes entries in the given states (all when `statuses` is undefined); returns what was removed. */
export async function deleteEntries(client: pg.ClientBase, statuses: readonly EntryStatus[] | undefined): Promise<QueueEntry[]> {
  const { rows } = await client.query<Row>(
    `DELETE FROM ${QUEUE_TABLE} WHERE $1::text[] IS NULL OR status = ANY ($1) RETURNING ${COLUMNS}`,
    [statuses ?? null],
  );
  return rows.map(fromRow).sort((a, b) => a.id - b.id);
}

/** `"public"."Post"`, or `"Post"` when the schema is unknown. */
export function entryTable(e: Pick<QueueEntry, 'tableSchema' | 'tableName'>): string {
  if (!e.tableName) return '(unknown table)';
  return e.tableSchema && e.tableSchema !== 'public'
    ? `${quoteIdent(e.tableSchema)}.${quoteIdent(e.tableName)}`
    : quoteIdent(e.tableName);
}

/** One line naming an entry: `index "Post_title_idx" on "Post"`. */
export function entryLabel(e: QueueEntry): string {
  const object = e.objectName ? quoteIdent(e.objectName) : '(unnamed)';
  switch (e.kind) {
    case 'index':
      return `index ${object} on ${entryTable(e)}`;
    case 'validate':
      return `validate ${object} on ${entryTable(e)}`;
    case 'not-null':
      return `NOT NULL ${entryTable(e)}.${e.columns[0] === undefined ? '(unknown column)' : quoteIdent(e.columns[0])}`;
    case 'contract':
      return `contract ${oneLine(e.statement, 100)}`;
  }
}

export function oneLine(text: string, max: number): string {
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The entry as JSON for `--json` output. */
export function entryJson(e: QueueEntry) {
  return {
    id: e.id,
    kind: e.kind,
    status: e.status,
    migration: e.migration,
    table: e.tableName === null ? null : { schema: e.tableSchema, name: e.tableName },
    object: e.objectName,
    columns: e.columns,
    statement: e.statement,
    attempts: e.attempts,
    pid: e.pid,
    sqlstate: e.sqlstate,
    error: e.error,
    note: e.note,
    createdAt: e.createdAt.toISOString(),
    startedAt: e.startedAt?.toISOString() ?? null,
    finishedAt: e.finishedAt?.toISOString() ?? null,
  };
}
