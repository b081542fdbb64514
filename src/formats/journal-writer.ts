// Encodes journal headers and frames (formats/journal.ksy).

import { crc32c } from '../checksum/crc32c.js';
import { LogkvError } from '../errors.js';
import { ByteSink, type JournalValue, writeValue } from './journal-value.js';
import {
  FORMAT_VERSION,
  FRAME_PREFIX_SIZE,
  FrameOp,
  JOURNAL_HEADER_SIZE,
  JOURNAL_MAGIC,
  JOURNAL_SUPERSEDED,
  MAX_BATCH_LENGTH,
  MAX_JOURNAL_FILE_SIZE,
  MAX_KEY_LENGTH,
  MIN_JOURNAL_FILE_SIZE,
} from './limits.js';
import { writeU64 } from './log-segment-writer.js';

export interface JournalHeader {
  generation: number;
  /** Size of the whole file (the journal's buffer size). */
  fileSize: number;
  /** Bytes of frames after the header known durable when it was written. */
  committedLength: number;
  createdMs: number;
  /** A newer generation is durable in the other file (journal_header.flags bit 0). Default false. */
  superseded?: boolean;
}

export interface JournalEntry {
  key: string;
  /** null removes the key. */
  value: JournalValue;
}

export interface JournalFrame {
  generation: number;
  op: FrameOp;
  entries: readonly JournalEntry[];
}

export function encodeJournalHeader(h: JournalHeader): Buffer {
  if (!Number.isInteger(h.fileSize) || h.fileSize < MIN_JOURNAL_FILE_SIZE || h.fileSize > MAX_JOURNAL_FILE_SIZE) {
    throw new LogkvError('INVALID_ARGUMENT', `journal file size must be ${MIN_JOURNAL_FILE_SIZE} to ${MAX_JOURNAL_FILE_SIZE} bytes, not ${h.fileSize}`);
  }
  if (h.committedLength < 0 || h.committedLength > h.fileSize - JOURNAL_HEADER_SIZE) {
    throw new LogkvError('INVALID_ARGUMENT', `committed length ${h.committedLength} does not fit the file`);
  }
  const buf = Buffer.alloc(JOURNAL_HEADER_SIZE);
  buf.write(JOURNAL_MAGIC, 0, 'latin1');
  buf.writeUInt16LE(FORMAT_VERSION, 4);
  buf.writeUInt16LE(h.superseded ? JOURNAL_SUPERSEDED : 0, 6);
  writeU64(buf, 8, h.generation, 'generation');
  buf.writeUInt32LE(h.fileSize, 16);
  buf.writeUInt32LE(h.committedLength, 20);
  writeU64(buf, 24, h.createdMs, 'createdMs');
  buf.writeUInt32LE(crc32c(buf.subarray(0, 32)), 32);
  return buf;
}

/** Encodes one frame: prefix (length, CRC) and body. */
export function encodeFrame(f: JournalFrame): Buffer {
  if (f.op === FrameOp.Clear && f.entries.length !== 0) throw new LogkvError('INVALID_ARGUMENT', 'a clear frame has no entries');
  const out = new ByteSink(64);
  out.reserve(FRAME_PREFIX_SIZE);
  out.pos = FRAME_PREFIX_SIZE;
  out.reserve(8);
  writeU64(out.buf, out.pos, f.generation, 'generation');
  out.pos += 8;
  out.u8(f.op);
  out.u32(f.entries.length);
  for (const e of f.entries) {
    const key = Buffer.from(e.key, 'utf8');
    if (key.length > MAX_KEY_LENGTH) throw new LogkvError('TOO_LARGE', `key of ${key.length} bytes is over ${MAX_KEY_LENGTH}`);
    out.u16(key.length);
    out.bytes(key);
    writeValue(out, e.value);
  }
  const buf = out.result();
  const length = buf.length - FRAME_PREFIX_SIZE;
  if (length > MAX_BATCH_LENGTH) throw new LogkvError('TOO_LARGE', `frame of ${length} bytes is over ${MAX_BATCH_LENGTH}`);
  buf.writeUInt32LE(length, 0);
  buf.writeUInt32LE(crc32c(buf.subarray(FRAME_PREFIX_SIZE)), 4);
  return buf;
}
