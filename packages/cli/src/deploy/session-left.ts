/**
 * Session settings a migration leaves behind (check's search-path-not-reset and
 * role-not-reset), read before anything runs, and the refusal `deploy` and the testing
 * kit share: Prisma records each migration in "_prisma_migrations" on the same
 * connection, right after the file, with an unqualified name and as the session's role.
 */
import { relative } from 'node:path';
import type pg from 'pg';
import { quoteIdent, sessionLeft, type Execution } from '@prisma-zd/core';
import { ExitCode, UserError } from '../errors.js';
import type { MigrationFile } from '../project/migrations.js';

export interface LeftSettings {
  /**
   * The session-level search_path the file leaves set (`SET search_path` without LOCAL,
   * `set_config(…, false)`, in a DO block too), and the line that set it: Prisma records
   * the migration and runs the next ones under it.
   */
  searchPathLeft?: { path: string[]; line: number };
  /** A `SET ROLE` / `SET SESSION AUTHORIZATION` (without LOCAL) the file leaves in effect, and its line. */
  rolesLeft?: Array<{ setting: 'role' | 'session_authorization'; role: string; line: number }>;
}

/** A migration about to run, with what it leaves set. */
export interface LeavingMigration extends LeftSettings {
  readonly name: string;
  readonly path: string;
}

/**
 * What each migration of `pending` (names of `files`, a history in Prisma's order) leaves
 * set, read as check reads it (`sessionLeft`): the history before each is replayed, so
 * that names and paths are read as the server would. The parser must be initialised.
 */
export function leavingMigrations(files: readonly MigrationFile[], pending: ReadonlySet<string>, defaultSchema: string, execution: Execution): Map<string, LeavingMigration> {
  const last = files.reduce((at, f, i) => (pending.has(f.name) ? i : at), -1);
  const left = sessionLeft(files.slice(0, last + 1), { defaultSchema, execution, only: pending });
  const out = new Map<string, LeavingMigration>();
  for (const f of files) {
    const l = left.get(f.name);
    if (!l) continue;
    out.set(f.name, {
      name: f.name,
      path: f.path,
      ...(l.searchPath ? { searchPathLeft: { path: [...l.searchPath.path], line: l.searchPath.line } } : {}),
      ...(l.roles.length ? { rolesLeft: l.roles.map((r) => ({ ...r })) } : {}),
    });
  }
  return out;
}

/** `path:line`, the path relative to the working directory when it is under it. */
export function fileLine(path: string, line: number): string {
  const file = relative(process.cwd(), path);
  return `${file && !file.startsWith('..') ? file : path}:${line}`;
}

export interface RefuseOptions {
  /** How to go on once the file is edited, e.g. "run `prisma-zd deploy` again". */
  readonly again: string;
  /** What is not refused but worth knowing (the migrations after it run under the setting). */
  readonly warn?: (message: string) => void;
}

/**
 * Refuses (a `UserError`, before anything runs) a migration whose setting would make
 * Prisma's bookkeeping fail after its changes committed, leaving it failed (P3009 on the
 * next deploy):
 * - `ZD_SEARCH_PATH_LEFT`: a session search_path without Prisma's schema `schema` on it
 *   (`UPDATE "_prisma_migrations"` fails, P1014);
 * - `ZD_ROLE_LEFT`: a role that may not update "_prisma_migrations" (permission denied).
 *   A role that does not exist fails the migration itself, harmlessly; a first deploy
 *   (no table yet) is refused unless the role is a superuser or a member of this session's.
 * The others are warnings: the migrations after it in the same run resolve names or run under it.
 */
export async function refuseSessionLeft(client: pg.ClientBase, migrations: readonly LeavingMigration[], schema: string, options: RefuseOptions): Promise<void> {
  const warn = options.warn ?? (() => {});
  for (const m of migrations) {
    const left = m.searchPathLeft;
    if (!left) continue;
    const path = left.path.map(quoteIdent).join(', ');
    const where = fileLine(m.path, left.line);
    if (!left.path.includes(schema)) {
      throw new UserError({
        code: 'ZD_SEARCH_PATH_LEFT',
        message:
          `Migration ${m.name} leaves the search_path set to ${path} (${where}). Prisma records each migration in "_prisma_migrations" without naming its schema ${quoteIdent(schema)}, on the same connection, right after the file: ` +
          `under that path it fails (P1014) with the migration's changes already committed, and leaves the migration failed. Nothing was applied.`,
        hint: `Edit ${where} (the migration is not applied yet): end the migration with \`RESET search_path;\`, use SET LOCAL, or name the schema in each statement; then ${options.again} (\`prisma-zd check\` reports it as search-path-not-reset).`,
        exit: ExitCode.Usage,
      });
    }
    warn(
      `Migration ${m.name} leaves the search_path set to ${path} (${where}): the migrations applied after it in this deploy resolve their unqualified names in ${quoteIdent(left.path[0]!)} first. End it with \`RESET search_path;\` to keep them in ${quoteIdent(schema)}.`,
    );
  }
  const table = `${quoteIdent(schema)}."_prisma_migrations"`;
  for (const m of migrations) {
    for (const left of m.rolesLeft ?? []) {
      const set = `${left.setting === 'role' ? 'SET ROLE' : 'SET SESSION AUTHORIZATION'} ${quoteIdent(left.role)}`;
      const where = fileLine(m.path, left.line);
      const reset = left.setting === 'role' ? 'RESET ROLE' : 'RESET SESSION AUTHORIZATION';
      let may: boolean;
      try {
        // Not there yet (a first deploy): Prisma creates it as this session's role, so only a superuser or a member of that role may update it.
        const q = await client.query<{ may: boolean | null }>(
          `SELECT CASE WHEN pg_catalog.to_regclass($2) IS NULL
                  THEN (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = $1) OR pg_catalog.pg_has_role($1, current_user, 'USAGE')
                  ELSE pg_catalog.has_table_privilege($1, $2, 'UPDATE') END AS may`,
          [left.role, table],
        );
        may = q.rows[0]?.may === true;
      } catch {
        continue;
      }
      if (!may) {
        throw new UserError({
          code: 'ZD_ROLE_LEFT',
          message:
            `Migration ${m.name} leaves ${set} in effect (${where}), and ${quoteIdent(left.role)} may not update ${table}: Prisma records the migration there as that role, on the same connection, right after the file, ` +
            `so it would fail (permission denied) with the migration's changes already committed, and leave it failed. Nothing was applied.`,
          hint: `Edit ${where} (the migration is not applied yet): end the migration with \`${reset};\` (RESET ALL does not reset it), then ${options.again} (\`prisma-zd check\` reports it as role-not-reset).`,
          exit: ExitCode.Usage,
        });
      }
      warn(
        `Migration ${m.name} leaves ${set} in effect (${where}): the migrations applied after it in this deploy run as ${quoteIdent(left.role)}, and what they create is owned by it. End it with \`${reset};\`.`,
      );
    }
  }
}
