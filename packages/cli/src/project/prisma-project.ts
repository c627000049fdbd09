/**
 * Finds what Prisma itself would use: the schema, the migrations folder, the datasource
 * URL and how migration scripts get executed. Prisma's config is read with Prisma's own
 * loader (`@prisma/config`, resolved from the project's installed `prisma`), so
 * `prisma.config.ts` means exactly what it means to `prisma migrate deploy`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ExitCode, UserError } from '../errors.js';
import { redact } from '../util/redact.js';
import { prismaDotenv, type DotenvFiles } from './dotenv.js';

/** How Prisma sends a `migration.sql` to PostgreSQL. */
export type ExecutionModel =
  /** The native schema engine (<= 7.3) and our whole-file adapter: one simple query, one implicit transaction. */
  | 'whole-file'
  /** A splitter that cuts with the real parser and runs statements one by one (autocommit each). */
  | 'per-statement'
  /** The stock driver adapter's `executeScript`: splits on every `;` (breaks `DO` blocks). */
  | 'naive-split'
  | 'unknown';

/**
 * The execution as `check`, `rewrite` and the queue read a file (core's `Execution`): a
 * stock adapter's split is statements one by one too, but prisma-zd refuses it for
 * rewritten migrations, so nothing is assumed of it.
 */
export function readingOf(model: ExecutionModel): 'whole-file' | 'per-statement' | 'unknown' {
  return model === 'whole-file' || model === 'per-statement' ? model : 'unknown';
}

export interface PrismaProject {
  /** Directory commands run relative to (the config's or the schema's directory's parent). */
  root: string;
  configFile: string | undefined;
  schemaPath: string | undefined;
  migrationsDir: string;
  /** The URL migrations run with (`directUrl` before `url`), if it could be resolved. */
  url: string | undefined;
  /** Where the URL came from, for messages (never the URL itself). */
  urlSource: string | undefined;
  prismaVersion: string | undefined;
  engine: 'classic' | 'js' | undefined;
  execution: ExecutionModel;
  /** Why `execution` is `unknown`, when known (e.g. the adapter factory's error). */
  executionProblem?: string;
  /** The `schemas` of the datasource (multi-schema), or the `?schema=` of the URL. */
  schemas: string[];
  /**
   * The environment variables Prisma's config reads its datasource URL from (`env('X')`
   * in prisma.config.ts, or a variable holding exactly the URL it resolved to): the Prisma
   * child gets prisma-zd's session URL through them.
   */
  urlEnv?: string[];
  /** Variables the config reads with `env()` that are not set (it was loaded with placeholders for them). */
  unsetEnv?: string[];
}

export interface ResolveOptions {
  cwd?: string;
  url?: string;
  migrations?: string;
  /** Prisma's `--schema`: overrides the config's schema path (the config is still read, as Prisma does). */
  schema?: string;
  /**
   * `false`: only the paths are needed (the migrations folder), fast: the config's `schema`
   * and `migrations.path` are read from its text when they are plain strings, else the
   * config is loaded (not when `migrations` is given); a config that does not load leaves
   * Prisma's defaults.
   */
  needUrl?: boolean;
}

/** The extensions Prisma's config loader accepts, in the order it tries them. */
const CONFIG_EXTENSIONS = ['.js', '.ts', '.mjs', '.cjs', '.mts', '.cts'];
/** Prisma 7.10+ looks for these first (`findPrismaConfigFile` of `@prisma/config`). */
const PRISMA7_CONFIG_FILES = [
  ...CONFIG_EXTENSIONS.map((e) => `prisma7.config${e}`),
  ...CONFIG_EXTENSIONS.map((e) => join('.config', `prisma7${e}`)),
];
/** Then these (the only ones before 7.10), as its loader (c12, name "prisma") resolves them. */
const CONFIG_FILES = ['prisma.config', join('.config', 'prisma'), join('.config', 'prisma.config')].flatMap((base) => [
  ...CONFIG_EXTENSIONS.map((e) => `${base}${e}`),
  ...CONFIG_EXTENSIONS.map((e) => join(base, `index${e}`)),
]);

