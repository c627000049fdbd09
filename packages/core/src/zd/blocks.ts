/**
 * The SQL prisma-zd writes into migrations (DESIGN §3: conditional statements).
 *
 * Every postponed or deferred statement becomes one `DO` block: on a database without
 * our bookkeeping schema it runs the original statement inline (so Prisma's shadow
 * database and plain deploys see exactly the original history, I1); on a managed
 * database it inserts the statement into `prisma_zd.queue` in the migration's own
 * transaction (I5). The first line of each block's body names its role, so a block can
 * be recognised (idempotent rewrite, `check`, facts replay) by reading the parsed
 * PL/pgSQL — never by matching SQL text.
 */
import { pgQuery } from '../sql/pg-parser.js';
import { dollarQuote, quoteLiteral } from '../sql/ident.js';

export const ZD_SCHEMA = 'prisma_zd';
export const QUEUE_TABLE = `${ZD_SCHEMA}.queue`;
/** The condition "this database is managed by prisma-zd". */
export const MANAGED = `to_regclass('${QUEUE_TABLE}') IS NOT NULL`;
export const UNMANAGED = `to_regclass('${QUEUE_TABLE}') IS NULL`;
export const BLOCK_VERSION = 'v1';

/** What a queue entry does when its time comes. */
export type EntryKind =
  /** `CREATE [UNIQUE] INDEX` built CONCURRENTLY by `postponed run`. */
  | 'index'
  /** `ALTER TABLE … VALIDATE CONSTRAINT` run by `postponed run`. */
  | 'validate'
  /**
   * `ALTER TABLE … ALTER COLUMN … SET NOT NULL` without a scan under lock: the migration
   * adds `CHECK (column IS NOT NULL) NOT VALID` (the entry's object, a brief lock; new
   * writes are held to it at once); `postponed run` validates it (reads and writes
   * continue), sets NOT NULL (the valid check proves it: no scan) and drops it.
   */
  | 'not-null'
  /** A destructive statement (`DROP DEFAULT`, its `DROP SEQUENCE`) applied by `contract`. */
  | 'contract';

export type BlockRole = 'postpone' | 'defer' | 'maintain';

/** One queue entry as `rewrite` describes it; the block inserts it. */
export interface EntrySpec {
  kind: EntryKind;
  migration: string;
  /** Index, constraint or sequence name; for a column default, the column; for NOT NULL, its temporary check. */
  objectName: string;
  /** Explicit schema of the table when the SQL qualified it. */
  tableSchema?: string;
  tableName: string;
  /** Columns the object depends on (index keys, FK columns, the defaulted column). */
  columns: string[];
  /** The exact statement the runner executes (an index without CONCURRENTLY: the runner adds it). */
  statement: string;
}

const TAG = 'zd';

function sqlArray(values: readonly string[]): string {
  return values.length === 0 ? `'{}'::text[]` : `ARRAY[${values.map(quoteLiteral).join(', ')}]::text[]`;
}

/** The schema of the entry's table: explicit, or the one the table resolves to now. */
function schemaExpr(e: Pick<EntrySpec, 'tableSchema' | 'tableName'>): string {
  if (e.tableSchema !== undefined) return quoteLiteral(e.tableSchema);
  const rel = quoteLiteral(`"${e.tableName.replaceAll('"', '""')}"`);
  return `(SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ${rel}::regclass)`;
}

/** The INSERT that queues an entry (valid inside PL/pgSQL). */
export function enqueueSql(e: EntrySpec): string {
  return (
    `INSERT INTO ${QUEUE_TABLE} (kind, migration, table_schema, table_name, object_name, columns, search_path, statement)\n` +
    `    VALUES (${quoteLiteral(e.kind)}, ${quoteLiteral(e.migration)}, ${schemaExpr(e)}, ${quoteLiteral(e.tableName)}, ` +
    `${quoteLiteral(e.objectName)}, ${sqlArray(e.columns)}, current_setting('search_path'), ${dollarQuote(e.statement, 's')})`
  );
}

function doBlock(role: BlockRole, body: string): string {
  const text = `\n-- prisma-zd:${BLOCK_VERSION} ${role}\nBEGIN\n${body}\nEND\n`;
  return `DO ${dollarQuote(text, TAG)}`;
}

/**
 * `original` inline on unmanaged databases, queued on managed ones (after `managedFirst`,
 * a statement run there first). `original` must not end with `;`.
 */
