/** Every rule, one line each, sorted by id (typescript-eslint `src/rules/index.ts`). */
import type { Rule } from '../rule.js';
import { rule as addingExclusionConstraint } from './adding-exclusion-constraint.js';
import { rule as addingFieldWithDefault } from './adding-field-with-default.js';
import { rule as addingNotNullableField } from './adding-not-nullable-field.js';
import { rule as addingRequiredField } from './adding-required-field.js';
import { rule as attachingPartitionWithoutCheck } from './attaching-partition-without-check.js';
import { rule as banConcurrentIndexCreationInTransaction } from './ban-concurrent-index-creation-in-transaction.js';
import { rule as banDropColumn } from './ban-drop-column.js';
import { rule as banDropTable } from './ban-drop-table.js';
import { rule as banLockTable } from './ban-lock-table.js';
import { rule as banTruncate } from './ban-truncate.js';
import { rule as blockingMaintenance } from './blocking-maintenance.js';
import { rule as changingColumnType } from './changing-column-type.js';
import { rule as constraintMissingNotValid } from './constraint-missing-not-valid.js';
import { rule as deletedMigration } from './deleted-migration.js';
import { rule as disallowedUniqueConstraint } from './disallowed-unique-constraint.js';
import { rule as domainConstraintOnArrayColumn } from './domain-constraint-on-array-column.js';
import { rule as droppingColumnDefault } from './dropping-column-default.js';
import { rule as droppingUniqueIndex } from './dropping-unique-index.js';
import { rule as enablingRowLevelSecurity } from './enabling-row-level-security.js';
import { rule as migrationNotRewritten } from './migration-not-rewritten.js';
import { rule as modifiedMigration } from './modified-migration.js';
import { rule as newEnumValueInTransaction } from './new-enum-value-in-transaction.js';
import { rule as recreatingColumn } from './recreating-column.js';
import { rule as removingEnumValue } from './removing-enum-value.js';
import { rule as renamedMigration } from './renamed-migration.js';
import { rule as renamingColumn } from './renaming-column.js';
import { rule as renamingEnumValue } from './renaming-enum-value.js';
import { rule as renamingTable } from './renaming-table.js';
import { rule as requireConcurrentIndexCreation } from './require-concurrent-index-creation.js';
import { rule as requireConcurrentIndexDeletion } from './require-concurrent-index-deletion.js';
import { rule as roleNotReset } from './role-not-reset.js';
import { rule as searchPathNotReset } from './search-path-not-reset.js';
import { rule as unanalysableCode } from './unanalysable-code.js';
import { rule as unbatchedBackfill } from './unbatched-backfill.js';
import { rule as unusedSuppression } from './unused-suppression.js';

export const rules: readonly Rule[] = [
  addingExclusionConstraint,
  addingFieldWithDefault,
  addingNotNullableField,
  addingRequiredField,
  attachingPartitionWithoutCheck,
  banConcurrentIndexCreationInTransaction,
  banDropColumn,
  banDropTable,
  banLockTable,
  banTruncate,
  blockingMaintenance,
  changingColumnType,
  constraintMissingNotValid,
  deletedMigration,
  disallowedUniqueConstraint,
  domainConstraintOnArrayColumn,
  droppingColumnDefault,
  droppingUniqueIndex,
  enablingRowLevelSecurity,
  migrationNotRewritten,
  modifiedMigration,
  newEnumValueInTransaction,
  recreatingColumn,
  removingEnumValue,
  renamedMigration,
  renamingColumn,
  renamingEnumValue,
  renamingTable,
  requireConcurrentIndexCreation,
  requireConcurrentIndexDeletion,
  roleNotReset,
  searchPathNotReset,
  unanalysableCode,
  unbatchedBackfill,
  unusedSuppression,
];
