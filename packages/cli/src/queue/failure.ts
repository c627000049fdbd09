/**
 * Why a queued statement failed, in the user's terms, and what to do next.
 */
import { quoteIdent } from '@prisma-zd/core';
import { entryTable, type QueueEntry } from './entries.js';
import { deniedObject } from './privileges.js';

export interface DbFailure {
  sqlstate: string | null;
  message: string;
}

/** SQLSTATE and message of a PostgreSQL error (or any error). */
export function dbFailure(e: unknown): DbFailure {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : null;
  return { sqlstate: code, message: typeof err?.message === 'string' ? err.message : String(e) };
}

/**
 * A lost session rather than a failed statement: connection-class SQLSTATEs (08…),
 * `pg_terminate_backend` and server shutdowns (57P01-57P03), or pg's own errors about a
 * dead socket (no SQLSTATE).
 */
export function isConnectionLoss(e: unknown): boolean {
  const err = (e ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof err.code === 'string' ? err.code : '';
  if (/^(08|57P0[123])/.test(code)) return true;
  if (['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  if (/^[0-9A-Z]{5}$/.test(code)) return false;
  const message = typeof err.message === 'string' ? err.message : '';
  return /Connection terminated|not queryable|connection error|terminating connection|server closed the connection/i.test(message);
}

/** Prefix of `error` for entries refused by the parser check (never executed). */
export const REFUSED = 'refused:';

/** What to do about a failed entry: one sentence ending with the command to run. */
export function nextStep(e: QueueEntry, command: string): string {
  const table = entryTable(e);
  const cols = e.columns.map(quoteIdent).join(', ');
  if (e.error?.startsWith(REFUSED)) {
    return (
      `prisma-zd runs only what \`prisma-zd rewrite\` queued, as the migrations folder has it: if the folder given was not the one ` +
      `\`prisma migrate deploy\` applied, run \`${command} --migrations <that folder>\` (the refusal is judged again on every run); ` +
      `otherwise this entry was not written by rewrite: find out who queued it, then cancel it ` +
      `(\`prisma-zd postponed cancel --id ${e.id} --reason "…"\`) and run \`${command}\``
    );
  }
  switch (e.sqlstate) {
    case '23505':
      return (
        `fix the duplicate rows in ${table}${cols ? `.${e.columns.length > 1 ? `(${cols})` : cols}` : ''}` +
        (cols ? ` (find them: SELECT ${cols}, count(*) FROM ${table} GROUP BY ${cols} HAVING count(*) > 1;)` : '') +
        `, then run \`${command}\``
      );
    case '23514':
    case '23502':
    case '23503':
      if (e.kind === 'not-null' && e.columns[0] !== undefined && e.sqlstate !== '23503') {
        const c = quoteIdent(e.columns[0]);
        return `set ${c} in the rows of ${table} that have none (find them: SELECT count(*) FROM ${table} WHERE ${c} IS NULL;), then run \`${command}\``;
      }
      return `fix the rows of ${table} that violate ${e.objectName ? quoteIdent(e.objectName) : 'the constraint'}, then run \`${command}\``;
    case '42P01':
    case '42703':
    case '42704':
      if (e.kind === 'not-null' && e.sqlstate === '42704' && e.objectName && e.columns[0] !== undefined) {
        const check = quoteIdent(e.objectName);
        return (
          `add the check again (a brief lock; new writes are held to it at once): ALTER TABLE ${table} ADD CONSTRAINT ${check} CHECK (${quoteIdent(e.columns[0])} IS NOT NULL) NOT VALID; ` +
          `then run \`${command}\`; or, if the column is to stay nullable, cancel it: \`prisma-zd postponed cancel --id ${e.id} --reason "…"\``
        );
      }
      return (
        `the object it needs is missing: check that every migration is applied (\`prisma migrate status\`), then run \`${command}\`; ` +
        `if the object was changed by hand and this work is moot, cancel it: \`prisma-zd postponed cancel --id ${e.id} --reason "…"\``
      );
    case '42P07':
      return `another object already has the name ${e.objectName ? quoteIdent(e.objectName) : ''}: rename or drop it, then run \`${command}\``;
    case '42501': {
      const denied = deniedObject(e.error ?? '');
      if (denied?.kind === 'schema' && !denied.bookkeeping) {
        const schema = quoteIdent(denied.name);
        return (
          `the role of the database URL may not create in schema ${schema} (an index is created there, next to its table): ` +
          `as the owner of the schema, GRANT USAGE, CREATE ON SCHEMA ${schema} TO <this role>; or run \`${command}\` with the role \`prisma migrate deploy\` uses; then run \`${command}\``
        );
      }
      if (!/must be owner/i.test(e.error ?? '')) {
        return `the role of the database URL lacks the privilege named above: grant it (as the object's owner), or run \`${command}\` with the role \`prisma migrate deploy\` uses; then run \`${command}\``;
      }
      const what = e.kind === 'index' ? 'build an index on it' : e.kind === 'validate' || e.kind === 'not-null' ? 'validate its constraints' : 'alter it';
      return (
        `the role of the database URL may not ${what} (only the owner of ${table} may): run \`${command}\` with the role that owns the app's tables ` +
        `(the one \`prisma migrate deploy\` uses), or let this role own it (as the owner: ALTER TABLE ${table} OWNER TO <this role>;), then run \`${command}\``
      );
    }
    case '57014':
      return `the statement was cancelled (pg_cancel_backend or statement_timeout): run \`${command}\` again`;
    case '55P03':
      return `it could not take its lock in time: run \`${command}\` again when the table is quieter`;
    case '53100':
    case '53200':
    case '54000':
      return `the server ran out of a resource (disk or memory): free it (or lower --maintenance-work-mem), then run \`${command}\``;
    case '40P01':
    case '40001':
      return `a concurrent transaction conflicted with it: run \`${command}\` again`;
    default:
      return `fix the cause above, then run \`${command}\``;
  }
}
