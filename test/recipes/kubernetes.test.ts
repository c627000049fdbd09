/**
 * docs/recipes/kubernetes.md: the Job manifests and release.sh. The Jobs' container
 * commands run for real in a user's project; release.sh runs against a stand-in `kubectl`
 * that applies a Job by running its container command there.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/db.js';
import { query } from '../prisma/helpers.js';
import { addRepoMigration, ciEnv, invocationProblems, parseYaml, recipeBlock, ROOT, runArgv, runScript, userRepo, type UserRepo } from './support.js';
import { createRequire } from 'node:module';

interface Job {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    backoffLimit: number;
    template: {
      spec: {
        restartPolicy: string;
        containers: Array<{ name: string; image: string; command: string[]; env: Array<{ name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }> }>;
      };
    };
  };
}

const migrateJob = parseYaml<Job>(recipeBlock('kubernetes', 'k8s/migrate-job.yaml'));
const contractJob = parseYaml<Job>(recipeBlock('kubernetes', 'k8s/contract-job.yaml'));
const container = (j: Job) => j.spec.template.spec.containers[0]!;

/** The YAML module's path, for the stand-in kubectl. */
function yamlModulePath(): string {
  const fromRoot = createRequire(join(ROOT, 'package.json'));
  return createRequire(createRequire(fromRoot.resolve('testcontainers')).resolve('docker-compose')).resolve('yaml');
}

/**
 * A stand-in `kubectl`: `apply -f -` of a Job runs its container command in $FAKE_KUBE_APP
 * with DATABASE_URL=$FAKE_KUBE_SECRET (what the secretKeyRef would give) and records the
 * outcome; `get job`, `logs`, `set image`, `rollout status` and `get pods` answer from
 * that record. Every call is appended to $FAKE_KUBE_STATE/calls.
 */
const FAKE_KUBECTL = `#!/usr/bin/env node
const fs = require('fs'), path = require('path'), { spawnSync } = require('child_process');
const YAML = require(process.env.FAKE_KUBE_YAML);
const state = process.env.FAKE_KUBE_STATE;
let args = process.argv.slice(2);
if (args[0] === '-n') args = args.slice(2);
fs.appendFileSync(path.join(state, 'calls'), args.join(' ') + '\\n');
const file = (n) => path.join(state, n);
const read = (n, d) => (fs.existsSync(file(n)) ? fs.readFileSync(file(n), 'utf8') : d);
if (args[0] === 'apply' && args[1] === '-f' && args[2] === '-') {
  const doc = YAML.parse(fs.readFileSync(0, 'utf8'));
  if (doc.kind !== 'Job') process.exit(0);
  const c = doc.spec.template.spec.containers[0];
  const env = { ...process.env, DATABASE_URL: process.env.FAKE_KUBE_SECRET };
  const r = spawnSync(c.command[0], c.command.slice(1), { cwd: process.env.FAKE_KUBE_APP, env, encoding: 'utf8' });
  fs.writeFileSync(file('job-' + doc.metadata.name), JSON.stringify({ ok: r.status === 0, code: r.status, image: c.image, log: r.stdout + r.stderr }));
  console.log('job.batch/' + doc.metadata.name + ' created');
} else if (args[0] === 'get' && args[1] === 'job') {
  const job = JSON.parse(read('job-' + args[2], 'null'));
  if (!job) { console.error('Error from server (NotFound): jobs.batch "' + args[2] + '" not found'); process.exit(1); }
  process.stdout.write(job.ok ? '1/' : '/1');
} else if (args[0] === 'logs') {
  process.stdout.write(JSON.parse(read('job-' + args[1].replace('job/', ''), '{"log":""}')).log);
} else if (args[0] === 'set' && args[1] === 'image') {
  fs.writeFileSync(file('image'), args[3].split('=')[1]);
} else if (args[0] === 'rollout' && args[1] === 'status') {
  console.log('deployment "app" successfully rolled out');
} else if (args[0] === 'get' && args[1] === 'pods') {
  process.stdout.write(read('image', 'registry.example.com/app:previous') + '\\n');
} else {
  console.error('stand-in kubectl: unexpected call: ' + args.join(' '));
  process.exit(2);
}
`;

