// kvtool verify's comparison of a segment index with the hint it was made
// from (formats/segment_index.ksy: one slot per hint entry, the key's hash,
// the record's position and size). The engine serves a get from an index
// whose header describes the segment beside it, trusting each slot whose
// CRC matches: an index that passes every check of its own but lacks a key
// the hint has would answer "not found" for a key the store holds, and
// one that points elsewhere would cost a read. So every slot is compared,
// by (hash, position), with what the hint says. A damaged or stale index
// loses nothing (the engine rebuilds it from the hint, and repair moves it
// to lost/): verify reports it the way it reports a stale hint.

import type { ByteSource } from '../../src/formats/byte-source.js';
import { type CheckedHint, forEachHintEntry } from '../../src/formats/hint-reader.js';
import { INDEX_HEADER_SIZE } from '../../src/formats/limits.js';
import { checkSegmentIndex, forEachCheckedSlot, type IndexHeaderInfo, slotOffset } from '../../src/formats/segment-index-reader.js';
import { LogkvError } from '../../src/errors.js';
import { hashKeyAt } from '../../src/log/key-directory.js';
import { keyText, showKey } from '../format-value.js';
import { hashText } from '../dump/segment-index.js';
import type { Problem } from './check.js';

/** At most this many slot mismatches are listed per index; the rest are counted. */
const MAX_SLOT_PROBLEMS = 10;

function mismatch(offset: number | undefined, reason: string, message: string): Problem {
  return { offset, length: undefined, code: 'INDEX_MISMATCH', reason, message };
}

/** The hint an index is compared with: checked, or why it cannot be used. */
export type IndexHint = { hint: CheckedHint } | { unusable: string };

/**
 * What is wrong with the index `index` of a segment whose header says base
 * offset `segmentBase` (undefined: unreadable) and whose file has
 * `segmentSize` bytes, beside `hint`. An index that fails its own checks
 * gives no problem here: its own check reports it.
 */
export function checkIndexAgainstHint(index: ByteSource, hint: IndexHint, segmentBase: number | undefined, segmentSize: number): Problem[] {
  let header: IndexHeaderInfo;
  try {
    header = checkSegmentIndex(index);
  } catch (e) {
    if (e instanceof LogkvError) return [];
    throw e;
  }
  return compareCheckedIndex(index, header, hint, segmentBase, segmentSize);
}

/**
 * checkIndexAgainstHint() of an index that passed its own checks
 * (`header`: what checkSegmentIndex returned), without checking it again.
 * `slotsMatch`: the caller found that the slots are exactly the hint's
 * entries (sorted-hint.ts), so they are not compared again; they are when
 * it did not find that, to say what differs.
 */
export function compareCheckedIndex(
  index: ByteSource,
  header: IndexHeaderInfo,
  hint: IndexHint,
  segmentBase: number | undefined,
  segmentSize: number,
  options: { slotsMatch?: boolean } = {},
): Problem[] {
  const stale = '(stale: the engine ignores the index and writes it again)';
  if ('unusable' in hint) return [mismatch(undefined, 'index-hint', `its segment's hint ${hint.unusable}: the engine ignores the index, loads the segment another way and writes both again`)];
  const h = hint.hint;
  const problems: Problem[] = [];
  if (segmentBase !== undefined && header.segmentBaseOffset !== segmentBase) {
    problems.push(mismatch(8, 'index-base-offset', `index is for base offset ${header.segmentBaseOffset}, the segment's is ${segmentBase} ${stale}`));
  } else if (header.segmentBaseOffset !== h.segmentBaseOffset) {
    problems.push(mismatch(8, 'index-base-offset', `index is for base offset ${header.segmentBaseOffset}, the hint's is ${h.segmentBaseOffset} ${stale}`));
  }
  if (header.segmentNextOffset !== h.segmentNextOffset) {
    problems.push(mismatch(16, 'index-next-offset', `index says next offset ${header.segmentNextOffset}, the hint ${h.segmentNextOffset} ${stale}`));
  }
  if (header.coveredLength !== segmentSize) {
    problems.push(mismatch(24, 'index-length', `index covers ${header.coveredLength} bytes, the segment has ${segmentSize} ${stale}`));
  } else if (header.coveredLength !== h.coveredLength) {
    problems.push(mismatch(24, 'index-length', `index covers ${header.coveredLength} bytes, the hint ${h.coveredLength} ${stale}`));
  }
  // Slots made from another state of the segment than the hint's: comparing them one by one says nothing more.
  if (problems.length > 0 || options.slotsMatch) return problems;
  return compareSlots(index, header, h);
}

