/*
 * Prisma 7 projects as users set them up (prisma@7.10.1 from the npm registry, see
 * support.ts): prisma.config.ts with `defineConfig`/`env()` from 'prisma/config', no URL in
 * schema.prisma, the `prisma-client` generator. prisma-zd must read them as Prisma 7 does
 * (the installed `@prisma/config` is the reference: its `findPrismaConfigFile` and
 * `loadConfigFromFile`), and check, rewrite, deploy's preflight and the queue commands must
 * work on them.
 *
 * Not exercised: Prisma 7's own `prisma migrate deploy`. Its CLI downloads the native
 * schema engine at run time (binaries.prisma.sh), which fails offline; so a Prisma 7 child
 * never runs here, and deploy stops at --dry-run.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireUrl, resolvePrismaProject, staticConfigPaths, urlVariables } from '../../packages/cli/src/project/prisma-project.js';
import { ADD_WEIGHT, columnExists, deployProject, Resources, zdDeploy } from '../deploy/support.js';
import { sampleTemplate } from '../prisma/helpers.js';
import { runZd } from '../support/cli.js';
import { freshDatabase } from '../support/db.js';
import { addMigration } from '../support/prisma.js';
import { INIT, INIT_CONFIG, migrations, POST_MODEL, PRISMA7, prisma7Modules, schema, TITLE, writeProject } from './support.js';

const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'zd-prisma7-')));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let modules: string;
/** Prisma 7's own config module, from the installed prisma. */
let prismaConfig: {
  findPrismaConfigFile(root: string): string | null;
  loadConfigFromFile(i: { configRoot?: string; configFile?: string }): Promise<{
    config?: { schema?: string; migrations?: { path?: string }; datasource?: { url?: string } };
    error?: { _tag: string; error?: Error };
    resolvedPath: string | null;
  }>;
};
beforeAll(async () => {
  modules = prisma7Modules();
  prismaConfig = (await import(pathToFileURL(join(modules, '@prisma/config/dist/index.js')).href)) as typeof prismaConfig;
}, 300_000);

/** Runs `fn` with DATABASE_URL set to `value` (or unset) in this process, as a user's shell would have it. */
async function withDatabaseUrl<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.DATABASE_URL;
  if (value === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  }
}

const URL_A = 'postgresql://app:secret@db.example.com:5432/app?schema=public';
const URL_B = 'postgresql://deploy:other@db2.example.com:5432/app';

/** The project as `prisma init` lays it out, with the two migrations. */
const initProject = (extra: Record<string, string> = {}) =>
  writeProject(tmp, modules, { 'prisma.config.ts': INIT_CONFIG, 'prisma/schema.prisma': schema(), ...migrations('prisma/migrations'), ...extra });

/** What Prisma 7 itself resolves for a project: its config file, schema and migrations folder. */
async function prismaSees(dir: string, url = URL_A) {
  const file = prismaConfig.findPrismaConfigFile(dir);
  const res = await withDatabaseUrl(url, () => prismaConfig.loadConfigFromFile({ configRoot: dir }));
  expect(res.error, JSON.stringify(res.error)).toBeUndefined();
  return { file, schema: res.config!.schema, migrations: res.config!.migrations?.path, url: res.config!.datasource?.url };
}

