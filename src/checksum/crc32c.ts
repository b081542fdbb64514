// CRC-32C for every record and header logkv writes.
//
// Measured on this machine (see DESIGN.md): the native sse4_crc32 addon runs
// at 1.7 GB/s on 116-byte inputs and ~10 GB/s on 4 KiB+, the pure-JS
// slicing-by-8 at ~0.9-1.2 GB/s throughout. For inputs under 64 bytes (file
// headers) the JS version is faster because it avoids the native call, so
// short inputs always use it. The addon is an optional dependency: when it
// did not build or cannot load, everything runs on the JS version.

import { createRequire } from 'node:module';
import { crc32cJs, crc32cJsRange, crc32cJsView } from './crc32c-js.js';

export type Crc32c = (data: Uint8Array, crc?: number) => number;

export interface Crc32cImplementation {
  name: 'sse4_crc32' | 'js';
  crc32c: Crc32c;
}

const SHORT_INPUT = 64;

interface NativeModule {
  calculate(data: Uint8Array, initial?: number): number;
}

/**
 * Picks the implementation: the native addon through `loadNative` unless it
 * throws (or `LOGKV_CRC32C=js` is set), else pure JS.
 */
export function selectCrc32c(loadNative: () => NativeModule, env = process.env): Crc32cImplementation {
  if (env.LOGKV_CRC32C === 'js') return { name: 'js', crc32c: crc32cJs };
  let native: NativeModule;
  try {
    native = loadNative();
    // A library that loads but computes something else must not be used.
    if (native.calculate(Buffer.from('123456789')) !== 0xe3069283) throw new Error('wrong check value');
  } catch {
    return { name: 'js', crc32c: crc32cJs };
  }
  const calculate = native.calculate;
  return {
    name: 'sse4_crc32',
    crc32c: (data, crc = 0) =>
      data.length < SHORT_INPUT ? crc32cJs(data, crc) : calculate(toBuffer(data), crc) >>> 0,
  };
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

const require = createRequire(import.meta.url);

export const crc32cImplementation = selectCrc32c(() => require('sse4_crc32') as NativeModule);

/** CRC-32C (Castagnoli) of `data`, continuing from `crc` when given. */
export const crc32c: Crc32c = crc32cImplementation.crc32c;

/**
 * Below this many bytes a range is checksummed in JS: making the view the
 * native call needs (a Buffer subarray) costs more than the JS loop for a
 * record (measured: a 132-byte record, subarray + native ~0.5 us, JS ~0.1 us).
 */
const RANGE_NATIVE_MIN = 1024;

/** CRC-32C of data[start, end), the fastest way for its length. */
export function crc32cRange(data: Uint8Array, start: number, end: number): number {
  return end - start < RANGE_NATIVE_MIN ? crc32cJsRange(data, start, end) : crc32c(data.subarray(start, end));
}

/**
 * crc32cRange() for a caller that computes many over one buffer and holds
 * a DataView of all of it (`view`, over `data`'s ArrayBuffer from byte 0
 * of `data`): the short ranges go through the view, sixteen bytes a step,
 * instead of a byte at a time (a view made per record would cost more
 * than it saves). Measured, 128-byte records of a 66 MB buffer: 73-88 ns
 * a record against 121-157 ns (a scan that checks every record's CRC:
 * kvtool verify and dump).
 */
export function crc32cRangeViewed(view: DataView, data: Uint8Array, start: number, end: number): number {
  return end - start < RANGE_NATIVE_MIN ? crc32cJsView(view, start, end) : crc32c(data.subarray(start, end));
}
