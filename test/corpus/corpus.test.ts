/*
 * The real-world corpus (../shared/corpus beside the repository: 1,184 migration.sql
 * files from 11 public Prisma projects, listed in INDEX.tsv): every file parses, its
 * segments rebuild it byte for byte, and each project's history replays without
 * throwing. Skips, saying why, when the corpus is absent (a user's clone).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareCodePoints, initParser, parseSql, replay } from '../../packages/core/src/index.js';
import type { ParsedSql } from '../../packages/core/src/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpusDir = resolve(repoRoot, '..', 'shared', 'corpus');
const exists = existsSync(join(corpusDir, 'INDEX.tsv'));
if (!exists) console.warn(`[corpus] skipped: no corpus at ${corpusDir} (it sits beside the repository in CI)`);

interface Project {
  name: string;
  files: number;
  migrations: Array<{ name: string; sql: string }>;
}

function loadProjects(): Project[] {
  const rows = readFileSync(join(corpusDir, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1);
  return rows.map((row) => {
    const [name = '', files = '0'] = row.split('\t');
    const dir = join(corpusDir, name);
    const migrations = readdirSync(dir)
      .filter((d) => statSync(join(dir, d)).isDirectory() && existsSync(join(dir, d, 'migration.sql')))
      .sort(compareCodePoints)
      .map((d) => ({ name: d, sql: readFileSync(join(dir, d, 'migration.sql'), 'utf8') }));
    return { name, files: Number(files), migrations };
  });
}

describe.skipIf(!exists)('corpus', async () => {
  await initParser();
  const projects = exists ? loadProjects() : [];
  const files = projects.flatMap((p) => p.migrations.map((m) => ({ project: p.name, ...m })));
  const parsed = new Map<string, ParsedSql>();

  it('holds the files INDEX.tsv lists', () => {
    expect(projects.length).toBeGreaterThan(0);
    for (const p of projects) expect(p.migrations.length, p.name).toBe(p.files);
  });

  it('parses every file well under a second', () => {
    const started = performance.now();
    for (const f of files) parsed.set(`${f.project}/${f.name}`, parseSql(f.sql));
    const ms = performance.now() - started;
    console.log(`[corpus] parsed ${files.length} files (${[...parsed.values()].reduce((n, p) => n + p.statements.length, 0)} statements) in ${ms.toFixed(0)} ms`);
    const failures = [...parsed].filter(([, p]) => p.error).map(([k, p]) => `${k}:${p.error?.line}:${p.error?.col} ${p.error?.message}`);
    expect(failures).toEqual([]);
    expect(ms).toBeLessThan(5000); // generous for slow CI machines; typically ~0.3 s
  });

  it('rebuilds every file byte for byte from its segments', () => {
    for (const [key, p] of parsed) {
      const rebuilt = p.segments.map((s) => p.text.slice(s.range.start, s.range.end)).join('');
      expect(Buffer.from(rebuilt).equals(Buffer.from(p.text)), key).toBe(true);
      let cursor = 0;
      for (const s of p.segments) {
        expect(s.range.start, key).toBe(cursor);
        cursor = s.range.end;
      }
      for (const s of p.statements) {
        expect(s.text, key).toBe(p.text.slice(s.range.start, s.range.end));
        expect(s.text, key).not.toMatch(/^\s|\s$|;$/);
        expect(Buffer.from(p.text).subarray(s.byteRange.start, s.byteRange.end).toString(), key).toBe(s.text);
      }
    }
  });

  it('replays every project history without throwing', () => {
    const report: string[] = [];
    let total = 0;
    for (const project of projects) {
      const facts = replay(project.migrations.map((m) => ({ name: m.name, parsed: parsed.get(`${project.name}/${m.name}`) ?? parseSql(m.sql) })));
      expect(facts).toHaveLength(project.migrations.length);
      const failed = facts.flatMap((f) => f.statements.flatMap((s) => s.notes.filter((n) => n.startsWith('replay failed')).map((n) => `${f.name}#${s.index}: ${n}`)));
      expect(failed, project.name).toEqual([]);
      const notUnderstood = facts.flatMap((f) => f.statements.filter((s) => !s.understood).map((s) => `${f.name}#${s.index} ${s.kind}`));
      total += notUnderstood.length;
      const after = facts[facts.length - 1]?.after;
      report.push(
        `${project.name}: ${project.migrations.length} migrations, ${after?.tables.size ?? 0} tables, ${after?.indexes.size ?? 0} indexes, ${notUnderstood.length} statements not understood${notUnderstood.length ? ` (${notUnderstood.join(', ')})` : ''}`,
      );
    }
    console.log(`[corpus] replay: ${total} statements not understood\n  ${report.join('\n  ')}`);
  });
});
