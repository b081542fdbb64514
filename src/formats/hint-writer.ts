// Encodes hint files (formats/hint.ksy): the key directory of one sealed
// segment, written whole and renamed into place by the caller.

import { crc32c } from '../checksum/crc32c.js';
import { LogkvError } from '../errors.js';
import {
  EXPIRY_SIZE,
  FORMAT_VERSION,
  HINT_ENTRY_FIXED_SIZE,
  HINT_HEADER_SIZE,
  HINT_MAGIC,
  HINT_TRAILER_SIZE,
  MAX_KEY_LENGTH,
  MAX_RECORD_SIZE,
  RECORD_FIXED_SIZE,
} from './limits.js';
import { writeU64 } from './log-segment-writer.js';

export interface HintEntry {
  key: Uint8Array;
  offset: number;
  /** Byte position of the record in the segment. */
  position: number;
  /** Encoded size of the record. */
  size: number;
  tombstone: boolean;
  expireAtMs?: number | undefined;
}

export interface HintFile {
  segmentBaseOffset: number;
  segmentNextOffset: number;
  /** Length of the segment file the hint was made from. */
  coveredLength: number;
  entries: readonly HintEntry[];
}

/** Bytes one entry takes in a hint. */
export function hintEntrySize(keyLength: number, hasExpiry: boolean): number {
  return HINT_ENTRY_FIXED_SIZE + (hasExpiry ? EXPIRY_SIZE : 0) + keyLength;
}

/**
 * A hint written entry by entry into one buffer sized up front, without an
 * object per entry (a segment's hint has one entry per key: a million for a
 * full 64 MiB segment of small records). encodeHint() is this over objects.
 */
export class HintBuilder {
  readonly #buf: Buffer;
  readonly #entries: number;
  #pos = HINT_HEADER_SIZE;
  #count = 0;

  /** `entries` entries of `entryBytes` bytes in all (hintEntrySize of each) follow. */
  constructor(h: Omit<HintFile, 'entries'>, entries: number, entryBytes: number) {
    const buf = Buffer.alloc(HINT_HEADER_SIZE + entryBytes + HINT_TRAILER_SIZE);
    buf.write(HINT_MAGIC, 0, 'latin1');
    buf.writeUInt16LE(FORMAT_VERSION, 4);
    buf.writeUInt16LE(0, 6);
    writeU64(buf, 8, h.segmentBaseOffset, 'segmentBaseOffset');
    writeU64(buf, 16, h.segmentNextOffset, 'segmentNextOffset');
    if (h.coveredLength > 0xffffffff) throw new LogkvError('TOO_LARGE', 'segment longer than 4 GiB');
    writeU64(buf, 24, h.coveredLength, 'coveredLength');
    buf.writeUInt32LE(crc32c(buf.subarray(0, 32)), 32);
    this.#buf = buf;
    this.#entries = entries;
  }

  /** Adds the entry of the key key[keyAt, keyAt + keyLength). */
  add(tombstone: boolean, key: Uint8Array, keyAt: number, keyLength: number, offset: number, position: number, size: number, expireAtMs: number | undefined): void {
    if (keyLength > MAX_KEY_LENGTH) throw new LogkvError('TOO_LARGE', `key of ${keyLength} bytes is over ${MAX_KEY_LENGTH}`);
    if (!Number.isInteger(size) || size < RECORD_FIXED_SIZE || size > MAX_RECORD_SIZE) {
      throw new LogkvError('INVALID_ARGUMENT', `record size ${size} is not one a record can have`);
    }
    if (!Number.isInteger(position) || position < 0 || position > 0xffffffff) throw new LogkvError('INVALID_ARGUMENT', `position ${position} out of range`);
    const buf = this.#buf;
    let pos = this.#pos;
    const end = pos + hintEntrySize(keyLength, expireAtMs !== undefined);
    if (this.#count === this.#entries || end > buf.length - HINT_TRAILER_SIZE) throw new Error('HintBuilder: more entries than announced');
    buf[pos] = (tombstone ? 1 : 0) | (expireAtMs === undefined ? 0 : 2);
    buf.writeUInt16LE(keyLength, pos + 1);
    writeU64(buf, pos + 3, offset, 'offset');
    buf.writeUInt32LE(position, pos + 11);
    buf.writeUInt32LE(size, pos + 15);
    pos += HINT_ENTRY_FIXED_SIZE;
    if (expireAtMs !== undefined) {
      writeU64(buf, pos, expireAtMs, 'expireAtMs');
      pos += EXPIRY_SIZE;
    }
    if (keyLength <= 32) for (let j = 0; j < keyLength; j++) buf[pos + j] = key[keyAt + j]!;
    else buf.set(key.subarray(keyAt, keyAt + keyLength), pos);
    this.#pos = end;
    this.#count++;
  }

  /** The encoded hint; every announced entry must have been added. */
  finish(): Buffer {
    const buf = this.#buf;
    const pos = this.#pos;
    if (this.#count !== this.#entries || pos !== buf.length - HINT_TRAILER_SIZE) throw new Error('HintBuilder: fewer entries than announced');
    buf.writeUInt32LE(this.#count, pos);
    buf.writeUInt32LE(crc32c(buf.subarray(HINT_HEADER_SIZE, pos)), pos + 4);
    return buf;
  }
}

export function encodeHint(h: HintFile): Buffer {
  let bytes = 0;
  for (const e of h.entries) bytes += hintEntrySize(e.key.length, e.expireAtMs !== undefined);
  const out = new HintBuilder(h, h.entries.length, bytes);
  for (const e of h.entries) out.add(e.tombstone, e.key, 0, e.key.length, e.offset, e.position, e.size, e.expireAtMs);
  return out.finish();
}
