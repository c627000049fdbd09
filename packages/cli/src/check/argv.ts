/**
 * A command's arguments without yargs, when they are plain. Loading and running yargs
 * costs about a third of `check --staged` in a pre-commit hook (husky, lefthook and
 * pre-commit run `prisma-zd check --staged`). The options are the command's own, read
 * by running its builder on a recorder, so they are still declared once; whatever the
 * recorder does not know, and any argument list that is not plain, goes to yargs.
 */
import type { Argv } from 'yargs';
import type { CommandDefinition } from '../commands/command.js';

interface Spec {
  readonly type?: 'string' | 'boolean';
  readonly choices?: readonly string[];
  readonly default?: unknown;
  readonly array?: boolean;
}

const SPEC_KEYS = new Set(['type', 'describe', 'default', 'choices', 'array']);

class Unsupported extends Error {}

/** Stands for yargs while a builder declares its options; knows `option`, `positional` and `conflicts`. */
class Recorder {
  readonly options = new Map<string, Spec>();
  readonly positionals = new Map<string, Spec>();
  readonly conflicting: Array<[string, string]> = [];

  option(name: string, spec: Spec): this {
    this.options.set(name, checked(spec, false));
    return this;
  }

  positional(name: string, spec: Spec): this {
    this.positionals.set(name, checked(spec, true));
    return this;
  }

  conflicts(a: string, b: string): this {
    if (typeof a !== 'string' || typeof b !== 'string') throw new Unsupported();
    this.conflicting.push([a, b]);
    return this;
  }
}

function checked(spec: Spec, positional: boolean): Spec {
  for (const key of Object.keys(spec)) if (!SPEC_KEYS.has(key)) throw new Unsupported();
  if (spec.type !== undefined && spec.type !== 'string' && (positional || spec.type !== 'boolean')) throw new Unsupported();
  if (spec.array && !positional) throw new Unsupported();
  if (spec.choices && spec.choices.some((c) => typeof c !== 'string')) throw new Unsupported();
  return spec;
}

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
/** yargs reads these as numbers unless told otherwise: leave them to it. */
const NUMERIC = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/**
 * The arguments yargs would give `def`'s handler for `argv` (`[name, ...rest]`), or
 * undefined when `argv` is not plain: an option not declared (help, version, short or
 * negated flags), an option twice, a value that yargs would read as a number, a choice
 * not allowed, conflicting options, a missing required positional, or one too many.
 */
export function plainArguments(def: CommandDefinition<any>, argv: readonly string[]): Record<string, unknown> | undefined {
  const words = typeof def.command === 'string' ? def.command.split(' ') : undefined;
  if (!words || words[0] !== argv[0]) return undefined;
  const declared = new Recorder();
  try {
    def.builder(declared as unknown as Argv);
  } catch {
    return undefined;
  }
  const positionals = words.slice(1).map((w) => {
    const m = /^([<[])([\w-]+)(\.\.)?[>\]]$/.exec(w);
    return m ? { name: m[2]!, required: m[1] === '<', variadic: m[3] !== undefined } : undefined;
  });
  if (positionals.some((p) => p === undefined)) return undefined;

  const given = new Map<string, unknown>();
  const rest: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) {
      if (arg === '' || NUMERIC.test(arg)) return undefined;
      rest.push(arg);
      continue;
    }
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(arg);
    const spec = m ? declared.options.get(m[1]!) : undefined;
    if (!m || !spec || given.has(m[1]!)) return undefined;
    const name = m[1]!;
    if (spec.type === 'boolean') {
      if (m[2] !== undefined || argv[i + 1] === 'true' || argv[i + 1] === 'false') return undefined;
      given.set(name, true);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === '' || value.startsWith('-') || NUMERIC.test(value)) return undefined;
    if (spec.choices && !spec.choices.includes(value)) return undefined;
    given.set(name, value);
  }
  for (const [a, b] of declared.conflicting) if (given.has(a) && given.has(b)) return undefined;

  const args: Record<string, unknown> = { _: [argv[0]] };
  const set = (name: string, value: unknown) => {
    args[name] = value;
    args[camel(name)] = value;
  };
  for (const [name, spec] of declared.options) {
    if (given.has(name)) set(name, given.get(name));
    else if (spec.default !== undefined) set(name, spec.default);
  }
  for (const p of positionals) {
    if (p!.variadic) {
      set(p!.name, rest.splice(0));
      continue;
    }
    const value = rest.shift();
    const spec = declared.positionals.get(p!.name);
    if (value === undefined && p!.required) return undefined;
    if (value !== undefined && spec?.choices && !spec.choices.includes(value)) return undefined;
    if (value !== undefined) set(p!.name, value);
    else if (spec?.default !== undefined) set(p!.name, spec.default);
  }
  if (rest.length) return undefined;
  return args;
}
