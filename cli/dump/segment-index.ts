// Dumps a segment index: its header, then one line per slot in file order
// (hash order). A slot holds no key, only the key's hash and where its
// record is (offset, position, size): --key picks the slots whose hash is
// the key's (the key's own slot, or another key's that shares its hash),
// --from-offset the slots of records at or after it. An index is read
// whole or refused, so a damaged one shows only the reader's error.

import { checkSegmentIndex, forEachCheckedSlot, forEachIndexSlot, type IndexHeaderInfo } from '../../src/formats/segment-index-reader.js';
import type { LogkvFile } from '../paths.js';
import { refusal } from '../reader-error.js';
import type { DumpOptions, Emit } from './events.js';

/** A slot's key hash as dump and stats show it: 8 hex digits, like a CRC. */
export const hashText = (hash: number): string => hash.toString(16).padStart(8, '0');

export function dumpSegmentIndex(read: LogkvFile, file: string, opts: DumpOptions, emit: Emit): void {
  let header: IndexHeaderInfo;
  try {
    header = checkSegmentIndex(read.source);
  } catch (e) {
    emit({ type: 'error', file, ...refusal(e) });
    return;
  }
  emit({
    type: 'index',
    file,
    segmentBaseOffset: header.segmentBaseOffset,
    segmentNextOffset: header.segmentNextOffset,
    coveredLength: header.coveredLength,
    lastBatchPosition: header.lastBatchPosition,
    slots: header.slotCount,
  });
  const fast = opts.fast;
  if (fast !== undefined && opts.keyHashes === undefined && opts.fromOffset === undefined) {
    // Checked above: read slot by slot without checking again, no object per slot.
    forEachCheckedSlot(read.source, header, (hash, position, size, offset, k) => fast.indexSlot(file, k, hash, offset, position, size));
    return;
  }
  // Checked above; read again slot by slot (forEachIndexSlot checks once more: an index is small beside its segment).
  forEachIndexSlot(read.source, (slot, k) => {
    if (opts.keyHashes !== undefined && !opts.keyHashes.has(slot.hash)) return;
    if (opts.fromOffset !== undefined && slot.offset < opts.fromOffset) return;
    emit({ type: 'index-slot', file, slot: k, hash: hashText(slot.hash), offset: slot.offset, position: slot.position, size: slot.size });
  });
}
