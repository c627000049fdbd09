/**
 * Failed migrations (Prisma's P3009 state): which statement failed and why (from
 * `_prisma_migrations.logs`), whether anything was left behind (the catalog, checked for
 * every object the migration creates), and what to do — resolved by prisma-zd only when
 * it is certain that nothing was applied (DESIGN §4):
 *
 *  - the file ran whole-file (one implicit transaction) and holds no transaction control
 *    or CONCURRENTLY statement, so it is all-or-nothing; and
 *  - Prisma recorded a lock timeout (the failure deploy retries), or the session was
 *    lost or killed and the catalog shows the migration's objects absent (all-or-nothing:
 *    one absent object means none of it committed).
 */
import type pg from 'pg';
import {
  asNode,
  emptySchemaState,
  parseSql,
  quoteIdent,
  replay,
  replayMigration,
  unmanagedView,
  zdBlockOf,
  QUEUE_TABLE,
  type MigrationFacts,
  type ParsedSql,
  type Execution,
  type SchemaState,
} from '@prisma-zd/core';
import { readingOf, type ExecutionModel } from '../project/prisma-project.js';
import type { MigrationFile } from '../project/migrations.js';
import { deniedObject } from '../queue/privileges.js';
import { migrationsTable, type MigrationRow } from './history.js';

export type FailureKind =
  /** SQLSTATE 55P03: lock_timeout (or NOWAIT) — what deploy retries. */
  | 'lock-timeout'
  | 'statement-timeout'
  /** Cancelled (pg_cancel_backend, Ctrl-C). */
  | 'cancelled'
  /** The session was terminated or lost (server restart, pg_terminate_backend, network). */
  | 'connection'
  /** Any other error PostgreSQL raised. */
  | 'error'
  /** Nothing recorded: the process died before it could write the error. */
  | 'none';

export interface FailureLog {
  kind: FailureKind;
  /** PostgreSQL's message, e.g. `canceling statement due to lock timeout`. */
  message: string | undefined;
  sqlstate: string | undefined;
}

/** Reads Prisma's `logs` column (native engine: "Database error code: …"; WebAssembly engine: "Error querying the database: ERROR: …"). */
export function readFailureLog(logs: string | null | undefined): FailureLog {
  const text = (logs ?? '').trim();
  if (!text) return { kind: 'none', message: undefined, sqlstate: undefined };
  const sqlstate =
    /Database error code: ([0-9A-Z]{5})/.exec(text)?.[1] ?? /SqlState\(E([0-9A-Z]{5})\)/.exec(text)?.[1] ?? /\bcode: "([0-9A-Z]{5})"/.exec(text)?.[1];
  const message =
    /(?:^|\n|: )(?:ERROR|FATAL):\s*([^\n]+)/.exec(text)?.[1]?.trim() ??
    text.split('\n').map((l) => l.trim()).find((l) => l && !/^external connector error$/i.test(l));
  const m = message ?? '';
  let kind: FailureKind = 'error';
  if (sqlstate === '55P03' || /lock timeout|could not obtain lock/i.test(m)) kind = 'lock-timeout';
  else if (/statement timeout/i.test(m)) kind = 'statement-timeout';
  else if (sqlstate === '57014' || /canceling statement due to user request/i.test(m)) kind = 'cancelled';
  else if (
    /^(08|57P0[123])/.test(sqlstate ?? '') ||
    /terminating connection|connection (was )?(terminated|closed|reset)|server closed the connection|ECONNRESET|ECONNREFUSED|Connection terminated/i.test(text)
  ) {
    kind = 'connection';
  }
  return { kind, message, sqlstate };
}

/** Statement kinds that PostgreSQL runs outside a transaction block (a failure can leave something behind). */
const NON_TRANSACTIONAL = new Set(['VacuumStmt', 'CreatedbStmt', 'DropdbStmt', 'AlterSystemStmt', 'CreateTableSpaceStmt', 'DropTableSpaceStmt']);

