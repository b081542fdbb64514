// Dumps a journal file: header, one line per frame and per entry, then the
// first damage if any (a journal reader stops there). Journal entries have
// no offsets, so --from-offset does not apply to them.

import { type ReadFrame, scanJournal } from '../../src/formats/journal-reader.js';
import { FrameOp, JOURNAL_HEADER_SIZE } from '../../src/formats/limits.js';
import { trimZeroTail } from '../damage-range.js';
import { isUninitializedFile } from '../file-kind.js';
import { showJournalValue, showKey } from '../format-value.js';
import type { LogkvFile } from '../paths.js';
import { refusal } from '../reader-error.js';
import type { DumpOptions, Emit } from './events.js';

export function dumpJournal(read: LogkvFile, file: string, opts: DumpOptions, emit: Emit): void {
  if (isUninitializedFile(read.source)) {
    emit({ type: 'journal-spare', file, size: read.size });
    return;
  }
  let scan: ReturnType<typeof scanJournal>;
  try {
    // Read once for its header and verdict, then again frame by frame: a window of the file at a time, never all its frames.
    scan = scanJournal(read.source, file, { onFrame: () => {} });
  } catch (e) {
    emit({ type: 'error', file, ...refusal(e) });
    return;
  }
  const { header } = scan;
  emit({
    type: 'journal',
    file,
    generation: header.generation,
    fileSize: header.fileSize,
    committedLength: header.committedLength,
    created: header.createdMs,
    superseded: header.superseded === true,
  });
  scanJournal(read.source, file, { onFrame: (f) => emitFrame(f, file, opts, emit) });
  const d = scan.damage;
  if (d !== undefined) {
    const note = scan.committedDamaged ? 'inside the committed length' : 'after the committed length: a torn tail';
    emit({ type: 'damage', file, ...trimZeroTail(read.source, d.offset, d.length), code: d.code, reason: d.reason, message: d.message, note });
  }
  emit({
    type: 'journal-end',
    file,
    end: scan.end,
    validUpTo: scan.validUpTo,
    committedEnd: JOURNAL_HEADER_SIZE + header.committedLength,
    frames: scan.frameCount,
  });
}

function emitFrame(f: ReadFrame, file: string, opts: DumpOptions, emit: Emit): void {
  const entries = f.entries
    .map((e) => ({ ...e, keyBytes: Buffer.from(e.key, 'utf8') }))
    .filter((e) => opts.keyMatches === undefined || opts.keyMatches(e.keyBytes));
  // A clear frame touches every key, so a key filter keeps it.
  if (opts.keyMatches !== undefined && entries.length === 0 && f.op !== FrameOp.Clear) return;
  emit({ type: 'frame', file, position: f.position, size: f.size, op: f.op === FrameOp.Clear ? 'clear' : 'set', count: f.entries.length });
  for (const e of entries) {
    emit({ type: 'journal-entry', file, key: showKey(e.keyBytes), value: showJournalValue(e.value, opts.values) });
  }
}
