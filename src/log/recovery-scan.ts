// A segment recovery has to read whole (no usable hint and index), with
// the newest record of each key noted as it goes (segment-newest.ts). A
// sealed one can be read in the background worker, or in a scan worker of
// its own where the machine has more than two cores, while this thread
// reads another: what comes back is plain data and the tables' buffers,
// transferred, not copied.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type RecordVisitor, type SegmentScan, scanSegment } from '../formats/log-segment-reader.js';
import type { FileIO } from '../io/file-io.js';
import { loaderFlags } from '../io/worker-flags.js';
import { SegmentNewest, type SegmentNewestParts } from './segment-newest.js';

/**
 * The records that are their key's newest, in hash order (SegmentNewest's
 * newest() and tally()): worked out by the thread that read the segment,
 * right after its scan. Done by recovery's own thread after every read
 * came in, the sort of each segment waited for the slowest read (a
 * hint-less open of two 66 MB segments: ~300 ms of sorting after ~275 ms
 * of waiting, profiled); now each thread sorts what it read while the
 * other still reads.
 */
export interface ChosenRecords {
  rows: Uint32Array<ArrayBuffer>;
  hashes: Uint32Array<ArrayBuffer>;
  tombstones: number;
  keyBytes: number;
}

/** The newest record of each key of `records`, and their tally. */
export function chooseNewest(records: SegmentNewest): ChosenRecords {
  const { rows, hashes } = records.newest();
  // Views of arrays newest() made for them (moved between threads whole).
  return { rows: rows as Uint32Array<ArrayBuffer>, hashes: hashes as Uint32Array<ArrayBuffer>, ...records.tally(rows) };
}

export interface SegmentRead {
  scan: SegmentScan;
  records: SegmentNewest;
  chosen: ChosenRecords;
  /** The file's length when read. */
  length: number;
  /** The bytes read, when kept (the newest segment's: a torn tail cut keeps what it removes). */
  bytes?: Buffer | undefined;
}

/** A SegmentRead as it crosses threads. */
export interface SegmentReadParts {
  scan: SegmentScan;
  parts: SegmentNewestParts;
  chosen: ChosenRecords;
  length: number;
}

/**
 * Scans a segment's bytes as recovery does: every batch's CRC and fields
 * (not each record's CRC: the batch's already covers it), going on past
 * damage to report all of it.
 */
export function scanForRecovery(bytes: Buffer, path: string, onRecord: RecordVisitor): SegmentScan {
  return scanSegment(bytes, { file: path, resync: true, onRecord, recordCrcs: false });
}

/** scanForRecovery() with every record noted. */
export function readRecords(bytes: Buffer, path: string): SegmentRead {
  // Sized for records of 128 bytes: smaller ones cost a growth or two on the way.
  const records = new SegmentNewest(bytes.length / 128);
  const scan = scanForRecovery(bytes, path, records.add);
  return { scan, records, chosen: chooseNewest(records), length: bytes.length, bytes };
}

/** readRecords() of the file at `path`, as parts (the background worker's task). */
export function readSegmentParts(io: FileIO, path: string): SegmentReadParts {
  const { scan, records, chosen, length } = readRecords(io.readFile(path), path);
  return { scan, parts: records.parts(), chosen, length };
}

export function fromParts(p: SegmentReadParts): SegmentRead {
  return { scan: p.scan, records: SegmentNewest.fromParts(p.parts), chosen: p.chosen, length: p.length };
}

/**
 * Threads a hint-less open reads its sealed segments in: this one, the
 * background worker, and a scan worker (recovery-scan-worker.ts) for each
 * core beyond those two. The cores by default; tests set it.
 */
export const RECOVERY_THREADS = { count: availableParallelism() };

/** Segments read by scan workers since the process started: what tests see of them (a failed read falls back to this thread, silently). */
export const SCAN_WORKER_READS = { count: 0 };

/** Reads `paths` in `workers` scan workers at once, each path in one of them; each promise rejects if its read fails. */
export function readInScanWorkers(paths: readonly string[], workers: number): Array<Promise<SegmentReadParts>> {
  const replies = paths.map(() => {
    let resolve!: (r: SegmentReadParts) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<SegmentReadParts>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A read nobody awaits any more (the plan stopped early) must not count as unhandled.
    promise.catch(() => undefined);
    return { promise, resolve, reject };
  });
  const url = new URL('./recovery-scan-worker.js', import.meta.url);
  const count = Math.min(workers, paths.length);
  for (let w = 0; w < count; w++) {
    // Round robin: segments are about the same size.
    const mine = paths.map((_, i) => i).filter((i) => i % count === w);
    let worker: Worker;
    try {
      worker = new Worker(url, { execArgv: loaderFlags(), workerData: { paths: mine.map((i) => paths[i]!) } });
    } catch (e) {
      for (const i of mine) replies[i]!.reject(e);
      continue;
    }
    let answered = 0;
    worker.on('message', (m: ScanReply) => {
      const r = replies[mine[m.index]!]!;
      if ('error' in m) r.reject(new Error(m.error));
      else {
        SCAN_WORKER_READS.count++;
        r.resolve(m.read);
      }
      // Done: its last answer is in. Nothing else holds it.
      if (++answered === mine.length) void worker.terminate();
    });
    const fail = (e: unknown): void => {
      for (const i of mine) replies[i]!.reject(e);
    };
    worker.on('error', fail);
    worker.on('exit', () => fail(new Error('scan worker exited')));
  }
  return replies.map((r) => r.promise);
}

/** What a scan worker answers for its path number `index`. */
export type ScanReply = { index: number; read: SegmentReadParts } | { index: number; error: string };
