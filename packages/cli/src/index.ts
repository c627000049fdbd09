export { main, VERSION } from './main.js';
export { ExitCode, UserError, AlreadyReported } from './errors.js';
export { redact, redactUrl } from './util/redact.js';
export { defineConfig } from './config.js';
export type { CheckConfig, PrismaZdConfig, ResolvedConfig } from './config.js';
export { verifyDatabase } from './verify/verify.js';
export type { DriftItem, PendingItem, VerifyOptions, VerifyReport } from './verify/verify.js';
export type { DeployConfig } from './deploy/settings.js';
export type { BlockedSituation, BlockerDecision } from './deploy/blockers.js';
