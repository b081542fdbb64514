// What one thread of kvtool verify checks at a time (a unit): one listed
// file, or a segment together with its hint and index. Pure apart from
// reading files: verify() runs units on its own thread, verifyParallel()
// on its own thread and in workers (verify-pool.ts).
//
// A segment with its companions is one unit so that each of the three is
// read once: the scan that checks the segment's records also fills the
// table of its newest record per key (segment-keys.ts) that its hint is
// compared with, and the hint and index checked on their own are the ones
// compared. Checked file by file, verify read the segment twice, the hint
// three times and the index twice, and that was most of its time
// (profiled, 1M keys: 2.2 s on one thread).

import path from 'node:path';
import { LogkvError } from '../../src/errors.js';
import type { ByteSource } from '../../src/formats/byte-source.js';
import { type CheckedHint, checkHint } from '../../src/formats/hint-reader.js';
import { type IndexHeaderInfo, slotOffset } from '../../src/formats/segment-index-reader.js';
import { INDEX_SLOT_SIZE } from '../../src/formats/limits.js';
import { kindByName } from '../file-kind.js';
import { type FileRef, type IoProblem, type LogkvFile, type OtherFile, PathError, READ_WHOLE_UP_TO, withFile } from '../paths.js';
import { CHECKS, checkHintKeeping, checkIndexKeeping, checkSegment, checkUnknown, type FileReport, type Problem } from './check.js';
import { checkIndexAgainstHint, compareCheckedIndex, type IndexHint } from './index-check.js';
import { HintRecordMatch } from './hint-record-match.js';
import { SortedHint } from './sorted-hint.js';
import { checkHintAgainstSegment } from './store-checks.js';

/** The files beside a segment that describe it, when the listing holds them: compared with it. */
export interface Companions {
  hint?: string;
  index?: string;
}

/** What checking one listed file gave: its report, or why it could not be read; for a segment, the problems of its hint and index. */
export type FileCheck =
  | { report: FileReport | undefined; companions: Array<{ path: string; problems: Problem[] }> }
  | { ioError: IoProblem };

/** Listing positions: a file alone, or a segment with its hint and index. */
export type CheckUnit = { file: number } | { segment: number; hint?: number; index?: number };

/** The listing positions of `unit`'s files. */
export function unitFiles(unit: CheckUnit): number[] {
  if ('file' in unit) return [unit.file];
  return [unit.segment, ...(unit.hint === undefined ? [] : [unit.hint]), ...(unit.index === undefined ? [] : [unit.index])];
}

/** Checks `unit` of `files`; each check comes with its listing position. */
export function checkUnit(files: readonly FileRef[], unit: CheckUnit): Array<[number, FileCheck]> {
  if ('file' in unit) return [[unit.file, checkListedFile(files[unit.file]!, {})]];
  const segment = files[unit.segment]!;
  const hint = unit.hint === undefined ? undefined : files[unit.hint]!;
  const index = unit.index === undefined ? undefined : files[unit.index]!;
  const grouped = checkGroup(segment, hint, index);
  if (grouped !== undefined) {
    return [[unit.segment, grouped.segment], ...(hint ? [[unit.hint!, grouped.hint!] as [number, FileCheck]] : []), ...(index ? [[unit.index!, grouped.index!] as [number, FileCheck]] : [])];
  }
  // A file too large to hold: each checked on its own, the segment comparing its companions as it goes.
  const companions = { hint: hint?.path, index: index?.path };
  return unitFiles(unit).map((i) => [i, checkListedFile(files[i]!, i === unit.segment ? companions : {})]);
}

/** The check of a file `read` opened, as checkListedFile makes it, without companions. */
function ownCheck(ref: FileRef, read: LogkvFile | OtherFile): FileCheck {
  if (read.kind !== undefined) return { report: CHECKS[read.kind](read, ref.path), companions: [] };
  // A file named like ours, or named on the command line, must be ours;
  // anything else in a store directory (LOCK, notes, ...) is not looked at.
  if (ref.explicit || kindByName(ref.name) !== undefined) return { report: checkUnknown(read.head, read.size, ref.path), companions: [] };
  return { report: undefined, companions: [] };
}

/** `check` with a file that cannot be opened or read reported as such. */
function guarded(ref: FileRef, check: () => FileCheck): FileCheck {
  try {
    return check();
  } catch (e) {
    if (!(e instanceof PathError)) throw e;
    return { ioError: { path: ref.path, message: `cannot read: ${e.detail}` } };
  }
}

/** A file read whole, its own check, and what the comparisons need of it. */
interface Held<T> {
  check: FileCheck;
  read?: LogkvFile;
  kept?: T;
}

