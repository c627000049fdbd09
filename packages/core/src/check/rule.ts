/**
 * The contract of a lint rule (typescript-eslint's `createRule`): one file per rule,
 * whose name is the rule's id, exporting the rule made by `createRule`. The doc URL is
 * derived from the id; the registry (`rules/index.ts`) lists every rule once, sorted.
 */
import type { Severity } from '../sql/edits.js';
import type { RuleContext } from './context.js';

/** Where rule pages live; `docs/rules/<id>.md` in the repository. */
export const DOCS_BASE = 'https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules';

export function docUrl(id: string): string {
  return `${DOCS_BASE}/${id}.md`;
}

export interface RuleMeta {
  /** Equals the rule's file name (a meta-test checks it). */
  readonly id: string;
  /** Default severity; `prisma-zd.config.ts` may change it. */
  readonly severity: Severity;
  /** One line for lists and `explain`. */
  readonly summary: string;
  /**
   * Runs after the other rules, once their findings are suppressed or kept: it reads
   * `ctx.earlier` and `ctx.suppressions` (what was reported, what suppressed it).
   */
  readonly late?: boolean;
}

export interface Rule extends RuleMeta {
  readonly docUrl: string;
  /** Reports findings about one migration through `ctx.report`. */
  check(ctx: RuleContext): void;
}

export function createRule(def: RuleMeta & { check(ctx: RuleContext): void }): Rule {
  return { ...def, docUrl: docUrl(def.id) };
}
