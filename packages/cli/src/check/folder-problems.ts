/**
 * What `check` reports about a migrations folder itself, beside its migrations: a
 * directory without migration.sql (`prisma migrate deploy` fails when it reaches it, P3015) and a
 * folder of another database (`listMigrationsFolder`'s refusals). Each is a report entry
 * of kind `folder` that counts as an error, at the path concerned.
 */
import { basename, relative, sep } from 'node:path';
import type { CheckReport, MigrationReport } from '@prisma-zd/core';
import type { FolderRefusal } from '../project/migrations.js';

/** The report entries for `refusals`, paths shown relative to `cwd` when under it. */
export function folderProblems(refusals: readonly FolderRefusal[] | undefined, cwd: string): MigrationReport[] {
  return (refusals ?? []).map((r) => {
    const rel = relative(cwd, r.path);
    const path = rel === '' || rel.startsWith('..') ? r.path : rel.split(sep).join('/');
    return {
      name: basename(r.path),
      path,
      text: '',
      diagnostics: [],
      suppressed: 0,
      parseError: { message: r.message.replace(r.path, path), index: 0, line: 1, col: 1, kind: 'folder', help: r.hint.replace(r.path, path) },
      needsRewrite: false,
    };
  });
}

/** `report` (null: nothing of the folder was checked) with the folder's problems after its migrations. */
export function withFolderProblems(report: CheckReport | null, problems: readonly MigrationReport[]): CheckReport | null {
  if (problems.length === 0) return report;
  if (report === null) return { migrations: problems, diagnostics: [], counts: { error: 0, warning: 0, info: 0 }, parseErrors: problems.length, replayed: 0 };
  return { ...report, migrations: [...report.migrations, ...problems], parseErrors: report.parseErrors + problems.length };
}
