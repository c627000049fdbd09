/**
 * docs/recipes/gitlab-ci.md: the file parses, its jobs are wired as the page says, and
 * each job's before_script + script runs with bash in a user's repository, GitLab's
 * predefined variables set and migrate's dotenv report passed on.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/db.js';
import { addRepoMigration, ciEnv, invocationProblems, parseYaml, recipeBlock, runScript, userRepo, zdInvocations, type UserRepo } from './support.js';

interface GitlabJob {
  stage: string;
  rules?: Array<{ if: string; when?: string }>;
  needs?: string[];
  environment?: string;
  resource_group?: string;
  variables?: Record<string, string>;
  before_script?: string[];
  script: string[];
  artifacts?: { when?: string; paths?: string[]; reports?: { dotenv?: string; codequality?: string } };
}
type Pipeline = { stages: string[]; default: { image: string; before_script: string[] } } & Record<string, GitlabJob>;

const pipeline = parseYaml<Pipeline>(recipeBlock('gitlab-ci', '.gitlab-ci.yml'));
const JOBS = ['check', 'migrate', 'rollout', 'contract', 'verify'] as const;

/** The job's shell lines as a runner runs them: before_script (the job's or the default) then script; `npm ci` left out. */
function jobScript(name: string): { script: string; skipped: string[] } {
  const job = pipeline[name] as GitlabJob;
  const lines = [...(job.before_script ?? pipeline.default.before_script), ...job.script];
  return { script: lines.filter((l) => l !== 'npm ci').join('\n'), skipped: lines.filter((l) => l === 'npm ci') };
}

