// The worker thread of background-files.ts: says it is ready once its
// modules have loaded, then runs each task and answers with its result or
// its error.

import { parentPort } from 'node:worker_threads';
import { LogkvError } from '../errors.js';
import type { BackgroundReply } from './background-files.js';
import { type BackgroundTask, perform, transferables } from './background-tasks.js';

parentPort?.on('message', ({ id, task }: { id: number; task: BackgroundTask }) => {
  perform(task).then(
    (result) => parentPort!.postMessage({ id, ok: true, result } satisfies BackgroundReply, transferables(result)),
    (e: unknown) => {
      const error =
        e instanceof LogkvError
          ? { code: e.code, message: e.message, file: e.file, reason: e.reason }
          : { message: e instanceof Error ? e.message : String(e) };
      parentPort!.postMessage({ id, ok: false, error } satisfies BackgroundReply);
    },
  );
});
parentPort?.postMessage('ready');
