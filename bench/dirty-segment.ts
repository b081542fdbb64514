// Compaction when one sealed segment of twenty is dirty (issue 17): what a
// compact() reads and writes, as the process's own read and write system
// calls count it (/proc/self/io: rchar, wchar; worker threads included),
// against the dirty segment's bytes. logkv only: the peers have no segments.
//
// The store: unique keys bulk-loaded until twenty segments are sealed, then
// half the keys of the eighth written again (its other half stays live),
// then enough new keys for one more roll, so compact() seals a short active
// segment rather than a full one.
//
// compact() first seals the active segment, and that roll costs I/O of its
// own: the sealed segment's hint (the segment read back by the worker; the
// store runs with durability 'none', so no next segment is zero-filled).
// So the same is measured once more with nothing dirty (the same number of
// new keys written first): the roll alone. The cleaner's share is the
// first figure less the second. Each figure is read once the process is
// quiet again: the outputs' hints and the inputs' removal, which compact()
// leaves beside the writes, count as the run's.

import * as fs from 'node:fs';
import { LogStore } from '../src/log/log-store.js';
import { BATCH } from './batches.js';
import type { EngineName } from './engines.js';
import type { Figures } from './phases.js';
import { keyAt, type Sizes, valueAt } from './workload.js';

const SEGMENTS = 20;
const FULL_SEGMENT = 16 * 1024 * 1024;

export async function dirtySegment(engine: EngineName, dir: string, sizes: Sizes): Promise<Figures> {
  if (engine !== 'logkv') throw new Error('the dirty-segment phase measures logkv only');
  const segmentSize = Math.max(1 << 20, Math.round(FULL_SEGMENT * sizes.scale));
  const store = await LogStore.open<Uint8Array>(dir, { durability: 'none', segmentSize, autoCompact: false });
  let next = 0;
  const put = async (from: number, count: number, version: number) => {
    const ops = [];
    for (let i = from; i < from + count; i++) ops.push({ type: 'put' as const, key: keyAt(i), value: valueAt(i, version) });
    await store.batch(ops);
  };
  while (logFiles(dir).length <= SEGMENTS) {
    await put(next, BATCH, 0);
    next += BATCH;
  }
  // Key i was written at offset i, and a segment is named by its base offset: the eighth holds keys [base, its successor's base).
  const files = logFiles(dir);
  const eighth = files[7]!;
  const first = Number(eighth.slice(0, 20));
  const end = Number(files[8]!.slice(0, 20));
  const half = Math.floor((end - first) / 2);
  for (let i = first; i < first + half; i += BATCH) await put(i, Math.min(BATCH, first + half - i), 1);
  const segmentsBefore = logFiles(dir).length;
  const fresh = next;
  while (logFiles(dir).length === segmentsBefore) {
    await put(next, BATCH, 0);
    next += BATCH;
  }
  const tailKeys = next - fresh;
  const dirtyBytes = fs.statSync(`${dir}/${eighth}`).size;
  const dirty = await measured(store);
  for (const i of [first, first + half - 1, first + half, end - 1, next - 1]) {
    if (store.get(keyAt(i)) === undefined) throw new Error(`key ${i} is missing after compaction`);
  }
  await put(next, tailKeys, 0);
  next += tailKeys;
  const rollOnly = await measured(store);
  await store.close();
  if (dirty.result.segmentsBefore !== 1 || rollOnly.result.segmentsBefore !== 0) {
    throw new Error(`compact() rewrote ${dirty.result.segmentsBefore} segments, then ${rollOnly.result.segmentsBefore} (expected 1, then 0)`);
  }
  const cleanerRead = dirty.readBytes - rollOnly.readBytes;
  const cleanerWritten = dirty.writtenBytes - rollOnly.writtenBytes;
  return {
    dirtySegmentBytes: dirtyBytes,
    sealedSegments: segmentsBefore,
    dirtyCompactMs: dirty.ms,
    dirtyReadBytes: dirty.readBytes,
    dirtyWrittenBytes: dirty.writtenBytes,
    rollOnlyCompactMs: rollOnly.ms,
    rollOnlyReadBytes: rollOnly.readBytes,
    rollOnlyWrittenBytes: rollOnly.writtenBytes,
    cleanerReadBytes: cleanerRead,
    cleanerWrittenBytes: cleanerWritten,
    cleanerInputReadBytes: dirty.result.bytesRead,
    dirtyIoRatio: (dirty.readBytes + dirty.writtenBytes) / dirtyBytes,
    cleanerIoRatio: (cleanerRead + cleanerWritten) / dirtyBytes,
  };
}

/**
 * One compact(), once background work is done: its time, its result, and
 * the bytes the process read and wrote meanwhile, including the work the
 * run left beside the writes (its outputs' hints, the inputs' removal),
 * which compact() does not wait for.
 */
async function measured(store: LogStore<Uint8Array>) {
  await store.flush();
  await quiet();
  const before = processIo();
  const started = performance.now();
  const result = await store.compact();
  const ms = performance.now() - started;
  await quiet();
  const after = processIo();
  return { ms, result, readBytes: after.rchar - before.rchar, writtenBytes: after.wchar - before.wchar };
}

function logFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
}

/** Bytes the process has read and written through system calls so far. */
function processIo(): { rchar: number; wchar: number } {
  const text = fs.readFileSync('/proc/self/io', 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { rchar: field('rchar'), wchar: field('wchar') };
}

/**
 * Waits until background work (a sealed segment's hint, made in a worker)
 * stops reading and writing: before a compact(), its bytes are not the
 * compaction's; after it, they are. Each look reads /proc/self/io itself,
 * a few hundred bytes.
 */
async function quiet(): Promise<void> {
  let last = processIo();
  for (let still = 0; still < 3; ) {
    await new Promise((r) => setTimeout(r, 100));
    const now = processIo();
    still = now.rchar - last.rchar < 4096 && now.wchar - last.wchar < 4096 ? still + 1 : 0;
    last = now;
  }
}
