// The cleaner's output batches, made of the bytes of the records it keeps
// (issue 17), with no object per record. A kept record is copied out of
// the batch it was read in as it is. A batch's base offset is its first
// record's (formats/log_segment.ksy), so where an output batch starts with
// the first record of a batch read, every record of that batch keeps its
// offset delta, and with it its CRC, and a run of neighbouring kept
// records is copied in one piece; a batch kept whole is copied whole
// (addWhole). Where a delta does change (the batch's first records
// dropped, a batch split, records of several batches coalesced), it is set
// and the record's CRC made again. Each record's offset is its own, so a
// compacted batch has gaps.
//
// The batches are those the cleaner always made: records from batches
// with the same timestamp share one, closed at BATCH_TARGET bytes or
// MAX_RECORDS_PER_BATCH records, and never across a boundary of the output
// (a kept snapshot's offset).

import { BATCH_FRAME_SIZE, BATCH_HEADER_SIZE, MAX_RECORDS_PER_BATCH } from '../formats/limits.js';
import { sealBatch, sealRecord, writeBatchHeader } from '../formats/log-segment-writer.js';
import { BATCH_TARGET, type CompactedOutput } from './compacted-output.js';

/**
 * Told of each batch once written: output `index`, its file `position`,
 * its bytes (records from BATCH_FRAME_SIZE + BATCH_HEADER_SIZE on, at
 * offsets from `baseOffset`), `count` records.
 */
export type BatchPlaced = (index: number, position: number, bytes: Buffer, baseOffset: number, count: number) => void;

const FIRST_RECORD = BATCH_FRAME_SIZE + BATCH_HEADER_SIZE;
/** Where a record's offset_delta (u4) is (formats/log_segment.ksy, record): after crc u4, op u1, flags u1. */
const DELTA_AT = 6;

export class KeptBatches {
  readonly #output: CompactedOutput;
  readonly #placed: BatchPlaced;
  readonly #boundaries: readonly number[];
  /** Boundaries below this index are at or below every offset still to come. */
  #passed = 0;
  #buf = Buffer.allocUnsafe(BATCH_TARGET + 64 * 1024);
  #pos = FIRST_RECORD;
  #count = 0;
  /** What the batch holds, about (a record's bytes and 8), judged against BATCH_TARGET. */
  #pendingBytes = 0;
  #baseOffset = 0;
  #lastOffset = -1;
  #timestampMs = 0;
  /** Records taken as they are and not copied yet: source bytes [#runStart, #runEnd) go to #runTo. */
  #runSource: Buffer | undefined;
  #runStart = 0;
  #runEnd = 0;
  #runTo = 0;

  constructor(output: CompactedOutput, placed: BatchPlaced) {
    this.#output = output;
    this.#placed = placed;
    this.#boundaries = output.boundaries;
  }