describe('docs/recipes/kubernetes.md', () => {
  it('has two batch/v1 Jobs that never retry, read the URL from a secret, and run valid prisma-zd commands', async () => {
    for (const [job, command] of [
      [migrateJob, ['npx', 'prisma-zd', 'deploy', '--json']],
      [contractJob, ['npx', 'prisma-zd', 'contract']],
    ] as const) {
      expect(job.apiVersion).toBe('batch/v1');
      expect(job.kind).toBe('Job');
      expect(job.spec.backoffLimit).toBe(0);
      expect(job.spec.template.spec.restartPolicy).toBe('Never');
      expect(container(job).command).toEqual(command);
      expect(container(job).env).toEqual([{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'app-database', key: 'direct-url' } } }]);
      expect(await invocationProblems(container(job).command.slice(2))).toEqual([]);
    }
    expect(migrateJob.metadata.name).toBe('app-migrate-VERSION');
    expect(contractJob.metadata.name).toBe('app-contract-VERSION');
  });

  describe('run against a real database', () => {
    let repo: UserRepo;
    let kube: string;
    beforeAll(() => {
      repo = userRepo();
      mkdirSync(join(repo.dir, 'k8s'));
      writeFileSync(join(repo.dir, 'k8s/migrate-job.yaml'), recipeBlock('kubernetes', 'k8s/migrate-job.yaml'));
      writeFileSync(join(repo.dir, 'k8s/contract-job.yaml'), recipeBlock('kubernetes', 'k8s/contract-job.yaml'));
      writeFileSync(join(repo.dir, 'release.sh'), recipeBlock('kubernetes', 'release.sh'));
      chmodSync(join(repo.dir, 'release.sh'), 0o755);
      kube = mkdtempSync(join(tmpdir(), 'zd-kube-'));
      mkdirSync(join(kube, 'bin'));
      writeFileSync(join(kube, 'bin/kubectl'), FAKE_KUBECTL);
      chmodSync(join(kube, 'bin/kubectl'), 0o755);
    });
    afterAll(() => {
      repo?.cleanup();
      rmSync(kube, { recursive: true, force: true });
    });

    it("the containers' commands: deploy --json migrates (JSON summary on stdout), contract applies the deferred statement", async () => {
      const db = await freshDatabase({ prefix: 'zd_k8s_cmd' });
      try {
        const env = ciEnv({ DATABASE_URL: db.url });
        const migrate = await runArgv(container(migrateJob).command, { cwd: repo.dir, env });
        expect(migrate.code, migrate.stderr).toBe(0);
        expect(JSON.parse(migrate.stdout)).toMatchObject({ command: 'deploy', exitCode: 0, contractPending: 1 });
        const contract = await runArgv(container(contractJob).command, { cwd: repo.dir, env });
        expect(contract.code, contract.stderr).toBe(0);
        expect(await query(db.url, `SELECT count(*)::int AS n FROM prisma_zd.queue WHERE status <> 'done'`)).toEqual([{ n: 0 }]);
      } finally {
        await db.drop();
      }
    });

    async function release(db: string, state: string) {
      return runScript('./release.sh', {
        cwd: repo.dir,
        env: ciEnv({
          VERSION: '1.4.2',
          NAMESPACE: 'prod',
          PATH: `${join(kube, 'bin')}:${ciEnv().PATH}`,
          FAKE_KUBE_STATE: state,
          FAKE_KUBE_APP: repo.dir,
          FAKE_KUBE_SECRET: db,
          FAKE_KUBE_YAML: yamlModulePath(),
        }),
      });
    }

    it('release.sh: migrate job, rollout, wait for old pods, contract job — in that order', async () => {
      expect((await runArgv(['bash', '-n', 'release.sh'], { cwd: repo.dir })).code).toBe(0);
      const db = await freshDatabase({ prefix: 'zd_k8s_rel' });
      const state = mkdtempSync(join(kube, 'state-'));
      try {
        const r = await release(db.url, state);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toContain('Released 1.4.2.');
        expect(readFileSync(join(state, 'calls'), 'utf8').trim().split('\n')).toEqual([
          'apply -f -',
          'get job app-migrate-1.4.2 -o jsonpath={.status.succeeded}/{.status.failed}',
          'set image deployment/app app=registry.example.com/app:1.4.2',
          'rollout status deployment/app --timeout=30m',
          'get pods -l app=app -o jsonpath={range .items[*]}{.spec.containers[0].image}{"\\n"}{end}',
          'apply -f -',
          'get job app-contract-1.4.2 -o jsonpath={.status.succeeded}/{.status.failed}',
        ]);
        expect(JSON.parse(readFileSync(join(state, 'job-app-migrate-1.4.2'), 'utf8'))).toMatchObject({ ok: true, image: 'registry.example.com/app:1.4.2' });
        expect(JSON.parse(readFileSync(join(state, 'job-app-contract-1.4.2'), 'utf8'))).toMatchObject({ ok: true });
        expect(await query(db.url, `SELECT kind, status FROM prisma_zd.queue ORDER BY id`)).toEqual([
          { kind: 'index', status: 'done' },
          { kind: 'contract', status: 'done' },
          { kind: 'validate', status: 'done' },
          { kind: 'index', status: 'done' },
        ]);
      } finally {
        await db.drop();
      }
    });

    it('release.sh: a failed migrate job prints its log and stops before the rollout', async () => {
      const db = await freshDatabase({ prefix: 'zd_k8s_fail' });
      const state = mkdtempSync(join(kube, 'state-'));
      const file = addRepoMigration(repo, 'broken', 'ALTER TABLE "Missing" ADD COLUMN "x" INTEGER;\n');
      try {
        const r = await release(db.url, state);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain('prisma-zd deploy failed: 1.4.2 is not rolled out.');
        expect(r.stderr).toContain('broken');
        const calls = readFileSync(join(state, 'calls'), 'utf8');
        expect(calls).not.toContain('set image');
        expect(calls).not.toContain('app-contract');
      } finally {
        rmSync(join(repo.dir, file, '..'), { recursive: true, force: true });
        await db.drop();
      }
    });
  });
});
