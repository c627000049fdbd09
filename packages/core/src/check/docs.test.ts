/**
 * Every rule has its file (named by its id), one registry line (sorted) and a page in
 * docs/rules whose "Instead of" examples trigger it and whose "Use" examples do not
 * (typescript-eslint `tests/docs.test.mts`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { initParser } from '../sql/parse.js';
import { checkHistory } from './check.js';
import { EXAMPLE_SCHEMA } from './examples.js';
import { rewriteHistory } from '../zd/rewrite.js';
import type { DeletedMigration } from './rules/deleted-migration.js';
import { rules } from './rules/index.js';

await initParser();

const here = dirname(fileURLToPath(import.meta.url));
const docsDir = join(here, '../../../../docs/rules');
const rulesDir = join(here, 'rules');

/** The ```sql blocks of a `## <title>` section. */
function sqlBlocks(page: string, title: string): string[] {
  const section = page.split(/^## /m).find((s) => s.startsWith(`${title}\n`)) ?? '';
  return [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

interface ExampleMigration {
  name: string;
  sql: string;
  rewritten: boolean;
  /** `(renamed from <name>)`: that committed migration, moved to this name. */
  renamedFrom?: string;
  /** `(deleted)`: the committed migration of that name, deleted (its text is not repeated). */
  deleted: boolean;
}

/** An example block: migrations separated by `-- migration: <name> [(rewritten|committed|edited|deleted|renamed from <name>)]`. */
function migrationsOf(block: string): ExampleMigration[] {
  const out: ExampleMigration[] = [];
  let preamble = '';
  for (const line of block.split('\n')) {
    const m = /^-- migration: (\S+)(?:\s+\((\w+)(?: from (\S+))?\))?\s*$/.exec(line);
    if (m) out.push({ name: m[1]!, sql: out.length === 0 ? preamble : '', rewritten: m[2] === 'rewritten', deleted: m[2] === 'deleted', ...(m[2] === 'renamed' && m[3] ? { renamedFrom: m[3] } : {}) });
    else if (out.length === 0) preamble += `${line}\n`;
    else out[out.length - 1]!.sql += `${line}\n`;
  }
  return out.length ? out : [{ name: '20990101000000_example', sql: preamble, rewritten: false, deleted: false }];
}

/** The rule's findings on the last migration of an example. */
function findings(ruleId: string, block: string): string[] {
  const history = [{ name: '00000000000000_example_schema', sql: EXAMPLE_SCHEMA }];
  let committed: string | undefined;
  let renamedFrom: string | undefined;
  const deleted: DeletedMigration[] = [];
  let lastDeleted = false;
  for (const m of migrationsOf(block)) {
    lastDeleted = m.deleted;
    if (m.deleted) {
      const at = history.findIndex((h) => h.name === m.name);
      if (at !== -1) deleted.push({ name: m.name, sql: history[at]!.sql, path: `${m.name}/migration.sql` });
      if (at !== -1) history.splice(at, 1);
      continue;
    }
    let sql = m.sql;
    if (m.rewritten) sql = rewriteHistory([...history, { name: m.name, sql }], { select: (n) => n === m.name }).at(-1)!.text;
    const previous = history.findIndex((h) => h.name === m.name);
    if (previous !== -1) {
      committed = history[previous]!.sql;
      history.splice(previous, 1);
    }
    // A rename moves the committed migration: its text stays, under the new name, in the new place.
    const moved = m.renamedFrom === undefined ? -1 : history.findIndex((h) => h.name === m.renamedFrom);
    if (moved !== -1) {
      sql = history[moved]!.sql;
      history.splice(moved, 1);
      renamedFrom = m.renamedFrom;
    }
    history.push({ name: m.name, sql });
  }
  const inputs = history.map((h, i) => ({
    ...h,
    report: i === history.length - 1 && !lastDeleted,
    ...(i === history.length - 1 && committed !== undefined ? { committed } : {}),
    ...(i === history.length - 1 && renamedFrom !== undefined ? { renamedFrom } : {}),
  }));
  return checkHistory(inputs, { execution: 'whole-file', deleted })
    .diagnostics.filter((d) => d.ruleId === ruleId)
    .map((d) => d.message);
}

describe('rule registry', () => {
  it('has one file per rule, named by its id, and lists them sorted', () => {
    const files = readdirSync(rulesDir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts')
      .map((f) => f.slice(0, -3));
    const ids = rules.map((r) => r.id);
    expect(ids).toEqual([...files].sort());
    expect(ids).toEqual([...ids].sort());
  });

  it('has a doc page for every rule and no page without a rule', () => {
    const pages = readdirSync(docsDir).filter((f) => f.endsWith('.md') && f !== 'README.md').map((f) => f.slice(0, -3));
    expect(pages.sort()).toEqual(rules.map((r) => r.id));
  });

  it('lists every rule in docs/rules/README.md, with the example schema the pages use', () => {
    const index = readFileSync(join(docsDir, 'README.md'), 'utf8');
    for (const r of rules) expect(index).toContain(`[${r.id}](${r.id}.md)`);
    expect(index).toContain(EXAMPLE_SCHEMA);
  });
});

describe.each(rules.map((r) => [r.id] as const))('docs/rules/%s.md', (id) => {
  const page = readFileSync(join(docsDir, `${id}.md`), 'utf8');

  it('has Why, Instead of and Use sections', () => {
    expect(page).toMatch(/^# /m);
    expect(page).toMatch(/^## Why$/m);
    expect(sqlBlocks(page, 'Instead of').length).toBeGreaterThan(0);
    expect(sqlBlocks(page, 'Use').length).toBeGreaterThan(0);
  });

  it('"Instead of" examples trigger the rule', () => {
    for (const block of sqlBlocks(page, 'Instead of')) {
      expect(findings(id, block), block).not.toEqual([]);
    }
  });

  it('"Use" examples do not trigger it', () => {
    for (const block of sqlBlocks(page, 'Use')) {
      expect(findings(id, block), block).toEqual([]);
    }
  });
});
