// The chain of a sealed segment's batch headers, walked without reading
// the batches between them, for the log cleaner (issue 17: a cleaner whose
// cost follows what it keeps). In a mostly dead segment the cleaner knows
// from the key directory (or the segment's hint) where the records worth
// keeping are; what it still needs of every other batch is where it ends,
// so the next one is found, and its offsets, so the chain is known to be
// the segment's. A batch of 10k puts (1.3 MB) is then one read of its
// header, not 1.3 MB read and run through its CRC.
//
// What is checked, and what is not: each header's fields as far as they go
// alone (uncheckedFrameAt: length in range and inside the segment, offsets
// rising, the other fields in range), and that the chain lands on the
// segment's end exactly; a header that fails is read whole by the caller,
// which reports it. The CRC of a batch dropped unread is not computed: a
// byte gone bad inside records nobody needs any more goes with them, and a
// batch holding a kept record is always read whole and checked by its CRC
// before anything is copied out of it (cleaner.ts). `kvtool verify` reads
// every byte.

import { uncheckedFrameAt, type BatchFrame } from '../formats/log-segment-reader.js';
import { BATCH_FRAME_SIZE, BATCH_HEADER_SIZE } from '../formats/limits.js';
import type { FileHandle } from '../io/file-io.js';

const HEAD = BATCH_FRAME_SIZE + BATCH_HEADER_SIZE;
/**
 * Bytes read at a header the window does not hold: small batches (single
 * puts, ~150 B) have hundreds of headers in one read. After a batch larger
 * than that (a bulk load's 10k puts are ~1.3 MB), the next read is of a
 * page only: its header is all that is wanted of it.
 */
const WINDOW = 64 * 1024;
const PAGE = 4096;

export class CleanerFrames {
  readonly #handle: FileHandle;
  /** End of the segment's batches (its tail). */
  readonly #end: number;
  #window = Buffer.allocUnsafe(WINDOW);
  /** File position of #window[0], and how many of its bytes were read. */
  #start = 0;
  #held = 0;
  /** Size of the last batch whose header was read. */
  #lastSize = 0;
  /** Bytes read from the file so far. */
  bytesRead = 0;

  constructor(handle: FileHandle, end: number) {
    this.#handle = handle;
    this.#end = end;
  }

  /** The header of the batch at file position `position` (offsets not below `minOffset`), or undefined when its fields fail their checks. */
  at(position: number, minOffset: number): (BatchFrame & { recordCount: number }) | undefined {
    const rel = position - this.#start;
    if (rel < 0 || rel + HEAD > this.#held) {
      const want = this.#lastSize > WINDOW ? PAGE : WINDOW;
      this.#held = this.#handle.read(this.#window.subarray(0, Math.min(want, Math.max(0, this.#end - position))), position);
      this.#start = position;
      this.bytesRead += this.#held;
    }
    const frame = uncheckedFrameAt(this.#window.subarray(0, this.#held), position - this.#start, this.#end - position, minOffset);
    if (frame === undefined) return undefined;
    frame.position = position;
    this.#lastSize = frame.size;
    return frame;
  }
}
