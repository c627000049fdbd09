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

/** Streams whose reader went away (`prisma-zd verify | head -4`): nothing more is written to them. */
const closed = new WeakSet<NodeJS.WritableStream>();
const watched = new WeakSet<NodeJS.WritableStream>();

/**
 * A write error on stdout or stderr (EPIPE from a closed pipe, above all) is not the
 * command's failure and must not crash it with a stack: the stream is dropped, the
 * command runs on and exits as it would have.
 */
function writer(stream: NodeJS.WriteStream): (text: string) => void {
  if (!watched.has(stream)) {
    watched.add(stream);
    // Also covers writes that do not go through an Output (yargs' help, a child's inherited stream).
    stream.on('error', () => closed.add(stream));
  }
  return (text) => {
    if (closed.has(stream) || stream.destroyed) return;
    stream.write(text);
  };
}

export function processOutput(): Output {
  const isTTY = Boolean(process.stderr.isTTY);
  const color = isTTY && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
  const stdout = writer(process.stdout);
  const stderr = writer(process.stderr);
  return {
    out: (t) => stdout(redact(t) + '\n'),
    err: (t) => stderr(redact(t) + '\n'),
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
