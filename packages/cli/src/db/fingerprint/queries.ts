/**
 * The catalog queries behind the fingerprint: one set-based query per kind of object,
 * each taking the selected schema names as `$1` (text[]). No per-table queries, so a
 * schema of hundreds of tables costs the same handful of round trips.
 *
 * All of them work on PostgreSQL 14 through 18. Version differences handled here:
 * - PostgreSQL 18 stores NOT NULL as `pg_constraint` rows (contype 'n', named after the
 *   table at creation time, so not renamed with it): they are not listed as constraints;
 *   a column's `notNull` says it, plus `notNullValidated: false` for `NOT VALID` ones;
 * - trigger clones on partitions are internal on 14 and not on 18: clones
 *   (`tgparentid <> 0`) are left out on both, their parent's trigger describes them;
 * - `attgenerated = 'v'` (virtual generated columns) exists from 18 on.
 */

/** Objects created by an extension's script (citext's functions, …) are the extension's. */
const notExtensionMember = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
    WHERE dep.classid = '${catalog}'::regclass AND dep.objid = ${oid} AND dep.deptype = 'e')`;

/** `$1` null: every schema but PostgreSQL's own and prisma-zd's; else exactly those named. */
export const schemasQuery = `
SELECT n.nspname AS name
FROM pg_catalog.pg_namespace n
WHERE CASE WHEN $1::text[] IS NULL
  THEN n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND n.nspname <> 'prisma_zd'
  ELSE n.nspname = ANY ($1::text[]) END`;

export interface SchemaRow {
  name: string;
}

export const extensionsQuery = `
SELECT e.extname AS name, n.nspname AS schema, e.extversion AS version
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace`;

export interface ExtensionRow {
  name: string;
  schema: string;
  version: string;
}

export const relationsQuery = `
SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
  c.relpersistence::text AS persistence,
  c.relrowsecurity AS "rowSecurity", c.relforcerowsecurity AS "forceRowSecurity",
  c.reloptions::text[] AS options,
  CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS "partitionKey",
  c.relispartition AS "isPartition",
  CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS "partitionBound",
  CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END AS definition,
  pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
  (SELECT json_agg(json_build_object('schema', pn.nspname, 'name', pc.relname) ORDER BY i.inhseqno)
     FROM pg_catalog.pg_inherits i
     JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
     JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
    WHERE i.inhrelid = c.oid) AS parents
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname = ANY ($1::text[])
  AND ${notExtensionMember('pg_class', 'c.oid')}`;

export interface RelationRow {
  schema: string;
  name: string;
  relkind: 'r' | 'p' | 'v' | 'm' | 'f';
  persistence: 'p' | 'u' | 't';
  rowSecurity: boolean;
  forceRowSecurity: boolean;
  options: string[] | null;
  partitionKey: string | null;
  isPartition: boolean;
  partitionBound: string | null;
  definition: string | null;
  comment: string | null;
  parents: { schema: string; name: string }[] | null;
}

export const columnsQuery = `
SELECT n.nspname AS schema, c.relname AS "table", a.attname AS name, a.attnum AS position,
  pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
  CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
    THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END AS collation,
  a.attnotnull AS "notNull",
  EXISTS (SELECT 1 FROM pg_catalog.pg_constraint nn
    WHERE nn.conrelid = a.attrelid AND nn.contype = 'n' AND nn.conkey[1] = a.attnum
      AND NOT nn.convalidated) AS "notNullInvalid",
  pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS expression,
  a.attidentity::text AS identity, a.attgenerated::text AS generated,
  pg_catalog.col_description(c.oid, a.attnum) AS comment
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname = ANY ($1::text[])`;

export interface ColumnRow {
  schema: string;
  table: string;
  name: string;
  position: number;
  type: string;
  collation: string | null;
  notNull: boolean;
  notNullInvalid: boolean;
  /** The default, or a generated column's expression. */
  expression: string | null;
  /** '' | 'a' | 'd' */
  identity: string;
  /** '' | 's' | 'v' */
  generated: string;
  comment: string | null;
}

export const constraintsQuery = `
SELECT n.nspname AS schema, c.relname AS "table", con.conname AS name, con.contype::text AS contype,
  pg_catalog.pg_get_constraintdef(con.oid) AS definition,
  con.convalidated AS validated, con.condeferrable AS deferrable, con.condeferred AS deferred
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x')
  AND n.nspname = ANY ($1::text[])`;

export interface ConstraintRow {
  schema: string;
  table: string;
  name: string;
  contype: 'p' | 'u' | 'f' | 'c' | 'x';
  definition: string;
  validated: boolean;
  deferrable: boolean;
  deferred: boolean;
}

export const indexesQuery = `
SELECT n.nspname AS schema, t.relname AS "table", ic.relname AS name,
  pg_catalog.pg_get_indexdef(i.indexrelid) AS definition,
  i.indisvalid AS valid, i.indisready AS ready, i.indisprimary AS primary, i.indisunique AS unique,
  con.conname AS constraint
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_catalog.pg_constraint con
  ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
