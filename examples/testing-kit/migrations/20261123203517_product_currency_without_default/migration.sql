-- AlterTable
-- prisma-zd: deferred: the default of "Product"."currency" is dropped by `prisma-zd contract`, once no old app version inserts without it
DO $zd$
-- prisma-zd:v1 defer
BEGIN
  IF to_regclass('prisma_zd.queue') IS NULL THEN
ALTER TABLE "Product" ALTER COLUMN "currency" DROP DEFAULT;
  ELSE
    INSERT INTO prisma_zd.queue (kind, migration, table_schema, table_name, object_name, columns, search_path, statement)
    VALUES ('contract', '20261123203517_product_currency_without_default', (SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = '"Product"'::regclass), 'Product', 'currency', ARRAY['currency']::text[], current_setting('search_path'), $s$ALTER TABLE "Product" ALTER COLUMN "currency" DROP DEFAULT$s$);
  END IF;
END
$zd$;
