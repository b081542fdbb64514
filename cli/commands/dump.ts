// `kvtool dump PATH`: prints every batch and record (entry, frame) of one
// file or of every logkv file in a store directory. Never writes.

import { type DumpShape, FileDumper, worstCode } from '../dump/dump-file.js';
import { dumpInWorkers } from '../dump/dump-pool.js';
import type { Context } from '../context.js';
import type { ValuesMode } from '../format-value.js';
import { type Listing, listFiles, PathError } from '../paths.js';
import { progress } from '../progress.js';
import { EXIT } from './exit-codes.js';

export interface DumpArgs {
  path: string;
  json: boolean;
  fromOffset: number | undefined;
  key: string | undefined;
  values: ValuesMode;
  /** Files dumped at once, each in a thread of its own (default 1: this thread alone). */
  jobs?: number;
  /** Below this many bytes in all, one thread (tests set 0). */
  workersFromBytes?: number;
}

/** Below this many bytes a dump runs on this thread: starting a worker costs ~100-150 ms here, more than it saves. */
const WORKERS_FROM_BYTES = 16 * 1024 * 1024;

/**
 * Returns the exit code: 0 when everything named was dumped (damage inside
 * files included: judging is verify's job), 1 when PATH is a single file
 * that is not a logkv file, 2 when PATH or a file in it cannot be read.
 * A dump to a terminal is its own progress; redirected, it shows a bar.
 */
export async function runDump(args: DumpArgs, ctx: Context): Promise<number> {
  const bar = progress(ctx.term, ctx.quiet || ctx.term.stdoutIsTTY, 'dump');
  try {
    return await dump(args, ctx, (done, total) => bar.update(done, total));
  } finally {
    bar.finish();
  }
}

async function dump(args: DumpArgs, ctx: Context, onProgress: (done: number, total: number) => void): Promise<number> {
  const out = ctx.out;
  let listing: Listing;
  try {
    listing = listFiles(args.path);
  } catch (e) {
    if (!(e instanceof PathError)) throw e;
    out.error(`kvtool: ${e.message}`);
    return EXIT.USAGE_OR_IO;
  }
  let code: number = EXIT.OK;
  for (const p of listing.ioProblems) {
    out.error(`kvtool: ${p.path}: ${p.message}`);
    code = EXIT.USAGE_OR_IO;
  }
  const shape: DumpShape = { json: args.json, fromOffset: args.fromOffset, key: args.key, values: args.values };
  const total = listing.files.reduce((n, f) => n + f.size, 0);
  const jobs = args.jobs ?? 1;
  if (jobs > 1 && listing.files.length > 1 && total >= (args.workersFromBytes ?? WORKERS_FROM_BYTES)) {
    return worstCode(code, await dumpInWorkers(listing.files, shape, out, jobs, onProgress));
  }
  const dumper = new FileDumper(shape, out);
  let done = 0;
  try {
    for (const ref of listing.files) {
      onProgress(done, total);
      done += ref.size;
      code = worstCode(code, dumper.dump(ref));
    }
  } finally {
    dumper.flush();
  }
  return code;
}
