/**
 * What the queue runner may execute. Statements in `prisma_zd.queue` run later with the
 * runner's privileges, so only the shapes `rewrite` writes are accepted: one
 * `CREATE [UNIQUE] INDEX` named as the entry says, one `ALTER TABLE … VALIDATE
 * CONSTRAINT`, one `ALTER TABLE … ALTER COLUMN … SET NOT NULL` (its object: the temporary
 * check the runner validates first and drops after), one `ALTER TABLE … ALTER COLUMN …
 * DROP DEFAULT`, one `ALTER TABLE … DROP COLUMN` (without CASCADE), one `DROP SEQUENCE`,
 * one `DROP INDEX` (run CONCURRENTLY by `contract`), one `DROP TYPE` (an enum dropped after
 * its deferred columns).
 * Anything else is refused before it reaches PostgreSQL.
 */
import { asNode, droppedName } from '../sql/nodes.js';
import { parseSql, scanTokens } from '../sql/parse.js';
import type { EntryKind } from './blocks.js';

export type EntryCheck = { ok: true } | { ok: false; reason: string };

export function checkQueueStatement(kind: EntryKind, objectName: string, statement: string): EntryCheck {
  const parsed = parseSql(statement);
  if (parsed.error) return { ok: false, reason: `does not parse: ${parsed.error.message}` };
  if (parsed.statements.length !== 1) return { ok: false, reason: `holds ${parsed.statements.length} statements, not one` };
  const s = parsed.statements[0]!;
  if (kind === 'index') {
    if (s.kind !== 'IndexStmt') return { ok: false, reason: `is a ${s.kind}, not CREATE INDEX` };
    const n = s.node as { idxname?: string; concurrent?: boolean };
    if (n.idxname !== objectName) return { ok: false, reason: `creates index "${n.idxname ?? '(unnamed)'}", not "${objectName}"` };
    return { ok: true };
  }
  if (s.kind !== 'AlterTableStmt' && !(kind === 'contract' && s.kind === 'DropStmt')) {
    return { ok: false, reason: `is a ${s.kind}, not an ALTER TABLE` };
  }
  if (s.kind === 'DropStmt') {
    const n = s.node as { removeType?: string; objects?: unknown[]; behavior?: string };
    if ((n.removeType !== 'OBJECT_SEQUENCE' && n.removeType !== 'OBJECT_INDEX' && n.removeType !== 'OBJECT_TYPE') || n.objects?.length !== 1 || n.behavior === 'DROP_CASCADE') {
      return { ok: false, reason: 'must be DROP SEQUENCE, DROP INDEX or DROP TYPE of one object, without CASCADE' };
    }
    const names = droppedName(n.objects[0] as never);
    return names[names.length - 1] === objectName ? { ok: true } : { ok: false, reason: `drops "${names.join('.')}", not "${objectName}"` };
  }
  const n = s.node as { objtype?: string; cmds?: unknown[] };
  const cmd = asNode(n.cmds?.[0] as never, 'AlterTableCmd');
  if (n.objtype !== 'OBJECT_TABLE' || n.cmds?.length !== 1 || !cmd) return { ok: false, reason: 'must be ALTER TABLE with exactly one sub-command' };
  if (kind === 'not-null') {
    return cmd.subtype === 'AT_SetNotNull' && cmd.name !== undefined && objectName !== ''
      ? { ok: true }
      : { ok: false, reason: 'must be ALTER COLUMN … SET NOT NULL' };
  }
  if (kind === 'validate') {
    return cmd.subtype === 'AT_ValidateConstraint' && cmd.name === objectName
      ? { ok: true }
      : { ok: false, reason: `must be VALIDATE CONSTRAINT "${objectName}"` };
  }
  if (cmd.subtype === 'AT_DropColumn') {
    return cmd.name === objectName && cmd.behavior !== 'DROP_CASCADE'
      ? { ok: true }
      : { ok: false, reason: `must be DROP COLUMN "${objectName}", without CASCADE` };
  }
  return cmd.subtype === 'AT_ColumnDefault' && cmd.def === undefined && cmd.name === objectName
    ? { ok: true }
    : { ok: false, reason: `must be ALTER COLUMN "${objectName}" DROP DEFAULT or DROP COLUMN "${objectName}"` };
}

/** The entry's `CREATE INDEX` with `CONCURRENTLY` added after `INDEX` (kept if present). */
export function concurrentIndexStatement(statement: string): string {
  const parsed = parseSql(statement);
  const s = parsed.statements[0];
  if (!s || s.kind !== 'IndexStmt') throw new Error('not a CREATE INDEX statement');
  if ((s.node as { concurrent?: boolean }).concurrent) return s.text;
  const tokens = scanTokens(s.text) ?? [];
  const idx = tokens.find((t) => t.text.toLowerCase() === 'index' && t.keywordKind !== 0);
  if (!idx) throw new Error('no INDEX keyword');
  const at = parsed.textIndex.indexOf(s.byteRange.start + idx.end) - s.range.start;
  return `${s.text.slice(0, at)} CONCURRENTLY${s.text.slice(at)}`;
}
