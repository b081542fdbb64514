// A plain write's batch encoded when it is called, before the log gives it
// its offsets (issue 17, bulk put): a record's offset delta is its index in
// the batch, so every record, its CRC included, is final at once, and the
// log only writes the batch header (base offset, timestamp) and the batch
// CRC when it places the batch (SegmentLog). Keys and values are copied
// straight from the caller's arguments into the batch's bytes: no object,
// view or copy of its own per record (a 10k-put batch made five objects
// and a key copy a record, and the collector's time was a fifth of a bulk
// load's). The copy is made at the call, so a caller may reuse its
// buffers as soon as put() or batch() returns.

import { LogkvError } from '../errors.js';
import { BATCH_FRAME_SIZE, BATCH_HEADER_SIZE, EXPIRY_SIZE, MAX_BATCH_LENGTH, MAX_KEY_LENGTH, MAX_RECORDS_PER_BATCH, Op, RECORD_CRC_SIZE, RECORD_FIXED_SIZE } from '../formats/limits.js';
import { crc32cRange } from '../checksum/crc32c.js';
import { crc32cJsView } from '../checksum/crc32c-js.js';
import { sealBatch, sealRecord, writeBatchHeader, writeRecordHead, writeU64 } from '../formats/log-segment-writer.js';

export class EncodedBatch {
  /** The batch whole: its frame and header are written by seal(); records from FIRST_RECORD on. */
  readonly bytes: Buffer;
  readonly count: number;
  /** Where record i starts in bytes; starts[count] is bytes.length. Undefined for one record (put(), delete()): it spans FIRST_RECORD to the end, and a typed array a put cost ~200 B of heap. */
  readonly starts: Uint32Array | undefined;

  constructor(bytes: Buffer, count: number, starts: Uint32Array | undefined) {
    this.bytes = bytes;
    this.count = count;
    this.starts = starts;
  }

  /** Writes the header for offsets from `baseOffset` and the batch CRC: the batch is ready to be written at any position. */
  seal(baseOffset: number, timestampMs: number): void {
    writeBatchHeader(this.bytes, 0, { baseOffset, lastDelta: this.count - 1, timestampMs, compacted: false, count: this.count });
    sealBatch(this.bytes, 0, this.bytes.length);
  }
}

export const FIRST_RECORD = BATCH_FRAME_SIZE + BATCH_HEADER_SIZE;
/** Records from this size have their CRC computed natively (crc32c.ts: below it the native call costs more). */
const NATIVE_CRC_FROM = 1024;

/** A key as a caller gives it. */
export type KeyInput = string | Uint8Array;

/** Bytes of `key` as the log holds it; INVALID_ARGUMENT for anything but a string or bytes, TOO_LARGE past MAX_KEY_LENGTH. */
export function keyByteLength(key: unknown): number {
  let n: number;
  if (typeof key === 'string') n = Buffer.byteLength(key, 'utf8');
  else if (key instanceof Uint8Array) n = key.length;
  else throw new LogkvError('INVALID_ARGUMENT', `keys are strings or Uint8Arrays, not ${typeof key}`);
  if (n > MAX_KEY_LENGTH) throw new LogkvError('TOO_LARGE', `key of ${n} bytes is over ${MAX_KEY_LENGTH}`);
  return n;
}

/**
 * Collects a batch's records (already checked by the caller) and encodes
 * them in one buffer: add() each, then finish().
 */
export class BatchEncoding {
  #count = 0;
  #bytes = FIRST_RECORD;
  readonly #ops: Uint8Array;
  readonly #keys: KeyInput[];
  readonly #keyLengths: Uint32Array;
  readonly #values: Array<Uint8Array | undefined>;
  /** NaN: no expiry. */
  readonly #expiries: Float64Array;

  constructor(capacity: number) {
    if (capacity > MAX_RECORDS_PER_BATCH) throw new LogkvError('TOO_LARGE', `a batch holds at most ${MAX_RECORDS_PER_BATCH} operations`);
    this.#ops = new Uint8Array(capacity);
    this.#keys = new Array<KeyInput>(capacity);
    this.#keyLengths = new Uint32Array(capacity);
    this.#values = new Array<Uint8Array | undefined>(capacity);
    this.#expiries = new Float64Array(capacity);
  }

