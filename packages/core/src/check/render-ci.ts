/**
 * Reports for code-review tools, beside the GitHub workflow annotations of render.ts:
 *
 * - SARIF 2.1.0 (`--format sarif`): GitHub code scanning (`github/codeql-action/upload-sarif`),
 *   Azure DevOps and most editors' SARIF viewers. One run; the driver lists the rules the
 *   results name (with their page), each result points at the statement's lines.
 * - GitLab Code Quality (`--format gitlab`, Code Climate's issue format): the merge
 *   request's Code Quality widget, from a `reports: codequality` artifact. GitLab tells
 *   new findings from those of the target branch by `fingerprint`, so it does not depend
 *   on line numbers: the rule, the file, the message and its occurrence in the file.
 *
 * The problems that are not rules (`error[syntax]`, `error[parser]`, `error[folder]`) take
 * their kind as rule id, at error level. Paths are the report's, mapped by `path` (the CLI
 * makes them relative to the repository's root, as both tools want).
 */
import { createHash } from 'node:crypto';
import type { Severity } from '../sql/edits.js';
import type { CheckReport } from './check.js';
import { parseLabel } from './render.js';
import { DOCS_BASE } from './rule.js';
import { rules as allRules } from './rules/index.js';

export interface CiRenderOptions {
  /** Maps a report path to the one the tool wants (from the repository's root). */
  readonly path?: (path: string) => string;
  /** The prisma-zd version (SARIF's `tool.driver.version`). */
  readonly version?: string;
}

/** One finding or problem, in the form both reports are made from. */
interface Item {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly message: string;
  readonly help?: string;
  readonly path: string;
  /** Absent for a directory (a folder problem): the whole artifact. */
  readonly region?: { readonly startLine: number; readonly startColumn: number; readonly endLine: number; readonly endColumn: number };
  readonly docUrl: string;
  readonly blocking: boolean;
}

const NOT_RULES: Readonly<Record<string, string>> = {
  syntax: "PostgreSQL's parser rejects the file: prisma migrate deploy would fail on it too",
  parser: "prisma-zd's copy of the parser could not hold the file",
  folder: 'The migrations folder itself: a directory without migration.sql, or a lock file of another database',
};

function items(report: CheckReport, path: (p: string) => string): Item[] {
  const out: Item[] = [];
  for (const m of report.migrations) {
    const e = m.parseError;
    if (!e) continue;
    const kind = parseLabel(m);
    out.push({
      ruleId: kind,
      severity: 'error',
      message: e.message,
      ...(e.help === undefined ? {} : { help: e.help }),
      path: path(m.path),
      ...(kind === 'folder' ? {} : { region: { startLine: e.line, startColumn: e.col, endLine: e.line, endColumn: e.col } }),
      docUrl: `${DOCS_BASE}/README.md`,
      blocking: true,
    });
  }
  for (const d of report.diagnostics) {
    out.push({
      ruleId: d.ruleId,
      severity: d.severity,
      message: d.message,
      help: d.help,
      path: path(d.path),
      region: { startLine: d.loc.start.line, startColumn: d.loc.start.col, endLine: d.loc.end.line, endColumn: d.loc.end.col },
      docUrl: d.docUrl,
      blocking: false,
    });
  }
  return out;
}

const SARIF_LEVEL: Readonly<Record<Severity, string>> = { error: 'error', warning: 'warning', info: 'note' };

/** SARIF 2.1.0, one JSON document. */
export function renderSarif(report: CheckReport, options: CiRenderOptions = {}): string {
  const list = items(report, options.path ?? ((p) => p));
  const ids = [...new Set(list.map((i) => i.ruleId))].sort();
  const index = new Map(ids.map((id, i) => [id, i]));
  const meta = new Map(allRules.map((r) => [r.id, r]));
  const rules = ids.map((id) => {
    const rule = meta.get(id);
    const helpUri = rule?.docUrl ?? `${DOCS_BASE}/README.md`;
    return {
      id,
      shortDescription: { text: rule?.summary ?? NOT_RULES[id] ?? id },
      helpUri,
      help: {
        text: `${rule?.summary ?? NOT_RULES[id] ?? id}\n${helpUri} (or: prisma-zd explain ${id})`,
        markdown: `${rule?.summary ?? NOT_RULES[id] ?? id}\n\n[${id}](${helpUri}) (or \`prisma-zd explain ${id}\`)`,
      },
      defaultConfiguration: { level: SARIF_LEVEL[rule?.severity ?? 'error'] },
    };
  });
  const results = list.map((i) => ({
    ruleId: i.ruleId,
    ruleIndex: index.get(i.ruleId)!,
    level: SARIF_LEVEL[i.severity],
    message: { text: i.help ? `${i.message}\n${i.help}` : i.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: encodeURI(i.path) },
          ...(i.region ? { region: i.region } : {}),
        },
      },
    ],
  }));
  return JSON.stringify(
    {
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: 'prisma-zd',
              informationUri: 'https://github.com/prisma-zd/prisma-zd',
              ...(options.version ? { version: options.version } : {}),
              rules,
            },
          },
          columnKind: 'utf16CodeUnits',
          results,
        },
      ],
    },
    null,
    2,
  );
}

/** GitLab's severities: an error blocks the deploy's safety, a problem that is not a rule blocks the deploy itself. */
function gitlabSeverity(i: Item): string {
  if (i.blocking) return 'blocker';
  return i.severity === 'error' ? 'critical' : i.severity === 'warning' ? 'minor' : 'info';
}

/** GitLab Code Quality (Code Climate issues), one JSON array. */
export function renderGitlab(report: CheckReport, options: CiRenderOptions = {}): string {
  const seen = new Map<string, number>();
  const issues = items(report, options.path ?? ((p) => p)).map((i) => {
    const key = `${i.ruleId}\0${i.path}\0${i.message}`;
    const nth = (seen.get(key) ?? 0) + 1;
    seen.set(key, nth);
    return {
      type: 'issue',
      check_name: i.ruleId,
      description: i.message,
      ...(i.help ? { content: { body: `${i.help}\n\n${i.docUrl}` } } : {}),
      categories: ['Bug Risk'],
      severity: gitlabSeverity(i),
      fingerprint: createHash('sha256').update(`${key}\0${nth}`).digest('hex').slice(0, 32),
      location: { path: i.path, lines: { begin: i.region?.startLine ?? 1, end: i.region?.endLine ?? 1 } },
    };
  });
  return JSON.stringify(issues, null, 2);
}
