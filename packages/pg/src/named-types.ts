/**
 * Type parsers registered by name, resolved to OIDs on every new connection.
 *
 * pg looks a column's parser up in the connection's own overrides first (`client.setTypeParser`),
 * then in the pool- or process-wide `types`. We fill the connection's overrides inside
 * `connect()`, before it resolves, so the first query already parses with that server's OIDs,
 * and after that the query path is pg's own lookup and nothing else.
 */
import { EventEmitter } from 'node:events';
import pg from 'pg';
import { parseArray, type TextParser } from './parsers.js';
import { baseKey, compareServerTypes, resolveTypes, type ServerTypes } from './resolve.js';
import { resolveOptions, type NamedTypesOptions, type ResolvedOptions } from './options.js';
import { changeLine, domainLine, missingLine, missingTypes, resolvedLine, type NamedTypesEvents, type ServerChange } from './events.js';

/** What one connection resolved, and the parsers installed on it. */
interface ConnectionTypes {
  readonly serverTypes: ServerTypes;
  readonly parsers: ReadonlyMap<number, TextParser>;
  /** Where an OID that is no longer ours goes back to: the client's own `types`, or `pg.types`. */
  readonly fallback: Fallback;
  readonly checkedAt: number;
}

type Fallback = Pick<pg.CustomTypesConfig, 'getTypeParser'>;

/** What the Client and Pool classes need from their registry, kept off its public API. */
interface Internals {
  attach(client: pg.ClientBase, fallback: Fallback): Promise<ServerTypes>;
  recheckIfDue(client: pg.ClientBase): Promise<void>;
  /** The parser for `oid` on `client`, for queries that bring their own `types`. */
  parserOn(client: pg.ClientBase, oid: number): TextParser | undefined;
  readonly overrideQueryTypes: boolean;
  readonly rechecks: boolean;
}

/** A `pg.Client` that resolves the registry's types inside `connect()`. */
export type NamedTypesClientClass = new (config?: string | pg.ClientConfig) => pg.Client;
/** A `pg.Pool` whose clients resolve the registry's types, optionally re-checked on checkout. */
export type NamedTypesPoolClass = new (config?: pg.PoolConfig) => pg.Pool;

export class NamedTypes extends EventEmitter<NamedTypesEvents> {
  /** Pass as `new pg.Pool({ Client })`, or use on its own like `pg.Client`. */
  readonly Client: NamedTypesClientClass;
  /** `new types.Pool(config)`: a real `pg.Pool` (so `new PrismaPg(pool)` accepts it). */
  readonly Pool: NamedTypesPoolClass;

  readonly #options: ResolvedOptions;
  readonly #connections = new WeakMap<pg.ClientBase, ConnectionTypes>();
  #current: ServerTypes | undefined;
  #lastMissing = '';
  /** Parser maps are built once per distinct set of OIDs, not once per connection. */
  #parserCache: { key: string; parsers: ReadonlyMap<number, TextParser> } | undefined;

  constructor(options: NamedTypesOptions) {
    super();
    this.#options = resolveOptions(options);
    const internals: Internals = {
      attach: (client, fallback) => this.#attach(client, fallback),
      recheckIfDue: (client) => this.#recheckIfDue(client),
      parserOn: (client, oid) => this.#connections.get(client)?.parsers.get(oid),
      overrideQueryTypes: this.#options.overrideQueryTypes,
      rechecks: this.#options.recheckAfterMs > 0,
    };
    this.Client = createClientClass(internals);
    this.Pool = createPoolClass(internals, this.Client);
  }

  /** The last server seen by any connection (`undefined` before the first connection). */
  get current(): ServerTypes | undefined {
    return this.#current;
  }

  /** What `client` resolved when it connected or was last re-checked. */
  serverTypesOf(client: pg.ClientBase): ServerTypes | undefined {
    return this.#connections.get(client)?.serverTypes;
  }

  /**
   * Resolves the types on an already connected client and installs its parsers; for clients
   * not created by `types.Client` (which does this inside `connect()`). Calling it again
   * re-checks: parsers follow the server the connection now reaches.
   */
  attach(client: pg.ClientBase): Promise<ServerTypes> {
    return this.#attach(client, undefined);
  }

  async #attach(client: pg.ClientBase, fallback: Fallback | undefined): Promise<ServerTypes> {
    const serverTypes = await resolveTypes(client, this.#options.entries.map((e) => e.type));
    const parsers = this.#parsersFor(serverTypes);
    const previous = this.#connections.get(client);
    const back = fallback ?? previous?.fallback ?? pg.types;
    if (previous) {
      // A stale OID may now belong to another type: hand it back to the default parser.
      for (const oid of previous.parsers.keys()) {
        if (!parsers.has(oid)) client.setTypeParser(oid, 'text', back.getTypeParser(oid, 'text'));
      }
    }
    for (const [oid, parse] of parsers) client.setTypeParser(oid, 'text', parse);
    this.#connections.set(client, { serverTypes, parsers, fallback: back, checkedAt: Date.now() });
    this.#observe(serverTypes);
    return serverTypes;
  }

