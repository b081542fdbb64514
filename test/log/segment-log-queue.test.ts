// The write queue of SegmentLog: a request appended the moment the previous
// one resolves (an `await log.append()` in a loop: no extra promise hop in
// between) must still be run. It used to be stranded in the window between
// the end of the run loop and the clearing of the "running" marker.

import t from 'tap';
import { Op, ValueEncoding } from '../../src/formats/limits.js';
import { SegmentLog, type SegmentLogOptions } from '../../src/log/segment-log.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

for (const durability of ['sync', 'none'] as const) {
  t.test(`${durability}: back-to-back appends awaited directly all complete; flush waits for the last`, async (t) => {
    const io = new MemoryFileIO();
    io.mkdir('/db');
    const o: SegmentLogOptions = { io, dir: '/db', valueEncoding: ValueEncoding.Binary, segmentSize: 64 * 1024, durability, syncIntervalMs: 100, now: () => 1 };
    const log = new SegmentLog(o, [await SegmentLog.createSegment(o, 0, 0)], 0);
    const offsets: number[] = [];
    for (let i = 0; i < 5; i++) {
      const offset = await log.append({
        prepare: () => [{ op: Op.Put, key: Buffer.from(`k${i}`), value: Buffer.from('v') }],
        apply: (b) => b!.baseOffset,
      });
      offsets.push(offset);
    }
    t.same(offsets, [0, 1, 2, 3, 4]);
    // The same window, seen by flush(): it must wait for a run started inside it.
    const first = log.append({ prepare: () => [{ op: Op.Put, key: Buffer.from('a'), value: Buffer.from('v') }], apply: () => undefined });
    let second: Promise<number> | undefined;
    void first.then(() => {
      second = log.append({ prepare: () => [{ op: Op.Put, key: Buffer.from('b'), value: Buffer.from('v') }], apply: (b) => b!.baseOffset });
    });
    await first;
    await log.flush();
    t.equal(log.nextOffset, 7, 'the append made inside the window was written before flush resolved');
    t.equal(await second, 6);
    await log.close();
  });
}

t.test('writesWaiting: true from an append until its group is done, false on an idle log', async (t) => {
  const io = new MemoryFileIO();
  io.mkdir('/db');
  const o: SegmentLogOptions = { io, dir: '/db', valueEncoding: ValueEncoding.Binary, segmentSize: 64 * 1024, durability: 'sync', syncIntervalMs: 100, now: () => 1 };
  const log = new SegmentLog(o, [await SegmentLog.createSegment(o, 0, 0)], 0);
  t.notOk(log.writesWaiting, 'idle');
  const seen: boolean[] = [];
  const done = log.append({
    prepare: () => {
      seen.push(log.writesWaiting);
      return [{ op: Op.Put, key: Buffer.from('k'), value: Buffer.from('v') }];
    },
    apply: () => undefined,
  });
  t.ok(log.writesWaiting, 'queued');
  await done;
  t.same(seen, [true], 'in flight while it is written');
  // The run's marker clears after the group resolves, in a later microtask.
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(log.writesWaiting, 'idle again');
  await log.close();
});
