/**
 * Persistent maps and sets for the replay's snapshots. The replay keeps the schema as it
 * was before every statement; copying whole collections on each change made a history
 * of thousands of migrations quadratic in time and memory. Here a snapshot freezes the
 * current layer, and changes go to a new small layer on top of it; a lookup walks the
 * layers, and a chain deeper than `MAX_DEPTH` is flattened into one layer.
 */
const TOMBSTONE: unique symbol = Symbol('deleted');
type Slot<V> = V | typeof TOMBSTONE;
const MAX_DEPTH = 24;
/** Frozen layers that keep their materialized map (the most recently materialized). */
const KEEP_FLAT = 16;

export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  readonly #parent: LayeredMap<K, V> | undefined;
  readonly #local: Map<K, Slot<V>>;
  readonly #depth: number;
  #frozen = false;
  #flat: Map<K, V> | undefined;

  private constructor(parent: LayeredMap<K, V> | undefined, local: Map<K, Slot<V>>) {
    this.#parent = parent;
    this.#local = local;
    this.#depth = parent ? parent.#depth + 1 : 0;
  }

  static from<K, V>(entries: Iterable<readonly [K, V]> = []): LayeredMap<K, V> {
    return new LayeredMap<K, V>(undefined, new Map(entries));
  }

  /** This map when it is already layered (frozen, it is shared), else a layered copy. */
  static of<K, V>(map: ReadonlyMap<K, V>): LayeredMap<K, V> {
    return map instanceof LayeredMap ? map : LayeredMap.from(map);
  }

  /** Freezes this layer and returns a writable layer on top of it. */
  derive(): LayeredMap<K, V> {
    this.#frozen = true;
    if (this.#depth >= MAX_DEPTH) return new LayeredMap<K, V>(undefined, new Map(this.#materialize()));
    return new LayeredMap<K, V>(this, new Map());
  }

  freeze(): this {
    this.#frozen = true;
    return this;
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  get(key: K): V | undefined {
    for (let m: LayeredMap<K, V> | undefined = this; m; m = m.#parent) {
      if (m.#local.has(key)) {
        const v = m.#local.get(key) as Slot<V>;
        return v === TOMBSTONE ? undefined : v;
      }
    }
    return undefined;
  }

  has(key: K): boolean {
    for (let m: LayeredMap<K, V> | undefined = this; m; m = m.#parent) {
      if (m.#local.has(key)) return m.#local.get(key) !== TOMBSTONE;
    }
    return false;
  }

  set(key: K, value: V): this {
    this.#assertWritable();
    this.#local.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    this.#assertWritable();
    const had = this.has(key);
    if (this.#parent?.has(key)) this.#local.set(key, TOMBSTONE);
    else this.#local.delete(key);
    return had;
  }

  get size(): number {
    return this.#materialize().size;
  }

  entries(): MapIterator<[K, V]> {
    return this.#materialize().entries();
  }

  keys(): MapIterator<K> {
    return this.#materialize().keys();
  }

  values(): MapIterator<V> {
    return this.#materialize().values();
  }

  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.#materialize()) fn.call(thisArg, v, k, this);
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  #assertWritable(): void {
    if (this.#frozen) throw new Error('LayeredMap: write to a frozen snapshot');
  }

  /**
   * All entries, as one map. A frozen layer caches it, and only the `KEEP_FLAT` layers
   * materialized last keep theirs: iteration is usually of the newest snapshot, and a
   * cache on every snapshot would bring back the quadratic memory. (Not a WeakRef: V8
   * keeps every WeakRef's target alive until the end of the synchronous job that made or
   * read it, and a history is replayed in one, so all of them stayed, and were copied by
   * the garbage collector.)
   */
  #materialize(): Map<K, V> {
    const cached = this.#flat;
    if (cached) return cached;
    if (!this.#parent && !hasTombstones(this.#local)) return this.#local as Map<K, V>;
    const layers: LayeredMap<K, V>[] = [];
    let bottom: LayeredMap<K, V> = this;
    for (; bottom.#parent; bottom = bottom.#parent) {
      if (bottom.#flat) break;
      layers.push(bottom);
    }
    const flat = new Map<K, V>(bottom.#flat ?? (bottom.#local as Map<K, V>));
    if (bottom === this) return flat;
    for (let i = layers.length - 1; i >= 0; i--) {
      for (const [k, v] of layers[i]!.#local) {
        if (v === TOMBSTONE) flat.delete(k);
        else flat.set(k, v);
      }
    }
    if (this.#frozen) {
      this.#flat = flat;
      LayeredMap.#keep(this);
    }
    return flat;
  }

  static readonly #kept: Array<LayeredMap<unknown, unknown> | undefined> = new Array(KEEP_FLAT);
  static #nextKept = 0;

  /** `layer` keeps its materialized map; the one kept longest ago lets go of its own. */
  static #keep(layer: LayeredMap<any, any>): void {
    const slot = LayeredMap.#nextKept;
    const evicted = LayeredMap.#kept[slot];
    if (evicted && evicted !== layer) evicted.#flat = undefined;
    LayeredMap.#kept[slot] = layer;
    LayeredMap.#nextKept = (slot + 1) % KEEP_FLAT;
  }
}

function hasTombstones<K, V>(m: Map<K, Slot<V>>): boolean {
  for (const v of m.values()) if (v === TOMBSTONE) return true;
  return false;
}

/** A persistent set, as a layered map to `true`. */
export class LayeredSet<T> implements ReadonlySet<T> {
  readonly #map: LayeredMap<T, true>;

  private constructor(map: LayeredMap<T, true>) {
    this.#map = map;
  }

  static from<T>(values: Iterable<T> = []): LayeredSet<T> {
    return new LayeredSet(LayeredMap.from([...values].map((v) => [v, true] as const)));
  }

  static of<T>(set: ReadonlySet<T>): LayeredSet<T> {
    return set instanceof LayeredSet ? set : LayeredSet.from(set);
  }

  derive(): LayeredSet<T> {
    return new LayeredSet(this.#map.derive());
  }

  freeze(): this {
    this.#map.freeze();
    return this;
  }

  has(value: T): boolean {
    return this.#map.has(value);
  }

  add(value: T): this {
    this.#map.set(value, true);
    return this;
  }

  delete(value: T): boolean {
    return this.#map.delete(value);
  }

  get size(): number {
    return this.#map.size;
  }

  values(): SetIterator<T> {
    return this.#map.keys() as unknown as SetIterator<T>;
  }

  keys(): SetIterator<T> {
    return this.values();
  }

  entries(): SetIterator<[T, T]> {
    return ([...this.values()].map((v) => [v, v] as [T, T]))[Symbol.iterator]() as unknown as SetIterator<[T, T]>;
  }

  forEach(fn: (value: T, value2: T, set: ReadonlySet<T>) => void, thisArg?: unknown): void {
    for (const v of this.values()) fn.call(thisArg, v, v, this);
  }

  [Symbol.iterator](): SetIterator<T> {
    return this.values();
  }
}
