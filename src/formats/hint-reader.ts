// Reads hint files (formats/hint.ksy). A hint is all or nothing: any damage
// throws, and the caller rescans the segment.
//
// The header goes through the generated parser; the entries are read by
// hand, as the segment reader reads batch bodies: opening a store feeds
// every entry of every hint into the key directory, and a Kaitai object and
// a key view per entry cost more than the directory itself (at 1M entries,
// ~130 ms of parsing and ~600 ms of GC of those objects, measured in the
// commit that added this). checkHint() applies every `valid:` clause of
// hint_entry, in the order the generated parser reads the fields, so it
// accepts exactly what the generated parser accepts and names the same kind
// of damage; test/formats/hint-parser.test.ts checks this against the
// generated parser.

import { type ByteSource, bytesSource, crc32cIn, SourceWindow } from './byte-source.js';
import { damageError, readFileHeader } from './damage.js';
import type { HintEntry, HintFile } from './hint-writer.js';
import { Hint } from './kaitai.js';
import { EXPIRY_SIZE, HINT_ENTRY_FIXED_SIZE, HINT_HEADER_SIZE, HINT_MAGIC, HINT_TRAILER_SIZE, MAX_RECORD_SIZE, RECORD_FIXED_SIZE } from './limits.js';

export interface HintHeaderInfo {
  segmentBaseOffset: number;
  segmentNextOffset: number;
  /** Length of the segment file the hint was made from. */
  coveredLength: number;
}

/** A hint whose every check passed (only checkHint makes one). */
export interface CheckedHint extends HintHeaderInfo {
  /** The hint's bytes, read again by forEachHintEntry. */
  readonly source: ByteSource;
  entryCount: number;
  /** Bytes of all the keys together (to size a key directory up front). */
  keyBytes: number;
  /** Entries with bit 0 of flags set. */
  tombstones: number;
}

/**
 * One entry, without an object: the key is bytes[keyAt, keyAt + keyLength)
 * (a view into the hint: copy it to keep it).
 */
export type HintEntryVisitor = (
  tombstone: boolean,
  bytes: Uint8Array,
  keyAt: number,
  keyLength: number,
  offset: number,
  position: number,
  size: number,
  expireAtMs: number | undefined,
) => void;

const FLAGS_MAX = 3;
const TOMBSTONE = 1;
const HAS_EXPIRY = 2;
const TWO_32 = 0x100000000;
/** High word of the largest u8 the formats allow (2^53 - 1). */
const MAX_SAFE_HIGH = 0x1fffff;
/** The largest entry: fixed part, expiry and the largest key. A window holding this much from an entry's start holds the entry. */
const MAX_ENTRY_SIZE = HINT_ENTRY_FIXED_SIZE + EXPIRY_SIZE + 0xffff;

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
}

/** The u8 at `at` when it is at most 2^53 - 1, else -1. */
function safeU64(b: Uint8Array, at: number): number {
  const high = u32(b, at + 4);
  return high > MAX_SAFE_HIGH ? -1 : high * TWO_32 + u32(b, at);
}

/** Parses and checks the 36-byte header only; throws LogkvError (BAD_MAGIC, CORRUPT, ...). */
export function readHintHeader(bytes: Uint8Array, file?: string): HintHeaderInfo {
  const h = readFileHeader(bytes, HINT_MAGIC, HINT_HEADER_SIZE, (io) => new Hint.HintHeader(io), file);
  return { segmentBaseOffset: h.segmentBaseOffset, segmentNextOffset: h.segmentNextOffset, coveredLength: h.coveredLength };
}

/**
 * Checks the whole hint (header, trailer CRC and count, every entry): its
 * bytes in memory, or a source read a window at a time (kvtool). Throws
 * LogkvError on any damage. Allocates nothing per entry.
 */
