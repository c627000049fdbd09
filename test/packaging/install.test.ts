/*
 * The packages as a user gets them: packed with `pnpm pack` (its `prepack` copies the
 * rules' pages and README.md), installed with npm (`npm install -D prisma-zd`; prisma itself
 * is left out: check, explain and the imports here do not need it) into a project outside
 * the repository, so that nothing resolves through the workspace's node_modules. Then the
 * CLI from that project's node_modules, the entry points from ESM, and their types with tsc.
 *
 * The packing happens in a copy of the workspace (the package dirs without node_modules,
 * the repository's docs/rules and README.md): `prepack` rewrites packages/cli/docs, which
 * other tests read. npm takes the packages' dependencies from the npm registry, with its
 * cache in node_modules/.cache/prisma-zd-test/npm: the first run downloads about 40
 * packages (~15 MB in the cache: libpg-query, pg, yargs, jiti, @types/pg, @types/yargs,
 * @types/node and theirs); later runs install with `npm install --offline`.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { builtinModules } from 'node:module';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { rules } from '@prisma-zd/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer } from '../support/db.js';
import { runZd } from '../support/cli.js';
import { REPO_ROOT } from '../support/corpus.js';

const NPM_CACHE = join(REPO_ROOT, 'node_modules/.cache/prisma-zd-test/npm');
const PACKAGES = { core: '@prisma-zd/core', pg: '@prisma-zd/pg', cli: 'prisma-zd' } as const;
type Dir = keyof typeof PACKAGES;

// Outside the repository: a missing dependency must not be found in the workspace's node_modules.
const tmp = mkdtempSync(join(tmpdir(), 'zd-packaging-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const app = join(tmp, 'app');
const ws = join(tmp, 'ws');

/** The environment of a user's shell: none of the npm_* variables pnpm sets for the scripts it runs (vitest under `pnpm test`). */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NO_COLOR: '1' };
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) || /^npm_config_registry$/i.test(k)) env[k] = v;
  env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
  return env;
}

function run(cmd: string, args: string[], cwd: string, timeout = 120_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: userEnv(), encoding: 'utf8', timeout });
  if (r.error) throw r.error;
  return r;
}

