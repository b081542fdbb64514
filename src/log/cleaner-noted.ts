// The records of one cleaner output, noted as its batches are placed, for
// the output's hint and index (segment-newest.ts), which are written
// beside the writes once the run is in effect (cleaner.ts). A small output
// keeps copies of its batches and notes their records only when its hint
// is made, after the run has returned: a key copied and hashed per record
// is most of a run's own time over a mostly dead segment (issue 17; 10k
// records noted as placed were ~5 ms of a ~90 ms compact() here). A large
// output notes its records as they come, so the copies held never pass
// NOTE_LATER_BYTES: the noted form is about a third of the batches' bytes
// and is what the worker thread takes (background-files.ts).

import { visitRecords } from '../formats/log-segment-reader.js';
import { BATCH_FRAME_SIZE } from '../formats/limits.js';
import { BATCH_TARGET } from './compacted-output.js';
import { SegmentNewest } from './segment-newest.js';

/**
 * Batch bytes an output holds as copies before it notes them as they come:
 * two of the cleaner's batches. The copies are noted in one piece when
 * that is passed, on the thread the writes wait for, so this is about
 * twice what noting one placed batch already held it (a few ms).
 */
const NOTE_LATER_BYTES = 2 * BATCH_TARGET;

interface PlacedBatch {
  position: number;
  bytes: Buffer;
  baseOffset: number;
  count: number;
}

export class NotedRecords {
  #copies: PlacedBatch[] = [];
  #bytes = 0;
  #noted: SegmentNewest | undefined;

  /** A batch written at `position`: `bytes` from its length field on (valid during the call only), `count` records from `baseOffset`. */
  add(position: number, bytes: Buffer, baseOffset: number, count: number): void {
    if (this.#noted !== undefined) return note(this.#noted, { position, bytes, baseOffset, count });
    this.#copies.push({ position, bytes: Buffer.from(bytes), baseOffset, count });
    this.#bytes += bytes.length;
    if (this.#bytes > NOTE_LATER_BYTES) this.#noted = this.take();
  }

  /** Every record noted (SegmentNewest.add, in file order); the copies are let go. */
  take(): SegmentNewest {
    const noted = this.#noted ?? new SegmentNewest();
    for (const b of this.#copies) note(noted, b);
    this.#copies = [];
    this.#bytes = 0;
    return noted;
  }
}

function note(noted: SegmentNewest, b: PlacedBatch): void {
  visitRecords(b.bytes, BATCH_FRAME_SIZE, { baseOffset: b.baseOffset, recordCount: b.count }, noted.add, b.position);
}
