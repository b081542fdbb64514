// A snapshot's entries as the compacted batches of put records a restored
// log starts with (restore.ts), in offset order. A snapshot entry's
// expiry, key and value are laid out exactly as a record's, so each record
// is its fixed fields, one copy out of the snapshot's chunk, and its CRC:
// no object per entry. The batches are those CompactedOutput makes of the
// same records (the same timestamp, closed at its BATCH_TARGET or
// MAX_RECORDS_PER_BATCH), so a restore writes the bytes it always did.
//
// A snapshot lists its entries in key order and the log wants them in
// offset order: for random keys, a random walk over the whole snapshot.
// Read that way, each entry cost a cache and TLB miss or two (~1.3 us an
// entry on this VM, 1.3 s of a 1M-key restore, profiled on the line that
// first touched an entry). So the entries are first copied, in one
// sequential pass over the snapshot per group of ~64 MiB of output, into
// bands of ~1 MiB in offset order; each band is then read from memory the
// caches hold.

import { BATCH_FRAME_SIZE, BATCH_HEADER_SIZE, EXPIRY_SIZE, MAX_RECORDS_PER_BATCH, Op, RECORD_FIXED_SIZE, SNAPSHOT_ENTRY_FIXED_SIZE } from '../formats/limits.js';
import { sealBatch, sealRecord, writeBatchHeader, writeRecordHead } from '../formats/log-segment-writer.js';
import { BATCH_TARGET } from './compacted-output.js';
import type { SnapshotTable } from './snapshot-table.js';

/** Told each batch encoded: `bytes` holds it whole, `count` records at offsets baseOffset..lastOffset. The buffer is the caller's to keep. */
export type BatchSink = (bytes: Buffer, baseOffset: number, lastOffset: number, count: number) => Promise<void>;

/** Output gathered per pass over the snapshot. */
const GROUP_BYTES = 64 * 1024 * 1024;
/** Bytes per band a pass copies entries into, about: a band is read from cache once gathered. */
const BAND_BYTES = 512 * 1024;

/**
 * Encodes the entries of `table` as batches stamped `timestampMs`, each
 * handed to `sink` in turn. `order` holds the entries' indices in
 * ascending offset order, `sorted` their offsets in that order
 * (offsetOrder(), restore.ts).
 *
 * Every array indexed at random here is small (a band's); the large ones
 * are walked in order. Measured: a lookup at random in a 4-8 MB typed
 * array cost 0.4-0.8 us here, as much as the whole record's encoding.
 */
export async function encodeEntryBatches(
  table: SnapshotTable,
  order: { order: Uint32Array; sorted: Float64Array },
  timestampMs: number,
  sink: BatchSink,
  /** Tests make these small, to have many groups and bands. */
  sizes: { groupBytes: number; bandBytes: number } = { groupBytes: GROUP_BYTES, bandBytes: BAND_BYTES },
): Promise<void> {
  const n = table.count;
  const rank = new Uint32Array(n);
  for (let r = 0; r < n; r++) rank[order.order[r]!] = r;
  let total = 0;
  for (const c of table.chunks) total += c.length;
  // Bands and groups by entry count (the mean entry size), so that a rank's band is a division, not a lookup.
  const perBand = Math.max(1, Math.floor(sizes.bandBytes / Math.max(1, total / Math.max(1, n))));
  const perGroup = perBand * Math.max(1, Math.floor(sizes.groupBytes / sizes.bandBytes));
  const batches = new BatchEncoder(timestampMs);
  const slotAt = new Uint32Array(Math.min(n, perGroup));
  const slotRank = new Uint32Array(Math.min(n, perGroup));
  const localAt = new Uint32Array(perBand);
  for (let first = 0; first < n; first += perGroup) {
    const end = Math.min(n, first + perGroup);
    const bands = Math.ceil((end - first) / perBand);
    // Pass 1: each band's bytes. Pass 2: each entry copied to its band, with its rank beside it.
    const cursor = new Float64Array(bands + 1);
    for (let i = 0; i < n; i++) {
      const r = rank[i]!;
      if (r >= first && r < end) cursor[(((r - first) / perBand) | 0) + 1]! += entrySize(table.chunks[table.chunkOf[i]!]!, table.at[i]!);
    }
    for (let b = 1; b <= bands; b++) cursor[b]! += cursor[b - 1]!;
    const group = Buffer.allocUnsafe(cursor[bands]!);
    const slot = Uint32Array.from({ length: bands }, (_, b) => b * perBand);
    for (let i = 0; i < n; i++) {
      const r = rank[i]!;
      if (r < first || r >= end) continue;
      const b = ((r - first) / perBand) | 0;
      const p = cursor[b]!;
      const chunk = table.chunks[table.chunkOf[i]!]!;
      const from = table.at[i]!;
      const size = entrySize(chunk, from);
      chunk.copy(group, p, from, from + size);
      cursor[b] = p + size;
      const k = slot[b]!++;
      slotAt[k] = p;
      slotRank[k] = r;
    }
    for (let b = 0; b < bands; b++) {
      const bandFirst = first + b * perBand;
      const bandEnd = Math.min(end, bandFirst + perBand);
      for (let k = b * perBand; k < b * perBand + (bandEnd - bandFirst); k++) localAt[slotRank[k]! - bandFirst] = slotAt[k]!;
      for (let r = bandFirst; r < bandEnd; r++) {
        const offset = order.sorted[r]!;
        if (batches.fullBefore(offset)) await sink(...batches.take());
        batches.add(group, localAt[r - bandFirst]!, offset);
      }
    }
  }
  if (!batches.empty) await sink(...batches.take());
}

