// One worker of kvtool verify --jobs (verify-pool.ts): checks the units it
// is sent, one at a time, and answers with their FileChecks.

import { parentPort } from 'node:worker_threads';
import { checkUnit } from './check-unit.js';
import type { CheckReply, CheckTask } from './verify-pool.js';

parentPort!.on('message', (task: CheckTask) => {
  let reply: CheckReply;
  try {
    reply = { checks: checkUnit(task.files, task.unit) };
  } catch (e) {
    reply = { error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  parentPort!.postMessage(reply);
});