export function conditionalBlock(role: 'postpone' | 'defer', original: string, entry: EntrySpec, managedFirst?: string): string {
  const first = managedFirst === undefined ? '' : `    ${managedFirst};\n`;
  return doBlock(
    role,
    `  IF ${UNMANAGED} THEN\n${original};\n  ELSE\n${first}    ${enqueueSql(entry)};\n  END IF;`,
  );
}

/** Condition selecting the not-yet-done queue entries for an object. */
export function entryMatch(kind: EntryKind, objectName: string, tableName: string, tableSchema: string | undefined): string {
  const schema =
    tableSchema === undefined ? `table_schema = ANY (current_schemas(false))` : `table_schema = ${quoteLiteral(tableSchema)}`;
  return (
    `kind = ${quoteLiteral(kind)} AND object_name = ${quoteLiteral(objectName)} AND table_name = ${quoteLiteral(tableName)} ` +
    `AND ${schema} AND status IN ('pending', 'failed')`
  );
}

/** One maintenance step, run on managed databases before the statement it protects. */
export type MaintenanceStep =
  | {
      op: 'cancel';
      kind: EntryKind;
      objectName: string;
      tableName: string;
      tableSchema?: string;
      reason: string;
      /** Run first where the entry is still open (a NOT NULL's temporary check dropped), as `apply` runs its statement. */
      undo?: string;
      queuedSearchPath?: true;
    }
  | {
      op: 'update';
      kind: EntryKind;
      objectName: string;
      tableName: string;
      tableSchema?: string;
      set: { objectName?: string; tableName?: string; columns?: string[]; statement?: string };
    }
  /**
   * Do the pending work now, inline, because the statement needs its result. With
   * `queuedSearchPath`, under the search_path the entry was queued with (the statement's
   * own differs), as the runner would.
   */
  | {
      op: 'apply';
      kind: EntryKind;
      objectName: string;
      tableName: string;
      tableSchema?: string;
      statement: string;
      reason: string;
      queuedSearchPath?: true;
    };

function stepSql(s: MaintenanceStep): string {
  const where = entryMatch(s.kind, s.objectName, s.tableName, s.tableSchema);
  switch (s.op) {
    case 'cancel': {
      const cancel = `UPDATE ${QUEUE_TABLE} SET status = 'cancelled', finished_at = now(), note = ${quoteLiteral(s.reason)} WHERE ${where};`;
      if (s.undo === undefined) return `    ${cancel}`;
      const undo = s.queuedSearchPath ? underQueuedSearchPath(where, `${s.undo};\n`) : `${s.undo};\n`;
      return `    IF EXISTS (SELECT 1 FROM ${QUEUE_TABLE} WHERE ${where}) THEN\n${undo}      ${cancel}\n    END IF;`;
    }
    case 'update': {
      const sets: string[] = [];
      if (s.set.objectName !== undefined) sets.push(`object_name = ${quoteLiteral(s.set.objectName)}`);
      if (s.set.tableName !== undefined) sets.push(`table_name = ${quoteLiteral(s.set.tableName)}`);
      if (s.set.columns !== undefined) sets.push(`columns = ${sqlArray(s.set.columns)}`);
      if (s.set.statement !== undefined) sets.push(`statement = ${dollarQuote(s.set.statement, 's')}`);
      return `    UPDATE ${QUEUE_TABLE} SET ${sets.join(', ')} WHERE ${where};`;
    }
    case 'apply': {
      const dropLeftover =
        s.kind === 'index'
          ? `      IF to_regclass(${quoteLiteral(qualifiedIndex(s.objectName, s.tableSchema))}) IS NOT NULL THEN\n` +
            `        DROP INDEX ${qualifiedIndex(s.objectName, s.tableSchema)};\n      END IF;\n`
          : '';
      const work = s.queuedSearchPath ? underQueuedSearchPath(where, `${dropLeftover}${s.statement};\n`) : `${dropLeftover}${s.statement};\n`;
      return (
        `    IF EXISTS (SELECT 1 FROM ${QUEUE_TABLE} WHERE ${where}) THEN\n` +
        work +
        `      UPDATE ${QUEUE_TABLE} SET status = 'done', finished_at = now(), note = ${quoteLiteral(s.reason)} WHERE ${where};\n` +
        `    END IF;`
      );
    }
  }
}

/**
 * `work` (PL/pgSQL statements) run with the search_path recorded in the entry's queue row,
 * the statement's own restored after it (until the transaction ends, as SET LOCAL would).
 */
function underQueuedSearchPath(where: string, work: string): string {
  const saved = 'zd_search_path';
  const queued = `(SELECT search_path FROM ${QUEUE_TABLE} WHERE ${where} ORDER BY id LIMIT 1)`;
  return (
    `      DECLARE\n        ${saved} text := current_setting('search_path');\n      BEGIN\n` +
    `        PERFORM set_config('search_path', COALESCE(${queued}, ${saved}), true);\n` +
    work +
    `        PERFORM set_config('search_path', ${saved}, true);\n` +
    `      END;\n`
  );
}

