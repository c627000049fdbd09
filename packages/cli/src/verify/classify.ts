/**
 * Which differences between "what the migrations folder produces" (A) and the live
 * database (B) are drift, and which are work prisma-zd still has queued: on a managed
 * database, until `postponed run` and `contract` finish, a queued index is missing, a
 * queued validation leaves its constraint NOT VALID, a postponed NOT NULL leaves its
 * column nullable and its temporary check in place, a deferred DROP DEFAULT leaves
 * the default in place, a deferred DROP INDEX the index, and a deferred DROP COLUMN the
 * column. Those differences belong
 * to their queue entry; the rest is drift.
 */
import { asNode, initParser, isStatement, parseSql, quoteIdent as quote } from '@prisma-zd/core';
import type { FingerprintDiff } from '../db/fingerprint.js';
import type { QueueEntry } from '../queue/entries.js';
import { isDropIndex } from '../queue/contract.js';

/** Display quoting, as the fingerprint diff names objects. */
const qualified = (schema: string, name: string) => `${quote(schema)}.${quote(name)}`;

interface Expected {
  kind: FingerprintDiff['kind'];
  object: string;
  /** Which difference on that object the open entry accounts for. */
  accepts(d: FingerprintDiff): boolean;
}

/** The schema differences an open entry causes until it is done. */
async function expectedDiffs(e: QueueEntry, defaultSchema: string): Promise<Expected[]> {
  const schema = e.tableSchema ?? defaultSchema;
  // A postponed NOT NULL: the column is still nullable, and its temporary check stands.
  if (e.kind === 'not-null') {
    if (!e.objectName || !e.tableName || e.columns[0] === undefined) return [];
    return [
      { kind: 'column', object: `${qualified(schema, e.tableName)}.${quote(e.columns[0])}`, accepts: (d) => d.change === 'changed' && d.property === 'notNull' },
      { kind: 'constraint', object: `${quote(e.objectName)} on ${qualified(schema, e.tableName)}`, accepts: (d) => d.change === 'missing-in-a' },
    ];
  }
  const want = await expectedDiff(e, schema);
  return want ? [want] : [];
}

/** The schema difference an open index, validate or contract entry causes until it is done. */
async function expectedDiff(e: QueueEntry, schema: string): Promise<Expected | undefined> {
  if (!e.objectName) return undefined;
  switch (e.kind) {
    case 'index':
      return {
        kind: 'index',
        object: qualified(schema, e.objectName),
        accepts: (d) => d.change === 'missing-in-b' || (d.change === 'changed' && (d.property === 'valid' || d.property === 'ready')),
      };
    case 'validate':
      if (!e.tableName) return undefined;
      return {
        kind: 'constraint',
        object: `${quote(e.objectName)} on ${qualified(schema, e.tableName)}`,
        accepts: (d) => d.change === 'changed' && d.property === 'validated',
      };
    case 'contract': {
      await initParser();
      const statement = parseSql(e.statement).statements[0];
      if (statement?.kind === 'DropStmt') {
        // A deferred DROP INDEX (the index stands until contract), the DROP SEQUENCE of a deferred default, the DROP TYPE of a deferred column's enum.
        const kind = isDropIndex(e.statement) ? 'index' : statement.node && (statement.node as { removeType?: string }).removeType === 'OBJECT_TYPE' ? 'enum' : 'sequence';
        return { kind, object: qualified(schema, e.objectName), accepts: (d) => d.change === 'missing-in-a' };
      }
      if (!e.tableName) return undefined;
      // A deferred DROP COLUMN: the column stands (NULL allowed) until contract; a deferred DROP DEFAULT: the default does.
      const dropsColumn = statement !== undefined && isStatement(statement, 'AlterTableStmt') && asNode(statement.node.cmds?.[0], 'AlterTableCmd')?.subtype === 'AT_DropColumn';
      return {
        kind: 'column',
        object: `${qualified(schema, e.tableName)}.${quote(e.objectName)}`,
        accepts: dropsColumn ? (d) => d.change === 'missing-in-a' : (d) => d.change === 'changed' && d.property === 'default',
      };
    }
    default:
      return undefined;
  }
}

export interface Classified {
  /** Differences no open queue entry accounts for. */
  drift: FingerprintDiff[];
  /** Each open (pending or running) entry with the differences it accounts for. */
  pending: Array<{ entry: QueueEntry; explains: FingerprintDiff[] }>;
}

/**
 * Splits `diffs` (A: the folder, B: the database) into drift and differences that open
 * entries account for. Failed entries account for nothing: what they left is drift.
 */
export async function classifyDiffs(
  diffs: readonly FingerprintDiff[],
  entries: readonly QueueEntry[],
  defaultSchema: string,
): Promise<Classified> {
  const open = entries.filter((e) => e.status === 'pending' || e.status === 'running');
  const pending: Classified['pending'] = [];
  const explained = new Set<FingerprintDiff>();
  for (const entry of open) {
    const wants = await expectedDiffs(entry, defaultSchema);
    const explains = diffs.filter((d) => !explained.has(d) && wants.some((want) => d.kind === want.kind && d.object === want.object && want.accepts(d)));
    for (const d of explains) explained.add(d);
    pending.push({ entry, explains });
  }
  return { drift: diffs.filter((d) => !explained.has(d)), pending };
}
