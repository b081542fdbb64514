// One worker of kvtool verify --jobs (verify-pool.ts): checks the files it
// is sent, one at a time, and answers with each one's FileCheck.

import { parentPort } from 'node:worker_threads';
import { checkListedFile } from '../commands/verify.js';
import type { CheckReply, CheckTask } from './verify-pool.js';

parentPort!.on('message', (task: CheckTask) => {
  let reply: CheckReply;
  try {
    reply = { index: task.index, check: checkListedFile(task.ref, task.companions) };
  } catch (e) {
    reply = { index: task.index, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  parentPort!.postMessage(reply);
});