function qualifiedIndex(name: string, schema: string | undefined): string {
  const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
  return schema === undefined ? q(name) : `${q(schema)}.${q(name)}`;
}

/**
 * Queue maintenance before `original`, on managed databases only. With `guardIndex`,
 * `original` (which acts on that index) runs only where the index exists or the
 * database is unmanaged: on a managed database a pending index was never built.
 */
export function maintenanceBlock(
  steps: readonly MaintenanceStep[],
  original: string,
  guardIndex?: { name: string; schema?: string },
): string {
  const managed = `  IF ${MANAGED} THEN\n${steps.map(stepSql).join('\n')}\n  END IF;`;
  if (!guardIndex) return doBlock('maintain', managed);
  const idx = quoteLiteral(qualifiedIndex(guardIndex.name, guardIndex.schema));
  return doBlock(
    'maintain',
    `${managed}\n  IF ${UNMANAGED} OR to_regclass(${idx}) IS NOT NULL THEN\n${original};\n  END IF;`,
  );
}

/**
 * A deferred `DROP INDEX` of an index that an earlier migration postponed: `original`
 * inline on unmanaged databases; on managed ones, `steps` first (the cancel of the
 * index's build, where it has not run), then the entry queued only where the index
 * exists (built, or left by a build still running).
 */
export function guardedDeferBlock(original: string, entry: EntrySpec, steps: readonly MaintenanceStep[], index: { name: string; schema?: string }): string {
  const idx = quoteLiteral(qualifiedIndex(index.name, index.schema));
  return doBlock(
    'defer',
    `  IF ${UNMANAGED} THEN\n${original};\n  ELSE\n${steps.map(stepSql).join('\n')}\n    IF to_regclass(${idx}) IS NOT NULL THEN\n      ${enqueueSql(entry)};\n    END IF;\n  END IF;`,
  );
}

/** A prisma-zd block found in a migration: its role and the original statement it carries. */
export interface ZdBlock {
  role: BlockRole;
  /** The statement run on unmanaged databases (absent for a maintenance block without one). */
  original?: string;
}

interface PlNode {
  [key: string]: unknown;
}

/** The block's role when `body` (a DO block's source) is one of ours. */
export function blockRole(body: string): BlockRole | undefined {
  const first = body.replace(/^\s+/, '').split('\n', 1)[0] ?? '';
  const m = /^-- prisma-zd:v\d+ (postpone|defer|maintain)\s*$/.exec(first);
  return m ? (m[1] as BlockRole) : undefined;
}

/**
 * Reads one of our `DO` blocks back: the PL/pgSQL body is parsed with PostgreSQL's own
 * PL/pgSQL parser and the original statement is the one run on unmanaged databases.
 */
export function readZdBlock(body: string): ZdBlock | undefined {
  const role = blockRole(body);
  if (!role) return undefined;
  let parsed: { plpgsql_funcs?: Array<{ PLpgSQL_function?: { action?: PlNode } }> };
  try {
    parsed = pgQuery().parsePlPgSQLSync(
      `CREATE FUNCTION prisma_zd_probe() RETURNS void LANGUAGE plpgsql AS ${dollarQuote(body, 'zdprobe')}`,
    ) as typeof parsed;
  } catch {
    return undefined;
  }
  const action = parsed.plpgsql_funcs?.[0]?.PLpgSQL_function?.action;
  const block = action?.PLpgSQL_stmt_block as { body?: PlNode[] } | undefined;
  for (const stmt of block?.body ?? []) {
    const ifs = stmt.PLpgSQL_stmt_if as
      | { cond?: { PLpgSQL_expr?: { query?: string } }; then_body?: PlNode[] }
      | undefined;
    const cond = ifs?.cond?.PLpgSQL_expr?.query;
    if (!ifs || cond === undefined || !cond.startsWith(UNMANAGED)) continue;
    const exec = ifs.then_body?.[0]?.PLpgSQL_stmt_execsql as { sqlstmt?: { PLpgSQL_expr?: { query?: string } } } | undefined;
    const original = exec?.sqlstmt?.PLpgSQL_expr?.query;
    if (original !== undefined) return { role, original };
  }
  return { role };
}

/** The marker comment line put before each statement prisma-zd wrote. */
export function markerComment(text: string): string {
  return `-- prisma-zd: ${text}`;
}