WHERE t.relkind IN ('r', 'p', 'm', 'f')
  AND n.nspname = ANY ($1::text[])`;

export interface IndexRow {
  schema: string;
  table: string;
  name: string;
  definition: string;
  valid: boolean;
  ready: boolean;
  primary: boolean;
  unique: boolean;
  constraint: string | null;
}

export const triggersQuery = `
SELECT n.nspname AS schema, c.relname AS "table", tg.tgname AS name,
  pg_catalog.pg_get_triggerdef(tg.oid) AS definition, tg.tgenabled::text AS enabled
FROM pg_catalog.pg_trigger tg
JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE NOT tg.tgisinternal AND tg.tgparentid = 0
  AND n.nspname = ANY ($1::text[])`;

export interface TriggerRow {
  schema: string;
  table: string;
  name: string;
  definition: string;
  /** 'O' | 'D' | 'R' | 'A' */
  enabled: string;
}

export const enumsQuery = `
SELECT n.nspname AS schema, t.typname AS name,
  COALESCE(
    (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
       FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid),
    '{}'::text[]) AS values
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'e'
  AND n.nspname = ANY ($1::text[])
  AND ${notExtensionMember('pg_type', 't.oid')}`;

export interface EnumRow {
  schema: string;
  name: string;
  values: string[];
}

export const sequencesQuery = `
SELECT n.nspname AS schema, c.relname AS name,
  pg_catalog.format_type(s.seqtypid, NULL) AS type,
  s.seqstart::text AS start, s.seqincrement::text AS increment,
  s.seqmin::text AS min, s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle,
  owner.schema AS "ownerSchema", owner."table" AS "ownerTable", owner."column" AS "ownerColumn",
  owner.identity AS "ownerIdentity"
FROM pg_catalog.pg_sequence s
JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
  SELECT tn.nspname AS schema, tc.relname AS "table", ta.attname AS "column", dep.deptype = 'i' AS identity
  FROM pg_catalog.pg_depend dep
  JOIN pg_catalog.pg_class tc ON tc.oid = dep.refobjid
  JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
  JOIN pg_catalog.pg_attribute ta ON ta.attrelid = dep.refobjid AND ta.attnum = dep.refobjsubid
  WHERE dep.classid = 'pg_class'::regclass AND dep.objid = s.seqrelid
    AND dep.refclassid = 'pg_class'::regclass AND dep.refobjsubid > 0 AND dep.deptype IN ('a', 'i')
  LIMIT 1) owner ON true
WHERE n.nspname = ANY ($1::text[])
  AND ${notExtensionMember('pg_class', 'c.oid')}`;

export interface SequenceRow {
  schema: string;
  name: string;
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  ownerSchema: string | null;
  ownerTable: string | null;
  ownerColumn: string | null;
  ownerIdentity: boolean | null;
}

export const functionsQuery = `
SELECT n.nspname AS schema, p.proname AS name,
  pg_catalog.pg_get_function_identity_arguments(p.oid) AS arguments,
  p.prokind::text AS prokind,
  CASE WHEN p.prokind <> 'p' THEN pg_catalog.pg_get_function_result(p.oid) END AS result,
  CASE WHEN p.prokind <> 'a' THEN pg_catalog.pg_get_functiondef(p.oid) END AS definition
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY ($1::text[])
  AND ${notExtensionMember('pg_proc', 'p.oid')}`;

export interface FunctionRow {
  schema: string;
  name: string;
  arguments: string;
  prokind: 'f' | 'p' | 'a' | 'w';
  result: string | null;
  definition: string | null;
}
