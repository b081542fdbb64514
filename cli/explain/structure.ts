// Which structure of a file holds a byte, found the way the format's own
// reader walks the file, and then parsed alone with its debug-mode parser
// from its own bytes: for a log segment or a journal the header or one
// batch (frame), located with the reader (which also says whether that
// stretch is valid or damaged); for hints, indexes and snapshots the part of
// the root that holds the byte (parts.ts). The whole-file debug parse is not
// used: one torn batch would lose every field after it (DESIGN's Kaitai
// traps), and a file can be larger than a Buffer holds.

import { LogkvError } from '../../src/errors.js';
import type { ByteSource } from '../../src/formats/byte-source.js';
import type { Damage } from '../../src/formats/damage.js';
import { checkHint } from '../../src/formats/hint-reader.js';
import { type ReadFrame, scanJournal } from '../../src/formats/journal-reader.js';
import { IDENTITY_SIZE, INDEX_HEADER_SIZE, INDEX_SLOT_SIZE, JOURNAL_HEADER_SIZE } from '../../src/formats/limits.js';
import { checkSegmentIndex, readIndexHeader, slotAt, slotOffset } from '../../src/formats/segment-index-reader.js';
import { scanSnapshot } from '../../src/formats/snapshot-reader.js';
import { readStoreIdentity } from '../../src/formats/store-identity-reader.js';
import type { FileKind } from '../file-kind.js';
import type { LogkvFile } from '../paths.js';
import { JournalDebug, StoreIdentityDebug } from './debug-parsers.js';
import { type Located, parseAndLocate } from './locate.js';
import { locateInHint, locateInIndex, locateInSnapshot } from './parts.js';
import { findInSegment, locateInSegment } from './segment.js';
import { damageStatus, headerRefused, wholeFileVerdict } from './status.js';

export interface Explained extends Located {
  /** What the format's reader says of the stretch holding the byte. */
  status: string;
  damage: Damage | undefined;
}

type Explainer = (file: LogkvFile, at: number) => Explained;

const segment: Explainer = (file, at) => {
  const found = findInSegment(file.source, at);
  return { ...locateInSegment(file.source, found, at), status: found.status, damage: found.damage };
};

/** Bytes of a damaged stretch or the slack shown to the parser: enough for any frame header and the fields after it that a reader would look at. */
const JOURNAL_TAIL_READ = 1 << 20;

/** A journal is walked frame by frame (a window at a time); only the stretch holding the byte is read for the parser. */
const journal: Explainer = (file, at) => {
  const parse = (type: typeof JournalDebug.Frame, start: number, length: number, status: string, damage?: Damage): Explained => ({
    ...parseAndLocate(type, { start, bytes: file.source.read(start, Math.min(length, file.size - start)) }, at),
    status,
    damage,
  });
  if (at < JOURNAL_HEADER_SIZE) return parse(JournalDebug.JournalHeader, 0, JOURNAL_HEADER_SIZE, 'journal header');
  let holding: ReadFrame | undefined;
  let scan: ReturnType<typeof scanJournal>;
  try {
    scan = scanJournal(file.source, undefined, { onFrame: (f) => void (at >= f.position && at < f.position + f.size && (holding = f)) });
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
    return parse(JournalDebug.Frame, JOURNAL_HEADER_SIZE, JOURNAL_TAIL_READ, headerRefused(e));
  }
  const f = holding;
  if (f) return parse(JournalDebug.Frame, f.position, f.size, `valid frame at ${f.position}..${f.position + f.size}`);
  const d = scan.damage;
  if (d && at >= d.offset) return parse(JournalDebug.Frame, d.offset, JOURNAL_TAIL_READ, damageStatus(d), d);
  return parse(JournalDebug.Frame, scan.validUpTo, JOURNAL_TAIL_READ, `end marker at ${scan.validUpTo} and slack`);
};

const hint: Explainer = (file, at) => {
  const verdict = wholeFileVerdict(() => checkHint(file.source), 'hint');
  return { ...locateInHint(file.source, at, verdict.accepted), status: verdict.status, damage: undefined };
};

/** An index is judged whole, and a byte in a slot by that slot's own checks too: the engine reads slots one at a time (slotAt). */
const index: Explainer = (file, at) => {
  const verdict = wholeFileVerdict(() => checkSegmentIndex(file.source), 'index');
  return { ...locateInIndex(file.source, at, verdict.accepted), status: `${verdict.status}${slotStatus(file.source, at)}`, damage: undefined };
};

function slotStatus(source: ByteSource, at: number): string {
  let count: number;
  try {
    count = readIndexHeader(source.read(0, INDEX_HEADER_SIZE)).slotCount;
  } catch (e) {
    if (e instanceof LogkvError) return '';
    throw e;
  }
  const k = Math.floor((at - INDEX_HEADER_SIZE) / INDEX_SLOT_SIZE);
  if (at < INDEX_HEADER_SIZE || k >= count) return '';
  const bytes = source.read(slotOffset(k), INDEX_SLOT_SIZE);
  if (bytes.length < INDEX_SLOT_SIZE) return '';
  return `; slot ${k} ${slotAt(bytes, 0) ? 'passes its own CRC-32C and bounds' : 'fails its own CRC-32C or bounds'}`;
}

const snapshot: Explainer = (file, at) => {
  const verdict = wholeFileVerdict(() => scanSnapshot(file.source, undefined), 'snapshot');
  return { ...locateInSnapshot(file.source, at, verdict.accepted), status: verdict.status, damage: undefined };
};

/** IDENTITY is 36 bytes: those are parsed (a longer file is judged by its size). */
const identity: Explainer = (file, at) => {
  const bytes = file.source.read(0, IDENTITY_SIZE);
  const verdict = wholeFileVerdict(() => readStoreIdentity(file.source), 'identity');
  return { ...parseAndLocate(StoreIdentityDebug, { start: 0, bytes }, at), status: verdict.status, damage: undefined };
};

const EXPLAINERS: Record<FileKind, Explainer> = { segment, journal, hint, index, snapshot, identity };

/** Which field of which structure of `file` holds byte `at`, and what the reader says of it. Reads the structure, not the file. */
export function explainByte(file: LogkvFile, at: number): Explained {
  return EXPLAINERS[file.kind](file, at);
}
