// `kvtool verify PATH`: checks one file or every logkv file of a store
// directory with the format readers, each hint against its segment, each
// segment index against its segment and hint, and the directory against
// its manifest. Read-only, takes no lock. Exit 0 when clean, 1 when
// problems were found, 2 when PATH or a file in it cannot be read.

import path from 'node:path';
import type { Context } from '../context.js';
import { kindByName } from '../file-kind.js';
import { type Listing, listFiles, PathError } from '../paths.js';
import { progress } from '../progress.js';
import { type Problem } from '../verify/check.js';
import { type CheckUnit, checkUnit, type FileCheck } from '../verify/check-unit.js';
import { renderVerifyJson, renderVerifyText, type VerifyResult } from '../verify/render.js';
import { addJournalPairProblems, checkStore, segmentOfCompanion } from '../verify/store-checks.js';
import { checkInWorkers } from '../verify/verify-pool.js';
import { isStore, notAStoreError, storeLayout } from '../store/layout.js';
import { EXIT } from './exit-codes.js';

export interface VerifyArgs {
  path: string;
  json: boolean;
  /** Threads checking files at once (this one and jobs - 1 workers); 1: all on this thread. */
  jobs: number;
}

export interface VerifyOptions {
  /** Called with bytes checked so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

export { checkListedFile, type Companions, type FileCheck } from '../verify/check-unit.js';

/**
 * What verify looks at for `target`, in units (check-unit.ts): each
 * segment of a directory with the hint and index the listing holds beside
 * it, every other file alone.
 */
function plan(target: string): { listing: Listing; units: CheckUnit[] } {
  const listing = listFiles(target);
  // A directory is checked only when it is a store, or holds a JournalStore's files (verify of an empty folder, /etc or a store's parent says so, exit 2).
  if (listing.isDirectory && !isStore(storeLayout(target)) && !listing.files.some((f) => kindByName(f.name) === 'journal')) {
    throw new PathError(notAStoreError(target).message, 'not a logkv store');
  }
  const at = new Map(listing.files.map((f, i) => [f.path, i]));
  const grouped = new Set<number>();
  const units: CheckUnit[] = [];
  for (const [i, ref] of listing.files.entries()) {
    if (!listing.isDirectory || !ref.path.endsWith('.log')) continue;
    const hint = at.get(ref.path.replace(/\.log$/, '.hint'));
    const index = at.get(ref.path.replace(/\.log$/, '.index'));
    units.push({ segment: i, ...(hint === undefined ? {} : { hint }), ...(index === undefined ? {} : { index }) });
    for (const j of [i, hint, index]) if (j !== undefined) grouped.add(j);
  }
  for (const i of listing.files.keys()) if (!grouped.has(i)) units.push({ file: i });
  return { listing, units };
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
  const { listing, units } = plan(target);
  const total = listing.files.reduce((n, f) => n + f.size, 0);
  const checks: FileCheck[] = new Array(listing.files.length);
  let done = 0;
  for (const unit of units) {
    for (const [i, check] of checkUnit(listing.files, unit)) {
      checks[i] = check;
      done += listing.files[i]!.size;
    }
    options.onProgress?.(done, total);
  }
  return finish(target, listing, checks);
}

/** Below this many bytes a store is checked on this thread: starting a worker costs ~100 ms here, more than it saves. */
const WORKERS_FROM_BYTES = 16 * 1024 * 1024;

/**
 * verify() with its units checked by `jobs` threads, this one and
 * `jobs` - 1 workers (verify-pool.ts), the results put back in listing
 * order: the same result, sooner where there are cores for it. `jobs` 1,
 * or a store smaller than `workersFromBytes` (default 16 MiB), is verify().
 */
export async function verifyParallel(target: string, options: VerifyOptions & { jobs: number; workersFromBytes?: number }): Promise<VerifyResult> {
  const { listing, units } = plan(target);
  const total = listing.files.reduce((n, f) => n + f.size, 0);
  if (options.jobs <= 1 || total < (options.workersFromBytes ?? WORKERS_FROM_BYTES)) return verify(target, options);
  const checks = await checkInWorkers(listing.files, units, options.jobs, options.onProgress);
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
