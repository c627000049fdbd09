/**
 * `prisma-zd explain <rule>` prints the rule's page from an installed package too: the
 * package ships `docs/rules` (copied by `prepack`), and the page is the package's own even
 * when the user's project has a `docs/rules` of its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rules } from '@prisma-zd/core';
import { describe, expect, it } from 'vitest';
import { rulePage } from './explain.js';

const cliDir = join(dirname(fileURLToPath(import.meta.url)), '../..');

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

  it('in this repository, the pages of docs/rules', () => {
    expect(rulePage('ban-drop-column')).toContain('# ban-drop-column');
  });

  it('the packed package holds a page for every rule', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts=false'], { cwd: cliDir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    for (const rule of rules) expect(files, rule.id).toContain(`docs/rules/${rule.id}.md`);
    expect(readdirSync(join(cliDir, 'docs', 'rules')).length).toBeGreaterThanOrEqual(rules.length);
  });
});
