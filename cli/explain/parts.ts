// A hint, a segment index or a snapshot is one structure from byte 0 to
// its end, which its debug parser reads whole: the file in one buffer (none
// past 2 GiB) and an object for every entry at once (a million in the hint
// of a full segment). Here the root is walked part by part in the order its
// parser reads them (header; each entry, slot or chunk; trailer), each part
// parsed alone from its own bytes by its debug type, and only the part
// holding the byte and the place the parser stops are kept. The path,
// spans, value and error come out as the whole parse gives them
// (test/cli/explain-pieces compares the two); a hint shorter than its
// header and trailer is tiny and parsed whole.

import { type ByteSource, SourceWindow } from '../../src/formats/byte-source.js';
import { streamOver } from '../../src/formats/kaitai.js';
import {
  CHUNK_FRAME_SIZE,
  EXPIRY_SIZE,
  HINT_ENTRY_FIXED_SIZE,
  HINT_HEADER_SIZE,
  HINT_TRAILER_SIZE,
  INDEX_HEADER_SIZE,
  INDEX_SLOT_SIZE,
  INDEX_TRAILER_SIZE,
  MAX_CHUNK_LENGTH,
  MAX_KEY_LENGTH,
  MAX_RECORD_SIZE,
  RECORD_FIXED_SIZE,
  SHA256_SIZE,
  SNAPSHOT_HEADER_SIZE,
} from '../../src/formats/limits.js';
import { type DebugStruct, type DebugType, HintDebug, SegmentIndexDebug, SnapshotDebug } from './debug-parsers.js';
import { type Located, locateIn, type PathStep, type Piece, parseAlone, parseAndLocate } from './locate.js';

/** One part of the root, walked: the path from its own step (its field in what holds it) down to the byte. */
type Part = Located;

/** A part parsed alone, walked only if it is the one: the walk costs more than the parse, and one part holds the byte. */
interface Parsed {
  start: number;
  /** Undefined when the parser failed in the part. */
  end: number | undefined;
  error: Error | undefined;
  /** The part walked down to the byte. */
  locate: () => Part;
}

/** The largest hint entry: fixed fields, expiry, the longest key. */
const MAX_HINT_ENTRY = HINT_ENTRY_FIXED_SIZE + EXPIRY_SIZE + MAX_KEY_LENGTH;

/** Parses the part at the start of `piece`; `field` is its name in what holds it, whose type is `inType`. */
function parsePart(field: string, inType: string, type: DebugType, piece: Piece, at: number): Parsed & { root: DebugStruct } {
  const parse = parseAlone(type, piece.bytes);
  const locate = (): Part => {
    const l = locateIn(parse, piece, at);
    return { path: [{ ...l.path[0]!, field, inType }, ...l.path.slice(1)], value: l.value, error: l.error };
  };
  const { root, stream, error } = parse;
  return { start: piece.start, end: error ? undefined : piece.start + stream.pos, error, root, locate };
}

/** A part already walked (a field holding parts of its own). */
function walked(part: Part): Parsed {
  const own = part.path[0]!;
  return { start: own.start, end: own.end, error: part.error, locate: () => part };
}

/**
 * Parts taken in file order, chosen among as the walk over the whole parse
 * chooses among fields: the finished part holding the byte, else the part
 * the parser stopped in when the byte is past its start.
 */
class Parts {
  readonly #at: number;
  readonly #accepted: boolean;
  #chosen: Part | undefined;
  #error: Error | undefined;
  #end: number;

  /**
   * `start`: where the first part starts (a run of none ends there).
   * `accepted`: the reader took the file, so every part parses and the
   * walk can stop once it has the byte.
   */
  constructor(at: number, start: number, accepted: boolean) {
    this.#at = at;
    this.#end = start;
    this.#accepted = accepted;
  }

  /** Takes the next part; false when the walk ends at it (the parser stops in it, or it holds the byte of an accepted file). */
  take(p: Parsed): boolean {
    const at = this.#at;
    if (p.end === undefined) {
      this.#error = p.error;
      if (at >= p.start) this.#chosen = p.locate();
      return false;
    }
    this.#end = p.end;
    if (at < p.start || at >= p.end) return true;
    this.#chosen = p.locate();
    return !this.#accepted;
  }

