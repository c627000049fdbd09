/**
 * PostgreSQL's own parser (libpg-query: PostgreSQL's grammar compiled to WebAssembly),
 * loaded on first need. `initParser()` imports and instantiates it, so a command that
 * parses nothing (a commit that stages no migration, `postponed list`) never pays for
 * the WebAssembly, and one that will parse can start loading it before reading its
 * files.
 *
 * The calls go through our own glue to the WebAssembly module when its Emscripten
 * module can be loaded on its own (`libpg-query/wasm/libpg-query.js`, the module
 * libpg-query itself instantiates, so there is still one instance): the query is
 * encoded straight into the module's memory with `TextEncoder.encodeInto` and the JSON
 * tree read back with one `TextDecoder.decode`, where libpg-query's `parseSync`
 * measures and copies the string with JavaScript loops (≈ 20 ms of a `check` of 1,200
 * migrations). Results and errors (messages, `sqlDetails`) are libpg-query's: the same
 * C functions, read the same way (pg-parser.test.ts compares the two on every
 * statement kind). A module that is not laid out as expected falls back to
 * libpg-query's own functions, as does `PRISMA_ZD_PARSER_GLUE=libpg-query`.
 */
import { createRequire } from 'node:module';

type LibPgQuery = typeof import('libpg-query');

/** What the parser's callers use. */
export interface PgQuery {
  parseSync: LibPgQuery['parseSync'];
  parsePlPgSQLSync: LibPgQuery['parsePlPgSQLSync'];
  hasSqlDetails: LibPgQuery['hasSqlDetails'];
}

let lib: PgQuery | undefined;
let loading: Promise<void> | undefined;

