// Dumps a hint file: its header, then one line per entry. A hint is read
// whole or refused, so a damaged one shows only the reader's error.

import { type CheckedHint, checkHint, forEachHintEntry } from '../../src/formats/hint-reader.js';
import { showKey } from '../format-value.js';
import type { LogkvFile } from '../paths.js';
import { refusal } from '../reader-error.js';
import type { DumpOptions, Emit } from './events.js';

export function dumpHint(read: LogkvFile, file: string, opts: DumpOptions, emit: Emit): void {
  let hint: CheckedHint;
  try {
    // Checked whole before any entry is shown, then read again entry by entry.
    hint = checkHint(read.source);
  } catch (e) {
    emit({ type: 'error', file, ...refusal(e) });
    return;
  }
  emit({
    type: 'hint',
    file,
    segmentBaseOffset: hint.segmentBaseOffset,
    segmentNextOffset: hint.segmentNextOffset,
    coveredLength: hint.coveredLength,
    entries: hint.entryCount,
  });
  const fast = opts.fast;
  if (fast !== undefined && opts.fromOffset === undefined && opts.keyMatches === undefined) {
    forEachHintEntry(hint, (tombstone, bytes, keyAt, keyLength, offset, position, size, expireAtMs) =>
      fast.hintEntry(file, offset, position, size, tombstone, expireAtMs, bytes, keyAt, keyLength),
    );
    return;
  }
  forEachHintEntry(hint, (tombstone, bytes, keyAt, keyLength, offset, position, size, expireAtMs) => {
    const key = bytes.subarray(keyAt, keyAt + keyLength);
    if (opts.fromOffset !== undefined && offset < opts.fromOffset) return;
    if (opts.keyMatches !== undefined && !opts.keyMatches(key)) return;
    emit({
      type: 'hint-entry',
      file,
      offset,
      position,
      size,
      tombstone,
      expireAt: expireAtMs,
      key: showKey(key),
    });
  });
}
