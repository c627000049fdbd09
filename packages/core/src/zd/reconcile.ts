/**
 * Reconciliation before the runner builds (DESIGN §3): some statements cannot carry
 * queue maintenance (`DROP INDEX CONCURRENTLY` must stand alone, outside any
 * transaction), so the runner replays the applied history and brings each queued entry
 * in line with what the history says is still pending: cancelled when a later
 * migration dropped its object, updated when one renamed it.
 */
import type { ReplayExecution } from '../facts/context.js';
import type { EntryKind } from './blocks.js';
import type { PendingEntry } from './pending.js';
import { pendingHistory, type MigrationSource } from './rewrite.js';

/** A queue row as the runner reads it. */
export interface QueuedEntry {
  id: number | string;
  kind: EntryKind;
  migration: string;
  objectName: string;
  tableName: string;
  statement: string;
}

export type Reconciliation =
  | { id: QueuedEntry['id']; action: 'keep'; warning?: string }
  | { id: QueuedEntry['id']; action: 'cancel'; reason: string }
  /** Not work that `rewrite` queued in that migration: never executed. */
  | { id: QueuedEntry['id']; action: 'refuse'; reason: string }
  | { id: QueuedEntry['id']; action: 'update'; objectName: string; tableName: string; columns: string[]; statement: string };

/**
 * `applied`: the migrations applied to the database, in Prisma's order (their files as
 * they are in the folder). The queue's statements run later with the runner's
 * privileges, so only `rewrite`'s own output may run: an entry that names a migration
 * not applied, or that its migration (as the folder has it) never queues, is refused.
 */
export function reconcile(applied: readonly MigrationSource[], entries: readonly QueuedEntry[], defaultSchema = 'public', execution: ReplayExecution = 'unknown'): Reconciliation[] {
  const names = new Set(applied.map((m) => m.name));
  // Read as `rewrite` read the migrations when it queued their work (the same project, the same execution).
  const { pending, removed } = pendingHistory(applied, defaultSchema, execution);
  const taken = new Set<PendingEntry>();
  return entries.map((e): Reconciliation => {
    if (!names.has(e.migration)) {
      return { id: e.id, action: 'refuse', reason: `it names migration "${e.migration}", which is not among the applied migrations of the folder` };
    }
    const candidates = pending.filter((p) => !taken.has(p) && p.migration === e.migration && p.kind === e.kind);
    const match =
      candidates.find((p) => p.objectName === e.objectName && p.tableName === e.tableName) ??
      candidates.find(
        (p) => (p.originName ?? p.objectName) === e.objectName && (p.originTable ?? p.tableName) === e.tableName,
      );
    if (!match) {
      const gone = removed.find(
        (r) =>
          r.entry.migration === e.migration &&
          r.entry.kind === e.kind &&
          ((r.entry.objectName === e.objectName && r.entry.tableName === e.tableName) ||
            ((r.entry.originName ?? r.entry.objectName) === e.objectName && (r.entry.originTable ?? r.entry.tableName) === e.tableName)),
      );
      if (gone) return { id: e.id, action: 'cancel', reason: gone.reason };
      return {
        id: e.id,
        action: 'refuse',
        reason: `migration "${e.migration}" (as the folder has it) queues no ${e.kind} "${e.objectName}" on "${e.tableName}": it was not written by prisma-zd rewrite`,
      };
    }
    taken.add(match);
    if (match.objectName === e.objectName && match.statement === e.statement && match.tableName === e.tableName) {
      return { id: e.id, action: 'keep' };
    }
    return { id: e.id, action: 'update', objectName: match.objectName, tableName: match.tableName, columns: [...match.columns], statement: match.statement };
  });
}
