// A file's bytes as the readers ask for them: a window at a time. The
// engine hands its readers whole files it already holds in memory (a
// segment it recovers, a hint it loads); kvtool hands them a file it reads
// a window at a time, so that checking or dumping a file of any size holds
// a few MiB of it, never the whole file (a Buffer cannot pass 2 GiB).

import { crc32c } from '../checksum/crc32c.js';
import { firstNonZero, lastNonZero } from './damage.js';

export interface ByteSource {
  /** The file's length (a file read while a writer trims it may get shorter as it is read: see handleSource). */
  readonly size: number;
  /**
   * bytes[position, position + length), cut short at the end of the file.
   * The view stays valid (a new buffer per read, or a view of bytes held
   * anyway): readers keep a window while they read one batch apart.
   */
  read(position: number, length: number): Uint8Array;
  /**
   * Reads bytes[position, position + buf.length) into `buf`, cut short at
   * the end of the file; returns how many. Where a source has it, a pass
   * that keeps no view of what it reads (a search for a non-zero byte, a
   * CRC) uses one buffer for the whole file: a fresh window per read left
   * up to 130 MB of them for the collector in a 2 GiB pass, measured.
   */
  readInto?(buf: Uint8Array, position: number): number;
  /** How many bytes a reader should ask for at once. */
  readonly window: number;
}

/** Bytes already in memory: one window, no copy. */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    window: Math.max(bytes.length, 1),
    read: (position, length) => bytes.subarray(position, Math.min(bytes.length, position + length)),
  };
}

/**
 * A moving view of a source: `bytes` holds the file from `base` on, and
 * `cover` slides it so that a range a reader needs is inside it whole.
 */
export class SourceWindow {
  readonly source: ByteSource;
  bytes: Uint8Array;
  base = 0;

  constructor(source: ByteSource) {
    this.source = source;
    this.bytes = source.read(0, source.window);
  }

  /** One past the last file position the window holds. */
  get end(): number {
    return this.base + this.bytes.length;
  }

  /**
   * Makes the window hold [position, position + length), or as much of it
   * as the file has. Reads only when it does not already.
   */
  cover(position: number, length: number): void {
    const want = Math.min(position + length, this.source.size);
    if (position >= this.base && want <= this.end) return;
    this.base = position;
    this.bytes = this.source.read(position, Math.max(length, this.source.window));
  }
}

/**
 * A reader of windows of `source` whose bytes are valid until its next
 * read: one buffer serves them all where the source can read into it.
 * Asks are at most source.window bytes.
 */
function passReader(source: ByteSource): (position: number, length: number) => Uint8Array {
  if (!source.readInto) return (position, length) => source.read(position, length);
  const scratch = new Uint8Array(source.window);
  return (position, length) => {
    const buf = scratch.subarray(0, Math.min(length, scratch.length));
    return buf.subarray(0, source.readInto!(buf, position));
  };
}

/**
 * Position of the first non-zero byte in [from, source.size), or -1,
 * reading a window at a time.
 */
export function firstNonZeroIn(source: ByteSource, from: number): number {
  const read = passReader(source);
  for (let at = from; at < source.size; ) {
    const bytes = read(at, source.window);
    if (bytes.length === 0) return -1;
    const bad = firstNonZero(bytes, 0);
    if (bad >= 0) return at + bad;
    at += bytes.length;
  }
  return -1;
}

/** Position of the last non-zero byte in [from, to), or -1, reading a window at a time from the end. */
export function lastNonZeroIn(source: ByteSource, from: number, to = source.size): number {
  const read = passReader(source);
  for (let end = Math.min(to, source.size); end > from; ) {
    const at = Math.max(from, end - source.window);
    const bytes = read(at, end - at);
    const bad = lastNonZero(bytes, 0);
    if (bad >= 0) return at + bad;
    end = at;
  }
  return -1;
}

/**
 * CRC-32C of bytes [from, to) of the source, a window at a time; of fewer
 * bytes when the file ends sooner (a caller compares it with a stored
 * CRC: a short file then fails it).
 */
export function crc32cIn(source: ByteSource, from: number, to: number): number {
  const read = passReader(source);
  let crc = 0;
  for (let at = from; at < to; ) {
    const chunk = read(at, Math.min(source.window, to - at));
    if (chunk.length === 0) break;
    crc = crc32c(chunk, crc);
    at += chunk.length;
  }
  return crc;
}
