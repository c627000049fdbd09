import type { RangeVar } from 'libpg-query';

/**
 * Quote an identifier for SQL. Always quotes: `"x"` and `x` name the same object when
 * `x` is a lowercase non-keyword, so always quoting is never wrong, needs no keyword
 * list, and matches the style of the SQL Prisma generates. This is the one function
 * for quoting identifiers in the project.
 */
export function quoteIdent(name: string): string {
  return name.includes('"') ? `"${name.replaceAll('"', '""')}"` : `"${name}"`;
}

/** A string literal, assuming `standard_conforming_strings = on` (the default since 9.1). */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * A dollar-quoted literal of `body` whose tag does not occur in it: `$zd$…$zd$`,
 * else `$zd1$…$zd1$`, `$zd2$…`. The tag must be a plain identifier (`[a-z_][a-z0-9_]*`).
 */
export function dollarQuote(body: string, tag = 'zd'): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(tag)) throw new Error(`invalid dollar-quote tag: ${tag}`);
  for (let n = 0; ; n++) {
    const delimiter = `$${n === 0 ? tag : `${tag}${n}`}$`;
    // The lexer ends the literal at the first delimiter after the opening one; it must be ours.
    if ((body + delimiter).indexOf(delimiter) === body.length) return `${delimiter}${body}${delimiter}`;
  }
}

/** A relation name as written: `schema` is absent when the SQL did not qualify it. */
export interface QualifiedName {
  readonly schema?: string;
  readonly name: string;
}

/** Schema and name of a parsed relation reference (the catalog part is ignored). */
export function qualifiedName(rangeVar: RangeVar): QualifiedName {
  const name = rangeVar.relname ?? '';
  return rangeVar.schemaname === undefined ? { name } : { schema: rangeVar.schemaname, name };
}

/** `"schema"."name"`, or `"name"` when unqualified. */
export function formatQualifiedName(q: QualifiedName): string {
  return q.schema === undefined ? quoteIdent(q.name) : `${quoteIdent(q.schema)}.${quoteIdent(q.name)}`;
}