describe(`a Prisma ${PRISMA7} project as \`prisma init\` lays it out`, () => {
  it("resolves as Prisma's own loader does: config, schema, migrations folder, the URL from env('DATABASE_URL')", async () => {
    const dir = initProject();
    const p = await withDatabaseUrl(URL_A, () => resolvePrismaProject({ cwd: dir }));
    const prisma = await prismaSees(dir);
    expect(p).toMatchObject({
      root: dir,
      configFile: prisma.file,
      schemaPath: prisma.schema,
      migrationsDir: prisma.migrations,
      url: URL_A,
      urlSource: `${join(dir, 'prisma.config.ts')} datasource.url`,
      prismaVersion: PRISMA7,
      engine: undefined,
      schemas: ['public'],
      urlEnv: ['DATABASE_URL'],
    });
    expect(prisma.file).toBe(join(dir, 'prisma.config.ts'));
    // The variable through which deploy hands Prisma's child its session URL.
    expect(await withDatabaseUrl(URL_A, async () => urlVariables(p))).toEqual(['DATABASE_URL']);
  });

  it('from a subdirectory: the config of the project above, and Prisma runs at its root', async () => {
    const dir = initProject();
    mkdirSync(join(dir, 'src/lib'), { recursive: true });
    const p = await withDatabaseUrl(URL_A, () => resolvePrismaProject({ cwd: join(dir, 'src/lib') }));
    expect(p).toMatchObject({ root: dir, configFile: join(dir, 'prisma.config.ts'), migrationsDir: join(dir, 'prisma/migrations') });
  });

  it('says how 7.4+ runs migration.sql: split by its own SQL parser, each statement committed on its own (so `unknown` per file)', async () => {
    const p = await withDatabaseUrl(URL_A, () => resolvePrismaProject({ cwd: initProject() }));
    expect(p.execution).toBe('unknown');
    expect(p.executionProblem).toContain(`Prisma ${PRISMA7}'s schema engine (7.4 and later) splits migration.sql into statements`);
    expect(p.executionProblem).toContain('commits each one on its own');
  });
});