/**
 * The slots against the hint's entries, both in (hash, position) order:
 * a slot with no entry, an entry with no slot, a size or offset that
 * differs. The
 * entries are sorted here by comparison, not by the writer's radix sort,
 * so a sort that went wrong in the writer shows up.
 */
function compareSlots(index: ByteSource, header: IndexHeaderInfo, hint: CheckedHint): Problem[] {
  const n = hint.entryCount;
  const hashes = new Uint32Array(n);
  const positions = new Uint32Array(n);
  const sizes = new Uint32Array(n);
  const offsets = new Float64Array(n);
  let i = 0;
  forEachHintEntry(hint, (_tombstone, bytes, keyAt, keyLength, offset, position, size) => {
    hashes[i] = hashKeyAt(bytes, keyAt, keyLength);
    positions[i] = position;
    sizes[i] = size;
    offsets[i] = offset;
    i++;
  });
  const order = Uint32Array.from({ length: n }, (_, k) => k).sort((a, b) => hashes[a]! - hashes[b]! || positions[a]! - positions[b]!);
  const found: Problem[] = [];
  /** Entries (by their place in the hint) with no slot, and where the walk was when it missed them. */
  const missing: Array<{ entry: number; at: number }> = [];
  let e = 0;
  const before = (entry: number, hash: number, position: number) => hashes[entry]! < hash || (hashes[entry] === hash && positions[entry]! < position);
  // Checked by checkIndexAgainstHint just before: read, not checked again.
  forEachCheckedSlot(index, header, (hash, position, size, offset, k) => {
    const at = slotOffset(k);
    for (; e < n && before(order[e]!, hash, position); e++) missing.push({ entry: order[e]!, at });
    const entry = order[e];
    if (entry !== undefined && hashes[entry] === hash && positions[entry] === position) {
      if (sizes[entry] !== size) found.push(mismatch(at, 'index-slot', `slot ${k} says the record at position ${position} has size ${size}, the hint ${sizes[entry]}`));
      else if (offsets[entry] !== offset) found.push(mismatch(at, 'index-slot', `slot ${k} says the record at position ${position} has offset ${offset}, the hint ${offsets[entry]}`));
      e++;
    } else {
      found.push(mismatch(at, 'index-slot', `slot ${k} (hash ${hashText(hash)}, position ${position}, size ${size}): the hint has no entry for it`));
    }
  });
  for (; e < n; e++) missing.push({ entry: order[e]!, at: slotOffset(header.slotCount) });
  found.push(...missingProblems(hint, missing));
  found.sort((a, b) => a.offset! - b.offset!);
  const problems = found.slice(0, MAX_SLOT_PROBLEMS);
  if (found.length > MAX_SLOT_PROBLEMS) problems.push(mismatch(INDEX_HEADER_SIZE, 'index-slot', `and ${found.length - MAX_SLOT_PROBLEMS} more slots that disagree with the hint`));
  return problems;
}

/** One problem per entry with no slot, naming its key (read again from the hint, for the few that are listed). */
function missingProblems(hint: CheckedHint, missing: ReadonlyArray<{ entry: number; at: number }>): Problem[] {
  const listed = new Map(missing.slice(0, MAX_SLOT_PROBLEMS).map((m) => [m.entry, m.at]));
  const problems: Problem[] = [];
  let i = 0;
  forEachHintEntry(hint, (_tombstone, bytes, keyAt, keyLength, offset, position, size) => {
    const at = listed.get(i++);
    if (at === undefined) return;
    const key = keyText(showKey(bytes.subarray(keyAt, keyAt + keyLength)));
    problems.push(mismatch(at, 'index-slot', `key ${key} (offset ${offset}, position ${position}, size ${size}): in the hint, no slot for it in the index (a get from the index would miss it)`));
  });
  // The rest are only counted, in the caller's "and N more".
  return [...problems, ...missing.slice(MAX_SLOT_PROBLEMS).map((m) => mismatch(m.at, 'index-slot', 'an entry of the hint with no slot'))];
}
