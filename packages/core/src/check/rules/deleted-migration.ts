import type { Severity } from '../../sql/edits.js';
import { createRule } from '../rule.js';

/** A committed migration that the change being checked deletes (it is not in the history checked). */
export interface DeletedMigration {
  /** Its directory name. */
  readonly name: string;
  /** Its committed text. */
  readonly sql: string;
  /** Its file as the user knows it. */
  readonly path: string;
  /** The database given (`--database-url`) applied it. */
  readonly applied?: boolean;
  /** The git revision it is committed in, for the command that restores it. Default `HEAD`. */
  readonly ref?: string;
  /** Migrations the same change adds (what may replace it: a squash, a rename with an edit). */
  readonly added?: readonly string[];
}

/**
 * A committed migration deleted. Prisma carries on without it where it is applied
 * (`prisma migrate deploy` and `prisma migrate status` say nothing of an applied migration
 * they have no file for, measured with Prisma 6.19.3), but
 * the history no longer builds the schema those databases have. A deleted migration is
 * not in the history checked, so this rule finds nothing in a migration: `checkHistory`
 * reports each of `CheckOptions.deleted` with `deletedFinding`.
 */
export const rule = createRule({
  id: 'deleted-migration',
  severity: 'warning',
  summary: 'A committed migration was deleted',
  check() {},
});

/** The finding for a deleted migration, at its first line. */
export function deletedFinding(d: DeletedMigration): { message: string; help: string; severity?: Severity } {
  const applied = d.applied ? ' The database given applied it.' : '';
  const added = d.added ?? [];
  const replacing =
    added.length === 0
      ? ''
      : ` If ${added.length === 1 ? added[0] : `one of ${added.join(', ')}`} replaces it (migrations squashed, or this one renamed and edited), every database that applied ${d.name} runs it as a new migration: ` +
        `first mark it applied there, \`prisma migrate resolve --applied ${added.length === 1 ? added[0] : '<name>'}\`, as Prisma's guide to squashing migrations says.`;
  return {
    message:
      `${d.name} is committed and this change deletes it. Databases that applied it keep what it did, and Prisma says nothing of it there (neither \`prisma migrate deploy\` nor \`prisma migrate status\`), ` +
      `but the history no longer builds their schema: a database made from the folder (a new developer's, CI's, a preview, Prisma's shadow database) lacks what ${d.name} did.${applied}`,
    help:
      `Instead: keep it (\`git checkout ${d.ref ?? 'HEAD'} -- ${directory(d.path)}\`) and undo what it did in a new migration (\`prisma migrate dev\`).${replacing}`,
  };
}

/** The migration's directory: its file's path without `/migration.sql`. */
function directory(path: string): string {
  return path.replace(/[/\\]migration\.sql$/, '');
}
