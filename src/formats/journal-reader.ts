// Reads a journal file frame by frame with the generated parser
// (formats/journal.ksy). Like the log reader, the loop is ours so that a torn
// or damaged frame yields the last good position and a report.

import { crc32c } from '../checksum/crc32c.js';
import { LogkvError } from '../errors.js';
import { type ByteSource, bytesSource, firstNonZeroIn, SourceWindow } from './byte-source.js';
import { type Damage, damageError, firstNonZero, kaitaiDamage, readFileHeader } from './damage.js';
import { fromParsed } from './journal-value.js';
import type { JournalEntry, JournalHeader } from './journal-writer.js';
import { Journal, streamOver } from './kaitai.js';
import { FRAME_BODY_FIXED_SIZE, FRAME_PREFIX_SIZE, FrameOp, JOURNAL_HEADER_SIZE, JOURNAL_MAGIC, JOURNAL_SUPERSEDED, MAX_BATCH_LENGTH } from './limits.js';

export interface ReadFrame {
  position: number;
  /** Bytes the frame takes, prefix included. */
  size: number;
  op: FrameOp;
  entries: JournalEntry[];
}

export interface JournalScan {
  header: JournalHeader;
  /** The valid frames, in file order (none kept when the caller took them one by one: onFrame). */
  frames: ReadFrame[];
  frameCount: number;
  /** Position after the last valid frame. */
  validUpTo: number;
  end: 'slack' | 'eof' | 'damage';
  /** The first damage, if any: frames after it are not read. */
  damage: Damage | undefined;
  /** True when the damage lies in bytes the header counts as committed. */
  committedDamaged: boolean;
}

export interface JournalScanOptions {
  /** Each valid frame as it is read, instead of all of them in the result (kvtool: a window of the file at a time). */
  onFrame?: (frame: ReadFrame) => void;
}

export function readJournalHeader(bytes: Uint8Array, file?: string): JournalHeader {
  const h = readFileHeader(bytes, JOURNAL_MAGIC, JOURNAL_HEADER_SIZE, (io) => new Journal.JournalHeader(io), file);
  return { generation: h.generation, fileSize: h.fileSize, committedLength: h.committedLength, createdMs: h.createdMs, superseded: (h.flags & JOURNAL_SUPERSEDED) !== 0 };
}

/**
 * Reads a journal frame by frame: its bytes in memory (the JournalStore), or
 * a source read a window at a time (kvtool). Throws LogkvError when the
 * header is unusable; reports damage after it.
 */
export function scanJournal(input: Uint8Array | ByteSource, file?: string, options: JournalScanOptions = {}): JournalScan {
  const source = input instanceof Uint8Array ? bytesSource(input) : input;
  const size = source.size;
  const header = readJournalHeader(source.read(0, JOURNAL_HEADER_SIZE), file);
  if (size !== header.fileSize) {
    throw damageError(
      { code: 'CORRUPT', reason: 'file-size', offset: Math.min(size, header.fileSize), length: Math.abs(size - header.fileSize), message: `header says ${header.fileSize} bytes, file has ${size}` },
      file,
    );
  }
  const committedEnd = JOURNAL_HEADER_SIZE + header.committedLength;
  const scan: JournalScan = { header, frames: [], frameCount: 0, validUpTo: JOURNAL_HEADER_SIZE, end: 'eof', damage: undefined, committedDamaged: false };
  const keep = options.onFrame ?? ((f: ReadFrame) => void scan.frames.push(f));
  const w = new SourceWindow(source);
  let io = streamOver(w.bytes);
  let ioOver = w.bytes;
  let pos = JOURNAL_HEADER_SIZE;
  const stop = (code: Damage['code'], reason: string, offset: number, message: string): JournalScan => {
    scan.end = 'damage';
    scan.damage = { code, reason, offset, length: size - offset, message };
    scan.committedDamaged = offset < committedEnd;
    return scan;
  };
  while (pos < size) {
    const remaining = size - pos;
    // Writers always leave a 4-byte end marker, so fewer bytes is a torn file.
    if (remaining < 4) return stop('TRUNCATED', 'truncated', pos, 'too few bytes for a frame or the end marker');
    w.cover(pos, FRAME_PREFIX_SIZE);
    const length = u32(w.bytes, pos - w.base);
    if (length === 0) {
      const inWindow = firstNonZero(w.bytes, pos - w.base);
      const bad = inWindow >= 0 ? w.base + inWindow : firstNonZeroIn(source, w.end);
      if (bad >= 0) return stop('CORRUPT', 'nonzero-fill', bad, `non-zero byte in the slack after ${pos}`);
      if (pos < committedEnd) return stop('CORRUPT', 'committed-missing', pos, `slack starts at ${pos}, before the committed end ${committedEnd}`);
      scan.end = 'slack';
      return scan;
    }
    if (length < FRAME_BODY_FIXED_SIZE || length > MAX_BATCH_LENGTH) return stop('CORRUPT', 'frame-length', pos, `frame length ${length} out of range`);
    const end = pos + FRAME_PREFIX_SIZE + length;
    if (end > size) return stop('TRUNCATED', 'truncated', pos, `frame of ${length} bytes runs past the end of the file`);
    w.cover(pos, FRAME_PREFIX_SIZE + length);
    const at = pos - w.base;
    if (crc32c(w.bytes.subarray(at + FRAME_PREFIX_SIZE, at + FRAME_PREFIX_SIZE + length)) !== u32(w.bytes, at + 4)) return stop('CORRUPT', 'frame-crc', pos, 'frame CRC-32C mismatch');
    if (ioOver !== w.bytes) {
      io = streamOver(w.bytes);
      ioOver = w.bytes;
    }
    io.seek(at);
    let frame: ReadFrame;
    try {
      const f = new Journal.Frame(io);
      const body = f.body!;
      if (body.generation !== header.generation) {
        return stop('CORRUPT', 'generation', pos, `frame of generation ${body.generation} in a generation ${header.generation} file`);
      }
      if (body._io.pos !== length) return stop('CORRUPT', 'field-range', pos, 'entries do not fill the frame');
      frame = {
        position: pos,
        size: end - pos,
        op: body.op as FrameOp,
        entries: body.entries.map((e) => ({ key: e.key, value: fromParsed(e.value) })),
      };
    } catch (e) {
      if (e instanceof LogkvError) return stop('CORRUPT', e.reason ?? 'field-range', pos, e.message);
      const d = kaitaiDamage(e, pos, end - pos, 'frame');
      return stop('CORRUPT', d.reason === 'truncated' ? 'field-range' : d.reason, pos, d.message);
    }
    keep(frame);
    scan.frameCount++;
    scan.validUpTo = end;
    pos = end;
  }
  if (pos < committedEnd) return stop('CORRUPT', 'committed-missing', pos, `frames end at ${pos}, before the committed end ${committedEnd}`);
  return scan;
}

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
}
