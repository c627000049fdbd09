/**
 * A TCP proxy that loses a connection at a chosen moment: when the client has sent `marker`
 * for the `nth` time on that connection, both sides are destroyed before the message reaches
 * the server, as when a pooler or the network drops the connection under a running query.
 */
import { createServer, connect, type Socket } from 'node:net';
import { listenLocal } from './helpers.js';
import type { Target } from './switching-proxy.js';

export interface CuttingProxy {
  readonly host: string;
  readonly port: number;
  /** Connections cut so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

export async function startCuttingProxy(target: Target, marker: string, nth: number): Promise<CuttingProxy> {
  const open = new Set<Socket>();
  let cuts = 0;
  const server = createServer((downstream) => {
    const upstream = connect(target.port, target.host);
    let seen = 0;
    let tail = ''; // the end of the previous chunk, for a marker split across two chunks
    for (const s of [downstream, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {
        downstream.destroy();
        upstream.destroy();
      });
    }
    upstream.pipe(downstream);
    downstream.on('data', (chunk: Buffer) => {
      const text = tail + chunk.toString('latin1');
      for (let i = text.indexOf(marker); i >= 0; i = text.indexOf(marker, i + 1)) seen++;
      tail = text.slice(-(marker.length - 1));
      if (seen >= nth) {
        cuts++;
        downstream.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
  });
  const port = await listenLocal(server);
  return {
    host: '127.0.0.1',
    port,
    get cuts() {
      return cuts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
