/**
 * `pnpm bench:pg`: what `namedTypes` from @prisma-zd/pg costs compared with plain pg.
 *
 * Plain pg has the same parsers registered the usual way (`pg.types.setTypeParser` once), so
 * both sides do the same parsing work and only the mechanism differs.
 *
 * 1. New connections (real server): connect + first query, helper vs plain, one of each in
 *    turn. The helper runs its resolving query inside connect(): one more round trip.
 * 2. Warm queries (real server): the same one-row query (citext, citext[], hstore columns)
 *    on a helper pool and a plain pool, interleaved query by query; median of the pairs'
 *    time ratios. The A/A line (plain against plain, same procedure) is the noise floor:
 *    on a shared machine it is about as large as the 1 % we want to show, so:
 * 3. Warm queries (replayed): the helper changes nothing on the wire or on the server, so its
 *    only possible per-query cost is client-side work. Both sides get the real server's bytes
 *    for that query replayed from memory, interleaved; the median of the pairs' time
 *    differences is the helper's extra time per query, with no server or network noise.
 *
 * `queryOverheadPct` = (3)'s extra time / (2)'s plain query time. Also measured: queries that
 * bring their own `types`, as Prisma's adapter sends every query.
 *
 * Starts its own embedded PostgreSQL. Prints a summary, then as the last line one JSON object
 * with at least `connectOverheadMs` and `queryOverheadPct`.
 * Env: BENCH_PG_CONNECTIONS (default 60), BENCH_PG_PAIRS (default 6000), BENCH_PG_REPLAY_PAIRS (default 40000).
 */
import { connect, createServer } from 'node:net';
import { Duplex } from 'node:stream';
import pg from 'pg';
import { namedTypes, parseArray, parseHstore } from '../../packages/pg/src/index.js';
import { startEmbedded } from '../../test/support/postgres.js';

const CONNECTIONS = Number(process.env.BENCH_PG_CONNECTIONS ?? 60);
const PAIRS = Number(process.env.BENCH_PG_PAIRS ?? 6000);
const REPLAY_PAIRS = Number(process.env.BENCH_PG_REPLAY_PAIRS ?? 40000);
const QUERY = `SELECT id, name, tags, attrs FROM item WHERE id = $1`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number, digits: number) => Number(x.toFixed(digits));
const now = () => performance.now();
const pct = (x: number) => `${x >= 0 ? '+' : ''}${x}%`;

/** Query shapes: pg's usual call, and a config object with its own `types` (Prisma's adapter). */
const ownTypes = {
  getTypeParser: (oid: number, format?: string) => pg.types.getTypeParser(oid, format as 'text'),
} as pg.CustomTypesConfig;
const styles = {
  text: (pool: pg.Pool, id: number) => pool.query(QUERY, [id]),
  ownTypes: (pool: pg.Pool, id: number) => pool.query({ text: QUERY, values: [id], types: ownTypes }),
};
type Style = keyof typeof styles;

function check(rows: unknown[]) {
  const row = rows[0] as { tags: unknown; attrs: unknown };
  if (!Array.isArray(row.tags) || typeof row.attrs !== 'object') throw new Error(`unparsed row: ${JSON.stringify(row)}`);
}

/** Runs `pairs` queries on each of two pools, in turn, timing each; returns both sides' times. */
async function interleave(makeA: () => pg.Pool, makeB: () => pg.Pool, style: Style, pairs: number, id: (i: number) => number) {
  const run = styles[style];
  const times = { a: [] as number[], b: [] as number[] };
  // New pools every `generation` pairs, so that neither side keeps a faster backend.
  const generation = 300;
  for (let g = 0; g < pairs; g += generation) {
    const pools = { a: makeA(), b: makeB() };
    // pool.end() does not wait for sockets to close: the server stopping at the end would
    // otherwise surface as an unhandled 'error' on a pool.
    for (const pool of Object.values(pools)) pool.on('error', () => {});
    for (let i = 0; i < 50; i++) {
      await run(pools.a, id(i)); // warm-up: connection, plans, JIT of both paths
      await run(pools.b, id(i));
    }
    for (let i = g; i < Math.min(g + generation, pairs); i++) {
      for (const side of i % 2 ? (['a', 'b'] as const) : (['b', 'a'] as const)) {
        const t0 = now();
        check((await run(pools[side], id(i))).rows);
        times[side].push(now() - t0);
      }
    }
    await Promise.all([pools.a.end(), pools.b.end()]);
  }
  return times;
}

const ratioPct = (t: { a: number[]; b: number[] }) => (median(t.a.map((a, i) => t.b[i]! / a)) - 1) * 100;
const deltaUs = (t: { a: number[]; b: number[] }) => median(t.a.map((a, i) => t.b[i]! - a)) * 1000;

