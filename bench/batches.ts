// The bulk-load chunks every engine adapter writes (engines.ts, peers.ts):
// the same keys and values, BATCH at a time.

import { keyAt, valueAt } from './workload.js';

export const BATCH = 10_000;

/** The ids [from, from+count) in chunks of BATCH, each as [key, value] pairs. */
export function* chunks(from: number, count: number, version: number, keyOf: (i: number) => number): Generator<Array<[Buffer, Buffer]>> {
  for (let at = from; at < from + count; at += BATCH) {
    const n = Math.min(BATCH, from + count - at);
    const out = new Array<[Buffer, Buffer]>(n);
    for (let j = 0; j < n; j++) {
      const k = keyOf(at + j);
      out[j] = [keyAt(k), valueAt(k, version + at + j)];
    }
    yield out;
  }
}

export const identity = (i: number) => i;
