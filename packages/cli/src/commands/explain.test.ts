/**
 * `prisma-zd explain <rule>` prints the rule's page from an installed package too: the
 * package ships `docs/rules` (copied by `prepack`), and the page is the package's own even
 * when the user's project has a `docs/rules` of its own. That the packed package holds a
 * page for every rule is test/packaging/install.test.ts's (it packs a copy of the workspace:
 * packing here would rewrite packages/cli/docs under the tests that read it).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rulePage } from './explain.js';

describe('explain: where the pages come from', () => {
  it('an installed package reads its own docs/rules, not the project around it', () => {
    const project = mkdtempSync(join(tmpdir(), 'zd-explain-'));
    const moduleDir = join(project, 'node_modules', 'prisma-zd', 'dist', 'commands');
    mkdirSync(moduleDir, { recursive: true });
    mkdirSync(join(project, 'node_modules', 'prisma-zd', 'docs', 'rules'), { recursive: true });
    writeFileSync(join(project, 'node_modules', 'prisma-zd', 'docs', 'rules', 'ban-drop-column.md'), '# ban-drop-column (shipped)\n');
    mkdirSync(join(project, 'docs', 'rules'), { recursive: true });
    writeFileSync(join(project, 'docs', 'rules', 'ban-drop-column.md'), "# the project's own page\n");
    expect(rulePage('ban-drop-column', moduleDir)).toBe('# ban-drop-column (shipped)\n');
    expect(rulePage('ban-drop-table', moduleDir)).toBeUndefined();
  });

  it("installed in a project that is a pnpm workspace with a packages/cli of its own: still the package's pages", () => {
    const project = mkdtempSync(join(tmpdir(), 'zd-explain-monorepo-'));
    writeFileSync(join(project, 'pnpm-workspace.yaml'), "packages:\n  - 'packages/*'\n");
    mkdirSync(join(project, 'packages', 'cli'), { recursive: true });
    writeFileSync(join(project, 'packages', 'cli', 'package.json'), '{"name":"their-cli"}\n');
    const moduleDir = join(project, 'node_modules', 'prisma-zd', 'dist', 'commands');
    mkdirSync(moduleDir, { recursive: true });
    mkdirSync(join(project, 'node_modules', 'prisma-zd', 'docs', 'rules'), { recursive: true });
    writeFileSync(join(project, 'node_modules', 'prisma-zd', 'docs', 'rules', 'ban-drop-column.md'), '# ban-drop-column (shipped)\n');
    expect(rulePage('ban-drop-column', moduleDir)).toBe('# ban-drop-column (shipped)\n');
  });

  it('in this repository, the pages of docs/rules', () => {
    expect(rulePage('ban-drop-column')).toContain('# ban-drop-column');
  });
});
