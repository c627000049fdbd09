/**
 * The bookkeeping schema `prisma_zd`: its presence is what makes a database "managed"
 * (the DO blocks `rewrite` writes test `to_regclass('prisma_zd.queue')`). Versioned in
 * `prisma_zd.meta`; `setup` installs or upgrades it in one transaction, under the queue
 * lock, and is idempotent.
 */
import type pg from 'pg';
import { QUEUE_TABLE, ZD_SCHEMA } from '@prisma-zd/core';
import { ExitCode, UserError } from '../errors.js';
import { withTransaction } from '../db/connect.js';
import { acquireQueueLock, releaseQueueLock } from './lock.js';

/** The schema version this build installs and understands. */
export const SCHEMA_VERSION = 2;

/** Step `n` upgrades version n-1 to n. Append only: a released step never changes. */
const UPGRADES: Record<number, readonly string[]> = {
  1: [
    `CREATE SCHEMA IF NOT EXISTS ${ZD_SCHEMA}`,
    `COMMENT ON SCHEMA ${ZD_SCHEMA} IS 'prisma-zd bookkeeping: work postponed by rewritten migrations. Managed by prisma-zd setup; do not list it in the Prisma datasource schemas.'`,
    `CREATE TABLE ${ZD_SCHEMA}.meta (
       key text PRIMARY KEY,
       value text NOT NULL
     )`,
    `CREATE TABLE ${QUEUE_TABLE} (
       id bigserial PRIMARY KEY,
       kind text NOT NULL CHECK (kind IN ('index', 'validate', 'contract')),
       migration text,
       table_schema text,
       table_name text,
       object_name text,
       columns text[],
       search_path text,
       statement text NOT NULL,
       status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed', 'cancelled')),
       attempts int NOT NULL DEFAULT 0,
       pid int,
       sqlstate text,
       error text,
       note text,
       created_at timestamptz NOT NULL DEFAULT now(),
       started_at timestamptz,
       finished_at timestamptz
     )`,
    `COMMENT ON TABLE ${QUEUE_TABLE} IS 'Statements queued by rewritten migrations: index builds and validations (prisma-zd postponed run), contract statements (prisma-zd contract).'`,
  ],
  // Postponed SET NOT NULL (a NOT VALID check in the migration; validated, NOT NULL set and the check dropped by postponed run).
  2: [
    `ALTER TABLE ${QUEUE_TABLE} DROP CONSTRAINT queue_kind_check,
       ADD CONSTRAINT queue_kind_check CHECK (kind IN ('index', 'validate', 'not-null', 'contract'))`,
    `COMMENT ON TABLE ${QUEUE_TABLE} IS 'Statements queued by rewritten migrations: index builds, validations and NOT NULLs (prisma-zd postponed run), contract statements (prisma-zd contract).'`,
  ],
};

/** Run after every install or upgrade: only the owner (the role that ran setup) touches the tables. */
const PRIVILEGES = [
  `REVOKE ALL ON ALL TABLES IN SCHEMA ${ZD_SCHEMA} FROM PUBLIC`,
  `REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${ZD_SCHEMA} FROM PUBLIC`,
  // Any role may look the queue up (`to_regclass` in the migrations' DO blocks).
  `GRANT USAGE ON SCHEMA ${ZD_SCHEMA} TO PUBLIC`,
];

export type SchemaState =
  | { installed: false; schemaExists: boolean }
  | { installed: true; version: number; owner: string };

/** Whether the bookkeeping schema is installed here, and its version. */
export async function schemaState(client: pg.ClientBase): Promise<SchemaState> {
  const { rows } = await client.query<{ schema: boolean; meta: boolean; queue: boolean; owner: string | null }>(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS schema,
            to_regclass($2) IS NOT NULL AS meta,
            to_regclass($3) IS NOT NULL AS queue,
            (SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c WHERE c.oid = to_regclass($3)) AS owner`,
    [ZD_SCHEMA, `${ZD_SCHEMA}.meta`, QUEUE_TABLE],
  );
  const r = rows[0]!;
  if (!r.meta) {
    if (r.queue) {
      throw new UserError({
        code: 'ZD_SCHEMA_FOREIGN',
        message: `${QUEUE_TABLE} exists but ${ZD_SCHEMA}.meta does not: this schema was not created by prisma-zd setup.`,
        hint: `Inspect the schema "${ZD_SCHEMA}"; if it is not prisma-zd's, rename it, then run \`prisma-zd setup\`.`,
        exit: ExitCode.Usage,
      });
    }
    return { installed: false, schemaExists: r.schema };
  }
  if (!r.queue) {
    throw damaged(
      `${ZD_SCHEMA}.meta exists but ${QUEUE_TABLE} does not: the bookkeeping was changed by hand, and rewritten migrations now build their indexes inline (they look the queue up).`,
      `Nothing is queued without the table: drop the schema (DROP SCHEMA ${ZD_SCHEMA} CASCADE;) and run \`prisma-zd setup\` again.`,
    );
  }
  const v = await client.query<{ value: string }>(`SELECT value FROM ${ZD_SCHEMA}.meta WHERE key = 'schema_version'`);
  const value = v.rows[0]?.value;
  // Versions start at 1 (0 means "not installed"): a 0 was written by hand, and setup cannot upgrade from it.
  if (value === undefined || !/^[1-9]\d*$/.test(value)) {
    throw damaged(
      `${ZD_SCHEMA}.meta holds ${value === undefined ? 'no schema_version' : `schema_version ${JSON.stringify(value)}, not a version`}: the bookkeeping was changed by hand.`,
      `If ${QUEUE_TABLE} was made by this prisma-zd (version ${SCHEMA_VERSION}), restore the row: INSERT INTO ${ZD_SCHEMA}.meta (key, value) VALUES ('schema_version', '${SCHEMA_VERSION}') ON CONFLICT (key) DO UPDATE SET value = excluded.value; then run the command again.`,
    );
  }
  return { installed: true, version: Number(value), owner: r.owner ?? '' };
}

