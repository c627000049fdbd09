/**
 * Errors as a test runner shows them. vitest and jest print an error's `name: message`
 * and its stack, not its other fields: the next step (`hint`) goes into the message, in
 * the testing kit's words where the shared code names the CLI's flags, and no password of
 * a URL is left in the message or the stack (a user's Prisma config may print its URL).
 */
import { UserError } from '../errors.js';
import { redact } from '../util/redact.js';

/** The next step in the testing kit's words, for errors of code shared with the CLI. */
const KIT_HINTS: Record<string, string> = {
  ZD_MIGRATIONS_MISSING:
    'Pass `cwd` (the project directory, where prisma.config.ts or prisma/schema.prisma is) or `migrationsDir` (relative to `cwd`) to createMigrationTest.',
  ZD_NOT_SET_UP:
    'This test was created with `managed: false`, so its migrations ran inline and nothing was queued: leave `managed` at its default (true) to test postponed work and contract.',
  ZD_PRISMA_CONFIG:
    "Fix the config so that `prisma migrate status` loads it, or use mode: 'sql' with `migrationsDir` (the files executed as Prisma's native engine executes them).",
};

const done = new WeakSet<Error>();

/** `e` with its next step in the message and no password in message or stack (done once per error). */
export function forTestRunner(e: unknown): unknown {
  if (!(e instanceof Error) || done.has(e)) return e;
  done.add(e);
  const before = e.message;
  let message = before;
  if (e instanceof UserError) {
    const hint = KIT_HINTS[e.code] ?? e.hint;
    if (hint) {
      (e as { hint: string | undefined }).hint = hint;
      message += `\nhint: ${hint}`;
    }
  }
  e.message = redact(message);
  const shown = e.message;
  // The stack's first line holds the message as it was built (a replacer function: a statement's `$$` or `$1` are not patterns).
  if (e.stack) e.stack = redact(e.stack.includes(shown) ? e.stack : e.stack.replace(before, () => shown));
  return e;
}

/** Runs `fn`, rethrowing what it throws through `forTestRunner`. */
export async function reported<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw forTestRunner(e);
  }
}
