/*
 * PostgreSQL's choice of names for objects the SQL does not name: implicit indexes
 * (`"User_pkey"`, `"User_email_key"`), foreign keys (`"Post_authorId_fkey"`), check
 * constraints, serial sequences. A port of `makeObjectName`, `ChooseRelationName`,
 * `ChooseConstraintName`, `ChooseIndexName`, `ChooseIndexNameAddition` and
 * `ChooseIndexColumnNames` (src/backend/commands/indexcmds.c, catalog/pg_constraint.c).
 * Lengths are UTF-8 bytes; NAMEDATALEN is 64, so names hold at most 63 bytes, and a
 * truncation never splits a character (`pg_mbcliplen`).
 */

export const NAMEDATALEN = 64;

const encoder = new TextEncoder();

function byteLength(s: string): number {
  return encoder.encode(s).length;
}

/** The longest prefix of `s` of at most `maxBytes` UTF-8 bytes that does not split a character. */
export function clipBytes(s: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    const n = byteLength(ch);
    if (bytes + n > maxBytes) break;
    bytes += n;
    end += ch.length;
  }
  return s.slice(0, end);
}

/** Truncate an identifier the way the lexer does (`truncate_identifier`): to 63 bytes. */
export function truncateIdentifier(name: string): string {
  return byteLength(name) < NAMEDATALEN ? name : clipBytes(name, NAMEDATALEN - 1);
}

/**
 * `name1_name2_label`, truncating name1 and name2 (the longer one first) so the
 * result fits in 63 bytes.
 */
export function makeObjectName(name1: string, name2: string | undefined, label: string | undefined): string {
  let overhead = 0;
  let name1chars = byteLength(name1);
  let name2chars = 0;
  if (name2 !== undefined) {
    name2chars = byteLength(name2);
    overhead++;
  }
  if (label !== undefined) overhead += byteLength(label) + 1;
  const availchars = NAMEDATALEN - 1 - overhead;
  while (name1chars + name2chars > availchars) {
    if (name1chars > name2chars) name1chars--;
    else name2chars--;
  }
  let name = clipBytes(name1, name1chars);
  if (name2 !== undefined) name += `_${clipBytes(name2, name2chars)}`;
  if (label !== undefined) name += `_${label}`;
  return name;
}

/**
 * `ChooseRelationName` / `ChooseConstraintName`: `makeObjectName(name1, name2, label)`,
 * then `label1`, `label2`… until `taken` says the name is free.
 */
export function chooseName(
  name1: string,
  name2: string | undefined,
  label: string,
  taken: (name: string) => boolean,
): string {
  for (let pass = 0; ; pass++) {
    const name = makeObjectName(name1, name2, pass === 0 ? label : `${label}${pass}`);
    if (!taken(name)) return name;
  }
}

/** Column names joined by `_`, stopping once 64 bytes are reached (`ChooseIndexNameAddition`). */
export function chooseNameAddition(columns: readonly string[]): string {
  let buf = '';
  for (const column of columns) {
    if (buf.length > 0) buf += '_';
    buf += clipBytes(column, NAMEDATALEN - 1);
    if (byteLength(buf) >= NAMEDATALEN) break;
  }
  return buf;
}

/**
 * Names for the index's columns (`ChooseIndexColumnNames`): the column name, the
 * caller's name for an expression (see `figureIndexColumnName`), with a number appended
 * when it repeats an earlier one.
 */
export function chooseIndexColumnNames(names: readonly string[]): string[] {
  const result: string[] = [];
  for (const original of names) {
    let current = original;
    for (let i = 1; result.includes(current); i++) {
      const suffix = String(i);
      current = clipBytes(original, NAMEDATALEN - 1 - suffix.length) + suffix;
    }
    result.push(current);
  }
  return result;
}

export type IndexNameKind = 'primary' | 'exclusion' | 'constraint' | 'index';

/**
 * `ChooseIndexName`: `<table>_pkey` for a primary key, else `<table>_<columns>_excl`,
 * `_key` (UNIQUE constraint) or `_idx` (CREATE INDEX without a name).
 */
export function chooseIndexName(
  table: string,
  columnNames: readonly string[],
  kind: IndexNameKind,
  taken: (name: string) => boolean,
): string {
  if (kind === 'primary') return chooseName(table, undefined, 'pkey', taken);
  const label = kind === 'exclusion' ? 'excl' : kind === 'constraint' ? 'key' : 'idx';
  return chooseName(table, chooseNameAddition(chooseIndexColumnNames(columnNames)), label, taken);
}
