// The checks that need more than one file: each hint against the segment
// it describes, and the store directory against its manifest (every file
// it lists exists; no store file lies outside it; segments do not overlap).

import fs from 'node:fs';
import path from 'node:path';
import type { ByteSource } from '../../src/formats/byte-source.js';
import { HINT_ENTRY_FIXED_SIZE, HINT_HEADER_SIZE, EXPIRY_SIZE, SEGMENT_HEADER_SIZE } from '../../src/formats/limits.js';
import type { HintEntry, HintFile } from '../../src/formats/hint-writer.js';
import { type CheckedHint, forEachHintEntry, type HintEntryVisitor } from '../../src/formats/hint-reader.js';
import { readSegmentHeader, scanSegment } from '../../src/formats/log-segment-reader.js';
import { LogkvError } from '../../src/errors.js';
import { nodeFileIO } from '../../src/io/file-io.js';
import { ownerAlive, parseLockLine } from '../../src/io/lock-file.js';
import { planRecovery, readJournalFile } from '../../src/journal/journal-recovery.js';
import { lowerBound } from '../../src/log/hash-order.js';
import { newestEntry, newestRecords } from '../../src/log/segment-hint.js';
import { parseSegmentFileName, type SegmentName } from '../../src/log/segment-names.js';
import { LOCK_FILE } from '../../src/log/store-dir.js';
import { keyText, showKey } from '../format-value.js';
import { isStore, overlapAllowed, storeLayout } from '../store/layout.js';
import type { FileReport, Problem } from './check.js';

/** At most this many entry mismatches are listed per hint; the rest are counted. */
const MAX_ENTRY_PROBLEMS = 10;

function mismatch(offset: number, reason: string, message: string): Problem {
  return { offset, length: undefined, code: 'HINT_MISMATCH', reason, message };
}

function entrySize(keyLength: number, expireAtMs: number | undefined): number {
  return HINT_ENTRY_FIXED_SIZE + (expireAtMs === undefined ? 0 : EXPIRY_SIZE) + keyLength;
}

/** Each entry of a hint, read into objects (HintFile) or checked only (CheckedHint, no object per entry). */
function forEachEntry(hint: HintFile | CheckedHint, visit: HintEntryVisitor): void {
  if ('entries' in hint) for (const e of hint.entries) visit(e.tombstone, e.key, 0, e.key.length, e.offset, e.position, e.size, e.expireAtMs);
  else forEachHintEntry(hint, visit);
}

function describeEntry(e: HintEntry): string {
  const expiry = e.expireAtMs === undefined ? '' : ` expireAt ${e.expireAtMs}`;
  return `offset ${e.offset} position ${e.position} size ${e.size}${e.tombstone ? ' tombstone' : ''}${expiry}`;
}

/** Whether a batch of the segment is marked compacted (written by the cleaner or a restore, with gaps in its offsets). */
function holdsCompactedBatch(segment: ByteSource): boolean {
  let compacted = false;
  scanSegment(segment, {
    recordCrcs: false,
    onBatchFrame: (b) => {
      compacted ||= b.compacted;
    },
  });
  return compacted;
}

/**
 * What is wrong with `hint` as the hint of the segment `segment` reads.
 * The engine uses a hint whose base offset and covered length match its
 * segment without reading the segment, so a hint that passes its own
 * CRC but says something else than the segment would mislead it.
 * `segmentDamaged`: the segment has damage of its own (reported there), so
 * its records are not compared. `recordCrcsChecked`: the caller's own scan
 * of the segment checked every record CRC, so this one need not.
 * `entriesMatch`: the caller's own scan of the segment found that each
 * key of the segment has one entry, which says what its newest record
 * says (sorted-hint.ts), so the entries are not compared again; they are
 * when it did not find that, to say what differs.
 */
