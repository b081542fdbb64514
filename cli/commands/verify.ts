// `kvtool verify PATH`: checks one file or every logkv file of a store
// directory with the format readers, each hint against its segment, and
// the directory against its manifest. Read-only, takes no lock. Exit 0 when
// clean, 1 when problems were found, 2 when PATH or a file in it cannot be
// read.

import path from 'node:path';
import { LogkvError } from '../../src/errors.js';
import { checkHint } from '../../src/formats/hint-reader.js';
import type { Context } from '../context.js';
import { kindByName } from '../file-kind.js';
import { listFiles, PathError, readBytes, type ReadFile, readIfLogkv } from '../paths.js';
import { progress } from '../progress.js';
import { CHECKS, checkUnknown, type FileReport, type Problem } from '../verify/check.js';
import { renderVerifyJson, renderVerifyText, type VerifyResult } from '../verify/render.js';
import { addJournalPairProblems, checkHintAgainstSegment, checkStore, segmentOfHint } from '../verify/store-checks.js';
import { isStore, notAStoreError, storeLayout } from '../store/layout.js';
import { EXIT } from './exit-codes.js';

export interface VerifyArgs {
  path: string;
  json: boolean;
}

export interface VerifyOptions {
  /** Called with bytes checked so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Problems of each hint found by comparing it with its segment, by hint
 * path. `hintBytes`: the hint as verify already read it (a hint sorts
 * before its segment), else it is read here.
 */
function compareHint(hintPath: string, hintBytes: Buffer | undefined, segmentBytes: Buffer, report: FileReport): Problem[] {
  let hint;
  try {
    hint = checkHint(hintBytes ?? readBytes({ path: hintPath, name: path.basename(hintPath), explicit: false, size: 0 }), hintPath);
  } catch (e) {
    // The hint's own check reports what is wrong with it.
    if (e instanceof LogkvError || e instanceof PathError) return [];
    throw e;
  }
  const next = report.details.nextOffset;
  // The segment's report came from a scan that checked every record CRC (a record-crc problem makes it not ok).
  return checkHintAgainstSegment(hint, segmentBytes, typeof next === 'number' ? next : -1, !report.ok, { recordCrcsChecked: true });
}

export function verify(target: string, options: VerifyOptions = {}): VerifyResult {
  const result: VerifyResult = { path: target, exitCode: EXIT.OK, files: [], ioErrors: [] };
  const listing = listFiles(target);
  // A directory is checked only when it is a store, or holds a JournalStore's files (verify of an empty folder, /etc or a store's parent says so, exit 2).
  if (listing.isDirectory && !isStore(storeLayout(target)) && !listing.files.some((f) => kindByName(f.name) === 'journal')) {
    throw new PathError(notAStoreError(target).message, 'not a logkv store');
  }
  result.ioErrors.push(...listing.ioProblems);
  const names = new Set(listing.files.map((f) => f.path));
  const hintProblems = new Map<string, Problem[]>();
  /** Hints read and not yet compared with their segment. */
  const hintsRead = new Map<string, Buffer>();
  const total = listing.files.reduce((n, f) => n + f.size, 0);
  let done = 0;
  for (const ref of listing.files) {
    let read: ReadFile;
    try {
      read = readIfLogkv(ref);
    } catch (e) {
      if (!(e instanceof PathError)) throw e;
      result.ioErrors.push({ path: ref.path, message: `cannot read: ${e.detail}` });
      continue;
    }
    if (read.kind !== undefined) {
      const { kind, bytes } = read;
      const report = CHECKS[kind](bytes, ref.path);
      result.files.push(report);
      const hintPath = ref.path.replace(/\.log$/, '.hint');
      if (listing.isDirectory && kind === 'hint') hintsRead.set(ref.path, bytes);
      if (listing.isDirectory && kind === 'segment' && hintPath !== ref.path && names.has(hintPath)) {
        hintProblems.set(hintPath, compareHint(hintPath, hintsRead.get(hintPath), bytes, report));
        hintsRead.delete(hintPath);
      }
    }
    // A file named like ours, or named on the command line, must be ours;
    // anything else in a store directory (LOCK, notes, ...) is not looked at.
    else if (ref.explicit || kindByName(ref.name) !== undefined) result.files.push({ ...checkUnknown(read.head, ref.path), size: read.size });
    done += ref.size;
    options.onProgress?.(done, total);
  }
  if (listing.isDirectory) {
    for (const f of result.files) {
      if (f.kind !== 'hint' || path.dirname(f.file) !== target.replace(/\/+$/, '')) continue;
      const segment = segmentOfHint(path.basename(f.file));
      const problems = hintProblems.get(f.file) ?? [];
      if (segment !== undefined && !names.has(path.join(target, segment))) {
        problems.push({ offset: undefined, length: undefined, code: 'ORPHAN', reason: 'no-segment', message: `the hint of ${segment}, which does not exist` });
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

export function runVerify(args: VerifyArgs, ctx: Context): number {
  const { out } = ctx;
  let result: VerifyResult;
  const bar = progress(ctx.term, ctx.quiet, 'verify');
  try {
    result = verify(args.path, { onProgress: (done, total) => bar.update(done, total) });
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
