/**
 * Running the recipes of docs/recipes as far as this machine can: their code blocks
 * (`file=<name>` in the fence's info string), a YAML parser, a user's repository with
 * prisma-zd installed, and bash with a CI's environment.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SAMPLE_DIR } from '../support/prisma.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const RECIPES_DIR = join(ROOT, 'docs/recipes');
const CLI_DIR = join(ROOT, 'packages/cli');
const EXAMPLE_MIGRATIONS = join(ROOT, 'examples/testing-kit/migrations');

export interface Block {
  doc: string;
  lang: string;
  /** `file=…`: the name the recipe gives the block; the test that runs it asks for it by this name. */
  file?: string;
  /** `not-run="…"`: why this block cannot be run here. */
  notRun?: string;
  /** `excerpt=path`: the block is a verbatim excerpt of a file of this repository (checked). */
  excerpt?: string;
  text: string;
  line: number;
}

/** Every fenced block of a recipe page. */
export function blocksOf(doc: string): Block[] {
  const text = readFileSync(join(RECIPES_DIR, `${doc}.md`), 'utf8');
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open || open[1] === '') continue;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j] !== '```') body.push(lines[j++]!);
    const attrs = open[2] ?? '';
    const attr = (name: string) => /"([^"]*)"|(\S+)/.exec(attrs.split(`${name}=`)[1] ?? '')?.slice(1).find((x) => x !== undefined);
    blocks.push({
      doc,
      lang: open[1]!,
      ...(attrs.includes('file=') ? { file: attr('file')! } : {}),
      ...(attrs.includes('not-run=') ? { notRun: attr('not-run')! } : {}),
      ...(attrs.includes('excerpt=') ? { excerpt: attr('excerpt')! } : {}),
      text: body.join('\n') + '\n',
      line: i + 1,
    });
    i = j;
  }
  return blocks;
}

export function recipeDocs(): string[] {
  return readdirSync(RECIPES_DIR)
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .map((f) => f.slice(0, -3))
    .sort();
}

/** The block `file=<file>` of docs/recipes/<doc>.md. */
export function recipeBlock(doc: string, file: string): string {
  const block = blocksOf(doc).find((b) => b.file === file);
  if (!block) throw new Error(`docs/recipes/${doc}.md has no block file=${file}`);
  return block.text;
}

/** The YAML parser installed with the test dependencies (testcontainers → docker-compose → yaml). */
export function yamlParser(): { parse(text: string): unknown; parseAllDocuments(text: string): Array<{ toJS(): unknown; errors: unknown[] }> } {
  const fromRoot = createRequire(join(ROOT, 'package.json'));
  const viaCompose = createRequire(createRequire(fromRoot.resolve('testcontainers')).resolve('docker-compose'));
  return viaCompose('yaml') as ReturnType<typeof yamlParser>;
}

export function parseYaml<T = Record<string, unknown>>(text: string): T {
  return yamlParser().parse(text) as T;
}

export interface UserRepo {
  dir: string;
  git(...args: string[]): { status: number | null; stdout: string; stderr: string };
  cleanup(): void;
}

function shim(path: string, target: string) {
  writeFileSync(path, `#!/bin/sh\nexec "${process.execPath}" "${target}" "$@"\n`);
  chmodSync(path, 0o755);
}

/**
 * A user's repository: the sample project (its history as prisma-zd rewrote it) at the
 * top, `prisma` and `prisma-zd` installed in node_modules (as `npm ci` would), committed
 * on `main`, with a bare `origin` that has `main`.
 */
