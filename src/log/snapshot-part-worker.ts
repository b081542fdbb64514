// A part worker of a snapshot (snapshot-parts.ts): encodes the parts it is
// sent, reading each record from its segment file (mapped where logkv's
// addon is loaded, else with pread) and checking its CRC as a get does;
// answers with the chunks' bytes in runs of about RUN_BYTES (moved, not
// copied), then the part's first and last keys. Records never move while
// a snapshot is written (maintenance is exclusive) and the log only grows
// at its end, so the captured places stay valid.

import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { LogkvError } from '../errors.js';
import { recordCrcMatches } from '../formats/log-segment-reader.js';
import { SnapshotChunks } from '../formats/snapshot-writer.js';
import { type Mapping, mapFile } from '../io/mapped-file.js';
import { encodePart, type PartReply, type PartWork } from './snapshot-parts.js';

const RUN_BYTES = 4 * 1024 * 1024;

const work = workerData as PartWork;
const paths = new Map(work.paths);
const files = new Map<number, { fd: number; size: number; mapping: Mapping | undefined }>();
let scratch = Buffer.allocUnsafe(64 * 1024);

function fileOf(segment: number): { fd: number; size: number; mapping: Mapping | undefined; path: string } {
  const path = paths.get(segment);
  if (path === undefined) throw new Error(`no path for segment ${segment}`);
  let f = files.get(segment);
  if (!f) {
    const fd = fs.openSync(path, 'r');
    const size = fs.fstatSync(fd).size;
    let mapping: Mapping | undefined;
    try {
      mapping = mapFile(fd, size);
    } catch {
      mapping = undefined;
    }
    f = { fd, size, mapping };
    files.set(segment, f);
  }
  return { ...f, path };
}

function read(segment: number, position: number, size: number): { bytes: Uint8Array; path: string } {
  const f = fileOf(segment);
  if (size > scratch.length) scratch = Buffer.allocUnsafe(size);
  const buf = scratch.subarray(0, size);
  let matches: boolean;
  if (f.mapping && position + size <= f.mapping.length) matches = f.mapping.readRecord(position, buf);
  else {
    if (fs.readSync(f.fd, buf, 0, size, position) !== size) throw new LogkvError('CORRUPT', `${f.path}: short read at ${position}`, { file: f.path, offset: position, reason: 'truncated' });
    matches = recordCrcMatches(buf, 0, size);
  }
  if (!matches) {
    throw new LogkvError('CORRUPT', `${f.path}: record at byte ${position} fails its CRC-32C; run kvtool verify and kvtool repair`, { file: f.path, offset: position, reason: 'record-crc' });
  }
  return { bytes: buf, path: f.path };
}

parentPort!.on('message', ({ part, from, to }: { part: number; from: number; to: number }) => {
  let run = Buffer.allocUnsafe(RUN_BYTES);
  let used = 0;
  const send = (): void => {
    if (used === 0) return;
    const bytes = new Uint8Array(run.buffer, run.byteOffset, used);
    parentPort!.postMessage({ part, bytes } satisfies PartReply, [run.buffer as ArrayBuffer]);
    run = Buffer.allocUnsafe(RUN_BYTES);
    used = 0;
  };
  const chunks = new SnapshotChunks((b) => {
    if (used + b.length > run.length) send();
    if (b.length > run.length) {
      parentPort!.postMessage({ part, bytes: Uint8Array.from(b) } satisfies PartReply);
      return;
    }
    b.copy(run, used);
    used += b.length;
  });
  encodePart(work, from, to, read, chunks).then(
    () => {
      send();
      parentPort!.postMessage({ part, done: true, firstKey: chunks.firstKey, lastKey: chunks.lastKey } satisfies PartReply);
    },
    (e: unknown) => {
      const error =
        e instanceof LogkvError
          ? { code: e.code, message: e.message, file: e.file, offset: e.offset, reason: e.reason }
          : { message: e instanceof Error ? e.message : String(e) };
      parentPort!.postMessage({ part, error } satisfies PartReply);
    },
  );
});
