// The data every engine is given: the same keys, values and random picks,
// derived from the key number, so every child process makes them alike
// without holding a million buffers (memory is one of the measurements).
//
// Keys are 16 bytes that look random (so a B-tree sees inserts in random
// order, as it would with real ids) and are unique (the number is in them).
// Values are 100 bytes cut from a pool of random bytes: incompressible, so
// LevelDB's Snappy gains nothing a real value would not give it.

export const KEY_BYTES = 16;
export const VALUE_BYTES = 100;

/** Workload sizes at BENCH_SCALE = 1 (the figures). */
export const FULL = {
  keys: 1_000_000,
  overwrites: 1_000_000,
  overwriteKeys: 10_000,
};

export interface Sizes {
  scale: number;
  keys: number;
  overwrites: number;
  overwriteKeys: number;
  /** tinybench time per repeated measurement, ms. */
  benchTimeMs: number;
  /** tinybench's least number of samples (and of warmup calls) per measurement. */
  minSamples: number;
  /** Fresh processes per reopen measurement (the median is reported). */
  reopenRuns: number;
}

export function sizesFor(scale: number): Sizes {
  if (!(scale > 0 && scale <= 1)) throw new Error(`BENCH_SCALE must be in (0, 1], not ${scale}`);
  const at = (n: number, min: number) => Math.max(min, Math.round(n * scale));
  return {
    scale,
    keys: at(FULL.keys, 1000),
    overwrites: at(FULL.overwrites, 1000),
    overwriteKeys: at(FULL.overwriteKeys, 100),
    benchTimeMs: scale >= 0.5 ? 2000 : Math.max(50, Math.round(2000 * scale)),
    minSamples: scale >= 0.5 ? 10 : 2,
    reopenRuns: scale >= 0.5 ? 3 : 1,
  };
}

/** 32-bit finaliser of murmur3: a bijection on u32, so distinct inputs give distinct outputs. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Whether keys come in ascending byte order (withSequentialKeys). */
let sequential = false;

/**
 * Runs `f` with key number i made as 12 zero bytes and i big-endian: keys in
 * ascending byte order, as ids from a counter are (lmdb then appends at the
 * end of its B-tree). Every other workload's keys look random.
 */
export async function withSequentialKeys<T>(f: () => Promise<T>): Promise<T> {
  sequential = true;
  try {
    return await f();
  } finally {
    sequential = false;
  }
}

/** Writes key number `i` into `out` (16 bytes) at `at`. */
export function writeKey(out: Uint8Array, at: number, i: number): void {
  if (sequential) {
    out.fill(0, at, at + 12);
    out[at + 12] = i >>> 24;
    out[at + 13] = (i >>> 16) & 0xff;
    out[at + 14] = (i >>> 8) & 0xff;
    out[at + 15] = i & 0xff;
    return;
  }
  const a = mix32(i);
  const b = mix32(a ^ 0x9e3779b9);
  const c = mix32(b ^ 0x7f4a7c15);
  const words = [a, b, c, i >>> 0];
  for (let w = 0; w < 4; w++) {
    const v = words[w]!;
    out[at + 4 * w] = v >>> 24;
    out[at + 4 * w + 1] = (v >>> 16) & 0xff;
    out[at + 4 * w + 2] = (v >>> 8) & 0xff;
    out[at + 4 * w + 3] = v & 0xff;
  }
}

/** Key number `i` as a fresh Buffer (engines may keep it). */
export function keyAt(i: number): Buffer {
  const k = Buffer.allocUnsafe(KEY_BYTES);
  writeKey(k, 0, i);
  return k;
}

const POOL_BYTES = 1 << 20;
let pool: Buffer | undefined;

function valuePool(): Buffer {
  if (pool) return pool;
  pool = Buffer.allocUnsafe(POOL_BYTES);
  let s = 0x2545f491;
  for (let i = 0; i < POOL_BYTES; i += 4) {
    // xorshift32
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    pool.writeInt32LE(s | 0, i);
  }
  return pool;
}

/** Value for key number `i` (and version `v`, for overwrites): a view into the pool; engines copy it. */
export function valueAt(i: number, v = 0): Buffer {
  const p = valuePool();
  const at = mix32(i * 31 + v) % (POOL_BYTES - VALUE_BYTES);
  return p.subarray(at, at + VALUE_BYTES);
}

/** `count` key numbers below `n`, picked uniformly at random (deterministic seed). */
export function randomPicks(n: number, count: number, seed = 12345): Uint32Array {
  const out = new Uint32Array(count);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) % n;
  }
  return out;
}

/**
 * `count` key numbers below `n` where a hot fifth of the keys (every fifth
 * key, so they are spread over every segment) takes 80% of the picks: the
 * skewed read load of a cache or a session store (deterministic seed).
 */
export function hotPicks(n: number, count: number, seed = 54321): Uint32Array {
  const uniform = randomPicks(n, 2 * count, seed);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const r = uniform[2 * i]!;
    const hot = uniform[2 * i + 1]! % 10 < 8;
    const pick = hot ? (r - (r % 5)) % n : r % 5 === 0 ? (r + 1) % n : r;
    out[i] = pick;
  }
  return out;
}
