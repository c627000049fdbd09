import { redact } from './redact.js';

/**
 * Where prisma-zd speaks: machine output (`--json`) on stdout, progress and logs on
 * stderr. Colour only on a TTY, never with NO_COLOR. Everything is redacted.
 */
export interface Output {
  /** Machine-readable result or the main report. */
  out(text: string): void;
  /** Progress, logs, warnings. */
  err(text: string): void;
  readonly color: boolean;
  readonly isTTY: boolean;
}

export function processOutput(): Output {
  const isTTY = Boolean(process.stderr.isTTY);
  const color = isTTY && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
  return {
    out: (t) => void process.stdout.write(redact(t) + '\n'),
    err: (t) => void process.stderr.write(redact(t) + '\n'),
    color,
    isTTY,
  };
}

/** An output that records lines, for library use and tests. */
export function memoryOutput(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (t) => void stdout.push(redact(t)),
    err: (t) => void stderr.push(redact(t)),
    color: false,
    isTTY: false,
  };
}

const codes = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] } as const;
export type Style = keyof typeof codes;

export function paint(o: Pick<Output, 'color'>, style: Style, text: string): string {
  if (!o.color) return text;
  const [a, b] = codes[style];
  return `\u001b[${a}m${text}\u001b[${b}m`;
}