/** One message of the backend protocol: type byte, int32 length (including itself), body. */
function splitMessages(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const end = pos + 1 + bytes.readInt32BE(pos + 1);
    out.push(bytes.subarray(pos, end));
    pos = end;
  }
  return out;
}

/**
 * Records what the server sends: a TCP proxy in front of it. `take()` returns the bytes
 * received since the previous `take()`.
 */
async function recordingProxy(port: number) {
  let received: Buffer[] = [];
  const server = createServer((down) => {
    const up = connect(port, '127.0.0.1');
    down.pipe(up);
    up.on('data', (d: Buffer) => {
      received.push(d);
      down.write(d);
    });
    up.on('close', () => down.destroy());
    down.on('close', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    take() {
      const all = Buffer.concat(received);
      received = [];
      return all;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** AuthenticationOk, ReadyForQuery(idle): all a pg client needs to consider itself connected. */
const STARTUP_REPLY = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0, 0x5a, 0, 0, 0, 5, 0x49]);
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);

/**
 * A socket that answers like the recorded server: the startup with STARTUP_REPLY, and every
 * query (up to its Sync) with the recorded response of the first entry whose text it contains.
 */
class ReplaySocket extends Duplex {
  #started = false;
  #pending: Buffer[] = [];
  constructor(private readonly replies: ReadonlyArray<readonly [text: Buffer, reply: Buffer]>) {
    super();
  }
  connect() {
    process.nextTick(() => this.emit('connect'));
    return this;
  }
  setNoDelay() {
    return this;
  }
  setKeepAlive() {
    return this;
  }
  ref() {
    return this;
  }
  unref() {
    return this;
  }
  override _read() {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void) {
    if (!this.#started) {
      this.#started = true;
      this.#reply(STARTUP_REPLY);
      return done();
    }
    if (chunk[0] === 0x58 /* Terminate */) {
      this.push(null);
      return done();
    }
    this.#pending.push(chunk);
    if (chunk.length >= 5 && chunk.subarray(-5).equals(SYNC)) {
      const sent = Buffer.concat(this.#pending);
      this.#pending = [];
      const reply = this.replies.find(([text]) => sent.includes(text));
      if (!reply) return done(new Error(`no recorded reply for ${sent.toString('latin1').slice(0, 120)}`));
      this.#reply(reply[1]);
    }
    done();
  }
  /** Later, as from a socket: never while pg is still writing the query. */
  #reply(bytes: Buffer) {
    setImmediate(() => this.push(bytes));
  }
}

async function main() {
  const server = await startEmbedded({ major: 18 });
  try {
    const admin = new pg.Client({ connectionString: server.url() });
    await admin.connect();
    await admin.query(`CREATE EXTENSION citext; CREATE EXTENSION hstore;
      CREATE TABLE item (id int PRIMARY KEY, name citext, tags citext[], attrs hstore);
      INSERT INTO item SELECT i, 'Name ' || i, ARRAY['Alpha', 'beta', 'gamma ' || i]::citext[],
                              hstore(ARRAY['k1', 'k2', 'k3'], ARRAY['v1', NULL, 'v ' || i]) FROM generate_series(1, 100) i`);
    const { rows: oids } = await admin.query<{ typname: string; oid: number; typarray: number }>(
      `SELECT typname, oid, typarray FROM pg_type WHERE typname IN ('citext', 'hstore')`,
    );
    const { rows: version } = await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    await admin.end();

    // Plain pg, the usual way: parsers registered once, process-wide.
    for (const t of oids) {
      const parse: (s: string) => unknown = t.typname === 'hstore' ? parseHstore : String;
      pg.types.setTypeParser(t.oid, 'text', parse);
      pg.types.setTypeParser(t.typarray, 'text', (s: string) => parseArray(s, parse));
    }
    const types = namedTypes({ parsers: { citext: String, hstore: parseHstore }, logger: false });
    const config = { connectionString: server.url() };

    // 1. New connections.
    const connectMs = { plain: [] as number[], helper: [] as number[] };
    const oneConnection = async (side: 'plain' | 'helper') => {
      const client = side === 'plain' ? new pg.Client(config) : new types.Client(config);
      const t0 = now();
      await client.connect();
      check((await client.query(QUERY, [1])).rows);
      connectMs[side].push(now() - t0);
      await client.end();
    };
    for (let i = 0; i < 5; i++) await Promise.all([oneConnection('plain'), oneConnection('helper')]); // warm-up
    connectMs.plain.length = connectMs.helper.length = 0;
    for (let i = 0; i < CONNECTIONS; i++) {
      for (const side of i % 2 ? (['plain', 'helper'] as const) : (['helper', 'plain'] as const)) await oneConnection(side);
    }

    // 2. Warm queries on the real server.
    const plainPool = () => new pg.Pool({ ...config, max: 1 });
    const helperPool = () => new types.Pool({ ...config, max: 1 });
    const anyRow = (i: number) => (i % 100) + 1;
    const e2e = await interleave(plainPool, helperPool, 'text', PAIRS, anyRow);
    const e2eOwn = await interleave(plainPool, helperPool, 'ownTypes', PAIRS, anyRow);
    const aa = await interleave(plainPool, plainPool, 'text', PAIRS, anyRow);

    // 3. Warm queries replayed: record the server's replies to the resolving query and to
    //    QUERY (id 1), then answer both sides from memory.
    const recorder = await recordingProxy(server.port);
    const viaRecorder = new URL(server.url());
    viaRecorder.port = String(recorder.port);
    const recorded = new types.Client({ connectionString: viaRecorder.toString() });
    await recorded.connect();
    const startup = splitMessages(recorder.take());
    const firstReady = startup.findIndex((m) => m[0] === 0x5a);
    const resolveReply = Buffer.concat(startup.slice(firstReady + 1));
    await recorded.query(QUERY, [1]);
    const queryReply = recorder.take();
    await recorded.end();
    await recorder.close();
    const replies = [
      [Buffer.from('pg_control_system'), resolveReply],
      [Buffer.from(QUERY), queryReply],
    ] as const;
    const replayConfig = { stream: () => new ReplaySocket(replies), max: 1 } as pg.PoolConfig;
    const replayPlain = () => new pg.Pool(replayConfig);
    const replayHelper = () => new types.Pool(replayConfig);
    const replay = await interleave(replayPlain, replayHelper, 'text', REPLAY_PAIRS, () => 1);
    const replayOwn = await interleave(replayPlain, replayHelper, 'ownTypes', REPLAY_PAIRS, () => 1);
    const replayAa = await interleave(replayPlain, replayPlain, 'text', REPLAY_PAIRS, () => 1);

    const queryUsPlain = median(e2e.a) * 1000;
    const result = {
      connectOverheadMs: round(median(connectMs.helper) - median(connectMs.plain), 3),
      queryOverheadPct: round((deltaUs(replay) / queryUsPlain) * 100, 3),
      queryOverheadPctOwnTypes: round((deltaUs(replayOwn) / (median(e2eOwn.a) * 1000)) * 100, 3),
      queryExtraUs: round(deltaUs(replay), 3),
      queryExtraUsOwnTypes: round(deltaUs(replayOwn), 3),
      queryExtraUsNoise: round(deltaUs(replayAa), 3),
      queryOverheadPctEndToEnd: round(ratioPct(e2e), 2),
      queryOverheadPctEndToEndOwnTypes: round(ratioPct(e2eOwn), 2),
      queryNoisePctEndToEnd: round(ratioPct(aa), 2),
      connectMsPlain: round(median(connectMs.plain), 3),
      connectMsHelper: round(median(connectMs.helper), 3),
      queryUsPlain: round(queryUsPlain, 1),
      queryUsHelper: round(median(e2e.b) * 1000, 1),
      replayUsPlain: round(median(replay.a) * 1000, 2),
      replayUsHelper: round(median(replay.b) * 1000, 2),
      connections: CONNECTIONS,
      pairs: PAIRS,
      replayPairs: REPLAY_PAIRS,
      server: `PostgreSQL ${version[0]!.v}`,
    };

    console.log(`@prisma-zd/pg namedTypes vs plain pg on ${result.server} (local, scram-sha-256)`);
    console.log(
      `  new connection (connect + first query), median of ${CONNECTIONS} each: plain ${result.connectMsPlain} ms, ` +
        `helper ${result.connectMsHelper} ms → +${result.connectOverheadMs} ms (the resolving query, in a fresh backend)`,
    );
    console.log(
      `  warm query, real server, ${PAIRS} interleaved pairs: plain ${result.queryUsPlain} µs, helper ${result.queryUsHelper} µs ` +
        `(medians) → ${pct(result.queryOverheadPctEndToEnd)}; own types (Prisma's adapter): ${pct(result.queryOverheadPctEndToEndOwnTypes)}; ` +
        `noise floor (plain vs plain): ${pct(result.queryNoisePctEndToEnd)}`,
    );
    console.log(
      `  warm query, server replies replayed from memory, ${REPLAY_PAIRS} pairs: plain ${result.replayUsPlain} µs, ` +
        `helper ${result.replayUsHelper} µs → helper's extra time ${result.queryExtraUs} µs per query ` +
        `(own types: ${result.queryExtraUsOwnTypes} µs; plain vs plain: ${result.queryExtraUsNoise} µs)`,
    );
    console.log(
      `  queryOverheadPct = extra time / plain query time = ${result.queryExtraUs} / ${result.queryUsPlain} µs = ${pct(result.queryOverheadPct)} ` +
        `(own types: ${pct(result.queryOverheadPctOwnTypes)}); target < 1 %: ${result.queryOverheadPct < 1 ? 'met' : 'NOT met'}`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
