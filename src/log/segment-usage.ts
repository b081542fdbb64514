// Live records per segment (count, bytes, and how many of them expire) and
// its tombstones, kept in step with the key directory, so the log cleaner
// can tell which sealed segments hold garbage without reading them. Indexed by segment id
// (small integers handed out in order, never reused).

/** Slots per segment: live bytes, live records, live records with an expiry, tombstones. */
const SLOTS = 4;

export class SegmentUsage {
  #live = new Float64Array(SLOTS * 64);

  add(segment: number, bytes: number, expires: boolean): void {
    const at = SLOTS * segment;
    if (at + SLOTS > this.#live.length) this.#grow(segment);
    this.#live[at]! += bytes;
    this.#live[at + 1]! += 1;
    if (expires) this.#live[at + 2]! += 1;
  }

  /**
   * `records` live records of `bytes` bytes in all, `expiring` of them with
   * an expiry, moved from segment `from` to `to` (the cleaner's moves,
   * counted a run of them at a time).
   */
  move(from: number, to: number, bytes: number, records: number, expiring: number): void {
    const f = SLOTS * from;
    const t = SLOTS * to;
    if (t + SLOTS > this.#live.length) this.#grow(to);
    const live = this.#live;
    live[f]! -= bytes;
    live[f + 1]! -= records;
    live[f + 2]! -= expiring;
    live[t]! += bytes;
    live[t + 1]! += records;
    live[t + 2]! += expiring;
  }

  /** `count` tombstones were written to (or found in) `segment`. */
  addTombstones(segment: number, count: number): void {
    const at = SLOTS * segment;
    if (at + SLOTS > this.#live.length) this.#grow(segment);
    this.#live[at + 3]! += count;
  }

  remove(segment: number, bytes: number, expires: boolean): void {
    const at = SLOTS * segment;
    this.#live[at]! -= bytes;
    this.#live[at + 1]! -= 1;
    if (expires) this.#live[at + 2]! -= 1;
  }

  liveBytes(segment: number): number {
    return this.#slot(segment, 0);
  }

  liveRecords(segment: number): number {
    return this.#slot(segment, 1);
  }

  /** Live records that carry an expiry: once it passes, the cleaner can drop them though nothing overwrote them. */
  expiringRecords(segment: number): number {
    return this.#slot(segment, 2);
  }

  /** Tombstones the segment holds: each can go once it no longer hides anything (cleaner.ts). */
  tombstones(segment: number): number {
    return this.#slot(segment, 3);
  }

  /** Forgets a segment that left the log. */
  drop(segment: number): void {
    const at = SLOTS * segment;
    if (at + SLOTS <= this.#live.length) this.#live.fill(0, at, at + SLOTS);
  }

  #slot(segment: number, slot: number): number {
    const at = SLOTS * segment + slot;
    return at < this.#live.length ? this.#live[at]! : 0;
  }

  #grow(segment: number): void {
    let n = this.#live.length;
    while (n < SLOTS * (segment + 1)) n *= 2;
    const next = new Float64Array(n);
    next.set(this.#live);
    this.#live = next;
  }
}
