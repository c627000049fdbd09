/*
 * When the CLI's entry starts a worker thread before loading the rest (early.ts): only
 * for a `check` of a folder that holds migrations folders, on several cores, threads
 * not limited to one. Folders are real (a temporary tree).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkCommand } from '../commands/check.js';
import { earlyWorkerWanted, VALUED_OPTIONS } from './early.js';

const tmp = mkdtempSync(join(tmpdir(), 'zd-early-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
for (const project of ['api', 'web']) {
  mkdirSync(join(tmp, 'projects', project, 'migrations', '20240101000000_init'), { recursive: true });
  writeFileSync(join(tmp, 'projects', project, 'migrations', '20240101000000_init', 'migration.sql'), 'CREATE TABLE "T" ("id" INTEGER);\n');
}
const migrations = join(tmp, 'projects', 'api', 'migrations');

const wanted = (argv: string[], env: NodeJS.ProcessEnv = {}, cores = 2) => earlyWorkerWanted(argv, tmp, env, cores);

describe('an early worker for check', () => {
  it('for a folder of migrations folders', () => {
    expect(wanted(['check', 'projects'])).toBe(true);
    expect(wanted(['check', join(tmp, 'projects'), '--format', 'json'])).toBe(true);
    expect(wanted(['check', '--fail-on', 'warning', 'projects'])).toBe(true);
    expect(wanted(['check', 'projects'], { PRISMA_ZD_CHECK_THREADS: '3' })).toBe(true);
  });

  it('not for one history, a migration, nothing named, or a path that is not there', () => {
    expect(wanted(['check', migrations])).toBe(false);
    expect(wanted(['check', join(migrations, '20240101000000_init')])).toBe(false);
    expect(wanted(['check', join(migrations, '20240101000000_init', 'migration.sql')])).toBe(false);
    expect(wanted(['check'])).toBe(false);
    expect(wanted(['check', 'nowhere'])).toBe(false);
  });

  it('not for an option value that names a folder', () => {
    expect(wanted(['check', '--config', 'projects'])).toBe(false);
    expect(wanted(['check', '--migrations', 'projects'])).toBe(false);
  });

  it('not for --staged, --since, help, another command, one core or one thread', () => {
    expect(wanted(['check', 'projects', '--staged'])).toBe(false);
    expect(wanted(['check', '--since', 'main', 'projects'])).toBe(false);
    expect(wanted(['check', '--since=main', 'projects'])).toBe(false);
    expect(wanted(['check', 'projects', '--help'])).toBe(false);
    expect(wanted(['rewrite', 'projects'])).toBe(false);
    expect(wanted(['check', 'projects'], {}, 1)).toBe(false);
    expect(wanted(['check', 'projects'], { PRISMA_ZD_CHECK_THREADS: '1' })).toBe(false);
  });

  it("knows which of check's options take a value (the command's own declarations)", () => {
    const valued = new Set<string>();
    const recorder = {
      option(name: string, spec: { type?: string }) {
        if (spec.type !== 'boolean') valued.add(`--${name}`);
        return recorder;
      },
      positional: () => recorder,
      conflicts: () => recorder,
    };
    checkCommand.builder(recorder as never);
    expect([...VALUED_OPTIONS].sort()).toEqual([...valued].sort());
  });
});
