/**
 * The SQL a PL/pgSQL body runs (a `DO` block, a function a migration calls), read with
 * PostgreSQL's own PL/pgSQL parser: the body is wrapped in a `CREATE FUNCTION`, as
 * `readZdBlock` does. Static statements and `EXECUTE` of a constant string are found
 * with their place in the body; what cannot be known (dynamic SQL, another language, a
 * body that does not parse) is reported as a problem, never guessed.
 */
import { pgQuery } from '../sql/pg-parser.js';
import { dollarQuote } from '../sql/ident.js';

export interface EmbeddedSql {
  /** One SQL statement as the body runs it. */
  readonly sql: string;
  /** JS index in the body where the statement (or the string holding it) starts, when found. */
  readonly offset: number | undefined;
  /** 1-based line in the body. */
  readonly line: number;
  /** Length of the statement's text (or of the string holding it) in the body. */
  readonly length: number;
}

export interface BodyProblem {
  readonly line: number;
  readonly reason: string;
}

export interface BodySql {
  readonly statements: readonly EmbeddedSql[];
  readonly problems: readonly BodyProblem[];
}

type Json = { [key: string]: unknown };

/**
 * Statement nodes whose field holds SQL that runs as written. `SELECT … INTO v` is an
 * execsql whose query PL/pgSQL keeps without the INTO; `PERFORM expr` runs, and is held
 * as, `SELECT expr` (so a `PERFORM set_config('search_path', …)` is followed like the
 * migration's own `SELECT set_config(…)`).
 */
const STATIC: Readonly<Record<string, string>> = {
  PLpgSQL_stmt_execsql: 'sqlstmt',
  PLpgSQL_stmt_perform: 'expr',
  PLpgSQL_stmt_fors: 'query',
  PLpgSQL_stmt_return_query: 'query',
};

/** Statement nodes whose field holds an expression that evaluates to SQL. */
const DYNAMIC: Readonly<Record<string, string>> = {
  PLpgSQL_stmt_dynexecute: 'query',
  PLpgSQL_stmt_dynfors: 'query',
};

/** The SQL statements of a body written in `language` (`plpgsql` or `sql`). */
export function bodySql(body: string, language = 'plpgsql'): BodySql {
  const lang = language.toLowerCase();
  if (lang === 'sql') return { statements: [{ sql: body, offset: 0, line: 1, length: body.length }], problems: [] };
  if (lang !== 'plpgsql') return { statements: [], problems: [{ line: 1, reason: `the body is written in ${language}` }] };
  let parsed: Json;
  try {
    parsed = pgQuery().parsePlPgSQLSync(
      `CREATE FUNCTION prisma_zd_probe() RETURNS void LANGUAGE plpgsql AS ${dollarQuote(body, 'zdprobe')}`,
    ) as unknown as Json;
  } catch (error) {
    return { statements: [], problems: [{ line: 1, reason: `the PL/pgSQL body does not parse (${error instanceof Error ? error.message : String(error)})` }] };
  }
  const statements: EmbeddedSql[] = [];
  const problems: BodyProblem[] = [];
  const lines = lineStarts(body);
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) visit(v);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, node] of Object.entries(value as Json)) {
      const field = STATIC[key] ?? DYNAMIC[key];
      if (field !== undefined && node && typeof node === 'object') {
        const n = node as Json;
        const line = typeof n['lineno'] === 'number' ? n['lineno'] : 1;
        const query = ((n[field] as Json | undefined)?.['PLpgSQL_expr'] as Json | undefined)?.['query'];
        if (typeof query === 'string') {
          if (key === 'PLpgSQL_stmt_perform') statements.push(perform(body, lines, line, query));
          else if (STATIC[key] !== undefined) statements.push({ sql: query, offset: find(body, lines, line, firstWord(query)), line, length: query.trimEnd().length });
          else {
            const constant = constantString(query);
            if (constant === undefined) problems.push({ line, reason: `EXECUTE of SQL built at run time (${shorten(query)})` });
            else statements.push({ sql: constant, offset: find(body, lines, line, query), line, length: query.length });
          }
        }
      }
      visit(node);
    }
  };
  visit(parsed['plpgsql_funcs']);
  return { statements, problems };
}

/** `PERFORM expr`, held by PL/pgSQL as `SELECT expr`: placed from the PERFORM keyword written in the body. */
function perform(body: string, lines: readonly number[], line: number, query: string): EmbeddedSql {
  const expression = query.startsWith('SELECT ') ? query.slice('SELECT '.length) : query;
  const at = find(body, lines, line, firstWord(expression));
  if (at === undefined) return { sql: query, offset: undefined, line, length: 0 };
  const keyword = /perform\s*$/i.exec(body.slice(lines[Math.max(0, line - 1)] ?? 0, at));
  const start = keyword ? at - keyword[0].length : at;
  return { sql: query, offset: start, line, length: at - start + expression.trimEnd().length };
}

/** The value of a PL/pgSQL expression that is one string constant, else undefined. */
function constantString(expression: string): string | undefined {
  try {
    const tree = pgQuery().parseSync(`SELECT ${expression}`) as unknown as Json;
    const select = ((tree['stmts'] as Json[] | undefined)?.[0]?.['stmt'] as Json | undefined)?.['SelectStmt'] as Json | undefined;
    const targets = select?.['targetList'] as Json[] | undefined;
    if (targets?.length !== 1 || select?.['fromClause']) return undefined;
    const value = ((targets[0]?.['ResTarget'] as Json | undefined)?.['val'] as Json | undefined)?.['A_Const'] as Json | undefined;
    const sval = (value?.['sval'] as Json | undefined)?.['sval'];
    return typeof sval === 'string' ? sval : undefined;
  } catch {
    return undefined;
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** Index of `needle` at or after the start of body line `line`, or undefined. */
function find(body: string, lines: readonly number[], line: number, needle: string): number | undefined {
  if (needle === '') return undefined;
  const from = lines[Math.max(0, line - 1)] ?? 0;
  const at = body.indexOf(needle, from);
  return at === -1 ? undefined : at;
}

function firstWord(sql: string): string {
  return /^\s*(\S+)/.exec(sql)?.[1] ?? '';
}

function shorten(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 60 ? `${one.slice(0, 57)}…` : one;
}
