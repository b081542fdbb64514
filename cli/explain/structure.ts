// Which structure of a file holds a byte, found the way the format's own
// reader walks the file, and then parsed alone with its debug-mode parser
// from its own bytes: for a log segment or a journal the header or one
// batch (frame), located with the reader (which also says whether that
// stretch is valid or damaged); for hints and snapshots the part of the
// root that holds the byte (parts.ts). The whole-file debug parse is not
// used: one torn batch would lose every field after it (DESIGN's Kaitai
// traps), and a file can be larger than a Buffer holds.

import { LogkvError } from '../../src/errors.js';
import type { Damage } from '../../src/formats/damage.js';
import { checkHint } from '../../src/formats/hint-reader.js';
import { scanJournal } from '../../src/formats/journal-reader.js';
import { JOURNAL_HEADER_SIZE } from '../../src/formats/limits.js';
import { scanSnapshot } from '../../src/formats/snapshot-reader.js';
import { readStoreIdentity } from '../../src/formats/store-identity-reader.js';
import type { FileKind } from '../file-kind.js';
import { type LogkvFile, smallFileBytes } from '../paths.js';
import { JournalDebug, StoreIdentityDebug } from './debug-parsers.js';
import { type Located, parseAndLocate } from './locate.js';
import { locateInHint, locateInSnapshot } from './parts.js';
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

/** A journal is read whole (at most 1 GiB by its format): the frame holding the byte is parsed from the bytes in memory. */
const journal: Explainer = (file, at) => {
  const bytes = smallFileBytes(file);
  const parse = (type: typeof JournalDebug.Frame, start: number, status: string, damage?: Damage): Explained => ({
    ...parseAndLocate(type, { start, bytes: bytes.subarray(start) }, at),
    status,
    damage,
  });
  if (at < JOURNAL_HEADER_SIZE) return parse(JournalDebug.JournalHeader, 0, 'journal header');
  let scan: ReturnType<typeof scanJournal>;
  try {
    scan = scanJournal(bytes, undefined, file.size);
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
    return parse(JournalDebug.Frame, JOURNAL_HEADER_SIZE, headerRefused(e));
  }
  const f = scan.frames.find((x) => at >= x.position && at < x.position + x.size);
  if (f) return parse(JournalDebug.Frame, f.position, `valid frame at ${f.position}..${f.position + f.size}`);
  const d = scan.damage;
  if (d && at >= d.offset) return parse(JournalDebug.Frame, d.offset, damageStatus(d), d);
  return parse(JournalDebug.Frame, scan.validUpTo, `end marker at ${scan.validUpTo} and slack`);
};

const hint: Explainer = (file, at) => {
  const verdict = wholeFileVerdict(() => checkHint(file.source), 'hint');
  return { ...locateInHint(file.source, at, verdict.accepted), status: verdict.status, damage: undefined };
};

const snapshot: Explainer = (file, at) => {
  const verdict = wholeFileVerdict(() => scanSnapshot(file.source, undefined), 'snapshot');
  return { ...locateInSnapshot(file.source, at, verdict.accepted), status: verdict.status, damage: undefined };
};

/** IDENTITY is 36 bytes: read and parsed whole. */
const identity: Explainer = (file, at) => {
  const bytes = smallFileBytes(file);
  const verdict = wholeFileVerdict(() => readStoreIdentity(bytes), 'identity');
  return { ...parseAndLocate(StoreIdentityDebug, { start: 0, bytes }, at), status: verdict.status, damage: undefined };
};

const EXPLAINERS: Record<FileKind, Explainer> = { segment, journal, hint, snapshot, identity };

/** Which field of which structure of `file` holds byte `at`, and what the reader says of it. Reads the structure, not the file. */
export function explainByte(file: LogkvFile, at: number): Explained {
  return EXPLAINERS[file.kind](file, at);
}