  /**
   * Adds the record src[start, end) (its CRC already checked), at `offset`,
   * from a batch stamped `timestampMs`; `stored` is its offset delta in
   * that batch. Offsets must increase. Returns a promise only when a batch
   * had to be written first: a million records that only join the batch
   * cost no promise each.
   */
  add(src: Buffer, start: number, end: number, offset: number, timestampMs: number, stored: number): Promise<void> | undefined {
    if (this.#count > 0 && this.#fullBefore(offset, timestampMs)) return this.#writeThenAdd(src, start, end, offset, timestampMs, stored);
    this.#join(src, start, end, offset, timestampMs, stored);
    return undefined;
  }

  /** Writes the batch being filled, if any. */
  async finish(): Promise<void> {
    if (this.#count > 0) await this.#write();
  }

  /**
   * Whether a whole batch of offsets baseOffset..lastOffset (its first
   * record at baseOffset) can be added as it is (addWhole): it keeps its
   * base offset (not below `floor`, the offsets written before or a
   * boundary) and straddles no boundary. Otherwise the caller adds its
   * records one by one.
   */
  fitsWhole(baseOffset: number, lastOffset: number, floor: number): boolean {
    const b = this.#boundaries;
    let passed = this.#passed;
    while (passed < b.length && b[passed]! <= baseOffset) passed++;
    const lowest = Math.max(floor, this.#lastOffset + 1, passed > 0 ? b[passed - 1]! : 0);
    return baseOffset >= lowest && !(passed < b.length && lastOffset >= b[passed]!);
  }

  /**
   * Writes the batch src[start, start + size) (checked, every record of it
   * kept, fitsWhole()) as it is but for its compacted flag and CRC, after
   * the batch being filled: a whole batch copied in one piece.
   */
  async addWhole(src: Buffer, start: number, size: number, baseOffset: number, lastOffset: number, timestampMs: number, count: number): Promise<void> {
    if (this.#count > 0) await this.#write();
    const b = this.#boundaries;
    while (this.#passed < b.length && b[this.#passed]! <= baseOffset) this.#passed++;
    const bytes = Buffer.allocUnsafe(size);
    src.copy(bytes, 0, start, start + size);
    // batch_header.attributes (formats/log_segment.ksy): after the frame, base_offset u8, last_offset_delta u4, timestamp u8.
    bytes.writeUInt16LE(1, BATCH_FRAME_SIZE + 20);
    sealBatch(bytes, 0, size);
    this.#lastOffset = lastOffset;
    const { index, position } = await this.#output.addBatch(bytes, baseOffset, lastOffset, timestampMs);
    this.#placed(index, position, bytes, baseOffset, count);
  }

  async #writeThenAdd(src: Buffer, start: number, end: number, offset: number, timestampMs: number, stored: number): Promise<void> {
    await this.#write();
    this.#join(src, start, end, offset, timestampMs, stored);
  }

  /** Whether the batch must go out before a record at `offset` stamped `timestampMs` joins it. */
  #fullBefore(offset: number, timestampMs: number): boolean {
    if (timestampMs !== this.#timestampMs || this.#pendingBytes >= BATCH_TARGET || this.#count >= MAX_RECORDS_PER_BATCH || offset - this.#baseOffset > 0xffffffff) return true;
    const b = this.#boundaries;
    return this.#passed < b.length && offset >= b[this.#passed]!;
  }

  /** Adds the record; `stored` is its offset delta as it is in src (the delta in its own batch). */
  #join(src: Buffer, start: number, end: number, offset: number, timestampMs: number, stored: number): void {
    if (this.#count === 0) {
      const b = this.#boundaries;
      while (this.#passed < b.length && b[this.#passed]! <= offset) this.#passed++;
      this.#baseOffset = offset;
      this.#timestampMs = timestampMs;
      this.#pos = FIRST_RECORD;
    }
    const size = end - start;
    const delta = offset - this.#baseOffset;
    if (delta === stored && src === this.#runSource && start === this.#runEnd) {
      this.#runEnd = end;
    } else {
      this.#copyRun();
      const pos = this.#pos;
      if (delta === stored) {
        this.#runSource = src;
        this.#runStart = start;
        this.#runEnd = end;
        this.#runTo = pos;
      } else {
        this.#room(pos + size);
        const buf = this.#buf;
        src.copy(buf, pos, start, end);
        buf.writeUInt32LE(delta, pos + DELTA_AT);
        sealRecord(buf, pos, pos + size);
      }
    }
    this.#pos += size;
    this.#pendingBytes += size + 8;
    this.#lastOffset = offset;
    this.#count++;
  }

  /** Copies the run of records taken as they are. */
  #copyRun(): void {
    const src = this.#runSource;
    if (src === undefined) return;
    this.#runSource = undefined;
    this.#room(this.#runTo + this.#runEnd - this.#runStart);
    src.copy(this.#buf, this.#runTo, this.#runStart, this.#runEnd);
  }

  /** Makes the batch buffer hold `end` bytes. */
  #room(end: number): void {
    if (end <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, end));
    this.#buf.copy(grown, 0, 0, this.#pos);
    this.#buf = grown;
  }

  async #write(): Promise<void> {
    this.#copyRun();
    const buf = this.#buf;
    const end = this.#pos;
    const count = this.#count;
    const baseOffset = this.#baseOffset;
    writeBatchHeader(buf, 0, { baseOffset, lastDelta: this.#lastOffset - baseOffset, timestampMs: this.#timestampMs, compacted: true, count });
    sealBatch(buf, 0, end);
    // A buffer of its own for the next batch: a FileIO may keep the one it was given.
    this.#buf = Buffer.allocUnsafe(buf.length);
    this.#count = 0;
    this.#pendingBytes = 0;
    const bytes = buf.subarray(0, end);
    const { index, position } = await this.#output.addBatch(bytes, baseOffset, this.#lastOffset, this.#timestampMs);
    this.#placed(index, position, bytes, baseOffset, count);
  }
}
