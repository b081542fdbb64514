// kvtool verify --jobs N: the files of a store checked by N worker threads,
// each file whole in one worker (a segment with its hint and index), the largest
// first so that the last to finish is a small one. Results come back in
// listing order, so the report is the one verify() gives on one thread.

import { Worker } from 'node:worker_threads';
import { loaderFlags } from '../../src/io/worker-flags.js';
import type { Companions, FileCheck } from '../commands/verify.js';
import type { FileRef } from '../paths.js';

export interface CheckTask {
  index: number;
  ref: FileRef;
  companions: Companions;
}

export type CheckReply = { index: number; check: FileCheck } | { index: number; error: string };

/** Checks `files` in up to `jobs` workers; the result for files[i] is at [i]. */
export async function checkInWorkers(
  files: readonly FileRef[],
  companions: readonly Companions[],
  jobs: number,
  onProgress?: (done: number, total: number) => void,
): Promise<FileCheck[]> {
  const tasks: CheckTask[] = files.map((ref, index) => ({ index, ref, companions: companions[index]! }));
  // Largest first: the segments (with their hints and indexes) are nearly all of the work.
  const queue = [...tasks].sort((a, b) => b.ref.size - a.ref.size);
  const results: FileCheck[] = new Array(files.length);
  const total = files.reduce((n, f) => n + f.size, 0);
  let done = 0;
  const workers = Math.max(1, Math.min(jobs, queue.length));
  const url = new URL('./verify-worker.js', import.meta.url);
  const runWorker = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(url, { execArgv: loaderFlags() });
      const next = (): void => {
        const task = queue.shift();
        if (task) worker.postMessage(task);
        else void worker.terminate().then(() => resolve());
      };
      worker.on('message', (reply: CheckReply) => {
        if ('error' in reply) {
          void worker.terminate();
          reject(new Error(`kvtool verify: checking ${files[reply.index]!.path} failed in a worker: ${reply.error}`));
          return;
        }
        results[reply.index] = reply.check;
        done += files[reply.index]!.size;
        onProgress?.(done, total);
        next();
      });
      worker.on('error', reject);
      next();
    });
  await Promise.all(Array.from({ length: workers }, runWorker));
  return results;
}
