import type { ReplayExecution } from './context.js';

/** A `TransactionStmt` as the parser gives it. */
export interface TransactionNode {
  readonly kind?: string;
  readonly savepoint_name?: string;
  readonly chain?: boolean;
}

/**
 * A session setting (search_path, role) through a migration's transaction statements.
 * PostgreSQL undoes a session-level `SET` made in a transaction that rolls back, and one
 * made after a savepoint that is rolled back to (measured on 18). Where the transaction
 * starts: an explicit BEGIN; a file run whole (one simple query) is also one implicit
 * transaction from its start or its last COMMIT (a `ROLLBACK` there undoes the settings
 * before it; a BEGIN inside it extends it), and so is an unknown execution (read as
 * whole-file, as `ReplayExecution` says); run statement by statement, every statement
 * outside BEGIN commits on its own, so a `ROLLBACK` there undoes nothing.
 */
export class SessionSetting<T> {
  #value: T;
  /** The value when the current transaction started; undefined outside one. */
  #start: T | undefined;
  #savepoints: Array<{ readonly name: string; readonly value: T }> = [];
  #block = false;
  readonly #implicit: boolean;
  /** What the end of a transaction (COMMIT or ROLLBACK) does to the value besides: e.g. a LOCAL setting ends. */
  readonly #ended: (value: T) => T;

  constructor(initial: T, execution: ReplayExecution = 'unknown', ended: (value: T) => T = (v) => v) {
    this.#value = initial;
    this.#implicit = execution !== 'per-statement';
    this.#start = this.#implicit ? initial : undefined;
    this.#ended = ended;
  }

  get value(): T {
    return this.#value;
  }

  set value(value: T) {
    this.#value = value;
  }

  /** An explicit BEGIN … COMMIT / ROLLBACK is open. */
  get inBlock(): boolean {
    return this.#block;
  }

  /** Apply a transaction statement; returns what kind of end it was, if it ended a transaction. */
  transaction(node: TransactionNode): 'commit' | 'rollback' | undefined {
    switch (node.kind) {
      case 'TRANS_STMT_BEGIN':
      case 'TRANS_STMT_START':
        this.#block = true;
        // In an implicit transaction (a whole file), BEGIN makes it explicit: it started earlier.
        this.#start ??= this.#value;
        return undefined;
      case 'TRANS_STMT_COMMIT':
      case 'TRANS_STMT_PREPARE':
        this.#value = this.#ended(this.#value);
        this.#restart(node.chain === true);
        return 'commit';
      case 'TRANS_STMT_ROLLBACK':
        if (this.#start !== undefined) this.#value = this.#start;
        this.#value = this.#ended(this.#value);
        this.#restart(node.chain === true);
        return 'rollback';
      case 'TRANS_STMT_SAVEPOINT':
        if (this.#start !== undefined && node.savepoint_name !== undefined) this.#savepoints.push({ name: node.savepoint_name, value: this.#value });
        return undefined;
      case 'TRANS_STMT_ROLLBACK_TO': {
        const at = this.#find(node.savepoint_name);
        if (at === -1) return undefined;
        this.#value = this.#savepoints[at]!.value;
        // The savepoint stays; those after it are gone.
        this.#savepoints.length = at + 1;
        return undefined;
      }
      case 'TRANS_STMT_RELEASE': {
        const at = this.#find(node.savepoint_name);
        if (at !== -1) this.#savepoints.length = at;
        return undefined;
      }
      default:
        return undefined;
    }
  }

  /** The last savepoint of that name (names may repeat: the newest one counts). */
  #find(name: string | undefined): number {
    for (let i = this.#savepoints.length - 1; i >= 0; i--) if (this.#savepoints[i]!.name === name) return i;
    return -1;
  }

  /** A transaction ended: `AND CHAIN` opens the next explicit one; a whole file goes on in an implicit one. */
  #restart(chain: boolean): void {
    this.#block = chain;
    this.#savepoints = [];
    this.#start = chain || this.#implicit ? this.#value : undefined;
  }
}
