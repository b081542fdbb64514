// A snapshot's chunks encoded by several threads (snapshots.ts,
// writeSnapshot): the captured entries are cut into parts of about
// PART_BYTES, each starting where a chunk of the whole file starts, so a
// part encoded on its own (SnapshotChunks) gives the very chunks the file
// would hold there. Part p is encoded by thread p mod T: this thread (0) or
// a worker (snapshot-part-worker.ts), which reads its records from the
// segment files itself (mapped where logkv's addon is loaded, else with
// pread) and checks each one's CRC as a get does. This thread writes the
// parts in order, hashing them for the trailer as they go; a worker holds
// two parts at a time (it is given the next once one is written), so at
// most 2(T - 1) parts wait in memory. On the 2 cores here: this thread and
// one worker.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LogkvError, type ErrorCode } from '../errors.js';
import { SNAPSHOT_CHUNK_TARGET } from '../formats/limits.js';
import { compareKeyBytes, SnapshotChunks } from '../formats/snapshot-writer.js';
import { loaderFlags } from '../io/worker-flags.js';
import type { Capture } from './snapshots.js';
import type { TimeSlices } from './time-slices.js';

/** Bytes of entries per part, about, and threads (this one included) on the real file system: the cores. Tests set them. */
export const SNAPSHOT_PARTS = { bytes: 16 * 1024 * 1024, threads: availableParallelism() };

/** The record at `position` of segment `segment` (`size` bytes), its CRC checked: a view valid until the next read. */
export type RecordRead = (segment: number, position: number, size: number) => { bytes: Uint8Array; path: string };

/** What a part worker is sent first: where to read and the captured entries. */
export interface PartWork {
  /** Each segment id's file and the end of the last record read from it. */
  paths: Array<[number, { path: string; end: number }]>;
  segment: Uint32Array;
  position: Uint32Array;
  size: Uint32Array;
  offset: Float64Array;
}

/** A worker's answer for a part: its chunks' bytes (in runs), then its keys; or what went wrong. */
export type PartReply =
  | { part: number; bytes: Uint8Array }
  | { part: number; done: true; firstKey: Uint8Array | undefined; lastKey: Uint8Array | undefined }
  | { part: number; error: { code?: ErrorCode | undefined; message: string; file?: string | undefined; offset?: number | undefined; reason?: string | undefined } };

/**
 * Entry indices where parts start (the first is 0): each at a chunk
 * boundary of the whole file (SnapshotChunks closes a chunk once it holds
 * SNAPSHOT_CHUNK_TARGET bytes; an entry is its record less one byte), the
 * parts about `partBytes` each.
 */
export async function partStarts(size: Uint32Array, count: number, partBytes: number, slices?: TimeSlices): Promise<number[]> {
  const starts = [0];
  let chunk = 0;
  let part = 0;
  for (let i = 0; i < count; i++) {
    if (slices && (i & 4095) === 4095 && slices.due()) await slices.next();
    const entry = size[i]! - 1;
    chunk += entry;
    part += entry;
    if (chunk >= SNAPSHOT_CHUNK_TARGET) {
      chunk = 0;
      if (part >= partBytes && i + 1 < count) {
        starts.push(i + 1);
        part = 0;
      }
    }
  }
  return starts;
}

/**
 * Encodes entries [from, to) of a capture's arrays into `chunks`, reading
 * each record with `read`; CORRUPT when a record is not a put filling its
 * size. `slices`: yield now and then (this thread: writes go on meanwhile).
 */
export async function encodePart(w: Omit<PartWork, 'paths'>, from: number, to: number, read: RecordRead, chunks: SnapshotChunks, slices?: TimeSlices): Promise<void> {
  for (let i = from; i < to; i++) {
    // performance.now() per record was 3% of a snapshot: the clock is asked every 64 records (~15 us of work,
    // but each read of a mapped page not touched yet faults: 256 records at random took up to 8 ms).
    if (slices && (i & 63) === 63 && slices.due()) await slices.next();
    const size = w.size[i]!;
    const position = w.position[i]!;
    const { bytes, path } = read(w.segment[i]!, position, size);
    if (!chunks.addRecord(bytes, 0, size, w.offset[i]!)) {
      throw new LogkvError('CORRUPT', `${path}: record at byte ${position} is not a put filling its ${size} bytes`, { file: path, offset: position, reason: 'record-layout' });
    }
  }
  chunks.flush();
}

/**
 * `count` part workers, started now (capture() starts them as it begins,
 * so that their start, ~100-150 ms here, passes while the keys are walked
 * and sorted). Unreferenced: idle, they keep no process alive; writeParts()
 * ends them, and so does a timer if none does.
 */
export function startPartWorkers(count: number): Worker[] {
  const url = new URL('./snapshot-part-worker.js', import.meta.url);
  const workers: Worker[] = [];
  for (let k = 0; k < count; k++) {
    let worker: Worker;
    try {
      worker = new Worker(url, { execArgv: loaderFlags() });
    } catch {
      break;
    }
    worker.unref();
    // An error before any part is given (a module that fails to load) surfaces in writeParts, which listens from then on.
    worker.on('error', () => undefined);
    const timer = setTimeout(() => void worker.terminate(), UNUSED_WORKER_MS);
    timer.unref();
    worker.once('exit', () => clearTimeout(timer));
    workers.push(worker);
  }
  return workers;
}

