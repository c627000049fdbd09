/**
 * `prisma-zd.config.ts`: one file, like `prisma.config.ts`. A written type (everything
 * optional) and a resolved type (defaults filled in); unknown keys are errors and every
 * problem is reported at once, naming the file and the key (graphile-migrate
 * `settings.ts`, changesets `config/src/parse.ts`). Sources: defaults < file < flags.
 *
 *   import { defineConfig } from 'prisma-zd';
 *   export default defineConfig({
 *     check: { rules: { 'ban-drop-column': 'warning' }, exclude: ['prisma/migrations/2023*'], postgresVersion: 16 },
 *   });
 *
 * The `deploy` section's keys are the `deploy` command's (deploy/settings.ts): checked here
 * with the rest of the file, every problem at once, whichever command loads it.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rules, type RuleSetting } from '@prisma-zd/core';
import type { DeployConfig } from './deploy/settings.js';
import { ExitCode, UserError } from './errors.js';

export type RuleSeverity = 'error' | 'warning' | 'off';

/** The `check` section as written. */
export interface CheckConfig {
  /** Severity per rule id: `'error' | 'warning' | 'off'`. */
  rules?: Record<string, RuleSeverity>;
  /** Migrations not to report (still replayed): globs relative to the config file's directory, e.g. `prisma/migrations/2023*` (a leading `./` or an absolute path also works). */
  exclude?: string[];
  /** Major version of the PostgreSQL you deploy to (default 14). */
  postgresVersion?: number;
}

/** `prisma-zd.config.ts` as written. */
export interface PrismaZdConfig {
  check?: CheckConfig;
  /** Options of `prisma-zd deploy`, including the `onBlocked` hook. */
  deploy?: DeployConfig;
}

export interface ResolvedCheckConfig {
  readonly rules: Readonly<Record<string, RuleSetting>>;
  readonly exclude: readonly string[];
  readonly postgresVersion: number;
}

export interface ResolvedConfig {
  /** The file read, or undefined when there is none (all defaults). */
  readonly file: string | undefined;
  /** Directory that relative paths in the file are relative to. */
  readonly root: string;
  readonly check: ResolvedCheckConfig;
  readonly deploy: Readonly<Record<string, unknown>>;
}

/** Typed identity, for `export default defineConfig({ … })`. */
export function defineConfig(config: PrismaZdConfig): PrismaZdConfig {
  return config;
}

export const CONFIG_FILES = ['prisma-zd.config.ts', 'prisma-zd.config.mts', 'prisma-zd.config.js', 'prisma-zd.config.mjs'];

export const DEFAULT_POSTGRES_VERSION = 14;

const SEVERITIES: readonly string[] = ['error', 'warning', 'off'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value === 'string' ? JSON.stringify(value) : typeof value;
}

/**
 * Validate what a config file exported; every problem at once. `deployProblems`: the
 * `deploy` section's checker (loaded only when the file has that section).
 */
