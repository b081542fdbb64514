// Counters for incr/decr: a signed 64-bit integer kept as its decimal digits,
// so that `get` on a utf8 store shows "42", a json store reads it as a number
// and tools can print it. Arithmetic is in bigint, so no value between
// -2^63 and 2^63 - 1 is ever rounded (a double would round past 2^53).

import { LogkvError } from '../errors.js';

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
const CANONICAL = /^-?(0|[1-9][0-9]{0,18})$/;

/** The counter held in `bytes` (decimal digits, as written by encodeCounter). */
export function parseCounter(bytes: Uint8Array, key: string): bigint {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const n = CANONICAL.test(text) ? BigInt(text) : undefined;
  if (n === undefined || n < MIN_INT64 || n > MAX_INT64 || text === '-0') {
    throw new LogkvError('INVALID_ARGUMENT', `the value of ${key} is not a 64-bit integer counter`);
  }
  return n;
}

export function encodeCounter(n: bigint): Buffer {
  return Buffer.from(n.toString(), 'latin1');
}

/** Checks an increment given by the caller: a safe integer or a bigint in int64 range. */
export function checkIncrement(by: number | bigint): bigint {
  if (typeof by === 'number' && Number.isSafeInteger(by)) return BigInt(by);
  if (typeof by === 'bigint' && by >= MIN_INT64 && by <= MAX_INT64) return by;
  throw new LogkvError('INVALID_ARGUMENT', `an increment is a safe integer or a 64-bit bigint, not ${String(by)}`);
}

/** current + by, refused (nothing written) when it leaves the int64 range. */
export function addCounter(current: bigint, by: bigint, key: string): bigint {
  const sum = current + by;
  if (sum < MIN_INT64 || sum > MAX_INT64) {
    throw new LogkvError('INVALID_ARGUMENT', `incrementing ${key} by ${by} would overflow a signed 64-bit integer`);
  }
  return sum;
}
