// Dumps a snapshot: its header, then one line per entry (key order). A
// snapshot is read whole or refused, so a damaged one shows only the error.

import { readSnapshot } from '../../src/formats/snapshot-reader.js';
import { ValueEncoding } from '../../src/formats/limits.js';
import { showKey, showValue } from '../format-value.js';
import { refusal } from '../reader-error.js';
import type { DumpOptions, Emit } from './events.js';

export function dumpSnapshot(bytes: Uint8Array, file: string, opts: DumpOptions, emit: Emit): void {
  let snap: ReturnType<typeof readSnapshot>;
  try {
    snap = readSnapshot(bytes);
  } catch (e) {
    emit({ type: 'error', file, ...refusal(e) });
    return;
  }
  const { header } = snap;
  emit({
    type: 'snapshot',
    file,
    nextOffset: header.nextOffset,
    created: header.createdMs,
    entries: header.entryCount,
    valueEncoding: ValueEncoding[header.valueEncoding]!.toLowerCase(),
  });
  for (const e of snap.entries) {
    if (opts.fromOffset !== undefined && e.offset < opts.fromOffset) continue;
    if (opts.keyMatches !== undefined && !opts.keyMatches(e.key)) continue;
    emit({
      type: 'snapshot-entry',
      file,
      offset: e.offset,
      expireAt: e.expireAtMs,
      key: showKey(e.key),
      value: showValue(e.value, header.valueEncoding, opts.values),
    });
  }
}
