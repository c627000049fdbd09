/**
 * docs/recipes/github-actions.md: the workflow parses, its jobs are wired as the page
 * says, and every `run:` step runs with bash in a user's repository, GitHub's
 * environment simulated (GITHUB_OUTPUT, GITHUB_BASE_REF, secrets, needs outputs).
 * `uses:` steps and `npm ci` are what the page lists as not executable here.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/db.js';
import { query } from '../prisma/helpers.js';
import { addRepoMigration, ciEnv, invocationProblems, parseYaml, recipeBlock, runScript, userRepo, zdInvocations, type UserRepo } from './support.js';

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  'runs-on': string;
  environment?: string;
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

const workflow = parseYaml<Workflow>(recipeBlock('github-actions', '.github/workflows/migrations.yml'));

interface Context {
  repo: UserRepo;
  secrets: Record<string, string>;
  needs?: Record<string, Record<string, string>>;
  env?: Record<string, string>;
}

/** `${{ secrets.X }}`, `${{ needs.J.outputs.Y }}`, `${{ steps.S.outputs.Z }}`: the only expressions the page puts in values. */
function expand(value: string, ctx: Context, steps: Record<string, Record<string, string>>): string {
  return value.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
    const m = /^(secrets|needs|steps)\.([\w-]+)(?:\.outputs\.([\w-]+))?$/.exec(expr);
    if (!m) throw new Error(`expression not supported by the local runner: ${expr}`);
    if (m[1] === 'secrets') return ctx.secrets[m[2]!] ?? '';
    if (m[1] === 'needs') return ctx.needs?.[m[2]!]?.[m[3]!] ?? '';
    return steps[m[2]!]?.[m[3]!] ?? '';
  });
}

/** The `key=value` lines a step appended to $GITHUB_OUTPUT. */
function readOutputs(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

interface JobRun {
  code: number;
  log: string;
  outputs: Record<string, string>;
  skipped: string[];
}

/** Runs a job's steps in order like a runner would, stopping at the first failing step. */
async function runJob(name: string, ctx: Context): Promise<JobRun> {
  const job = workflow.jobs[name]!;
  const steps: Record<string, Record<string, string>> = {};
  const skipped: string[] = [];
  let log = '';
  const tmp = mkdtempSync(join(tmpdir(), 'zd-gha-'));
  try {
    for (const [i, step] of job.steps.entries()) {
      if (step.uses) {
        skipped.push(step.uses);
        continue;
      }
      if (step.run === 'npm ci') {
        skipped.push('npm ci');
        continue;
      }
      expect(step.run, `step ${i} of ${name}`).toBeDefined();
      expect(step.run!, 'scripts take their inputs from env:, never from ${{ }}').not.toContain('${{');
      const output = join(tmp, `output-${i}`);
      writeFileSync(output, '');
      const env = ciEnv({
        GITHUB_ACTIONS: 'true',
        GITHUB_OUTPUT: output,
        GITHUB_WORKSPACE: ctx.repo.dir,
        ...ctx.env,
        ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(String(v), ctx, steps)])),
      });
      const r = await runScript(step.run!, { cwd: ctx.repo.dir, env });
      log += `$ ${step.name ?? step.run}\n${r.stdout}${r.stderr}`;
      if (step.id) steps[step.id] = readOutputs(output);
      if (r.code !== 0) return { code: r.code ?? -1, log, outputs: jobOutputs(job, ctx, steps), skipped };
    }
    return { code: 0, log, outputs: jobOutputs(job, ctx, steps), skipped };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function jobOutputs(job: Job, ctx: Context, steps: Record<string, Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(job.outputs ?? {}).map(([k, v]) => [k, expand(v, ctx, steps)]));
}

