/*
  Warnings:

  - A unique constraint covering the columns `[username]` on the table `User` will be added. If there are existing duplicate values, this will fail.

*/
-- AlterTable
ALTER TABLE "User" ADD COLUMN     "username" TEXT;

-- CreateIndex
-- prisma-zd: postponed: index "User_username_key" is built CONCURRENTLY by `prisma-zd postponed run` (inline where prisma-zd is not set up)
DO $zd$
-- prisma-zd:v1 postpone
BEGIN
  IF to_regclass('prisma_zd.queue') IS NULL THEN
CREATE UNIQUE INDEX "User_username_key" ON "User"("username");
  ELSE
    INSERT INTO prisma_zd.queue (kind, migration, table_schema, table_name, object_name, columns, search_path, statement)
    VALUES ('index', '20261123203526_user_username', (SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = '"User"'::regclass), 'User', 'User_username_key', ARRAY['username']::text[], current_setting('search_path'), $s$CREATE UNIQUE INDEX "User_username_key" ON "User"("username")$s$);
  END IF;
END
$zd$;
