// The worker thread of background-files.ts: runs each task on the real
// file system and answers with its result or its error.

import { parentPort } from 'node:worker_threads';
import { LogkvError } from '../errors.js';
import { nodeFileIO } from '../io/file-io.js';
import type { BackgroundReply, BackgroundTask } from './background-files.js';
import { prepareSegmentFile } from './segment-file.js';
import { writeHint } from './segment-hint.js';

async function perform(task: BackgroundTask): Promise<boolean | undefined> {
  if (task.kind === 'hint') return writeHint(nodeFileIO, task.dir, task.segment);
  await prepareSegmentFile(nodeFileIO, task.path, task.header, task.size);
  return undefined;
}

parentPort?.on('message', ({ id, task }: { id: number; task: BackgroundTask }) => {
  perform(task).then(
    (result) => parentPort!.postMessage({ id, ok: true, result } satisfies BackgroundReply),
    (e: unknown) => {
      const error =
        e instanceof LogkvError
          ? { code: e.code, message: e.message, file: e.file, reason: e.reason }
          : { message: e instanceof Error ? e.message : String(e) };
      parentPort!.postMessage({ id, ok: false, error } satisfies BackgroundReply);
    },
  );
});
