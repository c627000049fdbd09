/**
 * PostgreSQL's own parser (libpg-query: PostgreSQL's grammar compiled to WebAssembly),
 * loaded on first need. `initParser()` imports and instantiates it, so a command that
 * parses nothing (a commit that stages no migration, `postponed list`) never pays for
 * the WebAssembly, and one that will parse can start loading it before reading its
 * files.
 */
type PgQuery = typeof import('libpg-query');

let lib: PgQuery | undefined;
let loading: Promise<void> | undefined;

/** Load the WebAssembly parser. Idempotent; await it once before `parseSql`. */
export function initParser(): Promise<void> {
  loading ??= import('libpg-query')
    .then(async (m) => {
      await m.loadModule();
      lib = m;
    })
    .catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
  return loading;
}

/** The loaded parser; throws when `initParser()` has not resolved. */
export function pgQuery(): PgQuery {
  if (!lib) throw new Error('parseSql() called before initParser() resolved');
  return lib;
}