export function userRepo(): UserRepo {
  const base = mkdtempSync(join(tmpdir(), 'zd-recipe-'));
  const dir = join(base, 'app');
  mkdirSync(dir);
  for (const entry of ['prisma.config.ts', 'schema.prisma', 'adapter']) cpSync(join(SAMPLE_DIR, entry), join(dir, entry), { recursive: true });
  cpSync(EXAMPLE_MIGRATIONS, join(dir, 'migrations'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }, null, 2) + '\n');
  writeFileSync(join(dir, '.gitignore'), 'node_modules\n');
  const modules = join(dir, 'node_modules');
  mkdirSync(join(modules, '.bin'), { recursive: true });
  for (const entry of readdirSync(join(SAMPLE_DIR, 'node_modules'))) {
    if (entry === '.bin' || entry === '.cache') continue;
    symlinkSync(join(SAMPLE_DIR, 'node_modules', entry), join(modules, entry));
  }
  symlinkSync(CLI_DIR, join(modules, 'prisma-zd'));
  shim(join(modules, '.bin', 'prisma-zd'), join(CLI_DIR, 'bin/prisma-zd.js'));
  shim(join(modules, '.bin', 'prisma'), join(SAMPLE_DIR, 'node_modules/prisma/build/index.js'));
  const git = (...args: string[]) => {
    const r = spawnSync('git', ['-c', 'user.name=dev', '-c', 'user.email=dev@example.com', ...args], { cwd: dir, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-qm', 'app with its migration history');
  spawnSync('git', ['clone', '-q', '--bare', dir, join(base, 'origin.git')]);
  git('remote', 'add', 'origin', join(base, 'origin.git'));
  git('fetch', '-q', 'origin');
  return { dir, git, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

/** Adds `<timestamp>_<name>/migration.sql` after the last migration of the repo. */
export function addRepoMigration(repo: UserRepo, name: string, sql: string): string {
  const last = readdirSync(join(repo.dir, 'migrations')).filter((n) => /^\d{14}_/.test(n)).sort().at(-1)!.slice(0, 14);
  const folder = `${BigInt(last) + 1n}_${name}`;
  mkdirSync(join(repo.dir, 'migrations', folder));
  writeFileSync(join(repo.dir, 'migrations', folder, 'migration.sql'), sql);
  return `migrations/${folder}/migration.sql`;
}

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment of a CI job here: no colour, npm never downloads, our node first on PATH. */
export function ciEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CI: 'true', npm_config_offline: 'true', npm_config_update_notifier: 'false' };
  for (const name of ['DATABASE_URL', 'DIRECT_URL', 'SHADOW_DATABASE_URL', 'PRISMA_ZD_EXEC_MODE', 'PRISMA_ZD_MIGRATIONS_DIR', 'GIT_DIR', 'GIT_INDEX_FILE']) delete env[name];
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? ''}`;
  return { ...env, ...extra };
}

/** Runs `script` with `shell` (default: bash -eo pipefail, as GitHub and GitLab run steps). */
export function runScript(script: string, opts: { cwd: string; env?: NodeJS.ProcessEnv; shell?: string[]; timeoutMs?: number }): Promise<ScriptRun> {
  return runArgv([...(opts.shell ?? ['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c']), script], opts);
}

/** Runs a program with its arguments, no shell in between. */
export function runArgv(argv: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<ScriptRun> {
  const [cmd, ...args] = argv;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd!, args, { cwd: opts.cwd, env: opts.env ?? ciEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** `prisma-zd` invocations in a shell text (`npx prisma-zd …` or `prisma-zd …`), each as its words. */
export function zdInvocations(text: string): string[][] {
  const out: string[][] = [];
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.replace(/#.*$/, '');
    // At a command's position: the line's start, after ; && || | $( or exec, or after npx.
    const m = /(?:^\s*|[;&|(]\s*|\bexec\s+|\bnpx\s+(?:--no-install\s+)?)prisma-zd\s+([^;&|)>]*)/.exec(line);
    if (!m) continue;
    const words = [...m[1]!.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((w) => w[1] ?? w[2] ?? w[3]!);
    out.push(words);
  }
  return out;
}

const helps = new Map<string, Promise<string>>();

/** `prisma-zd [command] --help` of the built CLI. */
export function cliHelp(command?: string): Promise<string> {
  const key = command ?? '';
  if (!helps.has(key)) {
    helps.set(
      key,
      runScript(`"${process.execPath}" "${join(CLI_DIR, 'bin/prisma-zd.js')}" ${command ?? ''} --help`, { cwd: ROOT }).then((r) => {
        if (r.code !== 0) throw new Error(`prisma-zd ${key} --help exited ${r.code}: ${r.stderr}`);
        return r.stdout;
      }),
    );
  }
  return helps.get(key)!;
}

/** What is wrong with a `prisma-zd` invocation (its words after `prisma-zd`), judged by the built CLI's help. */
export async function invocationProblems(words: string[]): Promise<string[]> {
  const command = words[0];
  if (!command || command.startsWith('-')) return [`no command in "prisma-zd ${words.join(' ')}"`];
  const top = await cliHelp();
  if (!new RegExp(`^\\s+prisma-zd ${command}\\b`, 'm').test(top)) return [`unknown command ${command}`];
  const help = await cliHelp(command);
  const problems: string[] = [];
  for (const w of words.slice(1)) {
    if (!w.startsWith('--')) continue;
    const flag = w.split('=')[0]!;
    const name = flag.startsWith('--no-') && !help.includes(`${flag} `) ? `--${flag.slice(5)}` : flag;
    if (!new RegExp(`(^|[\\s,])${name.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')}(\\s|,|$)`, 'm').test(help)) problems.push(`${command}: unknown option ${flag}`);
  }
  return problems;
}