/** The most of a worker's run that this thread hashes and writes without yielding. */
const PUT_BYTES = 1024 * 1024;

/** Part workers no snapshot took are ended after this long. */
const UNUSED_WORKER_MS = 60_000;

/**
 * The chunks of capture `c` handed to `put` in file order, encoded by this
 * thread and `started` workers (startPartWorkers(); every one is ended
 * here). `paths`: each segment id's file, for the workers; `read` is this
 * thread's record reader.
 */
export async function writeParts(c: Capture, paths: Map<number, { path: string; end: number }>, read: RecordRead, slices: TimeSlices, put: (bytes: Uint8Array) => void, started: readonly Worker[]): Promise<void> {
  const starts = await partStarts(c.size, c.count, SNAPSHOT_PARTS.bytes, slices);
  const parts = starts.length;
  const ends = [...starts.slice(1), c.count];
  const workerCount = Math.min(started.length, parts - 1);
  const T = workerCount + 1;
  const pending = new Map<number, { bytes: Uint8Array[]; done?: { firstKey: Uint8Array | undefined; lastKey: Uint8Array | undefined }; error?: LogkvError }>();
  let wake: (() => void) | undefined;
  const workers: Worker[] = [];
  const failed = (e: unknown): LogkvError => (e instanceof LogkvError ? e : new LogkvError('IO', `snapshot part worker failed: ${e instanceof Error ? e.message : String(e)}`));
  let workerFailure: LogkvError | undefined;
  if (workerCount > 0) {
    const work: PartWork = { paths: [...paths], segment: c.segment, position: c.position, size: c.size, offset: c.offset };
    for (let k = 0; k < workerCount; k++) {
      const worker = started[k]!;
      // Referenced while it works: this thread waits on its answers.
      worker.ref();
      worker.postMessage({ work });
      workers.push(worker);
      worker.on('message', (m: PartReply | { closed: true }) => {
        if ('closed' in m) return;
        const p = pending.get(m.part) ?? { bytes: [] };
        pending.set(m.part, p);
        if ('bytes' in m) p.bytes.push(m.bytes);
        else if ('done' in m) p.done = { firstKey: m.firstKey, lastKey: m.lastKey };
        else p.error = new LogkvError(m.error.code ?? 'IO', m.error.message, { file: m.error.file, offset: m.error.offset, reason: m.error.reason });
        wake?.();
      });
      worker.on('error', (e) => {
        workerFailure ??= failed(e);
        wake?.();
      });
      // Its first two parts now: it starts while this thread encodes part 0, and has the next at hand when one is done.
      for (const p of [k + 1, k + 1 + T]) if (p < parts) worker.postMessage({ part: p, from: starts[p]!, to: ends[p]! });
    }
  }
  try {
    let lastKey: Uint8Array | undefined;
    const joins = (firstKey: Uint8Array | undefined): void => {
      if (lastKey !== undefined && firstKey !== undefined && compareKeyBytes(lastKey, 0, lastKey.length, firstKey, 0, firstKey.length) >= 0) {
        throw new LogkvError('INVALID_ARGUMENT', 'snapshot keys must be strictly ascending');
      }
    };
    for (let p = 0; p < parts; p++) {
      const owner = p % T;
      if (owner === 0) {
        const chunks = new SnapshotChunks(put);
        await encodePart(c, starts[p]!, ends[p]!, read, chunks, slices);
        joins(chunks.firstKey);
        lastKey = chunks.lastKey ?? lastKey;
        continue;
      }
      // A worker's part: its bytes as they come, then its keys.
      for (;;) {
        if (workerFailure) throw workerFailure;
        const got = pending.get(p);
        if (got?.error) throw got.error;
        if (got) {
          // A run is ~4 MiB (~3 ms to hash and write here, more on a busy machine): it is put a MiB at a
          // time, so writes queued meanwhile get a turn within it.
          while (got.bytes.length > 0) {
            const run = got.bytes.shift()!;
            for (let at = 0; at < run.length; at += PUT_BYTES) {
              put(run.subarray(at, at + PUT_BYTES));
              if (slices.due()) await slices.next();
            }
          }
          if (got.done) {
            joins(got.done.firstKey);
            lastKey = got.done.lastKey ?? lastKey;
            pending.delete(p);
            break;
          }
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
      // Written: the worker is given the part after the one it holds.
      const next = p + 2 * T;
      if (next < parts) workers[owner - 1]!.postMessage({ part: next, from: starts[next]!, to: ends[next]! });
    }
  } finally {
    // Each worker unmaps and closes its files first (after the parts it holds, if this thread failed first).
    await Promise.all(workers.map((w) => closed(w)));
    await Promise.all(started.map((w) => w.terminate()));
  }
}

/** How long a worker is given to close its files before it is ended anyway. */
const CLOSE_WAIT_MS = 5_000;

/** Asks `worker` to unmap and close its files; resolves once it has, or has exited, or after CLOSE_WAIT_MS. */
function closed(worker: Worker): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, CLOSE_WAIT_MS);
    worker.on('message', (m: { closed?: true }) => {
      if (m.closed) done();
    });
    worker.once('exit', done);
    worker.postMessage({ close: true });
  });
}
