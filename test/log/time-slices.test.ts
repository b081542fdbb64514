// Work in slices beside the write queue (time-slices.ts): a slice ends
// after its time; between slices the work yields at once while the store
// is idle, and steps aside for a while when writes are waiting, so a
// compaction or a snapshot takes a third of the thread from busy writers,
// not half of it. Checked by the order of event-loop callbacks and a clock
// of the test's own, never by timing: a test process preempted on a loaded
// machine must not fail them.

import t from 'tap';
import { TimeSlices } from '../../src/log/time-slices.js';

/**
 * The order in which the slice's `next()` and a setImmediate queued just after it settle, both queued
 * from the timers phase of the event loop, where a timer set now cannot fire before the loop's next
 * turn and the turn runs its immediates first: the order depends on the loop's phases, not on how long
 * this process waited for a CPU. (A race against a second timer is not: Node reads the clock at each
 * setTimeout, and a process preempted between two of them sees a 2 ms timer fire before a 1 ms one.)
 */
async function settleOrder(slices: TimeSlices): Promise<string[]> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  const order: string[] = [];
  await Promise.all([
    slices.next().then(() => order.push('slice')),
    new Promise<void>((resolve) => setImmediate(resolve)).then(() => order.push('immediate')),
  ]);
  return order;
}

t.test('on an idle store the next slice starts at the next turn of the event loop', async (t) => {
  t.same(await settleOrder(new TimeSlices(() => false)), ['slice', 'immediate']);
  t.same(await settleOrder(new TimeSlices()), ['slice', 'immediate'], 'without a log to ask, as idle');
});

t.test('while writes are waiting the work steps aside past the next turn of the loop', async (t) => {
  let waiting = true;
  const slices = new TimeSlices(() => waiting);
  t.same(await settleOrder(slices), ['immediate', 'slice']);
  // The writes done, the next pause is a turn of the loop again.
  waiting = false;
  t.same(await settleOrder(slices), ['slice', 'immediate']);
});

t.test('a slice is due once its time has run, not before: 2 ms idle, 1 ms while writes wait', async (t) => {
  let clock = 100;
  let waiting = false;
  const slices = new TimeSlices(() => waiting, () => clock);
  t.notOk(slices.due(), 'a new slice is not due');
  clock += 1.9;
  t.notOk(slices.due(), 'not after 1.9 ms');
  clock += 0.1;
  t.ok(slices.due(), 'due after 2 ms');
  await slices.next();
  t.notOk(slices.due(), 'the next slice starts at the clock of its start');
  clock += 2;
  t.ok(slices.due());
  waiting = true;
  await slices.next();
  clock += 0.9;
  t.notOk(slices.due(), 'not after 0.9 ms while writes wait');
  clock += 0.1;
  t.ok(slices.due(), 'due after 1 ms while writes wait');
});