/** Whether the file is all-or-nothing under `execution`; `reason` says why not. */
export function atomicity(sql: string, execution: ExecutionModel): { atomic: boolean; reason?: string } {
  if (execution !== 'whole-file') {
    const how = execution === 'per-statement' ? 'one statement at a time, each committed on its own' : 'in a way prisma-zd cannot tell';
    return { atomic: false, reason: `Prisma runs migration.sql ${how}: the statements before the failing one may be applied` };
  }
  const parsed = parseSql(sql);
  if (parsed.error) return { atomic: true }; // A syntax error anywhere: the server runs nothing of the file.
  for (const s of parsed.statements) {
    if (s.kind === 'TransactionStmt') {
      return { atomic: false, reason: `it controls its own transaction (line ${s.loc.start.line}: ${oneLine(s.text)})` };
    }
    const concurrent = (s.node as { concurrent?: boolean }).concurrent === true;
    const reindexConcurrently = s.kind === 'ReindexStmt' && JSON.stringify(s.node).includes('"defname":"concurrently"');
    if (concurrent || reindexConcurrently || NON_TRANSACTIONAL.has(s.kind)) {
      return { atomic: false, reason: `line ${s.loc.start.line} runs outside a transaction (${oneLine(s.text)})` };
    }
  }
  return { atomic: true };
}

export function oneLine(text: string, max = 100): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** One object the migration creates, and whether the catalog has it now. */
export interface Evidence {
  what: string;
  present: boolean;
  /** The id, when this is an open queue entry the migration's prisma-zd blocks wrote. */
  queueEntry?: number;
}

function unquoteLast(key: string, prefix: string): string {
  const rest = key.slice(prefix.length + 1);
  return rest.slice(1, -1).replaceAll('""', '"');
}

function tableOf(key: string, state: SchemaState): string | undefined {
  for (const t of state.tables.keys()) if (key.startsWith(`${t}.`)) return t;
  return undefined;
}

/** The schema before migration `index` of `files` (replayed, prisma-zd blocks as their original statements). */
function schemaBefore(files: readonly MigrationFile[], index: number, defaultSchema: string, execution: Execution): SchemaState | undefined {
  if (index === 0) return undefined;
  const facts = replay(
    files.slice(0, index).map((f) => {
      const view = unmanagedView(parseSql(f.sql));
      return { name: f.name, parsed: view.parsed, tops: view.source };
    }),
    { defaultSchema, execution },
  );
  return facts[facts.length - 1]?.after;
}

/**
 * A failed migration as it ran on this database: on a managed one its prisma-zd blocks
 * queue rows instead of creating objects, elsewhere they run their original statements.
 */
export interface RanMigration {
  readonly file: MigrationFile;
  readonly parsed: ParsedSql;
  readonly managed: boolean;
  /** The replay of what it does there (from the schema the migrations before it leave). */
  readonly facts: MigrationFacts;
}

export async function ranMigration(
  client: pg.ClientBase,
  files: readonly MigrationFile[],
  index: number,
  defaultSchema: string,
  execution: Execution,
): Promise<RanMigration> {
  const file = files[index]!;
  const managed = (await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [QUEUE_TABLE])).rows[0]?.ok ?? false;
  const parsed = parseSql(file.sql);
  // On a managed database a postponed statement leaves a queue row, not the object.
  const text = managed
    ? parsed.statements.filter((s) => !zdBlockOf(s)).map((s) => `${s.text};\n`).join('')
    : unmanagedView(parsed).parsed.text;
  const before = schemaBefore(files, index, defaultSchema, execution);
  const facts = replayMigration(before ?? emptySchemaState(defaultSchema), { name: file.name, parsed: parseSql(text) }, { defaultSchema, execution });
  return { file, parsed, managed, facts };
}

/**
 * The catalog check: every object the migration creates (on a managed database, the
 * statements prisma-zd queues count by their queue entries) and whether it exists now.
 */
