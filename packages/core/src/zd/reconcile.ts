/**
 * Reconciliation before the runner builds (DESIGN §3): some statements cannot carry
 * queue maintenance (`DROP INDEX CONCURRENTLY` must stand alone, outside any
 * transaction), so the runner replays the applied history and brings each queued entry
 * in line with what the history says is still pending: cancelled when a later
 * migration dropped its object, updated when one renamed it.
 */
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
  | { id: QueuedEntry['id']; action: 'update'; objectName: string; tableName: string; columns: string[]; statement: string };

/**
 * `applied`: the migrations applied to the database, in Prisma's order (their files as
 * they are in the folder). Entries whose migration is not among them are kept as they are.
 */
export function reconcile(applied: readonly MigrationSource[], entries: readonly QueuedEntry[], defaultSchema = 'public'): Reconciliation[] {
  const names = new Set(applied.map((m) => m.name));
  const { pending, removed } = pendingHistory(applied, defaultSchema);
  const taken = new Set<PendingEntry>();
  return entries.map((e): Reconciliation => {
    if (!names.has(e.migration)) return { id: e.id, action: 'keep' };
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
      // The history does not know this entry (a migration missing from the folder or from
      // _prisma_migrations): never cancel work on a guess.
      return { id: e.id, action: 'keep', warning: `${e.kind} "${e.objectName}" of ${e.migration} is not found in the migrations history; left as it is` };
    }
    taken.add(match);
    if (match.objectName === e.objectName && match.statement === e.statement && match.tableName === e.tableName) {
      return { id: e.id, action: 'keep' };
    }
    return { id: e.id, action: 'update', objectName: match.objectName, tableName: match.tableName, columns: [...match.columns], statement: match.statement };
  });
}