describe('Prisma 7 projects prisma-zd used to misread', () => {
  it('DATABASE_URL unset (a pre-commit hook, a rewrite, --url): the config still loads; the URL is missing, and the error names the variable', async () => {
    const dir = initProject({
      'prisma.config.ts': INIT_CONFIG.replace('url: env("DATABASE_URL"),', 'url: env("DATABASE_URL"),\n    shadowDatabaseUrl: env("SHADOW_DATABASE_URL"),'),
    });
    // Prisma 7's env() throws when the variable is unset: prisma-zd failed with ZD_PRISMA_CONFIG before.
    const p = await withDatabaseUrl(undefined, () => resolvePrismaProject({ cwd: dir }));
    expect(p).toMatchObject({ url: undefined, migrationsDir: join(dir, 'prisma/migrations'), unsetEnv: ['DATABASE_URL', 'SHADOW_DATABASE_URL'], urlEnv: ['DATABASE_URL'] });
    expect(() => requireUrl(p)).toThrow(/prisma\.config\.ts reads DATABASE_URL from the environment, which is not set\.$/);
    // The placeholders used while loading are gone again.
    expect(process.env.DATABASE_URL).toBeUndefined();
    expect(process.env.SHADOW_DATABASE_URL).toBeUndefined();

    // --url: that URL, and the variable the config reads is the one the Prisma child gets it through.
    const q = await withDatabaseUrl(undefined, () => resolvePrismaProject({ cwd: dir, url: URL_B }));
    expect(q).toMatchObject({ url: URL_B, urlSource: '--url' });
    expect(urlVariables(q, {})).toEqual(['DATABASE_URL']);
  });

  it('--url while DATABASE_URL names another database: Prisma is still reached through DATABASE_URL (was ZD_URL_NOT_INJECTABLE)', async () => {
    const dir = initProject();
    const p = await withDatabaseUrl(URL_A, () => resolvePrismaProject({ cwd: dir, url: URL_B }));
    expect(p.url).toBe(URL_B);
    expect(urlVariables(p, { DATABASE_URL: URL_A })).toEqual(['DATABASE_URL']);
  });

  it('prisma7.config.ts (Prisma 7.10+ looks for it first) wins over a prisma.config.ts kept for Prisma 6', async () => {
    const dir = writeProject(tmp, modules, {
      'prisma7.config.ts': INIT_CONFIG.replace('"prisma/schema.prisma"', '"db/schema.prisma"').replace('"prisma/migrations"', '"db/migrations"'),
      'prisma.config.ts': INIT_CONFIG,
      'db/schema.prisma': schema(),
      'prisma/schema.prisma': schema(),
      ...migrations('db/migrations'),
      ...migrations('prisma/migrations'),
    });
    const p = await withDatabaseUrl(URL_A, () => resolvePrismaProject({ cwd: dir }));
    const prisma = await prismaSees(dir);
    expect(prisma.file).toBe(join(dir, 'prisma7.config.ts'));
    expect(p).toMatchObject({ configFile: prisma.file, schemaPath: prisma.schema, migrationsDir: join(dir, 'db/migrations') });
    expect(prisma.migrations).toBe(join(dir, 'db/migrations'));
  });

  it('.config/prisma.ts: paths relative to it, and Prisma runs in the project (not in .config/, where it finds no config)', async () => {
    const dir = writeProject(tmp, modules, {
      '.config/prisma.ts': INIT_CONFIG.replace('"prisma/schema.prisma"', '"../prisma/schema.prisma"').replace('"prisma/migrations"', '"../prisma/migrations"'),
      'prisma/schema.prisma': schema(),
      ...migrations('prisma/migrations'),
    });
    const p = await withDatabaseUrl(URL_A, () => resolvePrismaProject({ cwd: dir }));
    const prisma = await prismaSees(dir);
    expect(prisma.file).toBe(join(dir, '.config/prisma.ts'));
    expect(p).toMatchObject({ root: dir, configFile: prisma.file, schemaPath: prisma.schema, migrationsDir: prisma.migrations, url: URL_A });
    expect(prismaConfig.findPrismaConfigFile(p.root)).toBe(p.configFile);
  });

  it('a multi-file schema folder: the `schemas` of its datasource (was `public`)', async () => {
    const dir = writeProject(tmp, modules, {
      'prisma.config.ts': INIT_CONFIG.replace('"prisma/schema.prisma"', '"prisma/schema"'),
      'prisma/schema/base.prisma': schema('\n  schemas  = ["app", "auth"]', ''),
      'prisma/schema/post.prisma': POST_MODEL.replace('@@index([title])', '@@index([title])\n  @@schema("app")'),
      ...migrations('prisma/migrations'),
    });
    const p = await withDatabaseUrl(URL_A, () => resolvePrismaProject({ cwd: dir }));
    expect(p).toMatchObject({ schemaPath: join(dir, 'prisma/schema'), migrationsDir: join(dir, 'prisma/migrations'), schemas: ['app', 'auth'] });
  });

  it('--schema: the URL and the migrations folder still come from the config, as with `prisma migrate deploy --schema`', async () => {
    const dir = writeProject(tmp, modules, {
      'prisma.config.ts': INIT_CONFIG.replace('"prisma/migrations"', '"db/migrations"'),
      'prisma/schema.prisma': schema(),
      ...migrations('db/migrations'),
    });
    const p = await withDatabaseUrl(URL_A, () => resolvePrismaProject({ cwd: dir, schema: 'prisma/schema.prisma' }));
    expect(p).toMatchObject({ configFile: join(dir, 'prisma.config.ts'), url: URL_A, migrationsDir: join(dir, 'db/migrations') });
  });

  it('a custom migrations.path: `prisma-zd check` (no URL needed) checks that folder (was prisma/migrations: ZD_MIGRATIONS_MISSING)', async () => {
    for (const migrationsPath of ['"db/migrations"', 'process.env.MIGRATIONS_DIR ?? "db/migrations"']) {
      const dir = writeProject(tmp, modules, {
        'prisma.config.ts': INIT_CONFIG.replace('"prisma/schema.prisma"', '"db/schema.prisma"').replace('"prisma/migrations"', migrationsPath),
        'db/schema.prisma': schema(),
        ...migrations('db/migrations'),
      });
      const run = await runZd(['check', '--format', 'json'], { cwd: dir, env: { DATABASE_URL: undefined } });
      expect(run.code, run.stderr).toBe(1);
      const report = JSON.parse(run.stdout) as { summary: { migrations: number }; findings: Array<{ migration: string; ruleId: string }> };
      expect(report.summary.migrations).toBe(2);
      expect(report.findings.map((f) => [f.migration, f.ruleId])).toEqual([
        [TITLE, 'require-concurrent-index-creation'],
        [TITLE, 'dropping-column-default'],
      ]);
    }
  });
});

