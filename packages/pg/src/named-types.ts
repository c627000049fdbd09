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
import { baseKey, compareServerTypes, findCandidates, resolveTypes, type ServerTypes, type TypeName } from './resolve.js';
import { resolveOptions, type NamedTypesOptions, type ResolvedOptions } from './options.js';
import { changeLine, displayType, domainLine, missingLine, missingTypes, resolvedLine, type NamedTypesEvents, type ServerChange } from './events.js';
import { addressKey, addressOf, NamedTypesResolveError } from './errors.js';

/** What one connection resolved, and the parsers installed on it. */
interface ConnectionTypes {
  readonly serverTypes: ServerTypes;
  readonly parsers: ReadonlyMap<number, TextParser>;
  /** Where an OID that is no longer ours goes back to: the client's own `types`, or `pg.types`. */
  readonly fallback: Fallback;
  readonly checkedAt: number;
  readonly address: AddressState;
  /** Its address's generation when it resolved: older means another connection saw a change since. */
  readonly generation: number;
}

/**
 * What the connections to one address (user, host, port, database, options: what the
 * application configured, not the server that answers) last resolved. A server change is a
 * change at one address; two pools to two databases are two addresses, not a change.
 */
interface AddressState {
  readonly key: string;
  current: ServerTypes;
  /** Bumped at each change, so that pooled connections resolved before re-resolve on checkout. */
  generation: number;
  lastMissing: string;
}

type Fallback = Pick<pg.CustomTypesConfig, 'getTypeParser'>;

/** What the Client and Pool classes need from their registry, kept off its public API. */
interface Internals {
  attach(client: pg.ClientBase, fallback: Fallback): Promise<ServerTypes>;
  /** Whether a pooled client must resolve again before it is handed out. */
  isDue(client: pg.ClientBase): boolean;
  recheck(client: pg.ClientBase): Promise<void>;
  /** The parser for `oid` on `client`, for queries that bring their own `types`. */
  parserOn(client: pg.ClientBase, oid: number): TextParser | undefined;
  readonly overrideQueryTypes: boolean;
}

/** A `pg.Client` that resolves the registry's types inside `connect()`. */
export type NamedTypesClientClass = new (config?: string | pg.ClientConfig) => pg.Client;
/** A `pg.Pool` whose clients resolve the registry's types, optionally re-checked on checkout. */
export type NamedTypesPoolClass = new (config?: pg.PoolConfig) => pg.Pool;

/** Distinct OID sets whose parser maps are kept (one per server and search_path in use). */
const PARSER_CACHE_SIZE = 8;

export class NamedTypes extends EventEmitter<NamedTypesEvents> {
  /** Pass as `new pg.Pool({ Client })`, or use on its own like `pg.Client`. */
  readonly Client: NamedTypesClientClass;
  /** `new types.Pool(config)`: a real `pg.Pool` (so `new PrismaPg(pool)` accepts it). */
  readonly Pool: NamedTypesPoolClass;

  readonly #options: ResolvedOptions;
  readonly #connections = new WeakMap<pg.ClientBase, ConnectionTypes>();
  readonly #addresses = new Map<string, AddressState>();
  #current: ServerTypes | undefined;
  /** Parser maps are built once per distinct set of OIDs, not once per connection. */
  readonly #parserCache = new Map<string, ReadonlyMap<number, TextParser>>();
  /** Each base type as the application wrote it, for messages. */
  readonly #written = new Map<string, string>();
  readonly #types = new Map<string, TypeName>();

