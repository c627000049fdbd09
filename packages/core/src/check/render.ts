/**
 * The three ways a check report is written: for people (code frame, lock, help, doc
 * link), as JSON, and as GitHub workflow annotations. Pure: text in, text out; the CLI
 * and the snapshot tests use the same functions.
 */
import type { Severity } from '../sql/edits.js';
import type { CheckReport, Diagnostic, MigrationReport, TableSize } from './check.js';
import { LOCK_EFFECT } from '../locks/locks.js';

export interface RenderOptions {
  /** ANSI colours (only on a TTY, never with NO_COLOR: the caller decides). */
  readonly color?: boolean;
}

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], yellow: [33, 39], cyan: [36, 39], blue: [34, 39], green: [32, 39] } as const;
type Style = keyof typeof CODES;

function painter(color: boolean) {
  return (style: Style, text: string): string => (color ? `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m` : text);
}

const SEVERITY_STYLE: Readonly<Record<Severity, Style>> = { error: 'red', warning: 'yellow', info: 'blue' };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function formatRows(rows: number): string {
  if (rows < 0) return 'rows unknown (never analysed)';
  if (rows < 1000) return `~${Math.round(rows)} rows`;
  if (rows < 1_000_000) return `~${(rows / 1000).toFixed(rows < 10_000 ? 1 : 0)}k rows`;
  return `~${(rows / 1_000_000).toFixed(1)}M rows`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function sizeText(size: TableSize): string {
  return `${formatRows(size.rows)}, ${formatBytes(size.bytes)}`;
}

/** The widest source line a code frame prints, `…` included. */
const FRAME_WIDTH = 120;
/** Columns of context a window keeps before the reported range. */
const FRAME_CONTEXT = 20;

/**
 * What a code frame prints of `raw` to show `[from, to)` (0-based columns): the whole
 * line when it fits in FRAME_WIDTH, else a window of it with `…` where it is cut.
 * A column of `raw` is that column minus `shift` in `text`.
 */
function lineWindow(raw: string, from: number, to: number): { text: string; shift: number } {
  if (raw.length <= FRAME_WIDTH) return { text: raw, shift: 0 };
  // The head of the line when the range ends within it (as before); else from a little before the range, the tail at most.
  const start = to <= FRAME_WIDTH - 1 ? 0 : Math.max(0, Math.min(from - FRAME_CONTEXT, raw.length - (FRAME_WIDTH - 1)));
  const head = start > 0 ? '…' : '';
  const room = FRAME_WIDTH - head.length;
  const body = raw.length - start <= room ? raw.slice(start) : raw.slice(start, start + room - 1);
  const tail = start + body.length < raw.length ? '…' : '';
  return { text: `${head}${body}${tail}`, shift: start - head.length };
}

/** The lines of `text` around `[start, end)`, with the range underlined. */
function codeFrame(text: string, d: Diagnostic, paint: ReturnType<typeof painter>): string[] {
  const lines = text.split('\n');
  const first = d.loc.start.line;
  const last = Math.min(d.loc.end.line, first + 2);
  const width = String(last).length;
  const gutter = (n?: number) => paint('blue', `${n === undefined ? ' '.repeat(width) : String(n).padStart(width)} |`);
  const out = [gutter()];
  for (let n = first; n <= last; n++) {
    const raw = (lines[n - 1] ?? '').replace(/\r$/, '').replace(/\t/g, ' ');
    const rawFrom = n === first ? d.loc.start.col - 1 : raw.length - raw.trimStart().length;
    const rawTo = n === d.loc.end.line ? d.loc.end.col - 1 : raw.length;
    const { text: line, shift } = lineWindow(raw, rawFrom, rawTo);
    out.push(`${gutter(n)} ${line}`);
    // A range that goes on past the window is underlined up to its closing `…`.
    const from = rawFrom - shift;
    const span = Math.max(1, Math.min(rawTo - shift, line.length) - from);
    if (from < line.length || n === first) out.push(`${gutter()} ${' '.repeat(Math.max(0, from))}${paint(SEVERITY_STYLE[d.severity], '^'.repeat(span))}`);
  }
  if (d.loc.end.line > last) out.push(`${gutter()} …`);
  return out;
}

function renderDiagnostic(d: Diagnostic, text: string, paint: ReturnType<typeof painter>): string {
  const head = `${paint(SEVERITY_STYLE[d.severity], paint('bold', `${d.severity}[${d.ruleId}]`))}${paint('bold', `: ${d.message}`)}`;
  const out = [head, `  ${paint('blue', '-->')} ${d.path}:${d.loc.start.line}:${d.loc.start.col}`, ...codeFrame(text, d, paint).map((l) => `  ${l}`)];
  const note = (label: string, value: string) => out.push(`  ${paint('blue', '=')} ${paint('bold', `${label}:`)} ${value}`);
  const table = d.table === undefined ? '' : ` on ${d.table.display}`;
  if (d.lock) note('lock', `${d.lock}${table} (${LOCK_EFFECT[d.lock]})`);
  if (d.table?.size) note('table', `${sizeText(d.table.size)}${d.tiny ? ' (small table: severity lowered)' : ''}`);
  note('help', d.help);
  if (d.fixedBy === 'rewrite') note('fix', '`prisma-zd rewrite`');
  note('docs', d.docUrl);
  return out.join('\n');
}

/** What to do about a migration PostgreSQL's parser rejects (`prisma-zd explain syntax` says more). */
export const SYNTAX_HELP =
  "PostgreSQL's own parser rejects this statement, so `prisma migrate deploy` would fail on it too: fix the SQL, then run `prisma-zd check` again (`prisma-zd explain syntax`)";

/**
 * What to do about a file prisma-zd's copy of the parser cannot read (`kind: 'parser'`: a
 * very large file, out of the WebAssembly module's memory). The SQL may be fine.
 */
export function parserHelp(path: string): string {
  const folder = path.replace(/[\\/]migration\.sql$/, '');
  return (
    'This is a limit of prisma-zd, not an error in the SQL: PostgreSQL may well accept the file. Split the data into smaller migrations (or load it outside Migrate, e.g. with COPY), ' +
    `or leave the file out of check with \`check: { exclude: [${JSON.stringify(folder)}] }\` in prisma-zd.config.ts (a path relative to that file; \`prisma-zd explain parser\`)`
  );
}

/**
 * The label of a parse problem: `syntax` (PostgreSQL rejects the SQL), `parser`
 * (prisma-zd could not read it) or `folder` (the migrations folder around it).
 */
/** The kind of a migration's problem that is not a rule: `error[syntax]`, `error[parser]` or `error[folder]`. */
export function parseLabel(m: MigrationReport): 'syntax' | 'parser' | 'folder' {
  return m.parseError?.kind ?? 'syntax';
}

function renderParseError(m: MigrationReport, paint: ReturnType<typeof painter>): string {
  const e = m.parseError!;
  const label = parseLabel(m);
  if (label === 'folder') {
    return [
      `${paint('red', paint('bold', 'error[folder]'))}${paint('bold', `: ${e.message}`)}`,
      `  ${paint('blue', '-->')} ${m.path}`,
      ...(e.help ? [`  ${paint('blue', '=')} ${paint('bold', 'help:')} ${e.help}`] : []),
    ].join('\n');
  }
  const raw = (m.text.split('\n')[e.line - 1] ?? '').replace(/\t/g, ' ');
  const { text: line, shift } = lineWindow(raw, e.col - 1, e.col);
  const width = String(e.line).length;
  return [
    `${paint('red', paint('bold', `error[${label}]`))}${paint('bold', `: ${e.message}; the statements after this point were not checked`)}`,
    `  ${paint('blue', '-->')} ${m.path}:${e.line}:${e.col}`,
    `  ${paint('blue', `${' '.repeat(width)} |`)}`,
    `  ${paint('blue', `${e.line} |`)} ${line}`,
    `  ${paint('blue', `${' '.repeat(width)} |`)} ${' '.repeat(Math.max(0, e.col - 1 - shift))}${paint('red', '^')}`,
    `  ${paint('blue', '=')} ${paint('bold', 'help:')} ${e.help ?? (label === 'parser' ? parserHelp(m.path) : SYNTAX_HELP)}`,
  ].join('\n');
}

/** The report for people: every finding with its code frame, then a summary line. */
export function renderPretty(report: CheckReport, options: RenderOptions = {}): string {
  const paint = painter(options.color ?? false);
  const blocks: string[] = [];
  for (const m of report.migrations) {
    if (m.parseError) blocks.push(renderParseError(m, paint));
    for (const d of m.diagnostics) blocks.push(renderDiagnostic(d, m.text, paint));
  }
  blocks.push(summaryLine(report, paint));
  return blocks.join('\n\n');
}

/** Only the summary line(s) of `renderPretty`. */
export function renderSummary(report: CheckReport, options: RenderOptions = {}): string {
  return summaryLine(report, painter(options.color ?? false));
}

function summaryLine(report: CheckReport, paint: ReturnType<typeof painter>): string {
  const { error, warning, info } = report.counts;
  const errors = error + report.parseErrors;
  const migrations = migrationsOf(report);
  const checked = migrations.length;
  const suppressed = report.migrations.reduce((n, m) => n + m.suppressed, 0);
  const extra = suppressed ? paint('dim', ` (${suppressed} suppressed by comments)`) : '';
  if (errors + warning + info === 0) return `${paint('green', '✓')} No findings in ${plural(checked, 'migration')}.${extra}`;
  const folder = report.migrations.length - checked;
  const withFindings = `${migrations.filter((m) => m.diagnostics.length || m.parseError).length} of ${plural(checked, 'migration')}${folder ? ` and ${folder} in the migrations folder` : ''}`;
  const parts = [plural(errors, 'error'), plural(warning, 'warning'), ...(info ? [`${info} info`] : [])];
  const fixable = report.migrations.filter((m) => m.needsRewrite).length;
  const hint = fixable ? `\n  ${plural(fixable, 'migration')} still need${fixable === 1 ? 's' : ''} \`prisma-zd rewrite\`.` : '';
  const mark = errors ? paint('red', '✖') : paint('yellow', '!');
  return `${mark} ${parts.join(', ')} in ${withFindings}.${extra}${hint}`;
}

/** The report's migrations, without the problems of the migrations folder itself (kind `folder`). */
function migrationsOf(report: CheckReport): readonly MigrationReport[] {
  return report.migrations.filter((m) => m.parseError?.kind !== 'folder');
}

/** Machine output: one JSON document. */
export function renderJson(report: CheckReport): string {
  return JSON.stringify(
    {
      version: 1,
      summary: {
        migrations: migrationsOf(report).length,
        replayed: report.replayed,
        errors: report.counts.error + report.parseErrors,
        warnings: report.counts.warning,
        info: report.counts.info,
        suppressed: report.migrations.reduce((n, m) => n + m.suppressed, 0),
        needRewrite: report.migrations.filter((m) => m.needsRewrite).map((m) => m.name),
      },
      parseErrors: report.migrations
        .filter((m) => m.parseError)
        .map((m) => ({
          migration: m.name,
          path: m.path,
          line: m.parseError!.line,
          column: m.parseError!.col,
          message: m.parseError!.message,
          kind: parseLabel(m),
          ...(m.parseError!.help === undefined ? {} : { help: m.parseError!.help }),
        })),
      findings: report.diagnostics.map((d) => ({
        ruleId: d.ruleId,
        severity: d.severity,
        message: d.message,
        help: d.help,
        migration: d.migration,
        path: d.path,
        line: d.loc.start.line,
        column: d.loc.start.col,
        endLine: d.loc.end.line,
        endColumn: d.loc.end.col,
        ...(d.lock ? { lock: d.lock } : {}),
        ...(d.table ? { table: { schema: d.table.schema, name: d.table.name, ...(d.table.size ? { rows: d.table.size.rows, bytes: d.table.size.bytes } : {}) } } : {}),
        ...(d.fixedBy ? { fixedBy: d.fixedBy } : {}),
        ...(d.tiny ? { lowered: 'small table' } : {}),
        ...(d.breaksOldApp ? { breaksOldApp: true } : {}),
        docUrl: d.docUrl,
      })),
    },
    null,
    2,
  );
}

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * GitHub Actions workflow commands: one annotation per finding. GitHub attaches an
 * annotation to a file by its path from the repository's root: `path` maps the
 * report's paths (relative to the working directory) to that.
 */
export function renderGithub(report: CheckReport, options: { readonly path?: (path: string) => string } = {}): string {
  const level: Readonly<Record<Severity, string>> = { error: 'error', warning: 'warning', info: 'notice' };
  const file = options.path ?? ((p: string) => p);
  const lines: string[] = [];
  for (const m of report.migrations) {
    if (m.parseError) {
      lines.push(`::error file=${escapeProperty(file(m.path))},line=${m.parseError.line},col=${m.parseError.col},title=${escapeProperty(`prisma-zd ${parseLabel(m)}`)}::${escapeData(m.parseError.message)}`);
    }
  }
  for (const d of report.diagnostics) {
    const props = [
      `file=${escapeProperty(file(d.path))}`,
      `line=${d.loc.start.line}`,
      `col=${d.loc.start.col}`,
      `endLine=${d.loc.end.line}`,
      `endColumn=${d.loc.end.col}`,
      `title=${escapeProperty(`prisma-zd ${d.ruleId}`)}`,
    ];
    lines.push(`::${level[d.severity]} ${props.join(',')}::${escapeData(`${d.message}\n${d.help}\n${d.docUrl}`)}`);
  }
  return lines.join('\n');
}