export function checkHintAgainstSegment(
  hint: HintFile | CheckedHint,
  segment: ByteSource,
  segmentNextOffset: number,
  segmentDamaged: boolean,
  options: { recordCrcsChecked?: boolean; entriesMatch?: boolean } = {},
): Problem[] {
  const problems: Problem[] = [];
  let base: number | undefined;
  try {
    base = readSegmentHeader(segment.read(0, SEGMENT_HEADER_SIZE)).baseOffset;
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
  }
  if (base !== undefined && hint.segmentBaseOffset !== base) {
    problems.push(mismatch(8, 'hint-base-offset', `hint is for base offset ${hint.segmentBaseOffset}, the segment's is ${base}`));
  }
  if (hint.coveredLength !== segment.size) {
    problems.push(
      mismatch(24, 'hint-length', `hint covers ${hint.coveredLength} bytes, the segment has ${segment.size} (stale: the engine ignores it and rescans the segment)`),
    );
    return problems;
  }
  if (base === undefined || segmentDamaged) return problems;
  // A segment the cleaner or a restore wrote stands for offsets up to where the next one starts: its last records may have been dropped.
  if (hint.segmentNextOffset !== segmentNextOffset && !(hint.segmentNextOffset > segmentNextOffset && holdsCompactedBatch(segment))) {
    problems.push(mismatch(16, 'hint-next-offset', `hint says next offset ${hint.segmentNextOffset}, the segment's is ${segmentNextOffset}`));
  }
  if (options.entriesMatch) return problems;
  // The segment's newest record per key, in a key directory of its own: a
  // Map keyed by strings made of every key cost most of verify's time.
  const expected = newestRecords(segment, 'segment', {
    capacity: 'entries' in hint ? hint.entries.length : hint.entryCount,
    recordCrcs: !options.recordCrcsChecked,
  });
  // Which of `expected`'s entries a hint entry matched (a key's second entry finds its record taken),
  // by rank among its ids: ids are entry addresses, not 0..size-1.
  const ids = expected.liveIds();
  const matched = new Uint8Array(ids.length);
  const rank = (id: number): number => lowerBound(ids, id);
  const entryProblems: Problem[] = [];
  let at = HINT_HEADER_SIZE;
  forEachEntry(hint, (tombstone, bytes, keyAt, keyLength, offset, position, size, expireAtMs) => {
    const id = expected.lookupAt(bytes, keyAt, keyLength);
    const found = id >= 0 && matched[rank(id)] === 0;
    // Objects and key text only for a message: the text of every key (a UTF-8 decode that throws on binary keys) was most of verify's time too.
    const entry = (): HintEntry => ({ key: bytes.subarray(keyAt, keyAt + keyLength), offset, position, size, tombstone, expireAtMs });
    const key = () => keyText(showKey(entry().key));
    if (!found) entryProblems.push(mismatch(at, 'hint-entry', `key ${key()}: no record for it in the segment`));
    else {
      matched[rank(id)] = 1;
      const same =
        expected.offsetOf(id) === offset &&
        expected.positionOf(id) === position &&
        expected.sizeOf(id) === size &&
        (expected.segmentOf(id) === 1) === tombstone &&
        expected.expireAtOf(id) === expireAtMs;
      if (!same) entryProblems.push(mismatch(at, 'hint-entry', `key ${key()}: hint says ${describeEntry(entry())}, the segment's newest record is ${describeEntry(newestEntry(expected, id))}`));
    }
    at += entrySize(keyLength, expireAtMs);
  });
  for (let k = 0; k < ids.length; k++) {
    if (matched[k] !== 0) continue;
    const id = ids[k]!;
    const e = newestEntry(expected, id);
    entryProblems.push(mismatch(at, 'hint-entry', `key ${keyText(showKey(e.key))}: in the segment (${describeEntry(e)}), missing from the hint`));
  }
  problems.push(...entryProblems.slice(0, MAX_ENTRY_PROBLEMS));
  if (entryProblems.length > MAX_ENTRY_PROBLEMS) {
    problems.push(mismatch(HINT_HEADER_SIZE, 'hint-entry', `and ${entryProblems.length - MAX_ENTRY_PROBLEMS} more entries that disagree with the segment`));
  }
  return problems;
}

/** Whether the store's LOCK names a process that still runs (the store is open for writing). */
function heldByLiveProcess(dir: string): boolean {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, LOCK_FILE), 'latin1');
  } catch {
    return false;
  }
  const owner = parseLockLine(text);
  return owner !== undefined && ownerAlive(owner);
}

function storeProblem(code: string, reason: string, message: string): Problem {
  return { offset: undefined, length: undefined, code, reason, message };
}

/**
 * The directory as a whole, against its manifest. `reports` are the file
 * reports verify made (segments carry their base and next offsets).
 * Returns undefined for a directory that is not a store.
 */
