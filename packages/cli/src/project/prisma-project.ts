/**
 * Finds what Prisma itself would use: the schema, the migrations folder, the datasource
 * URL and how migration scripts get executed. Prisma's config is read with Prisma's own
 * loader (`@prisma/config`, resolved from the project's installed `prisma`), so
 * `prisma.config.ts` means exactly what it means to `prisma migrate deploy`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ExitCode, UserError } from '../errors.js';
import { redact } from '../util/redact.js';

/** How Prisma sends a `migration.sql` to PostgreSQL. */
export type ExecutionModel =
  /** The native schema engine (<= 7.3) and our whole-file adapter: one simple query, one implicit transaction. */
  | 'whole-file'
  /** A splitter that cuts with the real parser and runs statements one by one (autocommit each). */
  | 'per-statement'
  /** The stock driver adapter's `executeScript`: splits on every `;` (breaks `DO` blocks). */
  | 'naive-split'
  | 'unknown';

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
}

export interface ResolveOptions {
  cwd?: string;
  url?: string;
  migrations?: string;
  schema?: string;
  /** Skip loading prisma.config.ts (fast paths that only need the migrations folder). */
  needUrl?: boolean;
}

function findUp(start: string, names: string[]): string | undefined {
  let dir = start;
  for (;;) {
    for (const n of names) {
      const p = join(dir, n);
      if (existsSync(p)) return p;
    }
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

async function loadPrismaConfig(root: string, configFile: string): Promise<LoadedPrismaConfig> {
  const prismaDir = prismaPackageDir(root);
  if (!prismaDir) {
    throw new UserError({
      code: 'ZD_PRISMA_NOT_INSTALLED',
      message: `Found ${configFile} but the \`prisma\` package is not installed in ${root}.`,
      hint: 'Install Prisma in the project (npm i -D prisma), or pass --url and --migrations.',
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
  const res = await mod.loadConfigFromFile({ configFile, configRoot: root });
  if (res.error) {
    throw new UserError({
      code: 'ZD_PRISMA_CONFIG',
      message: `Prisma could not load ${configFile}: ${res.error._tag}${res.error.error ? `: ${res.error.error.message}` : ''}`,
      hint: 'Fix the file so that `prisma migrate status` loads it, or pass --url and --migrations.',
      exit: ExitCode.Usage,
    });
  }
  return res.config ?? {};
}

/** The `datasource` block of a schema: its `url`/`directUrl`, `env("X")` resolved. */
export function datasourceFromSchema(schemaText: string): {
  url?: { env?: string; value?: string };
  directUrl?: { env?: string; value?: string };
  schemas: string[];
  provider?: string;
} {
  const block = /datasource\s+\w+\s*\{([\s\S]*?)\}/.exec(schemaText.replace(/\/\/.*$/gm, ''));
  const out: ReturnType<typeof datasourceFromSchema> = { schemas: [] };
  if (!block) return out;
  const body = block[1]!;
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
      const factory = (await withEnv(urlEnv, () => cfg.adapter!())) as Record<symbol, unknown>;
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
  const [maj, min] = prismaVersion.split('.').map(Number) as [number, number];
  if (maj < 7 || (maj === 7 && min <= 3)) return { model: 'whole-file' };
  return { model: 'unknown', problem: `Prisma ${prismaVersion}'s schema engine may split scripts into statements` };
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
 * schema's datasource names (`directUrl` first: migrations use it), and any whose value
 * is the URL Prisma's config resolved to (prisma.config.ts `env('…')`).
 */
export function urlVariables(
  project: Pick<PrismaProject, 'schemaPath' | 'url' | 'engine'>,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const names = new Set<string>();
  if (project.schemaPath && statSync(project.schemaPath).isFile()) {
    const ds = datasourceFromSchema(readFileSync(project.schemaPath, 'utf8'));
    if (ds.directUrl?.env) names.add(ds.directUrl.env);
    else if (ds.url?.env) names.add(ds.url.env);
  }
  if (project.url) for (const [k, v] of Object.entries(env)) if (v === project.url) names.add(k);
  if (names.size === 0 && project.engine === 'js') names.add('DATABASE_URL');
  return [...names];
}

export async function resolvePrismaProject(opts: ResolveOptions = {}): Promise<PrismaProject> {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const configFile = opts.schema
    ? undefined
    : findUp(cwd, ['prisma.config.ts', 'prisma.config.mts', 'prisma.config.js', 'prisma.config.mjs', '.config/prisma.ts']);
  const root = configFile ? dirname(configFile) : cwd;
  const cfg: LoadedPrismaConfig = configFile && opts.needUrl !== false ? await loadPrismaConfig(root, configFile) : {};
  const prismaVersion = readVersion(prismaPackageDir(root));

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

  let url = opts.url;
  let urlSource = opts.url ? '--url' : undefined;
  let schemas: string[] = [];
  const schemaText = schemaPath && statSync(schemaPath).isFile() ? readFileSync(schemaPath, 'utf8') : undefined;
  const ds = schemaText ? datasourceFromSchema(schemaText) : undefined;
  schemas = ds?.schemas ?? [];
  if (!url && cfg.datasource) {
    url = cfg.datasource.directUrl ?? cfg.datasource.url;
    urlSource = `${configFile} datasource.${cfg.datasource.directUrl ? 'directUrl' : 'url'}`;
  }
  if (!url && ds) {
    for (const [key, v] of [['directUrl', ds.directUrl], ['url', ds.url]] as const) {
      if (!v) continue;
      const value = v.env ? process.env[v.env] : v.value;
      if (value) {
        url = value;
        urlSource = v.env ? `env ${v.env} (schema datasource ${key})` : `schema datasource ${key}`;
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
  const urlEnv: Record<string, string> = {};
  if (url) for (const v of urlVariables({ schemaPath, url, engine: cfg.engine })) urlEnv[v] = url;
  const execution = await executionModel(prismaVersion, cfg, urlEnv);
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
  };
}

/** The URL, or a user error that says where we looked. */
export function requireUrl(p: PrismaProject): string {
  if (p.url) return p.url;
  throw new UserError({
    code: 'ZD_NO_DATABASE_URL',
    message: `No database URL: none given with --url, and none found in ${p.configFile ?? p.schemaPath ?? 'a Prisma config or schema'}.`,
    hint: 'Pass --url postgresql://…, or set the environment variable your schema datasource names (e.g. DATABASE_URL).',
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
