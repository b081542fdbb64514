// Live records per segment (count and bytes), kept in step with the key
// directory, so the log cleaner can tell how much of the sealed log is
// garbage without reading it. Indexed by segment id (small integers handed
// out in order, never reused).

export class SegmentUsage {
  /** Two slots per segment: live bytes, live records. */
  #live = new Float64Array(128);

  add(segment: number, bytes: number): void {
    if (2 * segment + 1 >= this.#live.length) this.#grow(segment);
    this.#live[2 * segment]! += bytes;
    this.#live[2 * segment + 1]! += 1;
  }

  remove(segment: number, bytes: number): void {
    this.#live[2 * segment]! -= bytes;
    this.#live[2 * segment + 1]! -= 1;
  }

  liveBytes(segment: number): number {
    return 2 * segment < this.#live.length ? this.#live[2 * segment]! : 0;
  }

  liveRecords(segment: number): number {
    return 2 * segment + 1 < this.#live.length ? this.#live[2 * segment + 1]! : 0;
  }

  /** Forgets a segment that left the log. */
  drop(segment: number): void {
    if (2 * segment + 1 < this.#live.length) this.#live.fill(0, 2 * segment, 2 * segment + 2);
  }

  #grow(segment: number): void {
    let n = this.#live.length;
    while (n <= 2 * segment + 1) n *= 2;
    const next = new Float64Array(n);
    next.set(this.#live);
    this.#live = next;
  }
}
