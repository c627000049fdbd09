/**
 * docs/recipes/git-hooks.md: the husky, lefthook and pre-commit configurations of the page,
 * run as those tools run them, in a git repository of a user's project.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/corpus.js';
import { addRepoMigration, ciEnv, invocationProblems, parseYaml, recipeBlock, runArgv, runScript, userRepo, zdInvocations, type UserRepo } from './support.js';

const UNSAFE = '-- CreateIndex\nCREATE INDEX "Tag_name_idx" ON "Tag"("name");\n';

let repo: UserRepo;
beforeEach(() => {
  repo = userRepo();
});
afterEach(() => repo.cleanup());

/** Stages an unsafe migration; returns its path in the repository. */
function stageUnsafe(): string {
  const file = addRepoMigration(repo, 'tag_name_index', UNSAFE);
  repo.git('add', file);
  return file;
}

async function rewriteStaged(file: string) {
  const r = await runScript('npx prisma-zd rewrite', { cwd: repo.dir, env: ciEnv() });
  expect(r.code, r.stderr).toBe(0);
  repo.git('add', file);
}

describe('docs/recipes/git-hooks.md', () => {
  it('uses only commands and options of the built CLI', async () => {
    const texts = [
      recipeBlock('git-hooks', '.husky/pre-commit'),
      (parseYaml<{ 'pre-commit': { commands: Record<string, { run: string }> } }>(recipeBlock('git-hooks', 'lefthook.yml'))['pre-commit'].commands['prisma-zd']!).run,
      parseYaml<{ repos: Array<{ hooks: Array<{ entry: string }> }> }>(recipeBlock('git-hooks', '.pre-commit-config.yaml')).repos[0]!.hooks[0]!.entry,
    ];
    for (const words of texts.flatMap(zdInvocations)) expect(await invocationProblems(words), words.join(' ')).toEqual([]);
  });

  it('husky: .husky/pre-commit, run as husky 9 runs it, stops an unsafe migration and lets the rewritten one through', async () => {
    mkdirSync(join(repo.dir, '.husky/_'), { recursive: true });
    writeFileSync(join(repo.dir, '.husky/pre-commit'), recipeBlock('git-hooks', '.husky/pre-commit'));
    // What husky 9 installs: core.hooksPath=.husky/_, whose hooks run `sh -e .husky/<hook>` (its `_/h`).
    writeFileSync(join(repo.dir, '.husky/_/pre-commit'), '#!/usr/bin/env sh\nexec sh -e "$(dirname "$(dirname "$0")")/pre-commit" "$@"\n');
    chmodSync(join(repo.dir, '.husky/_/pre-commit'), 0o755);
    repo.git('config', 'core.hooksPath', '.husky/_');
    repo.git('add', '.husky');
    const env = ciEnv();
    const commit = (message: string) => runArgv(['git', '-c', 'user.name=dev', '-c', 'user.email=dev@example.com', 'commit', '-qm', message], { cwd: repo.dir, env });

    const noMigration = await commit('husky');
    expect(noMigration.code, noMigration.stderr).toBe(0);

    const file = stageUnsafe();
    const blocked = await commit('tag index');
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain('error[require-concurrent-index-creation]');
    expect(repo.git('log', '--oneline').stdout.split('\n').filter(Boolean)).toHaveLength(2);

    await rewriteStaged(file);
    const ok = await commit('tag index (rewritten)');
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('lefthook: the pre-commit command, run as lefthook runs it (sh -c at the root), exits 1 then 0', async () => {
    const config = parseYaml<{ 'pre-commit': { commands: Record<string, { run: string; glob?: string }> } }>(recipeBlock('git-hooks', 'lefthook.yml'));
    const commands = Object.entries(config['pre-commit'].commands);
    expect(commands.map(([name]) => name)).toEqual(['prisma-zd']);
    const run = commands[0]![1].run;
    const file = stageUnsafe();
    const bad = await runScript(run, { cwd: repo.dir, shell: ['sh', '-c'], env: ciEnv() });
    expect(bad.code).toBe(1);
    expect(bad.stderr + bad.stdout).toContain('tag_name_index');
    await rewriteStaged(file);
    const good = await runScript(run, { cwd: repo.dir, shell: ['sh', '-c'], env: ciEnv() });
    expect(good.code, good.stderr).toBe(0);
  });

  it("pre-commit: a local hook whose files pattern picks migrations and whose entry runs like language: system", async () => {
    interface Hook {
      id: string;
      entry: string;
      language: string;
      files: string;
      pass_filenames: boolean;
    }
    const config = parseYaml<{ repos: Array<{ repo: string; hooks: Hook[] }> }>(recipeBlock('git-hooks', '.pre-commit-config.yaml'));
    expect(config.repos).toHaveLength(1);
    expect(config.repos[0]!.repo).toBe('local');
    const hook = config.repos[0]!.hooks[0]!;
    expect(hook).toMatchObject({ id: 'prisma-zd-check', language: 'system', pass_filenames: false });
    // Python's re.search and JavaScript agree on this pattern.
    const files = new RegExp(hook.files);
    for (const path of ['migrations/20261124000000_x/migration.sql', 'prisma/migrations/20261124000000_x/migration.sql', 'apps/api/prisma/migrations/1_init/migration.sql']) {
      expect(files.test(path), path).toBe(true);
    }
    for (const path of ['src/migration.sql', 'migrations/migration_lock.toml', 'prisma/schema.prisma', 'migrations/x/migration.sql.bak']) {
      expect(files.test(path), path).toBe(false);
    }
    const file = stageUnsafe();
    expect(files.test(file)).toBe(true);
    const argv = hook.entry.split(/\s+/); // pre-commit splits `entry` with shlex and runs it without a shell
    const bad = await runArgv(argv, { cwd: repo.dir, env: ciEnv() });
    expect(bad.code).toBe(1);
    await rewriteStaged(file);
    const good = await runArgv(argv, { cwd: repo.dir, env: ciEnv() });
    expect(good.code, good.stderr).toBe(0);
  });

  it("pre-commit: the repository's .pre-commit-hooks.yaml defines the same hook as the local one the page shows", () => {
    const local = parseYaml<{ repos: Array<{ hooks: Array<Record<string, unknown>> }> }>(recipeBlock('git-hooks', '.pre-commit-config.yaml')).repos[0]!.hooks[0]!;
    const shipped = parseYaml<Array<Record<string, unknown>>>(readFileSync(join(REPO_ROOT, '.pre-commit-hooks.yaml'), 'utf8'));
    expect(shipped).toHaveLength(1);
    const { description, ...hook } = shipped[0]!;
    expect(typeof description).toBe('string');
    expect(hook).toEqual(local);
  });
});
