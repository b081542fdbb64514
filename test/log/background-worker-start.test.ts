// A task handed to the background worker before it is ready, and that
// moves no buffers, is posted at once (background-files.ts): the worker
// starts on it as soon as it runs, even while this thread is busy and does
// not turn its event loop (a hint-less open reads its own segments then,
// synchronously, while the worker reads another).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { nodeFileIO } from '../../src/io/file-io.js';
import { backgroundFiles } from '../../src/log/background-files.js';

t.test('the worker takes a task while this thread is busy from the moment it was asked', async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-worker-start-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const file = path.join(tmp, 'prepared.log');
  const bg = backgroundFiles(nodeFileIO);
  t.ok(bg.detached && !bg.running, 'a worker not yet started');
  const done = bg.prepareSegmentFile(file, Buffer.from('header'), 4096);
  // Busy without an event-loop turn until the worker has made the file (or 20 s pass).
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + 20_000;
  while (!fs.existsSync(file) && Date.now() < until) Atomics.wait(pause, 0, 0, 5);
  t.ok(fs.existsSync(file), 'the worker made the file while this thread never yielded');
  await done;
  t.equal(fs.statSync(file).size, 4096);
});