  /**
   * The parts as the structure holding them, whose step is `own`: it ends
   * where its last part does, or at `end` (where it ends in a file the
   * reader accepted) when the walk stopped at the byte; unfinished if the
   * parser stopped inside.
   */
  as(own: Omit<PathStep, 'end'>, end: number): Part {
    const chosen = this.#chosen;
    const step = { ...own, end: this.#error ? undefined : this.#accepted ? end : this.#end };
    return { path: [step, ...(chosen?.path ?? [])], value: chosen?.value, error: this.#error };
  }
}

/** `accepted`: the hint reader took the file. */
export function locateInHint(source: ByteSource, at: number, accepted: boolean): Located {
  const size = source.size;
  if (size < HINT_HEADER_SIZE + HINT_TRAILER_SIZE) return parseAndLocate(HintDebug, { start: 0, bytes: source.read(0, size) }, at);
  const parts = new Parts(at, 0, accepted);
  const header = parsePart('header', 'hint', HintDebug.HintHeader, { start: 0, bytes: source.read(0, HINT_HEADER_SIZE) }, at);
  if (parts.take(header) && parts.take(walked(hintEntries(source, at, accepted)))) {
    const trailerAt = size - HINT_TRAILER_SIZE;
    parts.take(parsePart('trailer', 'hint', HintDebug.HintTrailer, { start: trailerAt, bytes: source.read(trailerAt, HINT_TRAILER_SIZE) }, at));
  }
  return parts.as({ field: 'hint', inType: '', start: 0 }, size);
}

/** hint.ksy's `entries`: a hint_entries over every byte between header and trailer, holding the entries. */
function hintEntries(source: ByteSource, at: number, accepted: boolean): Part {
  // The entries are a stream of their own: an entry that runs past it ends there.
  const end = source.size - HINT_TRAILER_SIZE;
  const entries = new Parts(at, HINT_HEADER_SIZE, accepted);
  const w = new SourceWindow(source);
  for (let p = HINT_HEADER_SIZE, i = 0; p < end; i++) {
    w.cover(p, MAX_HINT_ENTRY);
    const bytes = w.bytes.subarray(p - w.base, Math.min(end, w.end) - w.base);
    const entry = parsePart(`entries[${i}]`, 'hint_entries', HintDebug.HintEntry, { start: p, bytes }, at);
    if (!entries.take(entry)) break;
    p = entry.end!;
  }
  return entries.as({ field: 'entries', inType: 'hint', start: HINT_HEADER_SIZE }, end);
}

/** `accepted`: the index reader took the file. */
export function locateInIndex(source: ByteSource, at: number, accepted: boolean): Located {
  const parts = new Parts(at, 0, accepted);
  const header = parsePart('header', 'segment_index', SegmentIndexDebug.IndexHeader, { start: 0, bytes: source.read(0, INDEX_HEADER_SIZE) }, at);
  if (parts.take(header)) {
    const count = header.root['slotCount'] as number;
    if (takeSlots(source, parts, at, count, accepted)) {
      const trailerAt = INDEX_HEADER_SIZE + count * INDEX_SLOT_SIZE;
      parts.take(parsePart('trailer', 'segment_index', SegmentIndexDebug.IndexTrailer, { start: trailerAt, bytes: source.read(trailerAt, INDEX_TRAILER_SIZE) }, at));
    }
  }
  return parts.as({ field: 'segment_index', inType: '', start: 0 }, source.size);
}

/**
 * segment_index.ksy's `slots`, a field of the root repeated `count` times.
 * Slots are fixed-size, so at most two are parsed: the one holding the
 * byte, and the one the parser stops in, found by hand (the first that runs
 * past the file or whose size or offset is out of its `valid:` range, the
 * only ways a slot fails to parse). Returns false when the walk ends in them.
 */
function takeSlots(source: ByteSource, parts: Parts, at: number, count: number, accepted: boolean): boolean {
  const slotAt = (k: number) => INDEX_HEADER_SIZE + k * INDEX_SLOT_SIZE;
  const slot = (k: number) => parsePart(`slots[${k}]`, 'segment_index', SegmentIndexDebug.Slot, { start: slotAt(k), bytes: source.read(slotAt(k), INDEX_SLOT_SIZE) }, at);
  const holding = at >= INDEX_HEADER_SIZE && at < slotAt(count) ? Math.floor((at - INDEX_HEADER_SIZE) / INDEX_SLOT_SIZE) : undefined;
  const stop = accepted ? count : firstUnparsable(source, count);
  if (holding !== undefined && holding < stop && !parts.take(slot(holding))) return false;
  return stop === count || parts.take(slot(stop));
}

/** The first of `count` slots the parser cannot read, or `count`. */
function firstUnparsable(source: ByteSource, count: number): number {
  const w = new SourceWindow(source);
  for (let k = 0; k < count; k++) {
    const at = INDEX_HEADER_SIZE + k * INDEX_SLOT_SIZE;
    if (at + INDEX_SLOT_SIZE > source.size) return k;
    w.cover(at, INDEX_SLOT_SIZE);
    const slot = new DataView(w.bytes.buffer, w.bytes.byteOffset + at - w.base, INDEX_SLOT_SIZE);
    const size = slot.getUint32(8, true);
    if (size < RECORD_FIXED_SIZE || size > MAX_RECORD_SIZE) return k;
    // The offset's high word past 2^53 - 1's.
    if (slot.getUint32(16, true) > 0x1fffff) return k;
  }
  return count;
}

/** `accepted`: the snapshot reader took the file. */
export function locateInSnapshot(source: ByteSource, at: number, accepted: boolean): Located {
  const parts = new Parts(at, 0, accepted);
  walkSnapshot(source, parts, at);
  return parts.as({ field: 'snapshot', inType: '', start: 0 }, source.size);
}

function walkSnapshot(source: ByteSource, parts: Parts, at: number): void {
  if (!parts.take(parsePart('header', 'snapshot', SnapshotDebug.SnapshotHeader, { start: 0, bytes: source.read(0, SNAPSHOT_HEADER_SIZE) }, at))) return;
  let p = SNAPSHOT_HEADER_SIZE;
  // snapshot.ksy: chunks repeat until one holds no entries.
  for (let i = 0; ; i++) {
    const chunk = parsePart(`chunks[${i}]`, 'snapshot', SnapshotDebug.Chunk, chunkPiece(source, p), at);
    if (!parts.take(chunk)) return;
    p = chunk.end!;
    if (chunk.root['entryCount'] === 0) break;
  }
  parts.take(sha256Part(source, p));
}

/** The chunk at `p` whole: its frame and the chunk_length bytes after it (none when the length is out of range: the parser stops there). */
function chunkPiece(source: ByteSource, p: number): Piece {
  const frame = source.read(p, CHUNK_FRAME_SIZE);
  const length = frame.length < CHUNK_FRAME_SIZE ? 0 : new DataView(frame.buffer, frame.byteOffset, CHUNK_FRAME_SIZE).getUint32(4, true);
  return { start: p, bytes: source.read(p, CHUNK_FRAME_SIZE + (length <= MAX_CHUNK_LENGTH ? length : 0)) };
}

/** snapshot.ksy's `sha256`: 32 bytes, a field of the root rather than a type, read the way the parser reads it. */
function sha256Part(source: ByteSource, start: number): Parsed {
  const io = streamOver(source.read(start, SHA256_SIZE));
  let value: Uint8Array | undefined;
  let error: Error | undefined;
  try {
    value = io.readBytes(SHA256_SIZE);
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    error = e;
  }
  const end = error ? undefined : start + SHA256_SIZE;
  return { start, end, error, locate: () => ({ path: [{ field: 'sha256', inType: 'snapshot', start, end }], value, error }) };
}
