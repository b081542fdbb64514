// kvtool verify --jobs N: the units of a store (check-unit.ts: a segment
// with its hint and index, or a file alone) checked by N threads at once,
// the largest first so that the last to finish is a small one. This
// thread is one of the N: it starts N - 1 workers and checks units itself
// while they start (a worker takes ~50-100 ms to start here, half of what
// a 1M-key store takes to check), and no more workers than there are units
// for them. Results come back in listing order, so the report is the one
// verify() gives on one thread.

import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { loaderFlags } from '../../src/io/worker-flags.js';
import type { FileRef } from '../paths.js';
import { type CheckUnit, checkUnit, type FileCheck, unitFiles } from './check-unit.js';

export interface CheckTask {
  files: readonly FileRef[];
  unit: CheckUnit;
}

export type CheckReply = { checks: Array<[number, FileCheck]> } | { error: string };

/** Checks `units` of `files` in up to `jobs` threads, this one included; the result for files[i] is at [i]. */
export async function checkInWorkers(
  files: readonly FileRef[],
  units: readonly CheckUnit[],
  jobs: number,
  onProgress?: (done: number, total: number) => void,
): Promise<FileCheck[]> {
  const bytesOf = (u: CheckUnit) => unitFiles(u).reduce((n, i) => n + files[i]!.size, 0);
  // Largest first: the segments (with their hints and indexes) are nearly all of the work.
  const queue = [...units].sort((a, b) => bytesOf(b) - bytesOf(a));
  const results: FileCheck[] = new Array(files.length);
  const total = files.reduce((n, f) => n + f.size, 0);
  let done = 0;
  const take = (checks: Array<[number, FileCheck]>): void => {
    for (const [i, check] of checks) {
      results[i] = check;
      done += files[i]!.size;
    }
    onProgress?.(done, total);
  };
  const url = new URL('./verify-worker.js', import.meta.url);
  const runWorker = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(url, { execArgv: loaderFlags() });
      let current: CheckUnit | undefined;
      const next = (): void => {
        current = queue.shift();
        if (current) worker.postMessage({ files, unit: current } satisfies CheckTask);
        else void worker.terminate().then(() => resolve());
      };
      worker.on('message', (reply: CheckReply) => {
        if ('error' in reply) {
          void worker.terminate();
          const names = current ? unitFiles(current).map((i) => files[i]!.path).join(', ') : '?';
          reject(new Error(`kvtool verify: checking ${names} failed in a worker: ${reply.error}`));
          return;
        }
        take(reply.checks);
        next();
      });
      worker.on('error', reject);
      next();
    });
  // Handled from the start: a worker that fails while this thread checks a unit is not an unhandled rejection.
  const workers = Promise.all(Array.from({ length: Math.max(0, Math.min(jobs - 1, queue.length - 1)) }, runWorker));
  workers.catch(() => {});
  try {
    // This thread's share: a unit at a time, letting the workers' replies in between.
    for (let unit = queue.shift(); unit !== undefined; unit = queue.shift()) {
      take(checkUnit(files, unit));
      await yieldToEvents();
    }
  } catch (e) {
    // The workers stop after the unit they hold.
    queue.length = 0;
    await workers.catch(() => {});
    throw e;
  }
  await workers;
  return results;
}
