// `kvtool verify PATH`: checks one file or every logkv file of a store
// directory with the format readers, each hint against its segment, each
// segment index against its segment and hint, and the directory against
// its manifest. Read-only, takes no lock. Exit 0 when clean, 1 when
// problems were found, 2 when PATH or a file in it cannot be read.

import path from 'node:path';
import { LogkvError } from '../../src/errors.js';
import type { ByteSource } from '../../src/formats/byte-source.js';
import { checkHint } from '../../src/formats/hint-reader.js';
import type { Context } from '../context.js';
import { kindByName } from '../file-kind.js';
import { type FileRef, type IoProblem, type Listing, listFiles, type LogkvFile, type OtherFile, PathError, withFile } from '../paths.js';
import { progress } from '../progress.js';
import { CHECKS, checkUnknown, type FileReport, type Problem } from '../verify/check.js';
import { renderVerifyJson, renderVerifyText, type VerifyResult } from '../verify/render.js';
import { checkIndexAgainstHint, type IndexHint } from '../verify/index-check.js';
import { addJournalPairProblems, checkHintAgainstSegment, checkStore, segmentOfCompanion } from '../verify/store-checks.js';
import { checkInWorkers } from '../verify/verify-pool.js';
import { isStore, notAStoreError, storeLayout } from '../store/layout.js';
import { EXIT } from './exit-codes.js';

export interface VerifyArgs {
  path: string;
  json: boolean;
  /** Worker threads checking files at once; 1: all on this thread. */
  jobs: number;
}

export interface VerifyOptions {
  /** Called with bytes checked so far and the total. */
  onProgress?: (done: number, total: number) => void;
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
    if (!(e instanceof LogkvError)) throw e;
    return { unusable: `fails its own checks (${e.code} ${e.reason ?? ''})` };
  }
}

/** The files beside a segment that describe it, when the listing holds them: compared with it. */
export interface Companions {
  hint?: string;
  index?: string;
}

/** What checking one listed file gave: its report, or why it could not be read; for a segment, the problems of its hint and index. */
export type FileCheck =
  | { report: FileReport | undefined; companions: Array<{ path: string; problems: Problem[] }> }
  | { ioError: IoProblem };

/**
 * Checks one listed file. `companions`: for a segment, its hint and index
 * when the listing holds them, so they are compared with it. Pure apart
 * from reading files: the workers of verifyParallel() run it too.
 */
export function checkListedFile(ref: FileRef, companions: Companions): FileCheck {
  try {
    return withFile(ref, (read): FileCheck => {
      if (read.kind !== undefined) {
        const report = CHECKS[read.kind](read, ref.path);
        const found: Array<{ path: string; problems: Problem[] }> = [];
        if (read.kind === 'segment' && companions.hint !== undefined) found.push({ path: companions.hint, problems: compareHint(companions.hint, read.source, report) });
        if (read.kind === 'segment' && companions.index !== undefined) found.push({ path: companions.index, problems: compareIndex(companions.index, companions.hint, read.source, report) });
        return { report, companions: found };
      }
      // A file named like ours, or named on the command line, must be ours;
      // anything else in a store directory (LOCK, notes, ...) is not looked at.
      if (ref.explicit || kindByName(ref.name) !== undefined) return { report: checkUnknown(read.head, read.size, ref.path), companions: [] };
      return { report: undefined, companions: [] };
    });
  } catch (e) {
    if (!(e instanceof PathError)) throw e;
    return { ioError: { path: ref.path, message: `cannot read: ${e.detail}` } };
  }
}

/** What verify looks at for `target`, and, for each segment, the hint and index to compare with it. */
function plan(target: string): { listing: Listing; companions: Companions[] } {
  const listing = listFiles(target);
  // A directory is checked only when it is a store, or holds a JournalStore's files (verify of an empty folder, /etc or a store's parent says so, exit 2).
  if (listing.isDirectory && !isStore(storeLayout(target)) && !listing.files.some((f) => kindByName(f.name) === 'journal')) {
    throw new PathError(notAStoreError(target).message, 'not a logkv store');
  }
  const names = new Set(listing.files.map((f) => f.path));
  const beside = (ref: FileRef, ext: string) => {
    const companion = ref.path.replace(/\.log$/, ext);
    return names.has(companion) ? companion : undefined;
  };
  const companions = listing.files.map((ref): Companions => {
    if (!listing.isDirectory || !ref.path.endsWith('.log')) return {};
    return { hint: beside(ref, '.hint'), index: beside(ref, '.index') };
  });
  return { listing, companions };
}