export function resolveConfig(
  raw: unknown,
  file: string | undefined,
  root: string,
  deployProblems?: (section: Record<string, unknown>, file: string | undefined) => string[],
): ResolvedConfig {
  const problems: string[] = [];
  const config = raw ?? {};
  const known = new Set(rules.map((r) => r.id));
  const checkOut = { rules: {} as Record<string, RuleSetting>, exclude: [] as string[], postgresVersion: DEFAULT_POSTGRES_VERSION };
  let deploy: Record<string, unknown> = {};
  if (!isObject(config)) {
    problems.push(`the default export must be an object (defineConfig({ … })), not ${describe(config)}`);
  } else {
    for (const key of Object.keys(config)) {
      if (!['check', 'deploy'].includes(key)) problems.push(`unknown key "${key}" (known: check, deploy)`);
    }
    const section = config['deploy'];
    if (section !== undefined && !isObject(section)) problems.push(`"deploy" must be an object, not ${describe(section)}`);
    if (isObject(section)) {
      deploy = section;
      if (deployProblems) problems.push(...deployProblems(section, file));
    }
    const check = config['check'];
    if (check !== undefined && !isObject(check)) problems.push(`"check" must be an object, not ${describe(check)}`);
    if (isObject(check)) {
      for (const key of Object.keys(check)) {
        if (!['rules', 'exclude', 'postgresVersion'].includes(key)) problems.push(`unknown key "check.${key}" (known: rules, exclude, postgresVersion)`);
      }
      const ruleMap = check['rules'];
      if (ruleMap !== undefined && !isObject(ruleMap)) problems.push(`"check.rules" must be an object of rule id → 'error' | 'warning' | 'off'`);
      if (isObject(ruleMap)) {
        for (const [id, severity] of Object.entries(ruleMap)) {
          if (!known.has(id)) problems.push(`unknown rule "check.rules.${id}" (see \`prisma-zd explain --list\`)`);
          else if (typeof severity !== 'string' || !SEVERITIES.includes(severity)) {
            problems.push(`"check.rules.${id}" must be 'error', 'warning' or 'off', not ${describe(severity)}`);
          } else checkOut.rules[id] = severity as RuleSetting;
        }
      }
      const exclude = check['exclude'];
      if (exclude !== undefined) {
        if (!Array.isArray(exclude) || exclude.some((e) => typeof e !== 'string')) problems.push(`"check.exclude" must be an array of glob strings`);
        else checkOut.exclude = exclude as string[];
      }
      const version = check['postgresVersion'];
      if (version !== undefined) {
        if (typeof version !== 'number' || !Number.isInteger(version) || version < 9 || version > 99) {
          problems.push(`"check.postgresVersion" must be a PostgreSQL major version such as 16, not ${describe(version)}`);
        } else checkOut.postgresVersion = version;
      }
    }
  }
  if (problems.length) {
    throw new UserError({
      code: 'ZD_CONFIG_INVALID',
      message: `${file ?? 'prisma-zd config'} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      hint: 'Fix the file; `prisma-zd explain --list` lists the rule ids, `prisma-zd deploy --help` the deploy options (the keys are their names in camelCase).',
      exit: ExitCode.Usage,
    });
  }
  return { file, root, check: checkOut, deploy };
}

/** The config file for a project: `explicit`, or the first `prisma-zd.config.*` from `cwd` up to the filesystem root. */
export function findConfigFile(cwd: string, explicit?: string): string | undefined {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) {
      throw new UserError({ code: 'ZD_CONFIG_MISSING', message: `The config file ${explicit} does not exist.`, hint: 'Pass the path of prisma-zd.config.ts, or leave --config out.', exit: ExitCode.Usage });
    }
    return path;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_FILES) {
      const path = join(dir, name);
      if (existsSync(path)) return path;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Load and validate the config; all defaults when there is no file. TypeScript is loaded with jiti, only when needed. */
export async function loadConfig(options: { cwd?: string; config?: string } = {}): Promise<ResolvedConfig> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const file = findConfigFile(cwd, options.config);
  if (file === undefined) return resolveConfig(undefined, undefined, cwd);
  let raw: unknown;
  try {
    if (/\.m?ts$/.test(file)) {
      const { createJiti } = await import('jiti');
      raw = await createJiti(import.meta.url, { moduleCache: false }).import(file, { default: true });
    } else {
      const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
      raw = mod.default ?? mod;
    }
  } catch (error) {
    throw new UserError({
      code: 'ZD_CONFIG_INVALID',
      message: `${file} could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
      hint: 'Fix the file so that it exports `defineConfig({ … })` as its default export.',
      exit: ExitCode.Usage,
      cause: error,
    });
  }
  const deployProblems = isObject(raw) && isObject(raw['deploy']) ? (await import('./deploy/settings.js')).deploySectionProblems : undefined;
  return resolveConfig(raw, file, dirname(file), deployProblems);
}