function isFile(p: string): boolean {
  return statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** `[major, minor]` of a version string (`7.10.0-dev.49` → `[7, 10]`). */
function majorMinor(version: string | undefined): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function atLeast(version: string | undefined, major: number, minor: number): boolean | undefined {
  const v = majorMinor(version);
  return v ? v[0] > major || (v[0] === major && v[1] >= minor) : undefined;
}

/**
 * Prisma's config file for commands run in `cwd`, as the installed Prisma picks it (its
 * candidates, in its order: `prisma7.config.*` first from 7.10 on), looked for in `cwd`
 * and then in each parent. `root` is the directory it was found from: the one Prisma must
 * run in (for `.config/prisma.ts`, the directory above `.config`).
 */
export function findPrismaConfig(cwd: string): { file: string; root: string } | undefined {
  let dir = resolve(cwd);
  for (;;) {
    const prisma7 = PRISMA7_CONFIG_FILES.map((n) => join(dir, n)).find(isFile);
    // A Prisma older than 7.10 ignores prisma7.config.*; without a Prisma installed, such a file says which one is meant.
    if (prisma7 && atLeast(readVersion(prismaPackageDir(dir)), 7, 10) !== false) return { file: prisma7, root: dir };
    const file = CONFIG_FILES.map((n) => join(dir, n)).find(isFile);
    if (file) return { file, root: dir };
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function prismaPackageDir(from: string): string | undefined {
  try {
    const req = createRequire(join(from, 'package.json'));
    return dirname(req.resolve('prisma/package.json'));
  } catch {
    return undefined;
  }
}

interface LoadedPrismaConfig {
  schema?: string;
  migrations?: { path?: string };
  engine?: 'classic' | 'js';
  datasource?: { url?: string; directUrl?: string; shadowDatabaseUrl?: string };
  adapter?: () => Promise<unknown>;
}

/**
 * What a config read with an unset variable gets in its place: a URL that names the
 * variable and reaches no server (`.invalid` never resolves). Prisma 7's `env('X')`
 * throws when X is not set; loading the config with this instead shows where X goes.
 */
const UNSET_PREFIX = 'postgresql://prisma-zd-unset-env@unset.invalid/';
const unsetValue = (name: string) => `${UNSET_PREFIX}${encodeURIComponent(name)}`;

/** The variable of Prisma's "missing environment variable" error (6.x and 7.x wording), if it is one. */
function missingEnvName(error: { _tag: string; error?: Error } | undefined): string | undefined {
  const e = error?.error;
  if (!e) return undefined;
  if (e.name !== 'PrismaConfigEnvError' && !/environment variable/i.test(e.message)) return undefined;
  return /environment variable:?\s*([^\s]+?)\.?\s*$/i.exec(e.message)?.[1];
}

async function loadPrismaConfig(root: string, configFile: string): Promise<{ config: LoadedPrismaConfig; unset: string[] }> {
  const prismaDir = prismaPackageDir(root);
  if (!prismaDir) {
    throw new UserError({
      code: 'ZD_PRISMA_NOT_INSTALLED',
      message: `Found ${configFile} but the \`prisma\` package is not installed in ${root}.`,
      hint:
        'Install Prisma in the project (npm i -D prisma), then run the command again: prisma-zd reads the config with Prisma\'s own loader. ' +
        '`setup`, `postponed`, `contract` and `verify` also run without it when given --url (and --migrations, where they read the folder).',
      exit: ExitCode.Usage,
    });
  }
  const req = createRequire(join(prismaDir, 'package.json'));
  const mod = (await import(pathToFileURL(req.resolve('@prisma/config')).href)) as {
    loadConfigFromFile: (i: { configFile?: string; configRoot?: string }) => Promise<{
      config?: LoadedPrismaConfig;
      error?: { _tag: string; error?: Error };
    }>;
  };
  // A variable the config needs (`env('DATABASE_URL')`) may be unset where no database is
  // needed (a pre-commit check, a rewrite, a --url given): load it again with a placeholder
  // for each one Prisma names, and remember them (never used as a URL).
  const unset: string[] = [];
  for (;;) {
    const placeholders = Object.fromEntries(unset.map((n) => [n, unsetValue(n)]));
    const res = await withEnv(placeholders, () => toStderr(() => mod.loadConfigFromFile({ configFile, configRoot: root })));
    const missing = missingEnvName(res.error);
    if (missing !== undefined && !unset.includes(missing) && !process.env[missing] && unset.length < 20) {
      unset.push(missing);
      continue;
    }
    if (res.error) {
      throw new UserError({
        code: 'ZD_PRISMA_CONFIG',
        message: `Prisma could not load ${configFile}: ${res.error._tag}${res.error.error ? `: ${redact(res.error.error.message)}` : ''}`,
        hint:
          'Fix the file so that `prisma migrate status` loads it, then run the command again. ' +
          '`setup`, `postponed`, `contract` and `verify` also run without it when given --url (and --migrations, where they read the folder).',
        exit: ExitCode.Usage,
      });
    }
    return { config: res.config ?? {}, unset };
  }
}

/**
 * `schema` and `migrations.path` of a Prisma config whose values are plain strings,
 * without running it (loading a config with Prisma's loader takes most of a second: too
 * slow for a pre-commit hook). `undefined` when the text is anything less simple: the
 * config is then loaded.
 */
export function staticConfigPaths(text: string): { schema?: string; migrationsPath?: string } | undefined {
  // The code without comments, each string literal replaced by `"#<index>"`.
  const literals: string[] = [];
  let code = '';
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) return undefined;
      code += ' ';
      i = end + 2;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let value = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== c; j++) {
        if (text[j] === '\\' || (c === '`' && text[j] === '$' && text[j + 1] === '{') || (c !== '`' && text[j] === '\n')) return undefined;
        value += text[j];
      }
      if (j >= text.length) return undefined;
      code += `"#${literals.length}"`;
      literals.push(value);
      i = j + 1;
      continue;
    }
    code += c;
    i++;
  }
  // Spreads, quoted or shorthand keys, a config made elsewhere: not plain.
  if (code.includes('...') || /"#\d+"\s*:/.test(code) || /\b(?:schema|migrations|path)\s*[,}]/.test(code)) return undefined;
  const start = /\bdefineConfig\s*\(|\bexport\s+default\s*\{/.exec(code);
  if (!start) return undefined;
  const open = start.index + start[0].length - 1;
  const end = matching(code, open);
  if (end === undefined) return undefined;
  const inside = code.slice(open, end + 1);
  const outside = code.slice(0, open) + code.slice(end + 1);
  if (/\b(?:schema|migrations)\s*:/.test(outside)) return undefined;
  const value = (s: string) => {
    const m = /^\s*"#(\d+)"\s*[,})]/.exec(s);
    return m ? literals[Number(m[1])] : undefined;
  };
  const out: { schema?: string; migrationsPath?: string } = {};
  const schemaKeys = [...inside.matchAll(/\bschema\s*:/g)];
  if (schemaKeys.length > 1) return undefined;
  if (schemaKeys.length === 1) {
    const k = schemaKeys[0]!;
    out.schema = value(inside.slice(k.index + k[0].length));
    if (out.schema === undefined) return undefined;
  }
  const migrationKeys = [...inside.matchAll(/\bmigrations\s*:\s*/g)];
  if (migrationKeys.length > 1) return undefined;
  if (migrationKeys.length === 1) {
    const k = migrationKeys[0]!;
    const brace = k.index + k[0].length;
    if (inside[brace] !== '{') return undefined;
    const close = matching(inside, brace);
    if (close === undefined) return undefined;
    const block = inside.slice(brace, close + 1);
    const paths = [...block.matchAll(/\bpath\s*:/g)];
    if (paths.length > 1 || /[{(]/.test(block.slice(1))) return undefined;
    if (paths.length === 1) {
      const p = paths[0]!;
      out.migrationsPath = value(block.slice(p.index + p[0].length));
      if (out.migrationsPath === undefined) return undefined;
    }
  }
  return out;
}

/** Index of the bracket closing the one at `open` (strings are already placeholders). */
function matching(code: string, open: number): number | undefined {
  const pairs: Record<string, string> = { '(': ')', '{': '}', '[': ']' };
  const stack: string[] = [];
  for (let i = open; i < code.length; i++) {
    const c = code[i]!;
    if (pairs[c]) stack.push(pairs[c]!);
    else if (c === ')' || c === '}' || c === ']') {
      if (stack.pop() !== c) return undefined;
      if (stack.length === 0) return i;
    }
  }
  return undefined;
}

/** A Prisma schema without its comments (`//`, `///`), strings kept as they are (`"postgresql://…"`). */
function stripSchemaComments(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else out += c;
  }
  return out;
}

