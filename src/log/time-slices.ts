// Long work beside the write queue (the cleaner, snapshot writing) runs in
// slices: it yields to the event loop once it has held it for SLICE_MS, so
// a durable put queued meanwhile waits about that long at most. A count of
// items between yields gives slices whose length follows the data (slices
// of 1 MiB of cleaner input took 20-26 ms, 10,000 snapshot entries 30-60 ms).

const SLICE_MS = 2;

export class TimeSlices {
  #started = performance.now();

  /** True once this slice has run its time: then `await next()`. Cheap enough to ask per record. */
  due(): boolean {
    return performance.now() - this.#started >= SLICE_MS;
  }

  /** Lets the event loop run (queued writes, their fsync callbacks), then starts a new slice. */
  async next(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.#started = performance.now();
  }
}
