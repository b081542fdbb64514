// Long work beside the write queue (the cleaner, snapshot writing) runs in
// slices: it yields to the event loop once it has held it for a slice, so
// a durable put queued meanwhile waits about that long at most. A count of
// items between yields gives slices whose length follows the data (slices
// of 1 MiB of cleaner input took 20-26 ms, 10,000 snapshot entries 30-60 ms).
//
// While writes are waiting, the work also steps aside between slices, as
// Kafka's cleaner is throttled: yielding with setImmediate alone let it
// take every other turn of the event loop, half of a thread the writes
// needed. With 64 durable puts in flight over rolls and compact() mid-run
// (bench rolls child, alternating runs), put p99.9 went from 6.1-7.4 ms
// to 4.5-5.4 ms (slices of 1 ms, 2 ms aside), and that compaction took
// 4.4 s instead of 2.3 s. On an idle store nothing changes.

/** A slice while the store is idle, and while writes are waiting. */
const SLICE_MS = 2;
const BUSY_SLICE_MS = 1;
/** How long the work steps aside after a slice while writes are waiting. */
const STEP_ASIDE_MS = 2;

export class TimeSlices {
  readonly #writesWaiting: (() => boolean) | undefined;
  readonly #now: () => number;
  #started: number;
  #limit = SLICE_MS;

  /**
   * `writesWaiting`: whether the store's writes are queued or in flight (SegmentLog.writesWaiting).
   * `now`: the clock in ms (tests give their own, so a preempted test process cannot end a slice early).
   */
  constructor(writesWaiting?: () => boolean, now: () => number = () => performance.now()) {
    this.#writesWaiting = writesWaiting;
    this.#now = now;
    this.#started = now();
  }

  /** True once this slice has run its time: then `await next()`. Cheap enough to ask per record. */
  due(): boolean {
    return this.#now() - this.#started >= this.#limit;
  }

  /** Lets the event loop run (queued writes, their fsync callbacks), then starts a new slice. */
  async next(): Promise<void> {
    if (this.#writesWaiting?.() === true) {
      await new Promise((resolve) => setTimeout(resolve, STEP_ASIDE_MS));
      this.#limit = BUSY_SLICE_MS;
    } else {
      await new Promise((resolve) => setImmediate(resolve));
      this.#limit = SLICE_MS;
    }
    this.#started = this.#now();
  }
}
