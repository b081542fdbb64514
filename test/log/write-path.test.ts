// Rules of the write path and the cleaner from issue 17, each checked here
// so that undoing it fails a test (the figures they bought are in the
// commits and bench/README.md).

import t from 'tap';
import { LogStore, type LogStoreOptions } from '../../src/log/log-store.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

const DIR = '/db';

/** A clock that moves 1 ms a call. */
function ticking(): () => number {
  let now = 1_700_000_000_000;
  return () => now++;
}

const base: LogStoreOptions = { valueEncoding: 'utf8', autoCompact: false, segmentSize: 64 * 1024 };

/** The log segments on `io`, in log order. */
function segments(io: MemoryFileIO): string[] {
  return io
    .readdir(DIR)
    .filter((n) => n.endsWith('.log'))
    .sort()
    .map((n) => `${DIR}/${n}`);
}

t.test('compact() right after open writes nothing into the segment it seals (no zero fill to trim again)', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>(DIR, { io, ...base, now: ticking() });
  for (let i = 0; i < 300; i++) await s.put(`k${i % 20}`, `v${i}`.padEnd(50, '.'));
  await s.close();
  const newest = segments(io).at(-1)!;
  const from = io.stats.steps;
  const again = await LogStore.open<string>(DIR, { io, ...base, now: ticking() });
  await again.compact();
  const touched = io.history(newest).filter((step) => step.n >= from && (step.kind === 'write' || step.kind === 'truncate'));
  t.same(touched, [], 'no write or truncation of the sealed segment');
  for (let k = 0; k < 20; k++) t.ok(again.get(`k${k}`)?.startsWith('v'), `k${k} still there`);
  await again.close();
});