  /** A put (value given) or a delete (value undefined) of `key`, whose byte length is `keyLength` (keyByteLength()). */
  add(op: Op, key: KeyInput, keyLength: number, value: Uint8Array | undefined, expireAtMs: number | undefined): void {
    const i = this.#count++;
    this.#ops[i] = op;
    this.#keys[i] = key;
    this.#keyLengths[i] = keyLength;
    this.#values[i] = value;
    this.#expiries[i] = expireAtMs ?? NaN;
    this.#bytes += RECORD_FIXED_SIZE + (expireAtMs === undefined ? 0 : EXPIRY_SIZE) + keyLength + (value?.length ?? 0);
  }

  get count(): number {
    return this.#count;
  }

  /** The records as one batch; TOO_LARGE past the format's batch length (nothing is written then). */
  finish(): EncodedBatch {
    const n = this.#count;
    const total = this.#bytes;
    if (total > MAX_BATCH_LENGTH) throw new LogkvError('TOO_LARGE', `a batch of ${total} bytes is over ${MAX_BATCH_LENGTH}`);
    const buf = Buffer.allocUnsafe(total);
    // The record heads through one DataView: Buffer#writeUInt32LE checks its arguments each call, which cost more than the write.
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const starts = new Uint32Array(n + 1);
    const ops = this.#ops;
    const keys = this.#keys;
    const keyLengths = this.#keyLengths;
    const values = this.#values;
    const expiries = this.#expiries;
    let pos = FIRST_RECORD;
    for (let i = 0; i < n; i++) {
      const start = pos;
      starts[i] = start;
      const expireAtMs = expiries[i]!;
      const expires = expireAtMs === expireAtMs;
      const keyLength = keyLengths[i]!;
      const value = values[i];
      const valueLength = value === undefined ? 0 : value.length;
      // formats/log_segment.ksy, record: crc u4 (below), op u1, flags u1, offset_delta u4, key_length u2, value_length u4.
      buf[start + 4] = ops[i]!;
      buf[start + 5] = expires ? 1 : 0;
      dv.setUint32(start + 6, i, true);
      dv.setUint16(start + 10, keyLength, true);
      dv.setUint32(start + 12, valueLength, true);
      pos = start + RECORD_FIXED_SIZE;
      if (expires) {
        writeU64(buf, pos, expireAtMs, 'expireAtMs');
        pos += EXPIRY_SIZE;
      }
      pos = writeKeyValue(buf, pos, keys[i]!, keyLength, value);
      const crcStart = start + RECORD_CRC_SIZE;
      dv.setUint32(start, pos - crcStart < NATIVE_CRC_FROM ? crc32cJsView(dv, crcStart, pos) : crc32cRange(buf, crcStart, pos), true);
    }
    starts[n] = pos;
    return new EncodedBatch(buf, n, starts);
  }
}

/** A batch of one record (put() and delete()): encodes it with no arrays to collect it. */
export function encodeOne(op: Op, key: KeyInput, keyLength: number, value: Uint8Array | undefined, expireAtMs: number | undefined): EncodedBatch {
  const valueLength = value?.length ?? 0;
  const end = FIRST_RECORD + RECORD_FIXED_SIZE + (expireAtMs === undefined ? 0 : EXPIRY_SIZE) + keyLength + valueLength;
  const buf = Buffer.allocUnsafe(end);
  let pos = writeRecordHead(buf, FIRST_RECORD, op, expireAtMs === undefined ? 0 : 1, 0, keyLength, valueLength);
  if (expireAtMs !== undefined) {
    writeU64(buf, pos, expireAtMs, 'expireAtMs');
    pos += EXPIRY_SIZE;
  }
  writeKeyValue(buf, pos, key, keyLength, value);
  sealRecord(buf, FIRST_RECORD, end);
  return new EncodedBatch(buf, 1, undefined);
}

function writeKeyValue(buf: Buffer, pos: number, key: KeyInput, keyLength: number, value: Uint8Array | undefined): number {
  if (typeof key === 'string') buf.write(key, pos, keyLength, 'utf8');
  else buf.set(key, pos);
  pos += keyLength;
  if (value === undefined) return pos;
  buf.set(value, pos);
  return pos + value.length;
}