export function checkStore(dir: string, reports: readonly FileReport[]): FileReport | undefined {
  const layout = storeLayout(dir);
  if (!isStore(layout)) return undefined;
  const problems: Problem[] = [];
  const m = layout.manifest;
  for (const s of layout.missing) {
    problems.push(storeProblem('MISSING_FILE', 'manifest', `the manifest lists ${s.stem}.log, which does not exist (open fails: run kvtool repair)`));
  }
  if (layout.restoring) {
    problems.push(storeProblem('CORRUPT', 'interrupted-restore', 'a RESTORING marker: a restore into this directory was interrupted; open refuses it until restore runs again'));
  }
  for (const snap of layout.snapshots) {
    if (!fs.existsSync(path.join(dir, snap))) problems.push(storeProblem('MISSING_FILE', 'manifest', `the manifest lists ${snap}, which does not exist`));
  }
  const writing = heldByLiveProcess(dir);
  for (const name of layout.unlisted) {
    // A running writer's temporary files are its work under way (the next segment prepared ahead, a hint being written).
    if (writing && name.endsWith('.tmp')) continue;
    const what = layout.staleList
      ? 'which lists missing segments, so the list may be older than the files: open keeps it and fails (kvtool repair lists the segments on disk)'
      : 'the next open removes it (kvtool repair moves it to lost/)';
    problems.push(storeProblem('UNLISTED', 'manifest', `${name} is not in the manifest: ${what}`));
  }
  // Segments in log order must not overlap: recovery refuses a store where they do.
  let expectedFrom = 0;
  let previous: SegmentName | undefined;
  for (const s of layout.segments) {
    const r = reports.find((f) => f.file === path.join(dir, `${s.stem}.log`) && f.kind === 'segment');
    if (!r) continue;
    const header = r.details.baseOffset;
    if (typeof header === 'number' && header !== s.baseOffset) {
      problems.push(storeProblem('CORRUPT', 'field-range', `${s.stem}.log: its header says base offset ${header}, its name ${s.baseOffset}`));
    }
    if (s.baseOffset < expectedFrom && !overlapAllowed(previous)) {
      problems.push(storeProblem('CORRUPT', 'offset-order', `${s.stem}.log starts at offset ${s.baseOffset}, inside ${previous!.stem}.log (which ends before ${expectedFrom})`));
    }
    const next = r.details.nextOffset;
    if (typeof next === 'number') expectedFrom = Math.max(expectedFrom, next);
    previous = s;
  }
  const source = m === undefined ? 'no manifest: segments on disk' : m.trusted ? 'manifest' : 'manifest damaged: segments on disk';
  return {
    file: dir,
    kind: 'store',
    size: 0,
    ok: problems.length === 0,
    problems,
    details: { segments: layout.segments.length, snapshots: layout.snapshots.length, from: source },
  };
}

/** The segment a hint or index file names by its stem, when the name is one a store gives them. */
export function segmentOfCompanion(name: string): string | undefined {
  const ext = ['.hint', '.index'].find((e) => name.endsWith(e));
  if (ext === undefined) return undefined;
  const stem = name.slice(0, -ext.length);
  return parseSegmentFileName(`${stem}.log`) ? `${stem}.log` : undefined;
}

/**
 * What only a journal's two files show together: the file open would take
 * says a newer generation superseded it, and the other file holds none now
 * (zeroed, cut or gone); or both files are there and neither holds a
 * journal (each reads as a spare never written, but a journal is made with
 * its first file written, so what it held is gone: open reports it as
 * total loss). Each file alone reads fine, so the pair is judged as open
 * judges it (planRecovery); the problem goes on the other file's report,
 * or on the superseded one's when the other is gone, or on both blank ones.
 */
export function addJournalPairProblems(reports: FileReport[]): void {
  const bases = new Set(reports.filter((r) => /\.jrn[ab]$/.test(r.file)).map((r) => r.file.slice(0, -'.jrna'.length)));
  for (const base of bases) {
    const plan = planRecovery(readJournalFile(nodeFileIO, `${base}.jrna`), readJournalFile(nodeFileIO, `${base}.jrnb`));
    for (const e of plan.events) {
      if (e.kind === 'unreadable' && plan.dataLoss === 'total') {
        const blank = reports.find((r) => r.file === e.file && r.ok);
        if (blank) {
          blank.problems.push({ offset: 0, length: undefined, code: 'CORRUPT', reason: 'journal-lost', message: e.message });
          blank.ok = false;
        }
        continue;
      }
      if (e.kind !== 'lost-generation') continue;
      const target = reports.find((r) => r.file === e.file) ?? reports.find((r) => r.file === plan.active?.path);
      if (!target) continue;
      target.problems.push({ offset: undefined, length: undefined, code: 'CORRUPT', reason: 'lost-generation', message: e.message });
      target.ok = false;
    }
  }
}
