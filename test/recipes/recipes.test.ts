/**
 * The rule of docs/recipes: every code block is run by a test or marked as not executable
 * here with its reason, and every page says what is tested and what is not.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blocksOf, RECIPES_DIR, recipeDocs, ROOT } from './support.js';

/** `recipeBlock('<doc>', '<file>')` calls in the recipe tests: which blocks are run. */
function requestedBlocks(): Set<string> {
  const dir = join(ROOT, 'test/recipes');
  const requested = new Set<string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.test.ts'))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/recipeBlock\('([\w-]+)', '([^'<]+)'\)/g)) requested.add(`${m[1]}#${m[2]}`);
  }
  return requested;
}

function section(text: string, heading: string): string | undefined {
  const m = new RegExp(`^## ${heading}\\n([\\s\\S]*?)(?=^## |$(?![\\s\\S]))`, 'm').exec(text);
  return m?.[1]?.trim();
}

describe('docs/recipes', () => {
  const docs = recipeDocs();
  const requested = requestedBlocks();

  it('has the pages the README lists', () => {
    const readme = readFileSync(join(RECIPES_DIR, 'README.md'), 'utf8');
    const listed = [...readme.matchAll(/^\| \[([\w-]+)\.md\]/gm)].map((m) => m[1]!).sort();
    expect(listed).toEqual(docs);
    expect(docs).toEqual(['git-hooks', 'github-actions', 'gitlab-ci', 'kubernetes', 'pgbouncer', 'testing-migrations', 'verify']);
  });

  for (const doc of docs) {
    describe(`${doc}.md`, () => {
      const text = readFileSync(join(RECIPES_DIR, `${doc}.md`), 'utf8');

      it('says what is tested and what is not executable here, naming test files that exist', () => {
        const tested = section(text, 'Tested here');
        const notRun = section(text, 'Not executable here');
        expect(tested, 'a "## Tested here" section').toBeTruthy();
        expect(notRun, 'a "## Not executable here" section').toBeTruthy();
        const paths = [...tested!.matchAll(/`((?:test|examples)\/[^`]+)`/g)].map((m) => m[1]!);
        expect(paths.length).toBeGreaterThan(0);
        for (const p of paths) expect(existsSync(join(ROOT, p)), p).toBe(true);
      });

      it('has every code block run by a test, or marked not-run with a reason, or checked as an excerpt', () => {
        for (const b of blocksOf(doc)) {
          const where = `${doc}.md:${b.line}`;
          const marks = [b.file, b.notRun, b.excerpt].filter((x) => x !== undefined);
          if (b.lang === 'text' && marks.length === 0) continue; // output shown for reading
          expect(marks, `${where}: one of file=, not-run=, excerpt=`).toHaveLength(1);
          if (b.file) expect(requested.has(`${doc}#${b.file}`), `${where}: no test reads recipeBlock('${doc}', '${b.file}')`).toBe(true);
          if (b.notRun) expect(b.notRun.length, `${where}: the reason`).toBeGreaterThan(30);
          if (b.excerpt) expect(readFileSync(join(ROOT, b.excerpt), 'utf8'), `${where}: verbatim excerpt of ${b.excerpt}`).toContain(b.text.trimEnd());
        }
      });
    });
  }

  it('every block a test reads exists', () => {
    for (const key of requested) {
      const [doc, file] = key.split('#') as [string, string];
      expect(blocksOf(doc).some((b) => b.file === file), key).toBe(true);
    }
  });
});