export function checkHint(input: Uint8Array | ByteSource, file?: string): CheckedHint {
  const source = input instanceof Uint8Array ? bytesSource(input) : input;
  const size = source.size;
  const header = readHintHeader(source.read(0, HINT_HEADER_SIZE), file);
  if (size < HINT_HEADER_SIZE + HINT_TRAILER_SIZE) {
    throw damageError({ code: 'TRUNCATED', reason: 'truncated', offset: size, length: 0, message: 'no room for the trailer' }, file);
  }
  const trailerAt = size - HINT_TRAILER_SIZE;
  const region = trailerAt - HINT_HEADER_SIZE;
  const trailer = source.read(trailerAt, HINT_TRAILER_SIZE);
  if (crc32cIn(source, HINT_HEADER_SIZE, trailerAt) !== u32(trailer, 4)) {
    throw damageError(
      { code: 'CORRUPT', reason: 'entries-crc', offset: HINT_HEADER_SIZE, length: region, message: 'hint entries CRC-32C mismatch (or the file is torn)' },
      file,
    );
  }
  // The entries are a substream of their own (hint.ksy, `size: _io.size - 44`):
  // a field that runs past it is an end of stream, like the generated parser's EOFError.
  const ends = (what: string) =>
    damageError({ code: 'TRUNCATED', reason: 'truncated', offset: HINT_HEADER_SIZE, length: region, message: `hint entries end early (${what})` }, file);
  const outOfRange = (what: string) =>
    damageError({ code: 'CORRUPT', reason: 'field-range', offset: HINT_HEADER_SIZE, length: region, message: `hint entries: field out of range (${what})` }, file);
  let count = 0;
  let keyBytes = 0;
  let tombstones = 0;
  const w = new SourceWindow(source);
  let p = HINT_HEADER_SIZE;
  while (p < trailerAt) {
    if (p + MAX_ENTRY_SIZE > w.end) w.cover(p, MAX_ENTRY_SIZE);
    const bytes = w.bytes;
    const i = p - w.base;
    // Field by field, as the generated parser reads and validates them: which
    // comes first, a short read or a bad value, decides the kind of damage.
    const left = trailerAt - p;
    const flags = bytes[i]!;
    if (flags > FLAGS_MAX) throw outOfRange(`flags ${flags} of the entry at ${p}`);
    if (left < 11) throw ends(`the entry at ${p}`);
    const keyLength = bytes[i + 1]! | (bytes[i + 2]! << 8);
    if (safeU64(bytes, i + 3) < 0) throw outOfRange(`offset of the entry at ${p}`);
    if (left < HINT_ENTRY_FIXED_SIZE) throw ends(`the entry at ${p}`);
    const size = u32(bytes, i + 15);
    if (size < RECORD_FIXED_SIZE || size > MAX_RECORD_SIZE) throw outOfRange(`size ${size} of the entry at ${p}`);
    let q = p + HINT_ENTRY_FIXED_SIZE;
    if ((flags & HAS_EXPIRY) !== 0) {
      if (trailerAt - q < EXPIRY_SIZE) throw ends(`the expiry of the entry at ${p}`);
      if (safeU64(bytes, q - w.base) < 0) throw outOfRange(`expire_at_ms of the entry at ${p}`);
      q += EXPIRY_SIZE;
    }
    if (trailerAt - q < keyLength) throw ends(`the key of the entry at ${p}`);
    p = q + keyLength;
    count++;
    keyBytes += keyLength;
    if ((flags & TOMBSTONE) !== 0) tombstones++;
  }
  const entryCount = u32(trailer, 0);
  if (count !== entryCount) {
    throw damageError(
      { code: 'CORRUPT', reason: 'entry-count', offset: trailerAt, length: HINT_TRAILER_SIZE, message: `trailer counts ${entryCount} entries, file holds ${count}` },
      file,
    );
  }
  return { ...header, source, entryCount: count, keyBytes, tombstones };
}

/** Calls `visit` for each entry of a checked hint, in file order; `bytes` is the window the entry lies in. */
export function forEachHintEntry(hint: CheckedHint, visit: HintEntryVisitor): void {
  visitHintEntries(hint, HINT_HEADER_SIZE, Infinity, visit);
}

/** Where the first entry of a hint starts; visitHintEntries() goes on from any position it returned. */
export const FIRST_HINT_ENTRY = HINT_HEADER_SIZE;

/**
 * forEachHintEntry() in steps: visits at most `limit` entries from the
 * entry at `from` (FIRST_HINT_ENTRY, or what the last step returned) and
 * returns the position of the next one; the hint's trailer position
 * (source.size - 8) when none is left. A store loads its hints this way in
 * slices of the event loop (deferred-load.ts).
 */
export function visitHintEntries(hint: CheckedHint, from: number, limit: number, visit: HintEntryVisitor): number {
  const w = new SourceWindow(hint.source);
  const end = hint.source.size - HINT_TRAILER_SIZE;
  if (from > w.end - MAX_ENTRY_SIZE && w.end < end) w.cover(from, MAX_ENTRY_SIZE);
  // The window's fields in locals: opening a store runs this loop for every key.
  let b = w.bytes;
  let base = w.base;
  let p = from;
  for (let n = 0; p < end && n < limit; n++) {
    // Checked entries fit the file; one that may not fit the window moves it (never for bytes in memory: one window).
    if (p + MAX_ENTRY_SIZE > base + b.length && base + b.length < end) {
      w.cover(p, MAX_ENTRY_SIZE);
      b = w.bytes;
      base = w.base;
    }
    const i = p - base;
    const flags = b[i]!;
    const keyLength = b[i + 1]! | (b[i + 2]! << 8);
    let keyAt = i + HINT_ENTRY_FIXED_SIZE;
    let expireAtMs: number | undefined;
    if ((flags & HAS_EXPIRY) !== 0) {
      expireAtMs = u32(b, keyAt + 4) * TWO_32 + u32(b, keyAt);
      keyAt += EXPIRY_SIZE;
    }
    visit((flags & TOMBSTONE) !== 0, b, keyAt, keyLength, u32(b, i + 7) * TWO_32 + u32(b, i + 3), u32(b, i + 11), u32(b, i + 15), expireAtMs);
    p = base + keyAt + keyLength;
  }
  return Math.min(p, end);
}

/** Parses and checks a hint into objects (tools and tests; recovery uses checkHint and forEachHintEntry). */
export function readHint(input: Uint8Array | ByteSource, file?: string): HintFile {
  const hint = checkHint(input, file);
  const entries: HintEntry[] = [];
  forEachHintEntry(hint, (tombstone, b, keyAt, keyLength, offset, position, size, expireAtMs) => {
    // Copied: a view would keep its whole window alive.
    entries.push({ key: b.slice(keyAt, keyAt + keyLength), offset, position, size, tombstone, expireAtMs });
  });
  return { segmentBaseOffset: hint.segmentBaseOffset, segmentNextOffset: hint.segmentNextOffset, coveredLength: hint.coveredLength, entries };
}
