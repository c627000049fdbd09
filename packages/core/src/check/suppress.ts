/**
 * Suppression comments, read from the comments the parser found (never from the SQL
 * text with a regex over statements):
 *
 *   -- prisma-zd-ignore <rule>[, <rule>…]: <reason>        before a statement
 *   -- prisma-zd-ignore-file <rule>[, <rule>…]: <reason>   anywhere in the file
 *
 * Without rules, every rule is suppressed. `-- squawk-ignore` and
 * `-- squawk-ignore-file` are accepted as aliases; their rule names are squawk's, so
 * names prisma-zd does not know, and squawk suppressions that suppress nothing here,
 * are not reported.
 */
import type { Comment, ParsedSql } from '../sql/parse.js';
import type { Range } from '../sql/text.js';

export interface Suppression {
  readonly tool: 'prisma-zd' | 'squawk';
  /** `statement`: applies to the statement the comment precedes; `file`: to the whole file. */
  readonly scope: 'statement' | 'file';
  /** Index of the statement it precedes (`statement` scope). */
  readonly statement?: number;
  /** Rule ids; empty: every rule. */
  readonly rules: readonly string[];
  readonly reason?: string;
  /** The comment. */
  readonly range: Range;
  /** Rule ids it suppressed a finding of (filled while checking). */
  readonly used: Set<string>;
}

/** squawk rules that prisma-zd reports under another id. */
const SQUAWK_ALIASES: Readonly<Record<string, string>> = {
  'adding-foreign-key-constraint': 'constraint-missing-not-valid',
};

const PATTERN = /^--\s*(prisma-zd|squawk)-ignore(-file)?(?=[\s:,]|$)([^:]*)(?::(.*))?$/;

function read(comment: Comment, statement: number | undefined): Suppression | undefined {
  if (comment.kind !== 'line') return undefined;
  const m = PATTERN.exec(comment.text.trim());
  if (!m) return undefined;
  const file = m[2] !== undefined;
  if (!file && statement === undefined) return undefined;
  const tool = m[1] as 'prisma-zd' | 'squawk';
  const named = (m[3] ?? '').split(/[\s,]+/).filter(Boolean);
  const rules = tool === 'squawk' ? named.map((r) => SQUAWK_ALIASES[r] ?? r) : named;
  const reason = m[4]?.trim();
  return {
    tool,
    scope: file ? 'file' : 'statement',
    ...(file || statement === undefined ? {} : { statement }),
    rules,
    ...(reason ? { reason } : {}),
    range: comment.range,
    used: new Set(),
  };
}

/** Every suppression comment of a file. */
export function suppressionsOf(parsed: ParsedSql): Suppression[] {
  const out: Suppression[] = [];
  for (const s of parsed.statements) {
    for (const c of s.leadingComments) {
      const sup = read(c, s.index);
      if (sup) out.push(sup);
    }
  }
  for (const c of parsed.trailingComments) {
    const sup = read(c, undefined);
    if (sup) out.push(sup);
  }
  return out;
}

/**
 * The suppression that silences a finding of `ruleId` at statement `statement` (undefined
 * for a finding about the whole file), marking it used; or undefined.
 */
export function suppress(suppressions: readonly Suppression[], ruleId: string, statement: number | undefined): Suppression | undefined {
  const hit = suppressions.find(
    (s) =>
      (s.scope === 'file' || (statement !== undefined && s.statement === statement)) &&
      // A comment without rules cannot silence the report that it is itself unused.
      (s.rules.length === 0 ? ruleId !== 'unused-suppression' : s.rules.includes(ruleId)),
  );
  hit?.used.add(ruleId);
  return hit;
}
