/*
 * `check` on the real corpus (../shared/corpus: 1,184 migration.sql files from 11
 * public Prisma projects): no crash, and no finding on a statement that touches only
 * objects created in the same migration. Skips, saying why, without the corpus.
 */
import { describe, expect, it } from 'vitest';
import { checkHistory, initParser, parseSql, replay } from '../../packages/core/src/index.js';
import { checkSource } from '../../packages/core/src/check/source.js';
import { CORPUS_PRESENT, corpusProjects } from '../support/corpus.js';

describe.skipIf(!CORPUS_PRESENT)('check on the corpus', async () => {
  await initParser();
  const projects = corpusProjects();

  it.each(projects.map((p) => [p.name, p] as const))('%s: checks every migration without crashing', (_name, project) => {
    const report = checkHistory(project.migrations, { execution: 'whole-file' });
    expect(report.migrations.length).toBe(project.migrations.length);
    expect(report.parseErrors).toBe(0);
    for (const d of report.diagnostics) {
      expect(d.message.length).toBeGreaterThan(0);
      expect(d.help).toMatch(/^Instead/);
      expect(d.loc.start.line).toBeGreaterThan(0);
    }
  });

  it.each(projects.map((p) => [p.name, p] as const))('%s: no finding on statements that touch only objects created in the same migration', (_name, project) => {
    const report = checkHistory(project.migrations, { execution: 'whole-file' });
    const functions = new Map();
    const sources = project.migrations.map((m) => checkSource(parseSql(m.sql), functions));
    const facts = replay(project.migrations.map((m, i) => ({ name: m.name, parsed: sources[i]!.parsed })));
    let newOnly = 0;
    const offenders: string[] = [];
    project.migrations.forEach((m, i) => {
      const diagnostics = report.migrations[i]!.diagnostics;
      sources[i]!.statements.forEach((s, j) => {
        const touches = facts[i]!.statements[j]!.touches;
        if (touches.length === 0 || !touches.every((t) => t.createdInMigration)) return;
        newOnly++;
        for (const d of diagnostics) {
          if (d.range.start >= s.range.start && d.range.start < s.range.end) offenders.push(`${m.name}:${d.loc.start.line} ${d.ruleId}`);
        }
      });
    });
    expect(newOnly).toBeGreaterThan(0);
    expect(offenders).toEqual([]);
  });
});