/** The body of the `datasource` block of a schema file, if it has one. */
function datasourceBody(schemaText: string): string | undefined {
  return /datasource\s+\w+\s*\{([\s\S]*?)\}/.exec(stripSchemaComments(schemaText))?.[1];
}

/** The `datasource` block of a schema: its `url`/`directUrl`, `env("X")` resolved. */
export function datasourceFromSchema(schemaText: string): {
  url?: { env?: string; value?: string };
  directUrl?: { env?: string; value?: string };
  schemas: string[];
  provider?: string;
} {
  const body = datasourceBody(schemaText);
  const out: ReturnType<typeof datasourceFromSchema> = { schemas: [] };
  if (body === undefined) return out;
  const attr = (name: string) => {
    const m = new RegExp(`^\\s*${name}\\s*=\\s*(.+)$`, 'm').exec(body);
    if (!m) return undefined;
    const v = m[1]!.trim();
    const env = /^env\(\s*"([^"]+)"\s*\)/.exec(v);
    if (env) return { env: env[1]! };
    const lit = /^"((?:[^"\\]|\\.)*)"/.exec(v);
    return lit ? { value: lit[1]! } : undefined;
  };
  out.url = attr('url');
  out.directUrl = attr('directUrl');
  out.provider = attr('provider')?.value;
  const schemas = /^\s*schemas\s*=\s*\[([^\]]*)\]/m.exec(body);
  if (schemas) out.schemas = [...schemas[1]!.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
  return out;
}

