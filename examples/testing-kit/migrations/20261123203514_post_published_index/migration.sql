-- CreateIndex
-- prisma-zd: postponed: index "Post_published_publishedAt_idx" is built CONCURRENTLY by `prisma-zd postponed run` (inline where prisma-zd is not set up)
DO $zd$
-- prisma-zd:v1 postpone
BEGIN
  IF to_regclass('prisma_zd.queue') IS NULL THEN
CREATE INDEX "Post_published_publishedAt_idx" ON "Post"("published", "publishedAt");
  ELSE
    INSERT INTO prisma_zd.queue (kind, migration, table_schema, table_name, object_name, columns, search_path, statement)
    VALUES ('index', '20261123203514_post_published_index', (SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = '"Post"'::regclass), 'Post', 'Post_published_publishedAt_idx', ARRAY['published', 'publishedAt']::text[], current_setting('search_path'), $s$CREATE INDEX "Post_published_publishedAt_idx" ON "Post"("published", "publishedAt")$s$);
  END IF;
END
$zd$;
