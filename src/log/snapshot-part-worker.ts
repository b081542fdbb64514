// A part worker of a snapshot (snapshot-parts.ts): encodes the parts it is
// sent, reading each record from its segment file (mapped where logkv's
// addon is loaded, else with pread) and checking its CRC as a get does;
// answers with the chunks' bytes in runs of about RUN_BYTES (moved, not
// copied), then the part's first and last keys. Records never move while
// a snapshot is written (maintenance is exclusive) and the log only grows
// at its end, so the captured places stay valid.

import { parentPort } from 'node:worker_threads';
import { LogkvError } from '../errors.js';
import { SnapshotChunks } from '../formats/snapshot-writer.js';
import { nodeFileIO } from '../io/file-io.js';
import { RecordReads, type ReadableSegment } from './record-reads.js';
import { encodePart, type PartReply, type PartWork } from './snapshot-parts.js';

const RUN_BYTES = 4 * 1024 * 1024;

let work: PartWork;
let paths = new Map<number, { path: string; end: number }>();
/** Records are read as a get reads them (record-reads.ts): from the map, else with pread, each CRC-checked. */
const reads = new RecordReads({ mapSegments: true });
const files = new Map<number, ReadableSegment>();

/** Segment `segment`'s file, open; as a sealed segment, mapped up to its last captured record's end (never past the file's end). */
function fileOf(segment: number): ReadableSegment {
  const known = paths.get(segment);
  if (known === undefined) throw new Error(`no path for segment ${segment}`);
  let f = files.get(segment);
  if (!f) {
    const handle = nodeFileIO.open(known.path, 'read');
    const fileSize = handle.size();
    f = { path: known.path, handle, sealed: true, tail: Math.min(known.end, fileSize), fileSize };
    files.set(segment, f);
  }
  return f;
}

function closeFiles(): void {
  for (const f of files.values()) {
    reads.release(f);
    f.handle.close();
  }
  files.clear();
}

function read(segment: number, position: number, size: number): { bytes: Uint8Array; path: string } {
  const f = fileOf(segment);
  return { bytes: reads.readRecordView(f, position, size), path: f.path };
}

parentPort!.on('message', (m: { work: PartWork } | { close: true } | { part: number; from: number; to: number }) => {
  if ('close' in m) {
    // The parts sent before this are done (messages are handled in order): unmapped and closed now, not when the
    // worker is ended (a map of a file unlinked meanwhile would hold its disk space).
    closeFiles();
    parentPort!.postMessage({ closed: true });
    return;
  }
  if ('work' in m) {
    work = m.work;
    paths = new Map(work.paths);
    return;
  }
  const { part, from, to } = m;
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
  // The maps stay for the next part: mapped anew, every page would be faulted in again (each part reads all over the segments).
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