/** The `.prisma` files of a schema folder (Prisma reads it recursively), in a stable order. */
function schemaFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'migrations') out.push(...schemaFiles(p));
    } else if (e.isFile() && e.name.endsWith('.prisma')) out.push(p);
  }
  return out;
}

/**
 * The datasource of the schema at `schemaPath`: a file, or a folder of `.prisma` files
 * (multi-file schemas) where one of them holds the `datasource` block.
 */
export function schemaDatasource(schemaPath: string | undefined): ReturnType<typeof datasourceFromSchema> | undefined {
  if (!schemaPath) return undefined;
  const st = statSync(schemaPath, { throwIfNoEntry: false });
  if (!st) return undefined;
  const files = st.isDirectory() ? schemaFiles(schemaPath) : [schemaPath];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (datasourceBody(text) !== undefined) return datasourceFromSchema(text);
  }
  return undefined;
}

function readVersion(dir: string | undefined): string | undefined {
  if (!dir) return undefined;
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * Execution model from the Prisma version and the configured engine/adapter; `problem`
 * says why it is `unknown` when the adapter factory could not be asked.
 *
 * Prisma's native schema engine sent `migration.sql` as one simple query up to 7.3. From
 * 7.4 on (prisma-engines #5767, "support CREATE INDEX CONCURRENTLY in migrations": the
 * engine's sqlparser went from 0.32 to 0.61 between 7.3.0 and 7.4.0) it splits the script
 * with that parser and sends each statement as a simple query of its own (each commits on
 * its own), and sends the whole file as one query when its parser cannot read every
 * statement of it (e.g. DROP INDEX CONCURRENTLY, prisma-engines #5847). Which of the two a
 * file gets depends on a parser prisma-zd does not have: `unknown`.
 */
async function executionModel(
  prismaVersion: string | undefined,
  cfg: LoadedPrismaConfig,
  urlEnv: Record<string, string>,
): Promise<{ model: ExecutionModel; problem?: string }> {
  if (cfg.engine === 'js' && cfg.adapter) {
    try {
      // An adapter that runs scripts as a real engine does says so with a symbol key
      // (Prisma's config loader wraps the factory and keeps only its symbol keys). The
      // factory sees the environment the Prisma child gets (the URL in the variables it reads).
      const factory = (await withEnv(urlEnv, () => toStderr(() => cfg.adapter!()))) as Record<symbol, unknown>;
      for (const model of ['whole-file', 'per-statement'] as const) {
        if (factory[Symbol.for(`prisma-zd.execution:${model}`)]) return { model };
      }
      return { model: 'naive-split' };
    } catch (e) {
      const message = redact(e instanceof Error ? e.message : String(e));
      return { model: 'unknown', problem: `the driver adapter factory of the Prisma config threw: ${message}` };
    }
  }
  if (!prismaVersion) return { model: 'unknown', problem: 'the installed Prisma version is unknown' };
  if (atLeast(prismaVersion, 7, 4) === false) return { model: 'whole-file' };
  return {
    model: 'unknown',
    problem:
      `Prisma ${prismaVersion}'s schema engine (7.4 and later) splits migration.sql into statements with its own SQL parser ` +
      'and commits each one on its own, and sends a file its parser cannot read whole, as one transaction',
  };
}

/**
 * Runs `fn` (user code: the project's config, its adapter factory) with what it prints on
 * stdout sent to stderr: stdout is prisma-zd's report (`--json`), and a config that loads
 * dotenv 17 with `config()` prints "[dotenv@…] injecting env …" there.
 */
async function toStderr<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, info: console.info, debug: console.debug, write: process.stdout.write };
  console.log = console.info = console.debug = (...args: unknown[]) => console.error(...args);
  process.stdout.write = ((chunk: never, ...rest: never[]) => process.stderr.write(chunk, ...rest)) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    Object.assign(console, { log: saved.log, info: saved.info, debug: saved.debug });
    process.stdout.write = saved.write;
  }
}