/** The result from every file's check, in listing order, and the checks of the store as a whole. */
function finish(target: string, listing: Listing, checks: FileCheck[]): VerifyResult {
  const result: VerifyResult = { path: target, exitCode: EXIT.OK, files: [], ioErrors: [...listing.ioProblems] };
  const names = new Set(listing.files.map((f) => f.path));
  const companionProblems = new Map<string, Problem[]>();
  for (const check of checks) {
    if ('ioError' in check) {
      result.ioErrors.push(check.ioError);
      continue;
    }
    if (check.report) result.files.push(check.report);
    // A hint or index is judged by its own reader and against the segment it describes (the segment's check compared them).
    if (check.report?.kind === 'segment') for (const c of check.companions) companionProblems.set(c.path, c.problems);
  }
  if (listing.isDirectory) {
    for (const f of result.files) {
      // Resolved: listed paths are path.join()ed, so `./store` lists them as `store/...`.
      if ((f.kind !== 'hint' && f.kind !== 'index') || path.resolve(path.dirname(f.file)) !== path.resolve(target)) continue;
      const segment = segmentOfCompanion(path.basename(f.file));
      const problems = companionProblems.get(f.file) ?? [];
      if (segment !== undefined && !names.has(path.join(target, segment))) {
        problems.push({ offset: undefined, length: undefined, code: 'ORPHAN', reason: 'no-segment', message: `the ${f.kind} of ${segment}, which does not exist` });
      }
      if (problems.length > 0) {
        f.problems.push(...problems);
        f.ok = f.problems.length === 0;
      }
    }
    addJournalPairProblems(result.files);
    const store = checkStore(target, result.files);
    if (store) result.files.push(store);
  }
  if (result.ioErrors.length > 0) result.exitCode = EXIT.USAGE_OR_IO;
  else if (result.files.some((f) => !f.ok)) result.exitCode = EXIT.PROBLEMS;
  return result;
}

/** Checks `target` (a file or a store directory) on this thread. */
export function verify(target: string, options: VerifyOptions = {}): VerifyResult {
  const { listing, companions } = plan(target);
  const total = listing.files.reduce((n, f) => n + f.size, 0);
  const checks: FileCheck[] = [];
  let done = 0;
  for (const [i, ref] of listing.files.entries()) {
    checks.push(checkListedFile(ref, companions[i]!));
    done += ref.size;
    options.onProgress?.(done, total);
  }
  return finish(target, listing, checks);
}

/** Below this many bytes a store is checked on this thread: starting a worker costs ~100 ms here, more than it saves. */
const WORKERS_FROM_BYTES = 16 * 1024 * 1024;

/**
 * verify() with the files checked by `jobs` worker threads (verify-pool.ts),
 * each file whole in one of them, the results put back in listing order: the
 * same result, sooner where there are cores for it. `jobs` 1, or a store
 * smaller than `workersFromBytes` (default 16 MiB), is verify().
 */
export async function verifyParallel(target: string, options: VerifyOptions & { jobs: number; workersFromBytes?: number }): Promise<VerifyResult> {
  const { listing, companions } = plan(target);
  const total = listing.files.reduce((n, f) => n + f.size, 0);
  if (options.jobs <= 1 || total < (options.workersFromBytes ?? WORKERS_FROM_BYTES)) return verify(target, options);
  const checks = await checkInWorkers(listing.files, companions, options.jobs, options.onProgress);
  return finish(target, listing, checks);
}

export async function runVerify(args: VerifyArgs, ctx: Context): Promise<number> {
  const { out } = ctx;
  let result: VerifyResult;
  const bar = progress(ctx.term, ctx.quiet, 'verify');
  try {
    result = await verifyParallel(args.path, { jobs: args.jobs, onProgress: (done, total) => bar.update(done, total) });
  } catch (e) {
    if (!(e instanceof PathError)) throw e;
    out.error(`kvtool: ${e.message}`);
    if (args.json) {
      out.line(JSON.stringify({ path: args.path, ok: false, exitCode: EXIT.USAGE_OR_IO, error: e.message }));
    }
    return EXIT.USAGE_OR_IO;
  } finally {
    bar.finish();
  }
  if (args.json) out.line(renderVerifyJson(result));
  else for (const line of renderVerifyText(result)) out.line(line);
  return result.exitCode;
}