describe(`check and rewrite on a Prisma ${PRISMA7} project (the CLI)`, () => {
  it('check finds the hand-written migration; rewrite (no database, new in git) makes it safe, once; check passes', async () => {
    const dir = initProject({ '.gitignore': 'node_modules\n' });
    const git = (...args: string[]) => {
      const r = spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    };
    git('init', '-q');
    git('add', 'prisma.config.ts', 'prisma/schema.prisma', 'prisma/migrations/migration_lock.toml', `prisma/migrations/${INIT}`);
    git('commit', '-q', '-m', 'init');
    const env = { DATABASE_URL: undefined };

    const before = await runZd(['check', '--format', 'json'], { cwd: dir, env });
    expect(before.code, before.stderr).toBe(1);
    expect((JSON.parse(before.stdout) as { summary: { needRewrite: string[] } }).summary.needRewrite).toEqual([TITLE]);

    const file = join(dir, 'prisma/migrations', TITLE, 'migration.sql');
    const rewrite = await runZd(['rewrite', '--json'], { cwd: dir, env });
    expect(rewrite.code, rewrite.stderr).toBe(0);
    const result = JSON.parse(rewrite.stdout) as { migrations: Array<{ name: string; written: boolean; changes: Array<{ kind: string }> }> };
    expect(result.migrations.map((m) => [m.name, m.written, m.changes.map((c) => c.kind)])).toEqual([[TITLE, true, ['postpone-index', 'defer-drop-default']]]);
    const rewritten = readFileSync(file, 'utf8');
    expect(rewritten.match(/^DO \$zd\$$/gm)).toHaveLength(2);
    expect(rewritten).toContain('CREATE INDEX "Post_title_idx" ON "Post"("title");');
    expect(rewritten).toContain('ALTER TABLE "Post" ALTER COLUMN "status" DROP DEFAULT;');

    const again = await runZd(['rewrite'], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(rewritten);

    const after = await runZd(['check'], { cwd: dir, env });
    expect(after.code, after.stdout + after.stderr).toBe(0);
  });
});

describe(`deploy's preflight and the queue commands on a Prisma ${PRISMA7} project (database)`, () => {
  it('deploy --dry-run: the database of DATABASE_URL (read from .env by the config, as Prisma 7 does), the plan, how Prisma 7 runs the files', async () => {
    const db = await freshDatabase({ prefix: 'zd_prisma7' });
    try {
      const dir = initProject();
      writeFileSync(join(dir, '.env'), `DATABASE_URL="${db.url}"\n`);
      const run = await runZd(['deploy', '--dry-run', '--json'], { cwd: dir, env: { DATABASE_URL: undefined } });
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as {
        status: string;
        server: string;
        prismaVersion: string;
        execution: string;
        warnings: string[];
        migrations: { total: number; applied: number; pending: string[] };
      };
      expect(report).toMatchObject({ status: 'dry-run', prismaVersion: PRISMA7, execution: 'unknown', migrations: { total: 2, applied: 0, pending: [INIT, TITLE] } });
      expect(report.server).toContain(`/${db.name}`);
      expect(report.warnings.join('\n')).toContain('splits migration.sql into statements');

      // A config that calls dotenv's config(): dotenv 17 prints "[dotenv@…] injecting env" with console.log.
      // It goes to stderr: stdout stays prisma-zd's JSON.
      writeFileSync(join(dir, 'prisma.config.ts'), INIT_CONFIG.replace('import "dotenv/config";', 'import { config } from "dotenv";\nconfig();'));
      const chatty = await runZd(['deploy', '--dry-run', '--json'], { cwd: dir, env: { DATABASE_URL: undefined } });
      expect(chatty.code, chatty.stderr).toBe(0);
      expect(chatty.stderr).toContain('injecting env (1) from .env');
      expect(JSON.parse(chatty.stdout)).toMatchObject({ status: 'dry-run', migrations: { pending: [INIT, TITLE] } });

      // --url with the variable unset: the same, nothing asks for DATABASE_URL.
      rmSync(join(dir, '.env'));
      const withUrl = await runZd(['deploy', '--dry-run', '--json', '--url', db.url], { cwd: dir, env: { DATABASE_URL: undefined } });
      expect(withUrl.code, withUrl.stderr).toBe(0);
      // Neither: the error names the variable prisma.config.ts reads.
      const none = await runZd(['deploy', '--dry-run'], { cwd: dir, env: { DATABASE_URL: undefined } });
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('ZD_NO_DATABASE_URL');
      expect(none.stderr).toContain('reads DATABASE_URL from the environment, which is not set');

      const list = await runZd(['postponed', 'list'], { cwd: dir, env: { DATABASE_URL: db.url } });
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout + list.stderr).toContain('prisma-zd is not set up on this database');
    } finally {
      await db.drop();
    }
  });
});