export async function catalogEvidence(client: pg.ClientBase, ran: RanMigration): Promise<Evidence[]> {
  const { file, parsed, managed, facts } = ran;
  const blocks = parsed.statements.filter((s) => zdBlockOf(s)?.role === 'postpone' || zdBlockOf(s)?.role === 'defer');
  const out: Evidence[] = [];
  const regclass = async (key: string, what: string) => {
    const r = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [key]);
    out.push({ what: `${what} ${key}`, present: r.rows[0]!.ok });
  };
  for (const t of facts.created.tables) await regclass(t, 'table');
  for (const i of facts.created.indexes) await regclass(i, 'index');
  for (const s of facts.created.sequences) await regclass(s, 'sequence');
  for (const e of facts.created.enums) {
    const r = await client.query<{ ok: boolean }>('SELECT to_regtype($1) IS NOT NULL AS ok', [e]);
    out.push({ what: `type ${e}`, present: r.rows[0]!.ok });
  }
  for (const c of facts.created.columns) {
    const table = tableOf(c, facts.after);
    if (!table || facts.created.tables.has(table)) continue; // A new table's columns come with it.
    const r = await client.query<{ ok: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped AND attnum > 0) AS ok`,
      [table, unquoteLast(c, table)],
    );
    out.push({ what: `column ${c}`, present: r.rows[0]!.ok });
  }
  for (const k of facts.created.constraints) {
    const table = tableOf(k, facts.after);
    if (!table || facts.created.tables.has(table)) continue;
    const r = await client.query<{ ok: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2) AS ok`,
      [table, unquoteLast(k, table)],
    );
    out.push({ what: `constraint ${k}`, present: r.rows[0]!.ok });
  }
  if (managed && blocks.length) {
    // Named one by one: under per-statement execution each block commits its entry on its
    // own, so a failure later in the file leaves them for a migration that is not applied.
    const entries = await openEntriesOf(client, file.name);
    if (entries.length === 0) out.push({ what: `queue entries of ${file.name} in ${QUEUE_TABLE}`, present: false });
    for (const e of entries) out.push({ what: `queue entry #${e.id} (${e.label})`, present: true, queueEntry: e.id });
  }
  return out;
}

/** The open (pending, running, failed) queue entries that `migration` queued. */
async function openEntriesOf(client: pg.ClientBase, migration: string): Promise<Array<{ id: number; label: string }>> {
  const { rows } = await client.query<{ id: string; kind: string; object_name: string | null; table_name: string | null; statement: string }>(
    `SELECT id, kind, object_name, table_name, statement FROM ${QUEUE_TABLE}
      WHERE migration = $1 AND status IN ('pending', 'running', 'failed') ORDER BY id`,
    [migration],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    label:
      r.kind === 'contract'
        ? `contract: ${oneLine(r.statement, 80)}`
        : `${r.kind === 'index' ? 'index' : r.kind === 'not-null' ? 'NOT NULL (check)' : 'validate'} ${quoteIdent(r.object_name ?? '?')} on ${quoteIdent(r.table_name ?? '?')}`,
  }));
}

/** Statement kinds that only create an object the catalog check looks for. */
const CREATING = new Set(['CreateStmt', 'IndexStmt', 'CreateEnumStmt', 'CreateSeqStmt']);

/**
 * For a migration that may have run statement by statement (each committed on its own):
 * the first statement that could have run without leaving anything `catalogEvidence`
 * looks for, or undefined when each statement creates an object it checks (so that, with
 * none of them in the catalog, no statement was committed). On a managed database a
 * prisma-zd block leaves its queue entries; elsewhere only a postponed index leaves
 * something (the index).
 */
export function silentStatement(ran: RanMigration): string | undefined {
  const { parsed, managed, facts } = ran;
  if (parsed.error) return 'the file does not parse';
  if (parsed.statements.length === 0) return 'the file has no statement';
  for (const s of parsed.statements) {
    const block = zdBlockOf(s);
    const where = `line ${s.loc.start.line} (${oneLine(s.text, 80)})`;
    if (block) {
      if (block.role === 'postpone' || (block.role === 'defer' && managed)) continue;
      return where;
    }
    if (CREATING.has(s.kind)) continue;
    if (s.kind === 'AlterTableStmt') {
      const cmds = (s.node as { cmds?: unknown[] }).cmds ?? [];
      const adds = cmds.every((c) => {
        const cmd = asNode(c as Parameters<typeof asNode>[0], 'AlterTableCmd');
        return cmd?.subtype === 'AT_AddColumn' || cmd?.subtype === 'AT_AddConstraint';
      });
      if (cmds.length && adds) continue;
    }
    return where;
  }
  // The replay must know what each statement creates, or the catalog check misses it.
  const unknown = facts.statements.find((f) => !f.understood);
  if (unknown) return `a statement the replay does not follow (${unknown.kind})`;
  return undefined;
}

export type LeftBehind = 'nothing' | 'partial' | 'everything' | 'unknown';

export function leftBehind(evidence: readonly Evidence[]): LeftBehind {
  if (evidence.length === 0) return 'unknown';
  const present = evidence.filter((e) => e.present).length;
  return present === 0 ? 'nothing' : present === evidence.length ? 'everything' : 'partial';
}

