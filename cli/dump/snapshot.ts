// Dumps a snapshot: its header, then one line per entry (key order). A
// snapshot is read whole or refused, so a damaged one shows only the error.

import { scanSnapshot } from '../../src/formats/snapshot-reader.js';
import type { SnapshotHeader } from '../../src/formats/snapshot-writer.js';
import { ValueEncoding } from '../../src/formats/limits.js';
import { showKey, showValue } from '../format-value.js';
import type { LogkvFile } from '../paths.js';
import { refusal } from '../reader-error.js';
import type { DumpOptions, Emit } from './events.js';

export function dumpSnapshot(read: LogkvFile, file: string, opts: DumpOptions, emit: Emit): void {
  let header: SnapshotHeader;
  try {
    // Checked whole (every chunk CRC and the SHA-256) before any entry is shown, then read again entry by entry.
    header = scanSnapshot(read.source, undefined);
  } catch (e) {
    emit({ type: 'error', file, ...refusal(e) });
    return;
  }
  emit({
    type: 'snapshot',
    file,
    nextOffset: header.nextOffset,
    created: header.createdMs,
    entries: header.entryCount,
    valueEncoding: ValueEncoding[header.valueEncoding]!.toLowerCase(),
  });
  scanSnapshot(read.source, (e) => {
    if (opts.fromOffset !== undefined && e.offset < opts.fromOffset) return;
    if (opts.keyMatches !== undefined && !opts.keyMatches(e.key)) return;
    emit({
      type: 'snapshot-entry',
      file,
      offset: e.offset,
      expireAt: e.expireAtMs,
      key: showKey(e.key),
      value: showValue(e.value, header.valueEncoding, opts.values),
    });
  });
}
