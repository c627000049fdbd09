// The migration linter: rules over replayed facts, suppressions, rendering.
export { checkHistory, checkSql, isTiny, OLD_APP_BREAKS, TINY_TABLE } from './check.js';
export type { DeletedMigration } from './rules/deleted-migration.js';
export type { CheckInput, CheckOptions, CheckReport, CheckSqlOptions, Diagnostic, MigrationReport, RuleSetting, TableRef, TableSize } from './check.js';
export { checkpointFromJson, checkpointToJson } from './checkpoint.js';
export { rolesLeft } from './roles-left.js';
export { sessionLeft, type SessionLeft, type SessionLeftOptions } from './session-left.js';
export type { RoleLeft } from './roles-left.js';
export type { Checkpoint } from './history.js';
export type { CheckStatement, Execution, MigrationStanding, Report, RuleContext, Transaction } from './context.js';
export { renderGithub, renderJson, renderPretty, renderSummary, formatBytes, formatRows } from './render.js';
export type { RenderOptions } from './render.js';
export { renderGitlab, renderSarif } from './render-ci.js';
export type { CiRenderOptions } from './render-ci.js';
export { createRule, docUrl, DOCS_BASE } from './rule.js';
export type { Rule, RuleMeta } from './rule.js';
export { rules } from './rules/index.js';
