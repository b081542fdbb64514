// Dumps a hint file: its header, then one line per entry. A hint is read
// whole or refused, so a damaged one shows only the reader's error.

import { readHint } from '../../src/formats/hint-reader.js';
import { showKey } from '../format-value.js';
import { refusal } from '../reader-error.js';
import type { DumpOptions, Emit } from './events.js';

export function dumpHint(bytes: Uint8Array, file: string, opts: DumpOptions, emit: Emit): void {
  let hint: ReturnType<typeof readHint>;
  try {
    hint = readHint(bytes);
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
    entries: hint.entries.length,
  });
  for (const e of hint.entries) {
    if (opts.fromOffset !== undefined && e.offset < opts.fromOffset) continue;
    if (opts.keyMatches !== undefined && !opts.keyMatches(e.key)) continue;
    emit({
      type: 'hint-entry',
      file,
      offset: e.offset,
      position: e.position,
      size: e.size,
      tombstone: e.tombstone,
      expireAt: e.expireAtMs,
      key: showKey(e.key),
    });
  }
}
