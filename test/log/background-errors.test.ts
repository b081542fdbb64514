// What onBackgroundError is given when work the store does beside the
// writes fails: a LogkvError with a stable code, as every other failure of
// the store, never the file system's own errno error.

import t from 'tap';
import { LogkvError } from '../../src/errors.js';
import { LogStore } from '../../src/log/log-store.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

t.test("a sealed segment's hint met a full disk: NO_SPACE reported, the writes go on, nothing lost", async (t) => {
  const io = new MemoryFileIO();
  const errors: unknown[] = [];
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', segmentSize: 4096, durability: 'none', autoCompact: false, onBackgroundError: (e) => errors.push(e) });
  // The disk is full when the first sealed segment's hint is written, and only then.
  let armed = true;
  io.beforeStep = (step) => {
    if (armed && step.kind === 'write' && step.path.endsWith('.hint.tmp')) {
      armed = false;
      io.failWrites = 1;
    }
  };
  const value = 'x'.repeat(300);
  let i = 0;
  while (io.readdir('/db').filter((n) => n.endsWith('.log')).length < 2) await s.put(`k${i++}`, value);
  await s.flush();
  io.beforeStep = undefined;
  t.notOk(armed, 'a hint was written');
  t.ok(errors.length > 0, 'the failure was reported');
  for (const e of errors) t.match(e, { name: 'LogkvError', code: 'NO_SPACE' }, String(e));
  t.ok(errors.every((e) => e instanceof LogkvError));
  await s.put('after', value);
  t.equal(s.get('k0'), value);
  await s.close();
  const again = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8' });
  for (let j = 0; j < i; j++) t.equal(again.get(`k${j}`), value, `k${j}`);
  await again.close();
});