class TooLarge extends Error {}

/** `ref` read whole and checked by `check`; TooLarge when it is over READ_WHOLE_UP_TO (it grew since it was listed). A unit holds at most three files at once. */
function held<T>(ref: FileRef, check: (read: LogkvFile) => { check: FileCheck; kept?: T }): Held<T> {
  let out: Held<T> | undefined;
  const fileCheck = guarded(ref, () =>
    withFile(
      ref,
      (read) => {
        if (read.kind === undefined) return ownCheck(ref, read);
        if (!read.inMemory) throw new TooLarge();
        const c = check(read);
        out = { check: c.check, read, ...(c.kept === undefined ? {} : { kept: c.kept }) };
        return c.check;
      },
      { readWholeUpTo: READ_WHOLE_UP_TO },
    ),
  );
  return out ?? { check: fileCheck };
}

/**
 * A segment, its hint and its index, each read whole once: the same
 * checks as checkListedFile() on each. Undefined when one of them is too
 * large to hold (the caller checks them file by file).
 */
function checkGroup(segmentRef: FileRef, hintRef: FileRef | undefined, indexRef: FileRef | undefined): { segment: FileCheck; hint?: FileCheck; index?: FileCheck } | undefined {
  if ([segmentRef, hintRef, indexRef].some((r) => r !== undefined && r.size > READ_WHOLE_UP_TO)) return undefined;
  try {
    // The hint first: only a hint that passes its own checks is compared with the segment, so only then are the segment's keys gathered.
    const hint = hintRef === undefined ? undefined : held<CheckedHint | { error: unknown }>(hintRef, (read) => {
      if (read.kind !== 'hint') return { check: ownCheck(hintRef, read) };
      const c = checkHintKeeping(read, hintRef.path);
      return { check: { report: c.report, companions: [] }, kept: c.hint ?? { error: c.error } };
    });
    const checkedHint = hint?.kept !== undefined && !('error' in hint.kept) ? hint.kept : undefined;
    // In memory (held), so the scan of the segment can note its records for a comparison with the hint's bytes.
    const hintBytes = checkedHint?.source.read(0, checkedHint.source.size);
    const match = checkedHint === undefined ? undefined : new HintRecordMatch(hintBytes!, checkedHint);
    const segment = held<FileReport>(segmentRef, (read) => {
      if (read.kind !== 'segment') return { check: ownCheck(segmentRef, read) };
      const report = checkSegment(read, segmentRef.path, match?.onRecord);
      return { check: { report, companions: [] }, kept: report };
    });
    const index = indexRef === undefined ? undefined : held<IndexHeaderInfo>(indexRef, (read) => {
      if (read.kind !== 'index') return { check: ownCheck(indexRef, read) };
      const c = checkIndexKeeping(read, indexRef.path);
      return { check: { report: c.report, companions: [] }, ...(c.header ? { kept: c.header } : {}) };
    });
    const report = segment.kept;
    if (report !== undefined && segment.read !== undefined) {
      const found = (segment.check as { companions: Array<{ path: string; problems: Problem[] }> }).companions;
      const matches = match?.matches() ?? false;
      if (hintRef !== undefined) found.push({ path: hintRef.path, problems: hintProblems(hint!, segment.read.source, report, matches) });
      // A hint that is its segment's records: the index is compared with those records in the order the match sorted them; else with the hint sorted on its own.
      const sorted = matches ? match : checkedHint && hintBytes ? new SortedHint(hintBytes, checkedHint) : undefined;
      if (indexRef !== undefined) found.push({ path: indexRef.path, problems: indexProblems(index!, hint, segment.read.source, report, sorted) });
    }
    return { segment: segment.check, ...(hint ? { hint: hint.check } : {}), ...(index ? { index: index.check } : {}) };
  } catch (e) {
    if (e instanceof TooLarge) return undefined;
    throw e;
  }
}

/** compareHint() of a hint read whole. */
function hintProblems(hint: Held<CheckedHint | { error: unknown }>, segment: ByteSource, report: FileReport, entriesMatch: boolean): Problem[] {
  const kept = hint.kept;
  // Not a hint, unreadable, or failing its own checks: its own check says so.
  if (kept === undefined || 'error' in kept) return [];
  const next = report.details.nextOffset;
  return checkHintAgainstSegment(kept, segment, typeof next === 'number' ? next : -1, !report.ok, { recordCrcsChecked: true, entriesMatch });
}

