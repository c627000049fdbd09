-- AlterTable
ALTER TABLE "Product" ALTER COLUMN "currency" DROP DEFAULT;
