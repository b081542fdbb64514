// Which structure of a file holds a byte, found the way the format's own
// reader walks the file, and then parsed alone with its debug-mode parser:
// for a log segment or a journal the header or one batch (frame), located
// with the reader (which also says whether that stretch is valid or
// damaged); hints and snapshots are parsed whole. The whole-file debug
// parse is not used for the append-only formats because one torn batch
// would lose every field after it (DESIGN's Kaitai traps).

import { LogkvError } from '../../src/errors.js';
import type { Damage } from '../../src/formats/damage.js';
import { streamOver } from '../../src/formats/kaitai.js';
import { scanJournal } from '../../src/formats/journal-reader.js';
import { readSegment } from '../../src/formats/log-segment-reader.js';
import { JOURNAL_HEADER_SIZE, SEGMENT_HEADER_SIZE } from '../../src/formats/limits.js';
import type { FileKind } from '../file-kind.js';
import { refusal } from '../reader-error.js';
import { type DebugType, HintDebug, JournalDebug, LogSegmentDebug, SnapshotDebug, StoreIdentityDebug } from './debug-parsers.js';
import { type Located, parseAndLocate } from './locate.js';

export interface Explained extends Located {
  /** What the format's reader says of the stretch holding the byte. */
  status: string;
  damage: Damage | undefined;
}

type Finder = (bytes: Uint8Array, at: number) => { type: DebugType; position: number; status: string; damage?: Damage };

function damageStatus(d: Damage): string {
  return `damaged bytes ${d.offset}..${d.offset + d.length}: ${d.code} ${d.reason}: ${d.message}`;
}

function headerRefused(e: unknown): string {
  const r = refusal(e);
  return `the reader refuses the header (${r.code} ${r.reason ?? ''}: ${r.message}), so it reads nothing after it`;
}

const segment: Finder = (bytes, at) => {
  if (at < SEGMENT_HEADER_SIZE) return { type: LogSegmentDebug.SegmentHeader, position: 0, status: 'segment header' };
  let scan: ReturnType<typeof readSegment>;
  try {
    scan = readSegment(bytes, { resync: true });
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
    return { type: LogSegmentDebug.Batch, position: SEGMENT_HEADER_SIZE, status: headerRefused(e) };
  }
  const b = scan.batches.find((x) => at >= x.position && at < x.position + x.size);
  if (b) {
    const last = b.baseOffset + b.lastOffsetDelta;
    return { type: LogSegmentDebug.Batch, position: b.position, status: `valid batch at ${b.position}..${b.position + b.size}, offsets ${b.baseOffset}..${last}` };
  }
  const d = scan.damage.find((x) => at >= x.offset && at < x.offset + x.length);
  if (d) return { type: LogSegmentDebug.Batch, position: d.offset, status: damageStatus(d), damage: d };
  // Past the last batch: the end-of-log marker and the zero fill after it.
  return { type: LogSegmentDebug.Batch, position: scan.validUpTo, status: `end-of-log marker at ${scan.validUpTo} and zero fill (${scan.zeroFill} bytes)` };
};

const journal: Finder = (bytes, at) => {
  if (at < JOURNAL_HEADER_SIZE) return { type: JournalDebug.JournalHeader, position: 0, status: 'journal header' };
  let scan: ReturnType<typeof scanJournal>;
  try {
    scan = scanJournal(bytes);
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
    return { type: JournalDebug.Frame, position: JOURNAL_HEADER_SIZE, status: headerRefused(e) };
  }
  const f = scan.frames.find((x) => at >= x.position && at < x.position + x.size);
  if (f) return { type: JournalDebug.Frame, position: f.position, status: `valid frame at ${f.position}..${f.position + f.size}` };
  const d = scan.damage;
  if (d && at >= d.offset) return { type: JournalDebug.Frame, position: d.offset, status: damageStatus(d), damage: d };
  return { type: JournalDebug.Frame, position: scan.validUpTo, status: `end marker at ${scan.validUpTo} and slack` };
};

/** Hints and snapshots are read whole or refused; their reader's verdict is the status. */
function whole(type: DebugType, read: (bytes: Uint8Array) => unknown, what: string): Finder {
  return (bytes) => {
    try {
      read(bytes);
      return { type, position: 0, status: `valid ${what}` };
    } catch (e) {
      const r = refusal(e);
      return { type, position: 0, status: `the reader refuses this ${what}: ${r.code} ${r.reason ?? ''}${r.offset === undefined ? '' : ` at byte ${r.offset}`}: ${r.message}` };
    }
  };
}

export function explainByte(
  kind: FileKind,
  bytes: Uint8Array,
  at: number,
  readers: { hint: (b: Uint8Array) => unknown; snapshot: (b: Uint8Array) => unknown; identity: (b: Uint8Array) => unknown },
): Explained {
  const finders: Record<FileKind, Finder> = {
    segment,
    journal,
    hint: whole(HintDebug, readers.hint, 'hint'),
    snapshot: whole(SnapshotDebug, readers.snapshot, 'snapshot'),
    identity: whole(StoreIdentityDebug, readers.identity, 'identity'),
  };
  const found = finders[kind](bytes, at);
  const located = parseAndLocate(found.type, streamOver(bytes), found.position, at);
  return { path: located.path, value: located.value, error: located.error, status: found.status, damage: found.damage };
}