/** Runs `fn` with `vars` set in process.env, then puts the environment back as it was. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.entries(vars).map(([k]) => [k, process.env[k]] as const);
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * The environment variables through which Prisma will read the database URL: those the
 * schema's datasource names (`directUrl` first: migrations use it), those Prisma's config
 * reads it from (`urlEnv`: prisma.config.ts `env('…')`, Prisma 7's only place for it),
 * and any whose value is the URL.
 */
export function urlVariables(
  project: Pick<PrismaProject, 'schemaPath' | 'url' | 'engine'> & { urlEnv?: string[] | undefined },
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const names = new Set<string>();
  const ds = schemaDatasource(project.schemaPath);
  if (ds?.directUrl?.env) names.add(ds.directUrl.env);
  else if (ds?.url?.env) names.add(ds.url.env);
  for (const n of project.urlEnv ?? []) names.add(n);
  if (project.url) for (const [k, v] of Object.entries(env)) if (v === project.url) names.add(k);
  if (names.size === 0 && project.engine === 'js') names.add('DATABASE_URL');
  return [...names];
}

export async function resolvePrismaProject(opts: ResolveOptions = {}): Promise<PrismaProject> {
  const cwd = resolve(opts.cwd ?? process.cwd());
  // Prisma reads its config with --schema too (Prisma 7 has the URL nowhere else).
  const found = findPrismaConfig(cwd);
  const configFile = found?.file;
  const root = found?.root ?? cwd;
  const prismaVersion = readVersion(prismaPackageDir(root));
  let cfg: LoadedPrismaConfig = {};
  let unset: string[] = [];
  // The fast path (paths only) judges execution from the version alone, as before: no adapter factory is called.
  let configForExecution = true;
  if (configFile && opts.needUrl === false) {
    configForExecution = false;
    const paths = staticConfigPaths(readFileSync(configFile, 'utf8'));
    if (paths) {
      const base = dirname(configFile);
      if (paths.schema !== undefined) cfg.schema = resolve(base, paths.schema);
      if (paths.migrationsPath !== undefined) cfg.migrations = { path: resolve(base, paths.migrationsPath) };
    } else if (opts.migrations === undefined) {
      try {
        ({ config: cfg, unset } = await loadPrismaConfig(root, configFile));
      } catch {
        // Prisma's defaults, as when no config is read.
        cfg = {};
      }
    }
  } else if (configFile) {
    ({ config: cfg, unset } = await loadPrismaConfig(root, configFile));
  }

  let schemaPath = opts.schema ? resolve(cwd, opts.schema) : cfg.schema ? resolve(root, cfg.schema) : undefined;
  if (!schemaPath) {
    for (const p of ['prisma/schema.prisma', 'schema.prisma', 'prisma/schema']) {
      if (existsSync(join(root, p))) {
        schemaPath = join(root, p);
        break;
      }
    }
  }
  const schemaDir = schemaPath ? (statSync(schemaPath).isDirectory() ? schemaPath : dirname(schemaPath)) : join(root, 'prisma');
  const migrationsDir = opts.migrations
    ? resolve(cwd, opts.migrations)
    : cfg.migrations?.path
      ? isAbsolute(cfg.migrations.path)
        ? cfg.migrations.path
        : resolve(root, cfg.migrations.path)
      : join(schemaDir, 'migrations');

  // The config's URL: what Prisma's CLI connects with (Prisma 7: `datasource.url` only).
  const configKey = cfg.datasource?.directUrl ? 'directUrl' : 'url';
  const configValue = cfg.datasource?.directUrl ?? cfg.datasource?.url;
  const placeholder = unset.find((n) => configValue === unsetValue(n));
  const configUrl = configValue && !configValue.includes(UNSET_PREFIX) ? configValue : undefined;
  const urlEnv = placeholder
    ? [placeholder]
    : configUrl
      ? Object.entries(process.env)
          .filter(([, v]) => v === configUrl)
          .map(([k]) => k)
      : [];

  let url = opts.url;
  let urlSource = opts.url ? '--url' : undefined;
  const ds = schemaDatasource(schemaPath);
  let schemas = ds?.schemas ?? [];
  if (!url && configUrl) {
    url = configUrl;
    urlSource = `${configFile} datasource.${configKey}`;
  }
  if (!url && ds) {
    // Without a Prisma config, Prisma's CLI loads .env files by itself (read only when the environment lacks the variable).
    let dotenv: DotenvFiles | undefined;
    const fromFiles = (name: string) => {
      if (configFile) return undefined;
      dotenv ??= prismaDotenv(root, schemaPath ? schemaDir : undefined);
      return dotenv.vars[name] === undefined ? undefined : { value: dotenv.vars[name]!, file: dotenv.from[name]! };
    };
    for (const [key, v] of [['directUrl', ds.directUrl], ['url', ds.url]] as const) {
      if (!v) continue;
      const file = v.env && !process.env[v.env] ? fromFiles(v.env) : undefined;
      const value = v.env ? (process.env[v.env] || file?.value) : v.value;
      if (value) {
        url = value;
        urlSource = v.env ? `env ${v.env}${file ? ` from ${file.file}` : ''} (schema datasource ${key})` : `schema datasource ${key}`;
        break;
      }
    }
  }
  if (!url && cfg.engine === 'js' && process.env.DATABASE_URL) {
    url = process.env.DATABASE_URL;
    urlSource = 'env DATABASE_URL';
  }
  if (url && schemas.length === 0) {
    try {
      const s = new URL(url).searchParams.get('schema');
      if (s) schemas = [s];
    } catch {
      // Reported when connecting.
    }
  }
  const childEnv: Record<string, string> = {};
  if (url) for (const v of urlVariables({ schemaPath, url, engine: cfg.engine, urlEnv })) childEnv[v] = url;
  const execution = await executionModel(prismaVersion, configForExecution ? cfg : {}, childEnv);
  return {
    root,
    configFile,
    schemaPath,
    migrationsDir,
    url,
    urlSource,
    prismaVersion,
    engine: cfg.engine,
    execution: execution.model,
    ...(execution.problem === undefined ? {} : { executionProblem: execution.problem }),
    schemas: schemas.length ? schemas : ['public'],
    ...(urlEnv.length ? { urlEnv } : {}),
    ...(unset.length ? { unsetEnv: unset } : {}),
  };
}

