-- AlterEnum
ALTER TYPE "OrderStatus" ADD VALUE 'CANCELLED';