export interface FailedMigration {
  row: MigrationRow;
  /** Its file, when the folder still has it. */
  file: MigrationFile | undefined;
  log: FailureLog;
  atomic: { atomic: boolean; reason?: string };
  evidence: Evidence[];
  left: LeftBehind;
  /** prisma-zd may mark it rolled back and carry on. */
  autoResolve: boolean;
  /** Why (not). */
  reason: string;
  /** The exact commands that resolve it by hand. */
  fix: string[];
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** What `prisma migrate resolve --rolled-back` does, as SQL (6.19.3's resolve needs the native engine). */
export function rolledBackSql(schema: string, row: Pick<MigrationRow, 'id'>): string {
  return `UPDATE ${migrationsTable(schema)} SET rolled_back_at = now() WHERE id = ${sqlString(row.id)};`;
}

export function resolveCommand(flag: '--rolled-back' | '--applied', name: string): string {
  return `npx prisma migrate resolve ${flag} ${quoteIdent(name)}`;
}

/**
 * The first step when the migration failed for a privilege of the deploying role (SQLSTATE
 * 42501: "must be owner of table X", "permission denied for table X"): the object, its
 * owner and the statement that lets the role do it; undefined for any other failure.
 */
async function privilegeCause(client: pg.ClientBase, log: FailureLog): Promise<string | undefined> {
  const message = log.message ?? '';
  if (log.sqlstate !== '42501' && !/must be owner of|permission denied for/i.test(message)) return undefined;
  const denied = deniedObject(message);
  if (!denied || denied.bookkeeping) return undefined;
  const owning = /must be owner of/i.test(message);
  const { rows } = await client
    .query<{ role: string; object: string | null; owner: string | null }>(
      denied.kind === 'schema'
        ? `SELECT current_user AS role, quote_ident(nspname) AS object, pg_catalog.pg_get_userbyid(nspowner) AS owner FROM pg_catalog.pg_namespace WHERE nspname = $1`
        : `SELECT current_user AS role, c.oid::regclass::text AS object, pg_catalog.pg_get_userbyid(c.relowner) AS owner
             FROM pg_catalog.pg_class c WHERE c.oid = to_regclass($1)`,
      [denied.kind === 'schema' ? denied.name : quoteIdent(denied.name)],
    )
    .catch(() => ({ rows: [] as Array<{ role: string; object: string | null; owner: string | null }> }));
  const r = rows[0];
  if (!r?.object || !r.owner) return undefined;
  const role = quoteIdent(r.role);
  const owner = r.owner === 'pg_database_owner' ? 'the database owner' : quoteIdent(r.owner);
  const grant =
    denied.kind === 'schema'
      ? `GRANT USAGE, CREATE ON SCHEMA ${r.object} TO ${role};`
      : owning
        ? `ALTER ${denied.kind === 'sequence' ? 'SEQUENCE' : denied.kind === 'view' ? 'VIEW' : denied.kind === 'materialized view' ? 'MATERIALIZED VIEW' : 'TABLE'} ${r.object} OWNER TO ${role};`
        : `GRANT ALL PRIVILEGES ON ${denied.kind === 'sequence' ? 'SEQUENCE ' : ''}${r.object} TO ${role}; (or only the one the statement needs)`;
  return (
    `the deploying role ${role} ${owning ? 'is not the owner of' : 'lacks a privilege on'} ${denied.kind} ${r.object}, which belongs to ${owner}: ` +
    `deploy with the role that owns the app's objects, or, as ${owner}: ${grant} then:`
  );
}

/** Judges a failed row (see the module comment). */
export async function analyseFailed(
  client: pg.ClientBase,
  row: MigrationRow,
  files: readonly MigrationFile[],
  execution: ExecutionModel,
  schema: string,
): Promise<FailedMigration> {
  const index = files.findIndex((f) => f.name === row.name);
  const file = index === -1 ? undefined : files[index];
  const log = readFailureLog(row.logs);
  const atomic = file ? atomicity(file.sql, execution) : { atomic: false, reason: 'its migration.sql is not in the migrations folder' };
  const ran = file ? await ranMigration(client, files, index, schema, readingOf(execution)) : undefined;
  const evidence = ran ? await catalogEvidence(client, ran) : [];
  const left = leftBehind(evidence);
  const rolledBack = [resolveCommand('--rolled-back', row.name), `  (or, as SQL: ${rolledBackSql(schema, row)})`, 'prisma-zd deploy'];
  const base = { row, file, log, atomic, evidence, left };
  if (atomic.atomic && (left === 'nothing' || left === 'unknown') && log.kind === 'lock-timeout') {
    return { ...base, autoResolve: true, reason: 'it timed out waiting for a lock, and a whole-file migration is all-or-nothing: nothing was applied', fix: rolledBack };
  }
  if (atomic.atomic && left === 'nothing' && (log.kind === 'connection' || log.kind === 'none' || log.kind === 'cancelled')) {
    const how = log.kind === 'none' ? 'its process ended before recording an error' : log.kind === 'cancelled' ? 'it was cancelled' : 'its connection was lost';
    return { ...base, autoResolve: true, reason: `${how}; it is all-or-nothing and the catalog has none of its objects: nothing was applied`, fix: rolledBack };
  }
  if (atomic.atomic && left === 'everything' && (log.kind === 'connection' || log.kind === 'none')) {
    return {
      ...base,
      autoResolve: false,
      reason: 'the catalog has every object it creates: it was probably applied, but its success was not recorded',
      fix: [`check the schema against ${file ? file.path : row.name}, then:`, resolveCommand('--applied', row.name), 'prisma-zd deploy'],
    };
  }
  if (atomic.atomic && left !== 'partial' && log.kind !== 'none' && log.kind !== 'connection') {
    return {
      ...base,
      autoResolve: false,
      reason: 'nothing of it was applied (whole-file, all-or-nothing), but the error will happen again',
      fix: [(await privilegeCause(client, log)) ?? 'fix the cause (the error above: the migration or the data), then:', ...rolledBack],
    };
  }
  if (!atomic.atomic && ran && left === 'nothing' && log.kind !== 'error' && log.kind !== 'statement-timeout') {
    // Statement by statement (Prisma 7.4+ may run a file so): nothing was applied when each
    // statement would have left an object and the catalog has none of them.
    const silent = silentStatement(ran);
    if (silent === undefined) {
      const how =
        log.kind === 'lock-timeout'
          ? 'it timed out waiting for a lock'
          : log.kind === 'none'
            ? 'its process ended before recording an error'
            : log.kind === 'cancelled'
              ? 'it was cancelled'
              : 'its connection was lost';
      return {
        ...base,
        autoResolve: true,
        reason: `${how}; Prisma may commit its statements one by one, but each of them creates an object and the catalog has none: nothing was applied`,
        fix: rolledBack,
      };
    }
    atomic.reason = `${atomic.reason}, and ${silent} leaves nothing in the catalog to tell whether it ran`;
  }
  const why = !atomic.atomic ? `it may be partly applied: ${atomic.reason}` : left === 'partial' ? 'the catalog has some of its objects and not others' : 'prisma-zd cannot tell what it left behind';
  const queued = evidence.filter((e) => e.queueEntry !== undefined).map((e) => `#${e.queueEntry}`);
  const entries = queued.length === 1 ? `queue entry ${queued[0]}` : `queue entries ${queued.join(', ')}`;
  return {
    ...base,
    autoResolve: false,
    reason: why,
    fix: [
      `complete or revert what ${file ? file.path : row.name} did (the objects above${queued.length ? `, except the ${entries}: leave ${queued.length === 1 ? 'it' : 'them'} in the queue` : ''}), then one of:`,
      `${resolveCommand('--applied', row.name)}    # you completed it by hand${queued.length ? `; postponed run / contract then complete ${entries}` : ''}`,
      `${resolveCommand('--rolled-back', row.name)}    # you reverted it; deploy applies it again${queued.length ? ` and cancels ${entries} (the migration queues ${queued.length === 1 ? 'it' : 'them'} anew)` : ''}`,
      'prisma-zd deploy',
      ...(queued.length ? [`(until it is resolved, prisma-zd runs none of ${queued.join(', ')})`] : []),
    ],
  };
}

/** Marks a failed row rolled back, as `prisma migrate resolve --rolled-back` does. True when the row was still failed. */
export async function markRolledBack(client: pg.ClientBase, schema: string, id: string): Promise<boolean> {
  const r = await client.query(
    `UPDATE ${migrationsTable(schema)} SET rolled_back_at = now() WHERE id = $1 AND finished_at IS NULL AND rolled_back_at IS NULL`,
    [id],
  );
  return (r.rowCount ?? 0) > 0;
}