  constructor(options: NamedTypesOptions) {
    super();
    this.#options = resolveOptions(options);
    for (const { type } of this.#options.entries) {
      if (this.#types.has(baseKey(type))) continue;
      this.#types.set(baseKey(type), type);
      this.#written.set(baseKey(type), type.key.trim().replace(/\[\]$/, ''));
    }
    const internals: Internals = {
      attach: (client, fallback) => this.#attach(client, fallback),
      isDue: (client) => this.#isDue(client),
      recheck: (client) => this.#attach(client, undefined).then(() => {}),
      parserOn: (client, oid) => this.#connections.get(client)?.parsers.get(oid),
      overrideQueryTypes: this.#options.overrideQueryTypes,
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
    const address = addressKey(client);
    let serverTypes: ServerTypes;
    try {
      serverTypes = await resolveTypes(client, this.#options.entries.map((e) => e.type));
    } catch (err) {
      throw new NamedTypesResolveError([...this.#written.values()], addressOf(client), err);
    }
    // Said once per server and address: what the server has under similar names, if anything.
    const missing = missingTypes(serverTypes);
    let candidates: Record<string, string[]> = {};
    if (missing.length && missingKey(serverTypes, missing) !== this.#addresses.get(address)?.lastMissing) {
      candidates = await findCandidates(client, missing.map((k) => this.#types.get(k)!)).catch(() => ({}));
    }
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
    // A re-check that finds this connection's own server as it was is no news, even when other
    // connections to the address now reach another server (a pooler moving them one by one):
    // comparing it with theirs would flip the address back and forth at every checkout.
    const unchanged = previous?.address.key === address && compareServerTypes(previous.serverTypes, serverTypes).reasons.length === 0;
    const state = unchanged ? previous.address : this.#observe(address, serverTypes, candidates);
    if (unchanged) this.#current = serverTypes;
    this.#connections.set(client, { serverTypes, parsers, fallback: back, checkedAt: Date.now(), address: state, generation: state.generation });
    return serverTypes;
  }

  #isDue(client: pg.ClientBase): boolean {
    const state = this.#connections.get(client);
    if (!state) return false;
    if (state.address.generation !== state.generation) return true;
    const after = this.#options.recheckAfterMs;
    return after > 0 && Date.now() - state.checkedAt >= after;
  }

  #parsersFor(s: ServerTypes): ReadonlyMap<number, TextParser> {
    const key = JSON.stringify(s.types);
    const cached = this.#parserCache.get(key);
    if (cached) return cached;
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
    // Arrays of domains over a registered type: its array parser, unless the domain has its own entry.
    for (const { type } of this.#options.entries) {
      const t = s.types[baseKey(type)];
      const arrayParser = t && parsers.get(t.arrayOid);
      if (type.isArray || !arrayParser) continue;
      for (const oid of t.domainArrayOids) if (!parsers.has(oid)) parsers.set(oid, arrayParser);
    }
    if (this.#parserCache.size >= PARSER_CACHE_SIZE) this.#parserCache.delete(this.#parserCache.keys().next().value!);
    this.#parserCache.set(key, parsers);
    return parsers;
  }

  readonly #nameOf = (key: string): string => this.#written.get(key) ?? displayType(key);

  /** Records a resolution at `address`; returns the address's state after it. */
  #observe(address: string, after: ServerTypes, candidates: Readonly<Record<string, readonly string[]>>): AddressState {
    const logger = this.#options.logger;
    this.#current = after;
    let state = this.#addresses.get(address);
    const first = !state;
    if (!state) {
      state = { key: address, current: after, generation: 0, lastMissing: '' };
      this.#addresses.set(address, state);
    }
    const missing = missingTypes(after);
    const key = missingKey(after, missing);
    if (key !== state.lastMissing) {
      state.lastMissing = key;
      if (missing.length) {
        const named = missing.map((k) => ({ written: this.#nameOf(k), type: this.#types.get(k)!, candidates: candidates[k] ?? [] }));
        logger?.warn(missingLine(after, named));
      }
    }
    if (first) {
      logger?.info(resolvedLine(after, this.#nameOf));
      // A parser for a domain's scalar values never runs: say so once.
      const domains = this.#options.entries
        .filter((e) => !e.type.isArray)
        .flatMap((e) => {
          const t = after.types[baseKey(e.type)];
          return t?.domainOf ? [[e.type.key, t.domainOf] as const] : [];
        });
      if (domains.length) logger?.warn(domainLine(after, domains));
      return state;
    }
    const before = state.current;
    state.current = after;
    const { reasons, changed } = compareServerTypes(before, after);
    if (reasons.length === 0) return state;
    state.generation++;
    const change: ServerChange = { before, after, reasons, changed };
    logger?.warn(changeLine(change, this.#nameOf));
    this.emit('serverChange', change);
    this.#options.onServerChange?.(change);
    return state;
  }
}

/** What the missing-types warning was last given for at an address ('' when nothing is missing). */
function missingKey(s: ServerTypes, missing: readonly string[]): string {
  return missing.length ? `${s.server.systemIdentifier}|${missing.join(',')}` : '';
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
  type Callback = (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: any) => void) => void;
  class NamedTypesPool extends pg.Pool {
    constructor(config?: pg.PoolConfig) {
      if (config?.Client && (config.Client as unknown) !== Client) {
        // Silently replacing it would drop whatever the application's class does.
        throw new TypeError(
          `[@prisma-zd/pg] types.Pool makes its connections with types.Client, so it cannot take the "Client" option (${config.Client.name || 'a class'}). ` +
            `Instead: new pg.Pool({ ...config, Client: ${config.Client.name || 'YourClient'}, onConnect: (client) => types.attach(client) }).`,
        );
      }
      super({ ...config, Client: Client as unknown as pg.PoolConfig['Client'] });
    }

    // A client resolved before its address saw a change (or longer ago than recheckAfterMs)
    // resolves again before it is handed out; any other checkout goes straight through.
    override connect(): Promise<pg.PoolClient>;
    override connect(callback: Callback): void;
    override connect(callback?: Callback): Promise<pg.PoolClient> | void {
      if (!callback) {
        return new Promise((resolve, reject) => this.connect((err, client) => (err ? reject(err) : resolve(client!))));
      }
      super.connect((err, client, done) => {
        if (err || !client || !registry.isDue(client)) return callback(err, client, done);
        // pg-pool took its idle 'error' listener off when it handed the client out, and the
        // caller adds its own only once it has it: a connection lost now would be an
        // unhandled 'error' event (a crash). The failed re-check reports it instead.
        const swallow = () => {};
        client.on('error', swallow);
        registry.recheck(client).then(
          () => {
            client.removeListener('error', swallow);
            callback(undefined, client, done);
          },
          (error: Error) => {
            client.release(error);
            client.removeListener('error', swallow);
            callback(error, undefined, () => {});
          },
        );
      });
    }
  }
  return NamedTypesPool;
}
