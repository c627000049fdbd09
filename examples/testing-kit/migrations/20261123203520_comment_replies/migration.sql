-- AlterTable
ALTER TABLE "Comment" ADD COLUMN     "parentId" TEXT;

-- AddForeignKey
ALTER TABLE "Comment" ADD CONSTRAINT "Comment_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Comment"("id") ON DELETE CASCADE ON UPDATE CASCADE NOT VALID;
-- prisma-zd: postponed: foreign key "Comment_parentId_fkey" is added NOT VALID (brief lock) and validated by `prisma-zd postponed run`
DO $zd$
-- prisma-zd:v1 postpone
BEGIN
  IF to_regclass('prisma_zd.queue') IS NULL THEN
ALTER TABLE "Comment" VALIDATE CONSTRAINT "Comment_parentId_fkey";
  ELSE
    INSERT INTO prisma_zd.queue (kind, migration, table_schema, table_name, object_name, columns, search_path, statement)
    VALUES ('validate', '20261123203520_comment_replies', (SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = '"Comment"'::regclass), 'Comment', 'Comment_parentId_fkey', ARRAY['parentId']::text[], current_setting('search_path'), $s$ALTER TABLE "Comment" VALIDATE CONSTRAINT "Comment_parentId_fkey"$s$);
  END IF;
END
$zd$;
