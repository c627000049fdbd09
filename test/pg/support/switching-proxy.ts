/**
 * A TCP proxy standing in for a pooler in front of a server that gets replaced: clients
 * connect to the proxy; `switchTo` sends new connections to another server and closes the
 * existing ones, as pgbouncer/pgpool/a managed blue-green switch does when the server
 * behind it changes. Applications see their connections drop and reconnect to the same
 * host and port.
 */
import { createServer, connect, type Socket } from 'node:net';
import { listenLocal } from './helpers.js';

export interface Target {
  host: string;
  port: number;
}

export interface SwitchingProxy {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far, by the target they were sent to (`host:port`). */
  readonly accepted: ReadonlyMap<string, number>;
  /**
   * New connections go to `target`; open ones are closed, unless `closeOpen: false` (a pooler
   * moving its clients over one by one: open connections stay on the old server meanwhile).
   */
  switchTo(target: Target, options?: { closeOpen?: boolean }): void;
  close(): Promise<void>;
}

export async function startSwitchingProxy(initial: Target): Promise<SwitchingProxy> {
  let target = initial;
  const open = new Set<Socket>();
  const accepted = new Map<string, number>();
  const server = createServer((downstream) => {
    const key = `${target.host}:${target.port}`;
    accepted.set(key, (accepted.get(key) ?? 0) + 1);
    const upstream = connect(target.port, target.host);
    for (const s of [downstream, upstream]) {
      open.add(s);
      s.setNoDelay(true);
      s.on('close', () => open.delete(s));
      // A closed peer shows up as ECONNRESET/EPIPE on the other side: end both quietly.
      s.on('error', () => {
        downstream.destroy();
        upstream.destroy();
      });
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
  });
  const port = await listenLocal(server);
  return {
    host: '127.0.0.1',
    port,
    accepted,
    switchTo(next, { closeOpen = true } = {}) {
      target = next;
      if (closeOpen) for (const s of open) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