/** Bytes of the snapshot entry at bytes[at]. */
function entrySize(bytes: Buffer, at: number): number {
  return SNAPSHOT_ENTRY_FIXED_SIZE + bytes[at]! * EXPIRY_SIZE + (bytes[at + 1]! | (bytes[at + 2]! << 8)) + bytes.readUInt32LE(at + 3);
}

/** The batch being filled with records made from snapshot entries. */
class BatchEncoder {
  readonly #timestampMs: number;
  #buf = Buffer.allocUnsafe(BATCH_TARGET + 64 * 1024);
  #pos = 0;
  #count = 0;
  #pendingBytes = 0;
  #baseOffset = 0;
  #lastOffset = 0;

  constructor(timestampMs: number) {
    this.#timestampMs = timestampMs;
  }

  get empty(): boolean {
    return this.#count === 0;
  }

  /** Whether the batch must go out before a record at `offset` joins it: CompactedOutput's rule (its #batchFull), and a delta that must fit its u4. */
  fullBefore(offset: number): boolean {
    return this.#count > 0 && (this.#pendingBytes >= BATCH_TARGET || this.#count >= MAX_RECORDS_PER_BATCH || offset - this.#baseOffset > 0xffffffff);
  }

  /** Adds the put record for the snapshot entry at entry[at], set at `offset`. */
  add(entry: Buffer, at: number, offset: number): void {
    if (this.#count === 0) {
      this.#baseOffset = offset;
      this.#pos = BATCH_FRAME_SIZE + BATCH_HEADER_SIZE;
    }
    const flags = entry[at]!;
    const keyLength = entry[at + 1]! | (entry[at + 2]! << 8);
    const valueLength = entry.readUInt32LE(at + 3);
    const tail = flags * EXPIRY_SIZE + keyLength + valueLength;
    const pos = this.#pos;
    const end = pos + RECORD_FIXED_SIZE + tail;
    if (end > this.#buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, end));
      this.#buf.copy(grown, 0, 0, pos);
      this.#buf = grown;
    }
    const buf = this.#buf;
    const tailAt = writeRecordHead(buf, pos, Op.Put, flags, offset - this.#baseOffset, keyLength, valueLength);
    const from = at + SNAPSHOT_ENTRY_FIXED_SIZE;
    entry.copy(buf, tailAt, from, from + tail);
    sealRecord(buf, pos, end);
    this.#pos = end;
    this.#pendingBytes += keyLength + valueLength + 24;
    this.#lastOffset = offset;
    this.#count++;
  }

  /** The batch, sealed, its offsets and its record count; the encoder starts a new one in a buffer of its own (a FileIO may keep what it was given). */
  take(): [Buffer, number, number, number] {
    const buf = this.#buf;
    writeBatchHeader(buf, 0, { baseOffset: this.#baseOffset, lastDelta: this.#lastOffset - this.#baseOffset, timestampMs: this.#timestampMs, compacted: true, count: this.#count });
    sealBatch(buf, 0, this.#pos);
    this.#buf = Buffer.allocUnsafe(buf.length);
    const count = this.#count;
    this.#count = 0;
    this.#pendingBytes = 0;
    return [buf.subarray(0, this.#pos), this.#baseOffset, this.#lastOffset, count];
  }
}
