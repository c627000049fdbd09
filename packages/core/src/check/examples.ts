/**
 * The schema the rule pages' examples (docs/rules) and the rule tests are written
 * against: what `prisma migrate dev` generates for a small blog.
 */
import { rewriteHistory } from '../zd/rewrite.js';
import { checkSql, type CheckReport, type CheckSqlOptions } from './check.js';

export const EXAMPLE_SCHEMA = `-- CreateEnum
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');

-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "role" "Role" NOT NULL DEFAULT 'USER',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Post" (
    "id" TEXT NOT NULL,
    "title" VARCHAR(191) NOT NULL,
    "content" TEXT,
    "authorId" INTEGER NOT NULL,
    "published" BOOLEAN NOT NULL DEFAULT false,
    "views" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "Post_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");
`;

/** Check `sql` as the migration that follows the example schema (and `options.history`). */
export function checkExample(sql: string, options: CheckSqlOptions = {}): CheckReport {
  return checkSql(sql, { execution: 'whole-file', ...options, history: [EXAMPLE_SCHEMA, ...(options.history ?? [])] });
}

/** What `prisma-zd rewrite` makes of `sql` as the migration after the example schema. */
export function rewriteExample(sql: string, history: readonly string[] = []): string {
  const all = [EXAMPLE_SCHEMA, ...history, sql].map((text, i) => ({ name: `${String(i).padStart(14, '0')}_example`, sql: text }));
  const last = all[all.length - 1]!.name;
  return rewriteHistory(all, { select: (n) => n === last }).at(-1)!.text;
}

/** The report with only one rule's findings (for a rule's tests and pages). */
export function onlyRule(report: CheckReport, ruleId: string): CheckReport {
  const migrations = report.migrations.map((m) => ({ ...m, diagnostics: m.diagnostics.filter((d) => d.ruleId === ruleId), suppressed: 0 }));
  const diagnostics = migrations.flatMap((m) => m.diagnostics);
  const counts = { error: 0, warning: 0, info: 0 };
  for (const d of diagnostics) counts[d.severity]++;
  return { ...report, migrations, diagnostics, counts, parseErrors: 0 };
}
