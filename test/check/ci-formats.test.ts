/*
 * `check --format sarif` (GitHub code scanning and other SARIF tools) and `--format gitlab`
 * (GitLab's Code Quality report): the same findings as `--format json`, in documents the
 * tools accept. SARIF is validated against the SARIF 2.1.0 JSON schema (OASIS, as
 * published by SchemaStore; test/fixtures/sarif-2.1.0-rtm.5.json, from the npm package
 * @microsoft/jest-sarif). GitLab's format is checked field by field against its
 * documentation (type, check_name, description, severity, fingerprint, location), and
 * its fingerprints must survive lines moving, which is how GitLab tells new findings from
 * those of the target branch. Paths are from the repository's root, from a sub-directory too.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/corpus.js';
import { runZd } from '../support/cli.js';
import { makeProject, ZD_ENV } from './fixture.js';

interface JsonReport {
  parseErrors: Array<{ path: string; line: number; kind: string }>;
  findings: Array<{ ruleId: string; severity: string; path: string; line: number; column: number; endLine: number; endColumn: number; message: string }>;
}

interface Sarif {
  version: string;
  runs: Array<{
    tool: { driver: { name: string; rules: Array<{ id: string; helpUri: string; shortDescription: { text: string } }> } };
    results: Array<{
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number; startColumn: number; endLine: number; endColumn: number } } }>;
    }>;
  }>;
}

interface GitlabIssue {
  type: string;
  check_name: string;
  description: string;
  severity: string;
  fingerprint: string;
  categories: string[];
  location: { path: string; lines: { begin: number; end: number } };
  content?: { body: string };
}

const DROP = 'ALTER TABLE "Post" DROP COLUMN "content";\n';
const INDEX = 'CREATE INDEX "Post_title_idx" ON "Post"("title");\n';

describe('check --format sarif / gitlab', () => {
  const p = makeProject({ git: true });
  afterAll(() => p.remove());
  p.migration('20240102000000_unsafe', `-- two findings\n${DROP}${INDEX}`);
  p.migration('20240103000000_again', DROP.replace('content', 'title'));
  p.migration('20240104000000_broken', 'ALTER TABLE "Post" ADD COLUMN;\n');
  mkdirSync(join(p.dir, 'prisma/migrations/20240105000000_half'));
  writeFileSync(join(p.dir, 'prisma/migrations/20240105000000_half/notes.txt'), 'x\n');

  const run = (format: string, cwd = p.dir) => runZd(['check', '--format', format], { cwd, env: ZD_ENV });

  it('sarif: valid SARIF 2.1.0 with every finding and problem of the JSON report, at its lines, from the repository root; the pretty report on stderr; the same exit code', async () => {
    const json = JSON.parse((await run('json')).stdout) as JsonReport;
    // From a sub-directory: paths stay relative to the repository's root.
    const r = await run('sarif', join(p.dir, 'prisma'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[ban-drop-column]');
    expect(r.stderr).toContain('error[syntax]');
    const sarif = JSON.parse(r.stdout) as Sarif;

    const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/sarif-2.1.0-rtm.5.json'), 'utf8')) as object;
    // The schema's `language` pattern is not valid under the `u` flag; its formats are checked here.
    // A CommonJS module: its class is the module and its `default` (the latter is what the types say).
    const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
    const isUri = (base: string | undefined) => (s: string) => URL.canParse(s, base);
    ajv.addFormat('uri', isUri(undefined));
    ajv.addFormat('uri-reference', isUri('file:///repo/'));
    ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
    const validate = ajv.compile(schema);
    expect(validate(sarif), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // The validation bites: a level SARIF does not know is refused.
    const bad = structuredClone(sarif);
    bad.runs[0]!.results[0]!.level = 'fatal';
    expect(validate(bad)).toBe(false);

    expect(sarif.version).toBe('2.1.0');
    const [runOut] = sarif.runs;
    expect(runOut!.tool.driver.name).toBe('prisma-zd');
    const rules = runOut!.tool.driver.rules;
    for (const res of runOut!.results) expect(rules[res.ruleIndex]!.id).toBe(res.ruleId);
    expect(rules.find((x) => x.id === 'ban-drop-column')).toMatchObject({ helpUri: expect.stringContaining('docs/rules/ban-drop-column.md'), shortDescription: { text: expect.any(String) } });

    // The JSON report ran from the root: its paths are already the root's.
    const where = (path: string) => path;
    const fromJson = [
      ...json.parseErrors.map((e) => [e.kind, 'error', where(e.path), e.kind === 'folder' ? undefined : e.line]),
      ...json.findings.map((f) => [f.ruleId, f.severity === 'info' ? 'note' : f.severity, where(f.path), f.line]),
    ];
    const fromSarif = runOut!.results.map((x) => [x.ruleId, x.level, x.locations[0]!.physicalLocation.artifactLocation.uri, x.locations[0]!.physicalLocation.region?.startLine]);
    expect(fromSarif).toEqual(fromJson);
    expect(fromSarif).toContainEqual(['ban-drop-column', 'error', 'prisma/migrations/20240102000000_unsafe/migration.sql', 2]);
    expect(fromSarif).toContainEqual(['syntax', 'error', 'prisma/migrations/20240104000000_broken/migration.sql', 1]);
    expect(fromSarif).toContainEqual(['folder', 'error', 'prisma/migrations/20240105000000_half', undefined]);
    // Regions are the JSON report's (SARIF's end column is the one after the region, as ours).
    const drop = json.findings.find((f) => f.ruleId === 'ban-drop-column' && f.path.includes('unsafe'))!;
    const sarifDrop = runOut!.results.find((x) => x.ruleId === 'ban-drop-column')!;
    expect(sarifDrop.locations[0]!.physicalLocation.region).toEqual({ startLine: drop.line, startColumn: drop.column, endLine: drop.endLine, endColumn: drop.endColumn });
    expect(sarifDrop.message.text).toContain(drop.message);
  });

  it('gitlab: Code Quality issues with the documented fields; fingerprints unique, and kept when lines move', async () => {
    const r = await run('gitlab');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[ban-drop-column]');
    const issues = JSON.parse(r.stdout) as GitlabIssue[];
    const json = JSON.parse((await run('json')).stdout) as JsonReport;
    expect(issues).toHaveLength(json.findings.length + json.parseErrors.length);
    for (const i of issues) {
      expect(i.type).toBe('issue');
      expect(typeof i.check_name).toBe('string');
      expect(i.description.length).toBeGreaterThan(0);
      expect(['info', 'minor', 'major', 'critical', 'blocker']).toContain(i.severity);
      expect(i.fingerprint).toMatch(/^[0-9a-f]{32}$/);
      expect(i.location.path).toMatch(/^prisma\/migrations\//);
      expect(i.location.lines.begin).toBeGreaterThanOrEqual(1);
      expect(i.categories).toEqual(['Bug Risk']);
    }
    expect(new Set(issues.map((i) => i.fingerprint)).size).toBe(issues.length);
    const severity = (name: string) => issues.filter((i) => i.check_name === name).map((i) => i.severity);
    expect(severity('ban-drop-column')).toEqual(['critical', 'critical']);
    expect(severity('syntax')).toEqual(['blocker']);
    expect(severity('folder')).toEqual(['blocker']);
    expect(issues.find((i) => i.check_name === 'ban-drop-column')!.content!.body).toContain('docs/rules/ban-drop-column.md');

    // Lines move (a comment added above): the same fingerprints, the new lines.
    p.migration('20240102000000_unsafe', `-- two findings\n-- reviewed by the DBA\n${DROP}${INDEX}`);
    const moved = JSON.parse((await run('gitlab')).stdout) as GitlabIssue[];
    expect(moved.map((i) => i.fingerprint)).toEqual(issues.map((i) => i.fingerprint));
    const line = (list: GitlabIssue[]) => list.find((i) => i.check_name === 'ban-drop-column')!.location.lines.begin;
    expect(line(moved)).toBe(line(issues) + 1);
  });

  it('with GitLab\'s CI_PROJECT_DIR, paths are from it (the checkout), as GitLab resolves them', async () => {
    const r = await runZd(['check', '--format', 'gitlab'], { cwd: join(p.dir, 'prisma'), env: { ...ZD_ENV, CI_PROJECT_DIR: join(p.dir, 'prisma') } });
    const issues = JSON.parse(r.stdout) as GitlabIssue[];
    expect(issues[0]!.location.path).toMatch(/^migrations\//);
  });

  it('no finding: an empty document, exit 0', async () => {
    const clean = makeProject();
    try {
      const gitlab = await runZd(['check', '--format', 'gitlab'], { cwd: clean.dir, env: ZD_ENV });
      expect(gitlab.code).toBe(0);
      expect(JSON.parse(gitlab.stdout)).toEqual([]);
      const sarif = await runZd(['check', '--format', 'sarif'], { cwd: clean.dir, env: ZD_ENV });
      expect(sarif.code).toBe(0);
      expect((JSON.parse(sarif.stdout) as Sarif).runs[0]!.results).toEqual([]);
    } finally {
      clean.remove();
    }
  });
});