describe('docs/recipes/github-actions.md', () => {
  it('is a workflow with the triggers and job wiring the page describes', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push', 'schedule', 'workflow_dispatch']);
    expect(workflow.on['push']).toEqual({ branches: ['main'] });
    expect(Object.keys(workflow.jobs)).toEqual(['check', 'deploy', 'rollout', 'contract', 'verify']);
    expect(workflow.jobs['check']!.if).toBe("github.event_name == 'pull_request'");
    expect(workflow.jobs['check']!.steps[0]).toEqual({ uses: 'actions/checkout@v4', with: { 'fetch-depth': 0 } });
    expect(workflow.jobs['deploy']!.if).toBe("github.event_name == 'push'");
    expect(workflow.jobs['deploy']!.outputs).toEqual({
      summary: '${{ steps.deploy.outputs.summary }}',
      'exit-code': '${{ steps.deploy.outputs.exit-code }}',
    });
    expect(workflow.jobs['rollout']!.needs).toBe('deploy');
    expect(workflow.jobs['contract']!.if).toBe("github.event_name == 'workflow_dispatch' && inputs.contract");
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps) for (const v of Object.values(step.env ?? {})) expect(v).not.toMatch(/postgres(ql)?:\/\//);
    }
  });

  it('uses only commands and options of the built CLI', async () => {
    const runs = Object.values(workflow.jobs).flatMap((j) => j.steps.map((s) => s.run ?? ''));
    const invocations = runs.flatMap(zdInvocations);
    expect(invocations.map((w) => w[0])).toEqual(['check', 'deploy', 'contract', 'verify']);
    for (const words of invocations) expect(await invocationProblems(words), words.join(' ')).toEqual([]);
  });

  describe('its steps, run locally', () => {
    let repo: UserRepo;
    beforeAll(() => {
      repo = userRepo();
    });
    afterAll(() => repo?.cleanup());

    it('check: annotations on a pull request that adds an unsafe migration (exit 1); clean after prisma-zd rewrite (exit 0)', async () => {
      repo.git('checkout', '-q', '-b', 'feature/comment-index');
      const file = addRepoMigration(repo, 'comment_author_index', '-- CreateIndex\nCREATE INDEX "Comment_authorId_idx" ON "Comment"("authorId");\n');
      repo.git('add', '.');
      repo.git('commit', '-qm', 'index comments by author');
      const bad = await runJob('check', { repo, secrets: {}, env: { GITHUB_BASE_REF: 'main', GITHUB_EVENT_NAME: 'pull_request' } });
      expect(bad.code, bad.log).toBe(1);
      expect(bad.skipped).toEqual(['actions/checkout@v4', 'actions/setup-node@v4', 'npm ci']);
      expect(bad.log).toMatch(new RegExp(`^::error file=${file.replaceAll('/', '\\/')},line=2,`, 'm'));
      expect(bad.log).toContain('require-concurrent-index-creation');

      // The same change done right: `prisma-zd rewrite` before the commit.
      repo.git('checkout', '-q', '-b', 'feature/comment-index-rewritten', 'main');
      addRepoMigration(repo, 'comment_author_index', '-- CreateIndex\nCREATE INDEX "Comment_authorId_idx" ON "Comment"("authorId");\n');
      const rw = await runScript('npx prisma-zd rewrite', { cwd: repo.dir, env: ciEnv() });
      expect(rw.code, rw.stderr).toBe(0);
      expect(rw.stderr).toContain('comment_author_index: rewritten');
      repo.git('add', '.');
      repo.git('commit', '-qm', 'index comments by author, rewritten');
      const good = await runJob('check', { repo, secrets: {}, env: { GITHUB_BASE_REF: 'main', GITHUB_EVENT_NAME: 'pull_request' } });
      expect(good.code, good.log).toBe(0);
      expect(good.log).not.toContain('::error');
      repo.git('checkout', '-q', 'main');
    });

    it('deploy → rollout → contract → verify against a real database, the summary passed through job outputs', async () => {
      const db = await freshDatabase({ prefix: 'zd_gha' });
      try {
        const secrets = { DATABASE_URL: db.url };
        const deploy = await runJob('deploy', { repo, secrets, env: { GITHUB_EVENT_NAME: 'push' } });
        expect(deploy.code, deploy.log).toBe(0);
        expect(deploy.outputs['exit-code']).toBe('0');
        const summary = JSON.parse(deploy.outputs['summary']!) as { command: string; exitCode: number; contractPending: number; migrations: { appliedNow: string[] } };
        expect(summary).toMatchObject({ command: 'deploy', exitCode: 0, contractPending: 1 });
        expect(summary.migrations.appliedNow).toHaveLength(8);
        expect(deploy.log).not.toContain(new URL(db.url).password);

        const rollout = await runJob('rollout', { repo, secrets, needs: { deploy: deploy.outputs } });
        expect(rollout.code, rollout.log).toBe(0);
        expect(rollout.log).toContain(`${summary.migrations.appliedNow.length} migration(s) applied, 1 statement(s) wait for prisma-zd contract`);

        const pendingVerify = await runJob('verify', { repo, secrets });
        expect(pendingVerify.code, pendingVerify.log).toBe(1); // --strict: the contract entry is pending
        expect(pendingVerify.log).toContain('deferred until contract');

        const contract = await runJob('contract', { repo, secrets });
        expect(contract.code, contract.log).toBe(0);
        expect(await query(db.url, `SELECT column_default FROM information_schema.columns WHERE table_name = 'Product' AND column_name = 'currency'`)).toEqual([{ column_default: null }]);

        const verify = await runJob('verify', { repo, secrets });
        expect(verify.code, verify.log).toBe(0);
        expect(verify.log).toContain("✓ The database's schema is what the migrations folder produces.");
      } finally {
        repo.git('checkout', '-q', 'main');
        await db.drop();
      }
    });

    it('deploy: a failing migration still yields the summary and exit-code outputs, and fails the job with its exit code', async () => {
      const db = await freshDatabase({ prefix: 'zd_gha_fail' });
      const branch = `broken-${Date.now()}`;
      try {
        repo.git('checkout', '-q', '-b', branch, 'main');
        addRepoMigration(repo, 'broken', 'ALTER TABLE "Nope" ADD COLUMN "x" INTEGER;\n');
        const r = await runJob('deploy', { repo, secrets: { DATABASE_URL: db.url } });
        expect(r.code, r.log).toBe(3);
        expect(r.outputs['exit-code']).toBe('3');
        expect(JSON.parse(r.outputs['summary']!)).toMatchObject({ command: 'deploy', exitCode: 3 });
      } finally {
        repo.git('checkout', '-q', '-f', 'main');
        repo.git('clean', '-qfd', 'migrations');
        await db.drop();
      }
    });
  });
});
