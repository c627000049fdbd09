// @prisma-zd/core — pure SQL analysis: SQL text in, facts, findings and edits out.
// No file system, no network, no console.

export { initParser, parseSql, isStatement, scanTokens } from './sql/parse.js';
export type { Comment, ParsedSql, ParseProblem, Segment, Statement } from './sql/parse.js';
export { TextIndex } from './sql/text.js';
export type { Position, Range } from './sql/text.js';
export { applyEdits, OverlappingEditsError } from './sql/edits.js';
export type { Edit, Finding, Severity } from './sql/edits.js';
export { dollarQuote, formatQualifiedName, qualifiedName, quoteIdent, quoteLiteral } from './sql/ident.js';
export type { QualifiedName } from './sql/ident.js';
export { asNode, droppedName, nodeKind, referencedColumns, stringList, stringValue } from './sql/nodes.js';
export type { NodeKind, NodeOf } from './sql/nodes.js';
export { expressionRange, expressionText } from './sql/span.js';

export { compareCodePoints, readMigrationsFolder, LOCK_FILE, SCRIPT_FILE } from './migrations/folder.js';
export type { FolderEntry, FolderMigration, FolderProblem, MigrationsFolder } from './migrations/folder.js';
export { migrationChecksum } from './migrations/checksum.js';

export { replay, replayMigration } from './facts/replay.js';
export type { ReplayMigration, ReplayOptions } from './facts/replay.js';
export { emptySchemaState } from './facts/draft.js';
export { columnKey, constraintKey, relationKey } from './facts/model.js';
export type {
  ColumnFacts,
  ColumnType,
  ConstraintFacts,
  ConstraintType,
  CreatedObjects,
  EnumFacts,
  IndexFacts,
  IndexKey,
  MigrationFacts,
  ObjectKind,
  SchemaState,
  SequenceFacts,
  StatementFacts,
  TableFacts,
  Touch,
  TouchAction,
  ViewFacts,
} from './facts/model.js';
export { chooseIndexName, chooseName, makeObjectName, truncateIdentifier } from './facts/names.js';

export { conditionalBlock, enqueueSql, entryMatch, maintenanceBlock, MANAGED, QUEUE_TABLE, UNMANAGED, ZD_SCHEMA } from './zd/blocks.js';
export type { EntryKind, EntrySpec, MaintenanceStep } from './zd/blocks.js';
export { checkQueueStatement, concurrentIndexStatement } from './zd/queue-entry.js';
export type { EntryCheck } from './zd/queue-entry.js';
export { reconcile } from './zd/reconcile.js';
export type { QueuedEntry, Reconciliation } from './zd/reconcile.js';
export { rewriteHistory, pendingAfter, pendingHistory, ignoredFile } from './zd/rewrite.js';
export type { ChangeKind, MigrationRewrite, MigrationSource, RewriteChange, RewriteNote, RewriteOptions } from './zd/rewrite.js';
export { effectsOf, applyEffects, renameInIndexStatement, dropNotNullCheckStatement, validateStatement } from './zd/pending.js';
export type { Effect, PendingEntry } from './zd/pending.js';
export { unmanagedView, zdBlockOf, doBody } from './zd/view.js';
export type { UnmanagedView } from './zd/view.js';
export { readZdBlock, blockRole } from './zd/blocks.js';
export type { ZdBlock, BlockRole } from './zd/blocks.js';
export { alterTableParts } from './zd/alter.js';
export * from './check/index.js';
export * from './locks/locks.js';
