/**
 * A worker thread of `check` (see parallel.ts): loads the parser while the main thread
 * prepares, then takes histories from the shared queue until it is empty and posts each
 * report. V8 flags are the process's, set by the entry before this thread started.
 */
import { parentPort } from 'node:worker_threads';
import { initParser } from '@prisma-zd/core';
import { checkSpec, failedError, type WorkerMessage, type WorkerTask } from './parallel.js';

const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);
const loading = initParser();

port.once('message', async ({ jobs, order, next }: WorkerTask) => {
  try {
    await loading;
    for (;;) {
      const position = Atomics.add(next, 0, 1);
      if (position >= order.length) break;
      const job = order[position]!;
      post({ kind: 'report', job, report: await checkSpec(jobs, job) });
    }
  } catch (e) {
    post({ kind: 'failed', error: failedError(e) });
  }
  post({ kind: 'done' });
});