/** The URL, or a user error that says where we looked. */
export function requireUrl(p: PrismaProject): string {
  if (p.url) return p.url;
  // The unset variables the URL is read from (else all of them: the URL may be made of several).
  const forUrl = (p.urlEnv ?? []).filter((n) => p.unsetEnv?.includes(n));
  const unset = forUrl.length ? forUrl : (p.unsetEnv ?? []);
  if (p.configFile && unset.length) {
    const names = unset.join(', ');
    throw new UserError({
      code: 'ZD_NO_DATABASE_URL',
      message: `No database URL: none given with --url, and ${p.configFile} reads ${names} from the environment, ${unset.length === 1 ? 'which is' : 'which are'} not set.`,
      hint: `Set ${unset[0]} (Prisma 7 reads no .env file by itself: load it in the config with \`import 'dotenv/config'\`, or export it), or pass --url postgresql://….`,
      exit: ExitCode.Usage,
    });
  }
  throw new UserError({
    code: 'ZD_NO_DATABASE_URL',
    message: `No database URL: none given with --url, and none found in ${p.configFile ?? p.schemaPath ?? 'a Prisma config or schema'}.`,
    hint: p.configFile
      ? 'Pass --url postgresql://…, or set the environment variable your datasource names (e.g. DATABASE_URL).'
      : 'Pass --url postgresql://…, or set the variable your schema datasource names (e.g. DATABASE_URL) in the environment or in the .env file beside package.json or schema.prisma.',
    exit: ExitCode.Usage,
  });
}

/** Refuses configurations whose script execution would break rewritten migrations. */
export function assertSafeExecution(p: PrismaProject): void {
  if (p.execution !== 'naive-split') return;
  throw new UserError({
    code: 'ZD_NAIVE_SPLITTER',
    message:
      `${p.configFile} runs migrations through a driver adapter whose executeScript splits scripts on every ";" ` +
      'and autocommits each piece: a DO block (which prisma-zd writes) breaks there, and a failing migration is half-applied.',
    hint:
      'Use the classic schema engine for migrations (remove `engine: "js"` from prisma.config.ts), or wrap the adapter ' +
      "with prisma-zd's whole-file executor (see the README, \"Driver adapters\").",
    exit: ExitCode.Usage,
  });
}