describe('a config in .config/ deployed for real (the Prisma 6.19.3 sample: a Prisma 7 child cannot run offline)', () => {
  const res = new Resources();
  afterAll(() => res.cleanup());

  it('deploy runs Prisma in the project with --config: it applies the new migration (Prisma ran in .config/ before and found no config)', async () => {
    const template = await sampleTemplate();
    const p = await deployProject(res, () => freshDatabase({ template, prefix: 'zd_prisma7_dotconfig' }));
    const config = readFileSync(join(p.project.dir, 'prisma.config.ts'), 'utf8')
      .replaceAll("from './adapter/", "from '../adapter/")
      .replace("schema: 'schema.prisma'", "schema: '../schema.prisma'")
      .replace("|| 'migrations'", "|| '../migrations'");
    mkdirSync(join(p.project.dir, '.config'));
    writeFileSync(join(p.project.dir, '.config/prisma.ts'), config);
    rmSync(join(p.project.dir, 'prisma.config.ts'));
    const weight = addMigration(p.project.migrationsDir, 'weight', ADD_WEIGHT);
    const run = await zdDeploy(p, ['--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.json).toMatchObject({ status: 'applied', migrations: { appliedNow: [weight] } });
    expect(await columnExists(p.url, 'Product', 'weightGrams')).toBe(true);
  });
});

describe("staticConfigPaths: a config's paths read without running it (check's fast path)", () => {
  it('reads plain strings', () => {
    expect(staticConfigPaths(INIT_CONFIG)).toEqual({ schema: 'prisma/schema.prisma', migrationsPath: 'prisma/migrations' });
    expect(staticConfigPaths(`import { defineConfig } from 'prisma/config';\nexport default defineConfig({ datasource: { url: process.env.DATABASE_URL! } });\n`)).toEqual({});
    expect(staticConfigPaths(`export default {\n  // schema: 'old.prisma',\n  schema: 'db/schema.prisma',\n  migrations: { path: 'db/migrations', seed: 'tsx db/seed.ts' },\n} satisfies PrismaConfig;\n`)).toEqual({
      schema: 'db/schema.prisma',
      migrationsPath: 'db/migrations',
    });
  });

  it('gives up on anything computed (the config is then loaded)', () => {
    for (const text of [
      `export default defineConfig({ migrations: { path: process.env.DIR || 'migrations' } });`,
      `export default defineConfig({ schema: path.join('prisma', 'schema.prisma') });`,
      `const base = { schema: 'a.prisma' };\nexport default defineConfig({ ...base });`,
      `const schema = 'a.prisma';\nexport default defineConfig({ schema });`,
      `export default defineConfig({ schema: \`\${dir}/schema.prisma\` });`,
      `export { default } from './prisma/config';`,
      `const migrations = { path: 'x' };\nexport default defineConfig({ migrations });`,
    ]) {
      expect(staticConfigPaths(text), text).toBeUndefined();
    }
  });
});
