// The checks that need more than one file: each hint against the segment
// it describes, and the store directory against its manifest (every file
// it lists exists; no store file lies outside it; segments do not overlap).

import fs from 'node:fs';
import path from 'node:path';
import { HINT_ENTRY_FIXED_SIZE, HINT_HEADER_SIZE, EXPIRY_SIZE } from '../../src/formats/limits.js';
import type { HintEntry, HintFile } from '../../src/formats/hint-writer.js';
import { readSegmentHeader } from '../../src/formats/log-segment-reader.js';
import { LogkvError } from '../../src/errors.js';
import { hintEntries } from '../../src/log/segment-log.js';
import { parseSegmentFileName, type SegmentName } from '../../src/log/segment-names.js';
import { keyText, showKey } from '../format-value.js';
import { isStore, overlapAllowed, storeLayout } from '../store/layout.js';
import type { FileReport, Problem } from './check.js';

/** At most this many entry mismatches are listed per hint; the rest are counted. */
const MAX_ENTRY_PROBLEMS = 10;

function mismatch(offset: number, reason: string, message: string): Problem {
  return { offset, length: undefined, code: 'HINT_MISMATCH', reason, message };
}

function entrySize(e: HintEntry): number {
  return HINT_ENTRY_FIXED_SIZE + (e.expireAtMs === undefined ? 0 : EXPIRY_SIZE) + e.key.length;
}

function describeEntry(e: HintEntry): string {
  const expiry = e.expireAtMs === undefined ? '' : ` expireAt ${e.expireAtMs}`;
  return `offset ${e.offset} position ${e.position} size ${e.size}${e.tombstone ? ' tombstone' : ''}${expiry}`;
}

/**
 * What is wrong with `hint` as the hint of the segment in `segment` (its
 * bytes). The engine uses a hint whose base offset and covered length match
 * its segment without reading the segment, so a hint that passes its own
 * CRC but says something else than the segment would mislead it.
 * `segmentDamaged`: the segment has damage of its own (reported there), so
 * its records are not compared.
 */
export function checkHintAgainstSegment(hint: HintFile, segment: Uint8Array, segmentNextOffset: number, segmentDamaged: boolean): Problem[] {
  const problems: Problem[] = [];
  let base: number | undefined;
  try {
    base = readSegmentHeader(segment).baseOffset;
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
  }
  if (base !== undefined && hint.segmentBaseOffset !== base) {
    problems.push(mismatch(8, 'hint-base-offset', `hint is for base offset ${hint.segmentBaseOffset}, the segment's is ${base}`));
  }
  if (hint.coveredLength !== segment.length) {
    problems.push(
      mismatch(24, 'hint-length', `hint covers ${hint.coveredLength} bytes, the segment has ${segment.length} (stale: the engine ignores it and rescans the segment)`),
    );
    return problems;
  }
  if (base === undefined || segmentDamaged) return problems;
  if (hint.segmentNextOffset !== segmentNextOffset) {
    problems.push(mismatch(16, 'hint-next-offset', `hint says next offset ${hint.segmentNextOffset}, the segment's is ${segmentNextOffset}`));
  }
  const expected = new Map<string, HintEntry>();
  for (const e of hintEntries(Buffer.from(segment.buffer, segment.byteOffset, segment.byteLength), 'segment')) {
    expected.set(Buffer.from(e.key).toString('latin1'), e);
  }
  const entryProblems: Problem[] = [];
  let at = HINT_HEADER_SIZE;
  for (const e of hint.entries) {
    const id = Buffer.from(e.key).toString('latin1');
    const want = expected.get(id);
    const key = keyText(showKey(e.key));
    if (!want) entryProblems.push(mismatch(at, 'hint-entry', `key ${key}: no record for it in the segment`));
    else if (describeEntry(want) !== describeEntry(e)) {
      entryProblems.push(mismatch(at, 'hint-entry', `key ${key}: hint says ${describeEntry(e)}, the segment's newest record is ${describeEntry(want)}`));
    }
    expected.delete(id);
    at += entrySize(e);
  }
  for (const e of expected.values()) {
    entryProblems.push(mismatch(at, 'hint-entry', `key ${keyText(showKey(e.key))}: in the segment (${describeEntry(e)}), missing from the hint`));
  }
  problems.push(...entryProblems.slice(0, MAX_ENTRY_PROBLEMS));
  if (entryProblems.length > MAX_ENTRY_PROBLEMS) {
    problems.push(mismatch(HINT_HEADER_SIZE, 'hint-entry', `and ${entryProblems.length - MAX_ENTRY_PROBLEMS} more entries that disagree with the segment`));
  }
  return problems;
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
  for (const name of layout.unlisted) {
    problems.push(storeProblem('UNLISTED', 'manifest', `${name} is not in the manifest: the next open removes it (kvtool repair moves it to lost/)`));
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

/** The segment a hint file names by its stem, when the name is a hint's. */
export function segmentOfHint(name: string): string | undefined {
  if (!name.endsWith('.hint')) return undefined;
  const stem = name.slice(0, -'.hint'.length);
  return parseSegmentFileName(`${stem}.log`) ? `${stem}.log` : undefined;
}
