/**
 * Splits a migration script into its statements with the real PostgreSQL parser
 * (libpg-query), the way an engine that runs statements one by one would.
 *
 * The parser reports each statement as `stmt_location`/`stmt_len`, which are byte
 * offsets into the UTF-8 encoded script: we slice bytes, never JS string indices
 * (a single `é` before a statement would shift every later one otherwise).
 */
import { loadModule, parseSync } from 'libpg-query';

let loaded: Promise<void> | undefined;

/**
 * The statements of `script`, in order, each without its terminating `;`. The
 * PostgreSQL 18 parser starts a statement at its first token, so comments and
 * whitespace between statements are left out. Throws the parser's error when the
 * script is not valid SQL.
 */
export async function splitStatements(script: string): Promise<string[]> {
  loaded ??= loadModule();
  await loaded;
  const bytes = Buffer.from(script, 'utf8');
  const { stmts = [] } = parseSync(script);
  return stmts.map(({ stmt_location = 0, stmt_len = 0 }) => {
    // stmt_len 0 means "to the end of the script" (the last statement, without a `;`).
    const end = stmt_len === 0 ? bytes.length : stmt_location + stmt_len;
    return bytes.subarray(stmt_location, end).toString('utf8');
  });
}