function dotenv(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** An artifact a job wrote, taken out of the working tree as GitLab uploads it (the next commit must not hold it). */
function takeArtifact(repo: UserRepo, path: string): string {
  const text = readFileSync(join(repo.dir, path), 'utf8');
  rmSync(join(repo.dir, path));
  return text;
}

async function runJob(name: string, repo: UserRepo, variables: Record<string, string>) {
  const { script, skipped } = jobScript(name);
  const job = pipeline[name] as GitlabJob;
  const r = await runScript(script, {
    cwd: repo.dir,
    env: ciEnv({ GITLAB_CI: 'true', CI_DEFAULT_BRANCH: 'main', CI_PROJECT_DIR: repo.dir, ...job.variables, ...variables }),
  });
  return { ...r, log: r.stdout + r.stderr, skipped };
}

describe('docs/recipes/gitlab-ci.md', () => {
  it('has the stages, rules, needs and artifacts the page describes', () => {
    expect(pipeline.stages).toEqual([...JOBS]);
    for (const job of JOBS) expect((pipeline[job] as GitlabJob).stage).toBe(job);
    const onMain = '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH';
    expect(pipeline['check']!.rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }]);
    expect(pipeline['check']!.variables).toEqual({ GIT_DEPTH: '0' });
    expect(pipeline['check']!.artifacts).toEqual({ when: 'always', reports: { codequality: 'gl-code-quality-report.json' } });
    expect(pipeline['migrate']!.rules).toEqual([{ if: onMain }]);
    expect(pipeline['migrate']!.artifacts).toEqual({ when: 'always', paths: ['deploy.json'], reports: { dotenv: 'deploy.env' } });
    expect(pipeline['rollout']!.needs).toEqual(['migrate']);
    expect(pipeline['contract']!.needs).toEqual(['rollout']);
    expect(pipeline['contract']!.rules).toEqual([{ if: onMain, when: 'manual' }]);
    expect(pipeline['migrate']!.resource_group).toBe(pipeline['contract']!.resource_group);
    expect(pipeline['verify']!.rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "schedule"' }]);
  });

  it('uses only commands and options of the built CLI', async () => {
    const invocations = JOBS.flatMap((j) => zdInvocations(jobScript(j).script));
    expect(invocations.map((w) => w[0])).toEqual(['check', 'deploy', 'contract', 'verify']);
    for (const words of invocations) expect(await invocationProblems(words), words.join(' ')).toEqual([]);
  });

  describe('its jobs, run locally', () => {
    let repo: UserRepo;
    beforeAll(() => {
      repo = userRepo();
    });
    afterAll(() => repo?.cleanup());

    it('check in a merge request pipeline: fails on an unsafe migration, passes once it is rewritten', async () => {
      const mr = { CI_PIPELINE_SOURCE: 'merge_request_event', CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main' };
      repo.git('checkout', '-q', '-b', 'mr/unsafe');
      addRepoMigration(repo, 'order_created_index', '-- CreateIndex\nCREATE INDEX "Order_createdAt_idx" ON "Order"("createdAt");\n');
      repo.git('add', '.');
      repo.git('commit', '-qm', 'index orders');
      const bad = await runJob('check', repo, { ...mr, CI_COMMIT_REF_NAME: 'mr/unsafe' });
      expect(bad.code, bad.log).toBe(1);
      expect(bad.skipped).toEqual(['npm ci']);
      expect(bad.log).toContain('error[require-concurrent-index-creation]');
      const report = JSON.parse(takeArtifact(repo, 'gl-code-quality-report.json')) as Array<{ check_name: string; severity: string; location: { path: string; lines: { begin: number } } }>;
      expect(report.map((i) => [i.check_name, i.severity, i.location.lines.begin])).toEqual([['require-concurrent-index-creation', 'critical', 2]]);
      expect(report[0]!.location.path).toMatch(/^(?:prisma\/)?migrations\/\d{14}_order_created_index\/migration\.sql$/);

      repo.git('checkout', '-q', '-b', 'mr/rewritten', 'main');
      addRepoMigration(repo, 'order_created_index', '-- CreateIndex\nCREATE INDEX "Order_createdAt_idx" ON "Order"("createdAt");\n');
      expect((await runScript('npx prisma-zd rewrite', { cwd: repo.dir, env: ciEnv() })).code).toBe(0);
      repo.git('add', '.');
      repo.git('commit', '-qm', 'index orders (rewritten)');
      const good = await runJob('check', repo, { ...mr, CI_COMMIT_REF_NAME: 'mr/rewritten' });
      expect(good.code, good.log).toBe(0);
      expect(JSON.parse(takeArtifact(repo, 'gl-code-quality-report.json'))).toEqual([]);
      repo.git('checkout', '-q', 'main');
    });

    it('migrate → rollout → contract → verify against a real database; deploy.json and DEPLOY_EXIT_CODE reach rollout', async () => {
      const db = await freshDatabase({ prefix: 'zd_gitlab' });
      const push = { CI_PIPELINE_SOURCE: 'push', CI_COMMIT_BRANCH: 'main', DATABASE_URL: db.url };
      try {
        const migrate = await runJob('migrate', repo, push);
        expect(migrate.code, migrate.log).toBe(0);
        const env = dotenv(join(repo.dir, 'deploy.env'));
        expect(env).toEqual({ DEPLOY_EXIT_CODE: '0' });
        expect(JSON.parse(readFileSync(join(repo.dir, 'deploy.json'), 'utf8'))).toMatchObject({ command: 'deploy', exitCode: 0 });

        const rollout = await runJob('rollout', repo, { ...push, ...env });
        expect(rollout.code, rollout.log).toBe(0);
        expect(rollout.skipped).toEqual([]);
        expect(rollout.log).toContain('deploy exited 0: 8 migration(s) applied, 1 statement(s) wait for prisma-zd contract');

        const contract = await runJob('contract', repo, push);
        expect(contract.code, contract.log).toBe(0);
        const verify = await runJob('verify', repo, { CI_PIPELINE_SOURCE: 'schedule', CI_COMMIT_BRANCH: 'main', DATABASE_URL: db.url });
        expect(verify.code, verify.log).toBe(0);
        expect(verify.log).not.toContain(new URL(db.url).password);
      } finally {
        await db.drop();
      }
    });
  });
});
