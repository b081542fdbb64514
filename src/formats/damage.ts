// What a reader found wrong, and the one header check every format shares.
// Readers report damage as data (LevelDB's Reporter idea); callers decide
// whether it is a torn tail to cut, corruption to refuse, or a range to skip.

import { crc32c } from '../checksum/crc32c.js';
import { LogkvError } from '../errors.js';
import { streamOver, type KaitaiStream } from './kaitai.js';
import { FORMAT_VERSION } from './limits.js';

export interface Damage {
  code: 'CORRUPT' | 'TRUNCATED';
  /** Stable detail, e.g. 'batch-crc' (docs/FORMATS.md lists them). */
  reason: string;
  /** Byte position of the first byte found bad. */
  offset: number;
  /** Bytes from `offset` that the reader could not use. */
  length: number;
  message: string;
}

export function damageError(d: Damage, file?: string): LogkvError {
  return new LogkvError(d.code, `${file ?? 'file'} at byte ${d.offset}: ${d.message}`, {
    file,
    offset: d.offset,
    reason: d.reason,
  });
}

interface KaitaiFailure {
  name?: string;
  message?: string;
}

function isKaitaiError(e: unknown): e is KaitaiFailure {
  if (!(e instanceof Error)) return false;
  return e.name === 'EOFError' || e.name.startsWith('Validation');
}

/**
 * Turns an exception from a generated parser into damage found at `offset`
 * (the start of the structure being parsed). Anything else is a bug and is
 * rethrown.
 */
export function kaitaiDamage(e: unknown, offset: number, length: number, what: string): Damage {
  if (!isKaitaiError(e)) throw e;
  if (e.name === 'EOFError') {
    return { code: 'TRUNCATED', reason: 'truncated', offset, length, message: `${what} ends early (${e.message})` };
  }
  return { code: 'CORRUPT', reason: 'field-range', offset, length, message: `${what}: field out of range (${e.message})` };
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/**
 * Parses a file header with its generated parser and checks what every
 * logkv header has: magic (bytes 0..3), format version (4..5) and a CRC-32C
 * of the bytes before it in its last four bytes. Throws a LogkvError with
 * code BAD_MAGIC, UNSUPPORTED_VERSION, TRUNCATED or CORRUPT.
 */
export function readFileHeader<T>(
  bytes: Uint8Array,
  magic: string,
  size: number,
  parse: (io: KaitaiStream) => T,
  file?: string,
): T {
  const expected = ascii(magic);
  const prefix = bytes.subarray(0, 4);
  if (!prefix.every((b, i) => b === expected[i])) {
    throw new LogkvError('BAD_MAGIC', `${file ?? 'file'} is not a ${magic} file (magic ${hex(prefix)})`, {
      file,
      offset: 0,
      reason: 'magic',
    });
  }
  if (bytes.length >= 6) {
    const version = bytes[4]! | (bytes[5]! << 8);
    if (version !== FORMAT_VERSION) {
      throw new LogkvError('UNSUPPORTED_VERSION', `${file ?? 'file'} has format version ${version}; this build reads ${FORMAT_VERSION}`, {
        file,
        offset: 4,
        reason: 'version',
      });
    }
  }
  if (bytes.length < size) {
    throw damageError(
      { code: 'TRUNCATED', reason: 'truncated', offset: bytes.length, length: 0, message: `header needs ${size} bytes, file has ${bytes.length}` },
      file,
    );
  }
  const stored = new DataView(bytes.buffer, bytes.byteOffset).getUint32(size - 4, true);
  if (crc32c(bytes.subarray(0, size - 4)) !== stored) {
    throw damageError({ code: 'CORRUPT', reason: 'header-crc', offset: 0, length: size, message: 'header CRC-32C mismatch' }, file);
  }
  try {
    return parse(streamOver(bytes.subarray(0, size)));
  } catch (e) {
    throw damageError(kaitaiDamage(e, 0, size, 'header'), file);
  }
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const ZERO_CHUNK = Buffer.alloc(64 * 1024);

/**
 * Position of the first non-zero byte at or after `from`, or -1. Compares
 * 64 KiB at a time against zeros (memcmp) and only then looks byte by byte:
 * a preallocated segment is mostly zero fill, and recovery reads all of it.
 */
export function firstNonZero(bytes: Uint8Array, from: number): number {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = from; at < buf.length; at += ZERO_CHUNK.length) {
    const end = Math.min(buf.length, at + ZERO_CHUNK.length);
    if (buf.compare(ZERO_CHUNK, 0, end - at, at, end) === 0) continue;
    for (let i = at; i < end; i++) if (buf[i] !== 0) return i;
  }
  return -1;
}

/** Position of the last non-zero byte at or after `from`, or -1 (firstNonZero from the other end). */
export function lastNonZero(bytes: Uint8Array, from: number): number {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let end = buf.length; end > from; end -= ZERO_CHUNK.length) {
    const at = Math.max(from, end - ZERO_CHUNK.length);
    if (buf.compare(ZERO_CHUNK, 0, end - at, at, end) === 0) continue;
    for (let i = end - 1; i >= at; i--) if (buf[i] !== 0) return i;
  }
  return -1;
}