function damaged(message: string, hint: string): UserError {
  return new UserError({ code: 'ZD_SCHEMA_DAMAGED', message, hint, exit: ExitCode.Usage });
}

export function schemaNewerError(version: number): UserError {
  return new UserError({
    code: 'ZD_SCHEMA_NEWER',
    message: `The bookkeeping schema ${ZD_SCHEMA} of this database is at version ${version}; this prisma-zd knows version ${SCHEMA_VERSION} at most.`,
    hint: 'Upgrade prisma-zd to the version the rest of your pipeline uses.',
    exit: ExitCode.Usage,
  });
}

export function notSetUpError(): UserError {
  return new UserError({
    code: 'ZD_NOT_SET_UP',
    message: 'prisma-zd is not set up on this database (nothing is queued).',
    hint: 'Run `prisma-zd setup` before `prisma migrate deploy`: migrations then queue their index builds instead of locking tables.',
    exit: ExitCode.Usage,
  });
}

/**
 * For commands that read or work the queue: whether it is installed, or a user error
 * when its version is not the one this build understands.
 */
export async function requireCurrentSchema(client: pg.ClientBase): Promise<boolean> {
  const state = await schemaState(client);
  if (!state.installed) return false;
  if (state.version > SCHEMA_VERSION) throw schemaNewerError(state.version);
  if (state.version < SCHEMA_VERSION) {
    throw new UserError({
      code: 'ZD_SCHEMA_OLD',
      message: `The bookkeeping schema ${ZD_SCHEMA} is at version ${state.version}; this prisma-zd uses version ${SCHEMA_VERSION}.`,
      hint: 'Run `prisma-zd setup` to upgrade it.',
      exit: ExitCode.Usage,
    });
  }
  return true;
}

export interface SetupResult {
  /** The version before (0: not installed). */
  from: number;
  to: number;
  changed: boolean;
  /** The role owning the bookkeeping tables. */
  owner: string;
}

/** Installs or upgrades the bookkeeping schema. Idempotent; concurrent runs serialise on the queue lock. */
export async function installSchema(client: pg.ClientBase): Promise<SetupResult> {
  const before = await schemaState(client);
  if (before.installed && before.version > SCHEMA_VERSION) throw schemaNewerError(before.version);
  if (before.installed && before.version === SCHEMA_VERSION) {
    return { from: before.version, to: before.version, changed: false, owner: before.owner };
  }
  // Concurrent setups (parallel deploy jobs) wait for each other; a long runner makes setup fail after 10 s.
  await acquireQueueLock(client, '`setup`', 10_000);
  try {
    return await withTransaction(client, async () => {
      // Read again under the lock: a concurrent setup may have finished meanwhile.
      const state = await schemaState(client);
      const from = state.installed ? state.version : 0;
      if (from > SCHEMA_VERSION) throw schemaNewerError(from);
      for (let v = from + 1; v <= SCHEMA_VERSION; v++) {
        for (const sql of UPGRADES[v]!) await client.query(sql);
      }
      for (const sql of PRIVILEGES) await client.query(sql);
      await client.query(
        `INSERT INTO ${ZD_SCHEMA}.meta (key, value) VALUES ('schema_version', $1), ('installed_by', current_user)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [String(SCHEMA_VERSION)],
      );
      const owner = await client.query<{ owner: string }>(
        `SELECT pg_catalog.pg_get_userbyid(relowner) AS owner FROM pg_catalog.pg_class WHERE oid = to_regclass($1)`,
        [QUEUE_TABLE],
      );
      return { from, to: SCHEMA_VERSION, changed: from !== SCHEMA_VERSION, owner: owner.rows[0]?.owner ?? '' };
    });
  } finally {
    await releaseQueueLock(client).catch(() => {});
  }
}
