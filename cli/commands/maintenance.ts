// `kvtool compact PATH`, `kvtool snapshot PATH`, `kvtool restore SNAPSHOT
// DIR`: the engine's own maintenance (LogStore.compact, LogStore.snapshot,
// restore), run under the store's lock, with what they did printed.

import path from 'node:path';
import { restore } from '../../src/log/restore.js';
import type { Context } from '../context.js';
import { formatBytes, spinner } from '../progress.js';
import { openForWriting } from '../store/open-store.js';
import { EXIT } from './exit-codes.js';

export interface MaintenanceArgs {
  path: string;
  json: boolean;
}

async function withSpinner<T>(ctx: Context, label: string, work: () => Promise<T>): Promise<T> {
  const s = spinner(ctx.term, ctx.quiet, label);
  try {
    return await work();
  } finally {
    s.stop();
  }
}

export async function runCompact(args: MaintenanceArgs, ctx: Context): Promise<number> {
  const store = await openForWriting(args.path, ctx, 'compact');
  try {
    const r = await withSpinner(ctx, 'compact', () => store.compact());
    if (args.json) ctx.out.line(JSON.stringify(r));
    else {
      const saved = r.bytesBefore - r.bytesAfter;
      const share = r.bytesBefore > 0 ? `, ${((saved / r.bytesBefore) * 100).toFixed(1)}%` : '';
      ctx.out.line(
        r.segmentsBefore === 0
          ? r.segmentsSkipped === 0
            ? 'compact: no sealed segments to compact'
            : `compact: nothing to reclaim (${r.segmentsSkipped} sealed segment${r.segmentsSkipped === 1 ? '' : 's'} without garbage)`
          : `compact: ${r.segmentsBefore} sealed segment${r.segmentsBefore === 1 ? '' : 's'} -> ${r.segmentsAfter}, ${r.bytesBefore} -> ${r.bytesAfter} bytes ` +
              `(${formatBytes(saved)} freed${share}), records kept ${r.recordsKept}, dropped ${r.recordsDropped}, ` +
              `${r.segmentsSkipped} without garbage left as they were, ${r.durationMs.toFixed(0)} ms`,
      );
    }
  } finally {
    await store.close();
  }
  return EXIT.OK;
}

export async function runSnapshot(args: MaintenanceArgs, ctx: Context): Promise<number> {
  const store = await openForWriting(args.path, ctx, 'snapshot');
  try {
    const info = await withSpinner(ctx, 'snapshot', () => store.snapshot());
    if (args.json) ctx.out.line(JSON.stringify(info));
    else ctx.out.line(`snapshot: ${info.path} nextOffset: ${info.nextOffset} entries: ${info.entries} bytes: ${info.bytes} created: ${info.createdMs}`);
  } finally {
    await store.close();
  }
  return EXIT.OK;
}

export interface RestoreArgs {
  snapshot: string;
  dir: string;
  segmentSize: number | undefined;
  json: boolean;
}

export async function runRestore(args: RestoreArgs, ctx: Context): Promise<number> {
  // DIR is a path, never a bare store name under LOGKV_DIR (store-path.ts).
  const dir = path.resolve(args.dir);
  const r = await withSpinner(ctx, 'restore', () => restore(args.snapshot, dir, args.segmentSize === undefined ? {} : { segmentSize: args.segmentSize }));
  if (args.json) ctx.out.line(JSON.stringify(r));
  else ctx.out.line(`restore: ${r.dir} from ${args.snapshot}: ${r.entries} entries in ${r.segments} segments, the log goes on at offset ${r.nextOffset}`);
  return EXIT.OK;
}