  async #recheckIfDue(client: pg.ClientBase): Promise<void> {
    const after = this.#options.recheckAfterMs;
    const state = this.#connections.get(client);
    if (after > 0 && state && Date.now() - state.checkedAt >= after) await this.#attach(client, undefined);
  }

  #parsersFor(s: ServerTypes): ReadonlyMap<number, TextParser> {
    const key = JSON.stringify(s.types);
    if (this.#parserCache?.key === key) return this.#parserCache.parsers;
    const parsers = new Map<number, TextParser>();
    const explicitArrays = new Set(this.#options.entries.filter((e) => e.type.isArray).map((e) => baseKey(e.type)));
    for (const { type, parse } of this.#options.entries) {
      const t = s.types[baseKey(type)];
      if (!t) continue;
      if (type.isArray) {
        if (t.arrayOid) parsers.set(t.arrayOid, parse);
        continue;
      }
      parsers.set(t.oid, parse);
      if (this.#options.arrays && t.arrayOid && !explicitArrays.has(baseKey(type))) {
        const delimiter = t.delimiter;
        parsers.set(t.arrayOid, (text) => parseArray(text, parse, delimiter));
      }
    }
    this.#parserCache = { key, parsers };
    return parsers;
  }

  #observe(after: ServerTypes): void {
    const logger = this.#options.logger;
    const before = this.#current;
    this.#current = after;
    const missing = missingTypes(after);
    const missingKey = missing.length ? `${after.server.systemIdentifier}|${missing.join(',')}` : '';
    if (missingKey !== this.#lastMissing) {
      this.#lastMissing = missingKey;
      if (missing.length) logger?.warn(missingLine(after, missing));
    }
    if (!before) {
      logger?.info(resolvedLine(after));
      // A parser for a domain's scalar values never runs: say so once.
      const domains = this.#options.entries
        .filter((e) => !e.type.isArray)
        .flatMap((e) => {
          const t = after.types[baseKey(e.type)];
          return t?.domainOf ? [[e.type.key, t.domainOf] as const] : [];
        });
      if (domains.length) logger?.warn(domainLine(after, domains));
      return;
    }
    const { reasons, changed } = compareServerTypes(before, after);
    if (reasons.length === 0) return;
    const change: ServerChange = { before, after, reasons, changed };
    logger?.warn(changeLine(change));
    this.emit('serverChange', change);
    this.#options.onServerChange?.(change);
  }
}

/** Creates a registry of parsers by type name. See docs/pg.md. */
export function namedTypes(options: NamedTypesOptions): NamedTypes {
  return new NamedTypes(options);
}

function createClientClass(registry: Internals): NamedTypesClientClass {
  class NamedTypesClient extends pg.Client {
    readonly #fallback: Fallback;

    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.#fallback = (typeof config === 'object' && config?.types) || pg.types;
    }

    override connect(): Promise<this>;
    override connect(callback: (err: Error | null, client?: this) => void): void;
    override connect(callback?: (err: Error | null, client?: this) => void): Promise<this> | void {
      const connected = this.#connectAndResolve();
      if (!callback) return connected;
      connected.then(
        () => callback(null, this),
        (err: Error) => callback(err),
      );
    }

    async #connectAndResolve(): Promise<this> {
      await super.connect();
      // Until connect() resolves nobody listens for 'error' (a pool adds its listener
      // afterwards); a connection lost now fails the resolving query, which is what we report.
      const swallow = () => {};
      this.on('error', swallow);
      try {
        await registry.attach(this, this.#fallback);
      } catch (err) {
        await this.end().catch(() => {});
        throw err;
      } finally {
        this.removeListener('error', swallow);
      }
      return this;
    }
  }

  if (!registry.overrideQueryTypes) return NamedTypesClient as unknown as NamedTypesClientClass;

  class NamedTypesQueryTypesClient extends NamedTypesClient {
    // One signature covers pg's overloads; everything is passed through unchanged except a
    // config object's own `types`, which gets the connection's parsers in front of it.
    override query(config: any, values?: any, callback?: any): any {
      if (config !== null && typeof config === 'object' && config.types && typeof config.submit !== 'function') {
        const own: Fallback = config.types;
        const client = this;
        config = {
          ...config,
          types: {
            getTypeParser(oid: number, format?: string) {
              return (format === 'text' && registry.parserOn(client, oid)) || own.getTypeParser(oid, format as 'text');
            },
          },
        };
      }
      return super.query(config, values, callback);
    }
  }
  return NamedTypesQueryTypesClient as unknown as NamedTypesClientClass;
}

function createPoolClass(registry: Internals, Client: NamedTypesClientClass): NamedTypesPoolClass {
  class NamedTypesPool extends pg.Pool {
    constructor(config?: pg.PoolConfig) {
      super({ ...config, Client: Client as unknown as pg.PoolConfig['Client'] });
    }

    override connect(): Promise<pg.PoolClient>;
    override connect(
      callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: any) => void) => void,
    ): void;
    override connect(
      callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: any) => void) => void,
    ): Promise<pg.PoolClient> | void {
      if (!registry.rechecks) return callback ? super.connect(callback) : super.connect();
      const checked = super.connect().then(async (client) => {
        try {
          await registry.recheckIfDue(client);
        } catch (err) {
          client.release(err as Error);
          throw err;
        }
        return client;
      });
      if (!callback) return checked;
      checked.then(
        (client) => callback(undefined, client, client.release),
        (err: Error) => callback(err, undefined, () => {}),
      );
    }
  }
  return NamedTypesPool;
}