/** compareIndex() of an index and a hint read whole. */
function indexProblems(index: Held<IndexHeaderInfo>, hint: Held<CheckedHint | { error: unknown }> | undefined, segment: ByteSource, report: FileReport, sorted: Pick<SortedHint, 'slotsMatch'> | undefined): Problem[] {
  // Not an index, unreadable, or failing its own checks: its own check says so.
  if (index.kept === undefined || index.read === undefined) return [];
  // A hint that cannot be read: as compareIndex(), whose read of it failed.
  if (hint !== undefined && 'ioError' in hint.check) return [];
  const base = typeof report.details.baseOffset === 'number' ? report.details.baseOffset : undefined;
  const header = index.kept;
  const source = index.read.source;
  const slotsMatch = sorted !== undefined && sorted.slotsMatch(source.read(0, source.size), slotOffset(0), header.slotCount, INDEX_SLOT_SIZE);
  return compareCheckedIndex(source, header, indexHintOf(hint), base, segment.size, { slotsMatch });
}

function indexHintOf(hint: Held<CheckedHint | { error: unknown }> | undefined): IndexHint {
  if (hint === undefined) return { unusable: 'is missing' };
  const kept = hint.kept;
  if (kept === undefined) return { unusable: 'is not a hint' };
  if (!('error' in kept)) return { hint: kept };
  return unusable(kept.error);
}

function unusable(e: unknown): IndexHint {
  if (!(e instanceof LogkvError)) throw e;
  return { unusable: `fails its own checks (${e.code} ${e.reason ?? ''})` };
}

/** Problems of the hint at `hintPath` found by comparing it with its segment. */
function compareHint(hintPath: string, segment: ByteSource, report: FileReport): Problem[] {
  try {
    return withFile({ path: hintPath, name: path.basename(hintPath), explicit: false, size: 0 }, (read) => {
      // Not a hint at all: its own check says so.
      if (read.kind !== 'hint') return [];
      const hint = checkHint(read.source, hintPath);
      const next = report.details.nextOffset;
      // The segment's report came from a scan that checked every record CRC (a record-crc problem makes it not ok).
      return checkHintAgainstSegment(hint, segment, typeof next === 'number' ? next : -1, !report.ok, { recordCrcsChecked: true });
    });
  } catch (e) {
    // The hint's own check reports what is wrong with it.
    if (e instanceof LogkvError || e instanceof PathError) return [];
    throw e;
  }
}

/**
 * Problems of the index at `indexPath` found by comparing it with the
 * hint at `hintPath` (none beside it: undefined) and with its segment.
 */
function compareIndex(indexPath: string, hintPath: string | undefined, segment: ByteSource, report: FileReport): Problem[] {
  const base = typeof report.details.baseOffset === 'number' ? report.details.baseOffset : undefined;
  const withIndex = (hint: IndexHint): Problem[] =>
    withFile({ path: indexPath, name: path.basename(indexPath), explicit: false, size: 0 }, (read) =>
      // Not an index at all: its own check says so.
      read.kind === 'index' ? checkIndexAgainstHint(read.source, hint, base, segment.size) : [],
    );
  try {
    if (hintPath === undefined) return withIndex({ unusable: 'is missing' });
    // Compared inside the hint's withFile: the checked hint reads its entries through the open file.
    return withFile({ path: hintPath, name: path.basename(hintPath), explicit: false, size: 0 }, (read) => withIndex(usableHint(read, hintPath)));
  } catch (e) {
    // A file that cannot be read: its own check reports it.
    if (e instanceof PathError) return [];
    throw e;
  }
}

function usableHint(read: LogkvFile | OtherFile, hintPath: string): IndexHint {
  if (read.kind !== 'hint') return { unusable: 'is not a hint' };
  try {
    return { hint: checkHint(read.source, hintPath) };
  } catch (e) {
    return unusable(e);
  }
}

/**
 * Checks one listed file, a window at a time. `companions`: for a
 * segment, its hint and index when the listing holds them, so they are
 * compared with it.
 */
export function checkListedFile(ref: FileRef, companions: Companions): FileCheck {
  return guarded(ref, () =>
    withFile(ref, (read): FileCheck => {
      if (read.kind !== 'segment') return ownCheck(ref, read);
      const report = checkSegment(read, ref.path);
      const found: Array<{ path: string; problems: Problem[] }> = [];
      if (companions.hint !== undefined) found.push({ path: companions.hint, problems: compareHint(companions.hint, read.source, report) });
      if (companions.index !== undefined) found.push({ path: companions.index, problems: compareIndex(companions.index, companions.hint, read.source, report) });
      return { report, companions: found };
    }),
  );
}