function must(cmd: string, args: string[], cwd: string, timeout?: number): string {
  const r = run(cmd, args, cwd, timeout);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

interface Packed {
  tarball: string;
  /** Paths inside the package (without `package/`). */
  files: string[];
  manifest: {
    name: string;
    version: string;
    main?: string;
    types?: string;
    bin?: Record<string, string>;
    exports?: Record<string, { types?: string; default?: string }>;
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
}
const packed = {} as Record<Dir, Packed>;

/** Packs the three packages with `pnpm pack` (its prepack and postpack included), in a copy of the workspace. */
function pack(): void {
  mkdirSync(join(ws, 'packages'), { recursive: true });
  writeFileSync(join(ws, 'package.json'), '{ "name": "ws", "private": true }\n');
  writeFileSync(join(ws, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n');
  cpSync(join(REPO_ROOT, 'README.md'), join(ws, 'README.md'));
  cpSync(join(REPO_ROOT, 'docs/rules'), join(ws, 'docs/rules'), { recursive: true });
  for (const dir of Object.keys(PACKAGES) as Dir[]) {
    const from = join(REPO_ROOT, 'packages', dir);
    // What a fresh checkout plus `pnpm run build` holds (docs/ is made by prepack).
    cpSync(from, join(ws, 'packages', dir), {
      recursive: true,
      filter: (p) => !['node_modules', 'docs'].includes(p.slice(from.length + 1).split('/')[0]!),
    });
  }
  // pnpm pack reads the version of a `workspace:` dependency from the link pnpm install made.
  for (const dir of Object.keys(PACKAGES) as Dir[]) {
    const { dependencies = {} } = JSON.parse(readFileSync(join(ws, 'packages', dir, 'package.json'), 'utf8')) as Packed['manifest'];
    for (const [name, spec] of Object.entries(dependencies)) {
      if (!spec.startsWith('workspace:')) continue;
      const target = (Object.keys(PACKAGES) as Dir[]).find((d) => PACKAGES[d] === name)!;
      const link = join(ws, 'packages', dir, 'node_modules', name);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(join(ws, 'packages', target), link, 'dir');
    }
  }
  for (const dir of Object.keys(PACKAGES) as Dir[]) {
    const out = join(tmp, 'tarballs', dir);
    mkdirSync(out, { recursive: true });
    must('pnpm', ['pack', '--pack-destination', out], join(ws, 'packages', dir));
    const tarballs = readdirSync(out).filter((f) => f.endsWith('.tgz'));
    expect(tarballs).toHaveLength(1);
    const tarball = join(out, tarballs[0]!);
    const files = must('tar', ['tzf', tarball], out)
      .split('\n')
      .filter((f) => f !== '' && !f.endsWith('/'))
      .map((f) => f.replace(/^package\//, ''));
    const manifest = JSON.parse(must('tar', ['xzf', tarball, '-O', 'package/package.json'], out)) as Packed['manifest'];
    expect(manifest.name).toBe(PACKAGES[dir]);
    packed[dir] = { tarball, files, manifest };
  }
}

/** A user's project: package.json, the sample schema and migrations, then the three tarballs from npm. */
function install(): void {
  mkdirSync(join(app, 'prisma'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'user-app', version: '1.0.0', private: true, type: 'module' }, null, 2));
  cpSync(join(REPO_ROOT, 'prisma/schema.prisma'), join(app, 'prisma/schema.prisma'));
  cpSync(join(REPO_ROOT, 'prisma/migrations'), join(app, 'prisma/migrations'), { recursive: true });
  mkdirSync(NPM_CACHE, { recursive: true });
  const args = ['install', '--save-dev', '--no-audit', '--no-fund', '--cache', NPM_CACHE, ...Object.values(packed).map((p) => p.tarball)];
  // From the cache alone when it holds everything; else the registry fills it.
  if (run('npm', [...args, '--offline'], app, 300_000).status !== 0) must('npm', [...args, '--prefer-offline'], app, 300_000);
}

beforeAll(() => {
  pack();
  install();
}, 400_000);

/** Package names a JavaScript or declaration file imports (bare specifiers, no node built-ins). */
function importedPackages(text: string): Set<string> {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specifiers = [
    ...code.matchAll(/(?:^|[;}])\s*(?:import|export)\s+(?:type\s+)?(?:[^;'"]*?\sfrom\s*)?['"]([^'"]+)['"]/gm),
    ...code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  const names = new Set<string>();
  for (const s of specifiers) {
    if (s.startsWith('.') || s.startsWith('node:') || builtinModules.includes(s.split('/')[0]!)) continue;
    const parts = s.split('/');
    names.add(s.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
  }
  return names;
}

const installed = (dir: Dir, file: string) => join(app, 'node_modules', PACKAGES[dir], file);
const bin = () => join(app, 'node_modules/.bin/prisma-zd');

describe('the packed packages', () => {
  it.each(Object.keys(PACKAGES) as Dir[])('%s: holds what package.json points to, and no tests, source maps to missing sources or build info', (dir) => {
    const { files, manifest } = packed[dir];
    const targets = [manifest.main, manifest.types, ...Object.values(manifest.bin ?? {}), ...Object.values(manifest.exports ?? {}).flatMap((e) => [e.types, e.default])];
    for (const t of targets.filter((t): t is string => t !== undefined)) expect(files, `${manifest.name}: ${t}`).toContain(posix.normalize(t));
    const unwanted = files.filter(
      (f) => /\.test\.|(^|\/)test\/|\.tsbuildinfo$|^src\//.test(f) || (f.endsWith('.map') && !(dir === 'core' && f === 'dist/bundle.js.map')),
    );
    expect(unwanted).toEqual([]);
    // The one map shipped carries its sources.
    if (dir === 'core') expect((JSON.parse(readFileSync(installed('core', 'dist/bundle.js.map'), 'utf8')) as { sourcesContent?: unknown[] }).sourcesContent?.length).toBeGreaterThan(0);
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
  });

  it('prisma-zd: the bin, the scripts it starts by path (check worker, git hook, deploy watchdog), README and a page for every rule', () => {
    const { files, manifest } = packed.cli;
    expect(manifest.dependencies?.['@prisma-zd/core']).toBe(packed.core.manifest.version);
    for (const f of ['bin/prisma-zd.js', 'dist/check/worker.js', 'dist/check/hook.js', 'dist/deploy/watchdog.js', 'README.md', 'docs/rules/README.md']) expect(files).toContain(f);
    for (const rule of rules) expect(files, rule.id).toContain(`docs/rules/${rule.id}.md`);
    // Every file a module starts or reads beside itself (`new URL('./x.js', import.meta.url)`) is shipped.
    for (const f of files.filter((f) => f.endsWith('.js'))) {
      for (const m of readFileSync(installed('cli', f), 'utf8').matchAll(/new URL\(\s*['"](\.[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g)) {
        expect(files, `${f}: ${m[1]}`).toContain(posix.join(posix.dirname(f), m[1]!));
      }
    }
  });

  it('prisma-zd: `npm pack` refuses to make a tarball that keeps "workspace:*" (npm does not replace it; npm install then fails)', () => {
    const r = run('npm', ['pack', '--pack-destination', tmp], join(ws, 'packages/cli'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('pack and publish this package with pnpm');
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tgz'))).toEqual([]);
  });

  it.each(Object.keys(PACKAGES) as Dir[])('%s: every package its JavaScript and declarations import is a dependency', (dir) => {
    const { files, manifest } = packed[dir];
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    for (const f of files.filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
      const missing = [...importedPackages(readFileSync(installed(dir, f), 'utf8'))].filter((p) => p !== manifest.name && !declared.has(p));
      expect(missing, `${manifest.name}/${f}`).toEqual([]);
    }
  });
});

describe('installed with npm in a user project', () => {
  it('--version is the package version; --help lists the commands', () => {
    expect(must(bin(), ['--version'], app).trim()).toBe(packed.cli.manifest.version);
    const help = must(bin(), ['--help'], app);
    for (const c of ['check', 'deploy', 'rewrite', 'postponed', 'contract', 'verify', 'explain', 'install-hook']) expect(help).toContain(`prisma-zd ${c}`);
  });

  it("check on the sample migrations: the workspace CLI's report", async () => {
    const r = run(bin(), ['check', '--format', 'json'], app);
    expect(r.stderr).toBe('');
    const here = await runZd(['check', '--format', 'json'], { cwd: app });
    expect(r.status).toBe(here.code);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(here.stdout));
  });

  it('check --staged through the git hook entry that install-hook writes', () => {
    const git = (...args: string[]) => must('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], app);
    writeFileSync(join(app, '.gitignore'), 'node_modules\n');
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'history');
    const next = join(app, 'prisma/migrations/20991231000000_next');
    mkdirSync(next);
    writeFileSync(join(next, 'migration.sql'), '-- CreateIndex\nCREATE INDEX "Post_title_idx" ON "Post"("title");\n');
    git('add', '-A');
    try {
      const hook = run(process.execPath, ['node_modules/prisma-zd/dist/check/hook.js'], app);
      expect(hook.status).toBe(1);
      expect(hook.stderr).toContain('error[require-concurrent-index-creation]');
      expect(hook.stderr).toContain('20991231000000_next/migration.sql');
      const cli = run(bin(), ['check', '--staged', '--format', 'json'], app);
      expect(cli.status).toBe(1);
      expect((JSON.parse(cli.stdout) as { findings: Array<{ migration: string }> }).findings.map((f) => f.migration)).toEqual(['20991231000000_next']);
    } finally {
      rmSync(next, { recursive: true, force: true });
      rmSync(join(app, '.git'), { recursive: true, force: true });
    }
  });

  it("explain prints the rule's whole page, also when the project is a pnpm workspace with a packages/cli", () => {
    const page = readFileSync(join(REPO_ROOT, 'docs/rules/ban-drop-column.md'), 'utf8');
    const r = run(bin(), ['explain', 'ban-drop-column'], app);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(page.trim());
    writeFileSync(join(app, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n');
    mkdirSync(join(app, 'packages/cli'), { recursive: true });
    writeFileSync(join(app, 'packages/cli/package.json'), '{ "name": "their-cli" }\n');
    try {
      expect(run(bin(), ['explain', 'ban-drop-column'], app).stdout.trim()).toBe(page.trim());
    } finally {
      rmSync(join(app, 'pnpm-workspace.yaml'));
      rmSync(join(app, 'packages'), { recursive: true });
    }
  });

  it('the entry points import from ESM, and prisma-zd/testing makes a scratch database with the installed pg', () => {
    writeFileSync(
      join(app, 'smoke.mjs'),
      `import { createMigrationTest, createScratchDatabase, formatDiff } from 'prisma-zd/testing';
import { defineConfig, VERSION } from 'prisma-zd';
import { namedTypes, parseHstore } from '@prisma-zd/pg';
import { rules } from '@prisma-zd/core';
const db = await createScratchDatabase(process.argv[2]);
const types = namedTypes({ parsers: { citext: String }, logger: { info() {}, warn() {} } });
const pool = new types.Pool({ connectionString: db.url });
const { rows } = await pool.query('SELECT ARRAY[1, 2]::int[] AS a');
await pool.end();
await db.drop();
console.log(JSON.stringify({ VERSION, rules: rules.length, hstore: parseHstore('"a"=>"1"'), rows,
  fns: [createMigrationTest, createScratchDatabase, formatDiff, defineConfig].map((f) => typeof f) }));
`,
    );
    const out = JSON.parse(must(process.execPath, ['smoke.mjs', testServer().url()], app)) as Record<string, unknown>;
    expect(out).toEqual({
      VERSION: packed.cli.manifest.version,
      rules: rules.length,
      hstore: { a: '1' },
      rows: [{ a: [1, 2] }],
      fns: ['function', 'function', 'function', 'function'],
    });
  });

  it('the types resolve with tsc (NodeNext, strict, skipLibCheck off) from the packages and their dependencies alone', () => {
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(
      join(app, 'src/usage.ts'),
      `import { createMigrationTest, createScratchDatabase, type MigrationTestOptions, type ScratchDatabase } from 'prisma-zd/testing';
import { defineConfig, verifyDatabase, type PrismaZdConfig } from 'prisma-zd';
import { namedTypes, type Hstore } from '@prisma-zd/pg';
import { rules, type CheckReport } from '@prisma-zd/core';

export const config: PrismaZdConfig = defineConfig({ check: { rules: { 'ban-drop-column': 'off' } } });
export const options: MigrationTestOptions = { url: 'postgresql://localhost/app' };
export const types = namedTypes({ parsers: { citext: String } });
export const pool = new types.Pool({ connectionString: 'postgresql://localhost/app' });
export const ids: string[] = rules.map((r) => r.id);
export type Used = [ScratchDatabase, Hstore, CheckReport, typeof createMigrationTest, typeof createScratchDatabase, typeof verifyDatabase];
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          // Node's own types from the workspace (a TypeScript project has them); every other type comes from the app's node_modules.
          types: ['node'],
          typeRoots: [join(REPO_ROOT, 'node_modules/@types')],
        },
        include: ['src'],
      }),
    );
    const r = run(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.'], app);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
