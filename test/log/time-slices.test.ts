// Work in slices beside the write queue (time-slices.ts): a slice ends
// after its time; between slices the work yields at once while the store
// is idle, and steps aside for a while when writes are waiting, so a
// compaction or a snapshot takes a third of the thread from busy writers,
// not half of it. Measured against timers only as lower bounds.

import t from 'tap';
import { TimeSlices } from '../../src/log/time-slices.js';

/** Resolves `next()` and a timer of `ms` race: which came first. */
async function raceWithTimer(slices: TimeSlices, ms: number): Promise<'slice' | 'timer'> {
  return Promise.race([slices.next().then(() => 'slice' as const), new Promise<'timer'>((resolve) => setTimeout(() => resolve('timer'), ms))]);
}

t.test('on an idle store the next slice starts at the next turn of the event loop', async (t) => {
  const slices = new TimeSlices(() => false);
  t.equal(await raceWithTimer(slices, 20), 'slice');
  const plain = new TimeSlices();
  t.equal(await raceWithTimer(plain, 20), 'slice', 'without a log to ask, as idle');
});

t.test('while writes are waiting the work steps aside for at least 1 ms between slices', async (t) => {
  let waiting = true;
  const slices = new TimeSlices(() => waiting);
  const started = performance.now();
  await slices.next();
  t.ok(performance.now() - started >= 1, `stepped aside ${(performance.now() - started).toFixed(2)} ms`);
  // The writes done, the next pause is a turn of the loop again.
  waiting = false;
  t.equal(await raceWithTimer(slices, 20), 'slice');
});

t.test('a slice is due once its time has run, not before', async (t) => {
  const slices = new TimeSlices(() => false);
  await slices.next();
  t.notOk(slices.due(), 'a slice just started is not due');
  const until = performance.now() + 3;
  while (performance.now() < until);
  t.ok(slices.due(), 'due after 3 ms of work');
  // While writes wait the slices are shorter: due after 1 ms.
  const busy = new TimeSlices(() => true);
  await busy.next();
  const soon = performance.now() + 1.2;
  while (performance.now() < soon);
  t.ok(busy.due(), 'due after 1.2 ms while writes wait');
});
