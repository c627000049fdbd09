/**
 * The closed set of ways prisma-zd ends. Every failure a user can cause is a
 * `UserError` with a stable code, a message naming the file/object, and a hint with
 * the next command to run. Anything else is a bug and prints its stack.
 */
export const ExitCode = {
  /** Everything done. */
  Ok: 0,
  /** Findings at error severity (`check`), pending changes (`rewrite --check`), or a user error. */
  Failure: 1,
  /** Bad command line or bad configuration. */
  Usage: 2,
  /** A migration failed (`deploy`): the database is in Prisma's failed-migration state. */
  MigrationFailed: 3,
  /** Lock timeout retries exhausted (`deploy`): nothing was applied by the last attempt. */
  LockTimeout: 4,
  /** Postponed work (an index build, a validation, a NOT NULL) failed: do not roll out code that needs it. */
  PostponedFailed: 5,
  /** The database could not be reached or refused our credentials. */
  Connection: 6,
  /** Another prisma-zd run holds the lock for this database. */
  Busy: 7,
  /** Interrupted (SIGINT/SIGTERM); the next run completes what was started. */
  Interrupted: 130,
  /** A bug in prisma-zd: please report it with the stack trace. */
  Internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface UserErrorInit {
  /** Stable, documented code, e.g. `ZD_CONFIG_INVALID`. */
  code: string;
  message: string;
  /** The next thing to do, usually a command. */
  hint?: string;
  exit?: ExitCode;
  cause?: unknown;
}

export class UserError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exit: ExitCode;
  constructor(init: UserErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'UserError';
    this.code = init.code;
    this.hint = init.hint;
    this.exit = init.exit ?? ExitCode.Failure;
  }
}

/** Thrown after the problem was already printed in full (e.g. a report); only the exit code matters. */
export class AlreadyReported extends Error {
  constructor(readonly exit: ExitCode) {
    super('already reported');
    this.name = 'AlreadyReported';
  }
}
