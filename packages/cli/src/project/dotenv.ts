/**
 * The `.env` files Prisma's CLI loads by itself when there is no `prisma.config.ts`
 * (Prisma 6 and earlier): the project root's `.env` and the one beside the schema, read
 * with dotenv's rules and dotenv-expand's `${VAR}` expansion. A variable already in the
 * environment wins, as with Prisma; the same variable in both files is Prisma's
 * "conflicting env vars" error. With a `prisma.config.ts` Prisma loads no `.env` (the
 * config does, e.g. `import 'dotenv/config'`), and neither do we.
 *
 * Nothing is written to `process.env`: the values only serve to find the URL Prisma would
 * connect with (the `prisma` child of `deploy` loads the files itself).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitCode, UserError } from '../errors.js';

export interface DotenvFiles {
  /** Variables from the files (before the environment's own). */
  readonly vars: Readonly<Record<string, string>>;
  /** The file each variable came from. */
  readonly from: Readonly<Record<string, string>>;
}

/** dotenv's line format: `KEY=value`, `export KEY=value`, quotes ('…', "…" with \n, `…`), `#` comments. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const line = /^\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|\r?\n)/gm;
  const src = text.replace(/\r\n?/g, '\n');
  let m: RegExpExecArray | null;
  while ((m = line.exec(src)) !== null) {
    let value = (m[2] ?? '').trim();
    const quote = value[0];
    value = value.replace(/^(['"`])([\s\S]*)\1$/, '$2');
    if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
    out[m[1]!] = value;
  }
  return out;
}

/** dotenv-expand: `${NAME}` / `$NAME` (with `${NAME:-default}`), from the environment first, then the files. */
function expand(vars: Record<string, string>, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  const lookup = (name: string, seen: Set<string>): string | undefined => {
    if (env[name] !== undefined) return env[name];
    if (out[name] !== undefined) return out[name];
    const raw = vars[name];
    if (raw === undefined || seen.has(name)) return undefined;
    return substitute(raw, new Set([...seen, name]));
  };
  const substitute = (value: string, seen: Set<string>): string =>
    value.replace(/(\\)?\$\{([\w.]+)(?::-([^}]*))?\}|(\\)?\$([A-Za-z_]\w*)/g, (all, esc1, braced, fallback, esc2, bare) => {
      if (esc1 || esc2) return all.slice(1);
      const name = (braced ?? bare) as string;
      return lookup(name, seen) || (fallback ?? '');
    });
  for (const [k, v] of Object.entries(vars)) out[k] = substitute(v, new Set([k]));
  return out;
}

/** The `.env` files of a project without a Prisma config: `<root>/.env` and `<schemaDir>/.env`. */
export function prismaDotenv(root: string, schemaDir: string | undefined, env: NodeJS.ProcessEnv = process.env): DotenvFiles {
  const files = [join(root, '.env')];
  if (schemaDir && resolve(schemaDir) !== resolve(root)) files.push(join(schemaDir, '.env'));
  const vars: Record<string, string> = {};
  const from: Record<string, string> = {};
  for (const file of files) {
    if (!existsSync(file)) continue;
    let parsed: Record<string, string>;
    try {
      parsed = parseDotenv(readFileSync(file, 'utf8'));
    } catch {
      continue; // A directory named .env, an unreadable file: Prisma would not get values from it either.
    }
    for (const [k, v] of Object.entries(parsed)) {
      if (from[k] !== undefined && env[k] === undefined && vars[k] !== v) {
        throw new UserError({
          code: 'ZD_CONFLICTING_ENV',
          message: `${k} is set in both ${from[k]} and ${file}, with different values (Prisma refuses this too: "There is a conflict between env vars").`,
          hint: `Keep ${k} in one of the two files, or set it in the environment.`,
          exit: ExitCode.Usage,
        });
      }
      vars[k] = v;
      from[k] = file;
    }
  }
  return { vars: expand(vars, env), from };
}