/** Load the WebAssembly parser. Idempotent; await it once before `parseSql`. */
export function initParser(): Promise<void> {
  loading ??= loadParser()
    .then((p) => {
      lib = p;
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

async function loadParser(): Promise<PgQuery> {
  if (process.env['PRISMA_ZD_PARSER_GLUE'] !== 'libpg-query') {
    const direct = await loadDirect();
    if (direct) return direct;
  }
  return loadLibPgQuery();
}

/** libpg-query's own functions. */
export async function loadLibPgQuery(): Promise<PgQuery> {
  const m = await import('libpg-query');
  await m.loadModule();
  return m;
}

/** The parts of libpg-query's Emscripten module the glue uses. */
interface EmscriptenModule {
  readonly HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _wasm_parse_query_raw(query: number): number;
  _wasm_free_parse_result(result: number): void;
  _wasm_parse_plpgsql(query: number): number;
  _wasm_free_string(ptr: number): void;
  UTF8ToString(ptr: number): string;
  lengthBytesUTF8(text: string): number;
  stringToUTF8(text: string, ptr: number, size: number): number;
}

const FUNCTIONS = [
  '_malloc',
  '_free',
  '_wasm_parse_query_raw',
  '_wasm_free_parse_result',
  '_wasm_parse_plpgsql',
  '_wasm_free_string',
  'UTF8ToString',
  'lengthBytesUTF8',
  'stringToUTF8',
] as const;

/** Our glue over libpg-query's Emscripten module, or undefined when it cannot be loaded as expected. */
export async function loadDirect(): Promise<PgQuery | undefined> {
  let factory: unknown;
  try {
    const required = createRequire(import.meta.url)('libpg-query/wasm/libpg-query.js') as unknown;
    factory = typeof required === 'function' ? required : (required as { default?: unknown } | undefined)?.default;
  } catch {
    return undefined;
  }
  if (typeof factory !== 'function') return undefined;
  let mod: Partial<EmscriptenModule> | undefined;
  // What the module prints (PostgreSQL's memory report and "Terminating process due to FATAL
  // error" when it runs out of memory) is kept, never written to this process's stdout
  // (a JSON report) or stderr: the failure is reported as a `ParserFailure`.
  const printed: string[] = [];
  const keep = (line: string) => {
    printed.push(line);
    if (printed.length > PRINTED_LINES) printed.shift();
  };
  try {
    mod = (await (factory as (m: object) => Promise<unknown>)({ print: keep, printErr: keep })) as Partial<EmscriptenModule> | undefined;
  } catch {
    return undefined;
  }
  if (!mod || !(mod.HEAPU8 instanceof Uint8Array) || FUNCTIONS.some((f) => typeof mod[f] !== 'function')) return undefined;
  return directGlue(mod as EmscriptenModule, printed);
}

/** The module's last lines of output kept for a `ParserFailure`. */
const PRINTED_LINES = 40;

/**
 * The parser itself failed on a text, not the SQL: the WebAssembly module ran out of its
 * memory (PostgreSQL's parser then ends "the process": Emscripten throws an `ExitStatus`),
 * or the tree is too large for a JavaScript string. PostgreSQL itself may accept the SQL.
 * The module stays usable for the next text.
 */
export class ParserFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParserFailure';
  }
}

/** The module's most memory: what `ParserFailure`'s message names. */
export const PARSER_MEMORY_BYTES = 1024 * 1024 * 1024;

/** `error`, thrown by a call into the module, as a `ParserFailure` (an `SqlError`, a `ParserFailure` or a caller's `TypeError` as it is). */
function parserFailure(error: unknown, printed: readonly string[]): unknown {
  if (error instanceof SqlError || error instanceof ParserFailure || error instanceof TypeError) return error;
  const text = printed.join('\n');
  const exited = typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'ExitStatus';
  const tooLong = error instanceof RangeError || (error instanceof Error && /string longer than|Invalid string length/i.test(error.message));
  const memory = /out of memory|Grand total:/i.test(text) || tooLong || (error instanceof Error && /out of memory|Out of bounds memory|memory allocation failed/i.test(error.message));
  const fatal = printed.find((l) => /\b(FATAL|ERROR)\b/.test(l) && !/^Terminating process/.test(l));
  const what = tooLong
    ? 'its parse tree is too large for a JavaScript string'
    : memory
      ? `it ran out of its ${PARSER_MEMORY_BYTES / 1024 / 1024 / 1024} GB of memory`
      : `it stopped${exited ? ` (exit ${String((error as { status?: unknown }).status)})` : ''}: ${fatal ?? (error instanceof Error ? error.message : String((error as { message?: unknown } | null)?.message ?? error))}`;
  return new ParserFailure(`PostgreSQL's parser, run inside prisma-zd as WebAssembly, could not read this file: ${what}`);
}

interface SqlDetails {
  message: string;
  cursorPosition: number;
  fileName?: string;
  functionName?: string;
  lineNumber?: number;
}

/** libpg-query's `SqlError`: a parse error with PostgreSQL's details. */
class SqlError extends Error {
  readonly sqlDetails: SqlDetails;
  constructor(message: string, details: SqlDetails) {
    super(message);
    this.name = 'SqlError';
    this.sqlDetails = details;
  }
}

/** Is the string well-formed UTF-16 (no lone surrogate)? `String.prototype.isWellFormed` where there is one. */
const wellFormed: (text: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (text) => (text as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (text) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What Emscripten's `UTF8ToString` decodes with its own loop rather than its `TextDecoder`. */
const SHORT = 16;

/** From this many UTF-16 code units, the query's buffer is measured rather than sized for the worst case. */
const EXACT_SIZE_FROM = 1 << 16;

function directGlue(mod: EmscriptenModule, printed: string[] = []): PgQuery {
  /** `size` bytes of the module's memory (a failure is a `ParserFailure` once thrown through `parserFailure`). */
  const allocate = (size: number): number => {
    const ptr = mod._malloc(size);
    if (!ptr) throw new Error('memory allocation failed');
    return ptr;
  };
  /** `query` as a NUL-terminated UTF-8 string in the module's memory (free it). */
  const put = (query: string): number => {
    if (typeof query !== 'string') throw new TypeError(`Expected a string, got ${typeof query}`);
    if (!wellFormed(query)) {
      // Emscripten encodes a lone surrogate as its own three bytes, TextEncoder as U+FFFD: keep Emscripten's.
      const len = mod.lengthBytesUTF8(query) + 1;
      const ptr = allocate(len);
      mod.stringToUTF8(query, ptr, len);
      return ptr;
    }
    // At most three UTF-8 bytes per UTF-16 code unit; a large text takes its exact size (the
    // module's memory is what the parser has for its tree: a 100 MB file would take 300).
    const size = (query.length > EXACT_SIZE_FROM ? Buffer.byteLength(query, 'utf8') : query.length * 3) + 1;
    const ptr = allocate(size);
    // The memory may have grown: read the view after the allocation.
    const heap = mod.HEAPU8;
    const { written } = encoder.encodeInto(query, heap.subarray(ptr, ptr + size - 1));
    heap[ptr + written] = 0;
    return ptr;
  };
  /** The NUL-terminated UTF-8 string at `ptr`, as Emscripten's `UTF8ToString` reads it. */
  const read = (ptr: number): string => {
    const heap = mod.HEAPU8;
    const end = heap.indexOf(0, ptr);
    if (end === -1 || end - ptr <= SHORT) return mod.UTF8ToString(ptr);
    return decoder.decode(heap.subarray(ptr, end));
  };

  const parseSync = ((query: string) => {
    if (query === null || query === undefined) throw new Error('Query cannot be null or undefined');
    if (query === '') throw new Error('Query cannot be empty');
    printed.length = 0;
    let queryPtr = 0;
    let resultPtr = 0;
    try {
      queryPtr = put(query);
      resultPtr = mod._wasm_parse_query_raw(queryPtr);
      if (!resultPtr) throw new Error('Failed to parse query: memory allocation failed');
      // PgQueryParseResult: parse_tree, stderr_buffer, error (32-bit pointers).
      const result = new Int32Array(mod.HEAPU8.buffer, resultPtr, 3);
      const parseTreePtr = result[0]!;
      const errorPtr = result[2]!;
      if (errorPtr) {
        // PgQueryError: message, funcname, filename, lineno, cursorpos.
        const e = new Int32Array(mod.HEAPU8.buffer, errorPtr, 5);
        const messagePtr = e[0]!;
        const funcnamePtr = e[1]!;
        const filenamePtr = e[2]!;
        const lineno = e[3]!;
        const cursorpos = e[4]!;
        const message = messagePtr ? mod.UTF8ToString(messagePtr) : 'Unknown error';
        const funcname = funcnamePtr ? mod.UTF8ToString(funcnamePtr) : undefined;
        const filename = filenamePtr ? mod.UTF8ToString(filenamePtr) : undefined;
        throw new SqlError(message, {
          message,
          cursorPosition: cursorpos > 0 ? cursorpos - 1 : 0,
          fileName: filename,
          functionName: funcname,
          lineNumber: lineno > 0 ? lineno : undefined,
        } as SqlDetails);
      }
      if (!parseTreePtr) throw new Error('No parse tree generated');
      return JSON.parse(read(parseTreePtr));
    } catch (error) {
      throw parserFailure(error, printed);
    } finally {
      if (queryPtr) mod._free(queryPtr);
      if (resultPtr) mod._wasm_free_parse_result(resultPtr);
    }
  }) as LibPgQuery['parseSync'];

  const parsePlPgSQLSync = ((query: string) => {
    printed.length = 0;
    let queryPtr = 0;
    let resultPtr = 0;
    try {
      queryPtr = put(query);
      resultPtr = mod._wasm_parse_plpgsql(queryPtr);
      const result = resultPtr ? read(resultPtr) : '';
      // Success is always a JSON object; anything else is an error message.
      if (!result.startsWith('{')) throw new Error(result);
      return JSON.parse(result);
    } catch (error) {
      // A body PL/pgSQL rejects comes back as a message (an Error): kept as it is.
      throw error instanceof Error && !(error instanceof RangeError) ? error : parserFailure(error, printed);
    } finally {
      if (queryPtr) mod._free(queryPtr);
      if (resultPtr) mod._wasm_free_string(resultPtr);
    }
  }) as LibPgQuery['parsePlPgSQLSync'];

  const hasSqlDetails = ((error: unknown) => error instanceof SqlError && error.sqlDetails !== undefined) as LibPgQuery['hasSqlDetails'];
  return { parseSync, parsePlPgSQLSync, hasSqlDetails };
}
