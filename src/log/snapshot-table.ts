// A snapshot read whole for restore (restore.ts) and for an open that
// starts from one (start-from-snapshot.ts): every entry checked (chunk
// CRCs, key order, the SHA-256 trailer) before any is used, and held as
// places in the chunks read rather than as objects: three typed arrays and
// one view per chunk, where an object and two views per entry were 1M
// objects for the collector at 1M keys (profiled: most of a restore's read).

import { entryAt, scanSnapshotEntries } from '../formats/snapshot-reader.js';
import type { SnapshotEntry, SnapshotHeader } from '../formats/snapshot-writer.js';
import { SNAPSHOT_ENTRY_FIXED_SIZE, SNAPSHOT_HEADER_SIZE } from '../formats/limits.js';
import type { FileIO } from '../io/file-io.js';
import { withFileSource } from '../io/file-source.js';

export interface SnapshotTable {
  header: SnapshotHeader;
  /** Entries, in key order. */
  count: number;
  /** The chunk bodies the entries lie in. */
  chunks: Buffer[];
  /** Entry i lies in chunks[chunkOf[i]] from byte at[i]; the record that set it had offset[i]. */
  chunkOf: Uint32Array;
  at: Uint32Array;
  offset: Float64Array;
}

/**
 * Reads and checks the snapshot file at `path`, a window at a time (no
 * Buffer of the whole file, so no 2 GiB limit). Throws LogkvError on any
 * damage.
 */
export function readSnapshotTable(io: FileIO, path: string): SnapshotTable {
  return withFileSource(io, path, (source) => {
    // Room for the count the header states (bytes 24..31; the scan checks it), no more than the file can hold:
    // every entry takes at least its fixed fields.
    const head = source.read(0, SNAPSHOT_HEADER_SIZE);
    const stated = head.length === SNAPSHOT_HEADER_SIZE ? Buffer.from(head.buffer, head.byteOffset, head.length).readUInt32LE(24) : 0;
    const room = Math.min(stated, Math.floor(source.size / SNAPSHOT_ENTRY_FIXED_SIZE));
    let chunkOf = new Uint32Array(room);
    let at = new Uint32Array(room);
    let offset = new Float64Array(room);
    const chunks: Buffer[] = [];
    let last: Uint8Array | undefined;
    let n = 0;
    const header = scanSnapshotEntries(
      source,
      (bytes, entryAt, entryOffset) => {
        if (n === at.length) {
          // More entries than the header states: the scan will refuse the file, but only at its end.
          const size = Math.max(n * 2, 1024);
          chunkOf = grow(chunkOf, size);
          at = grow(at, size);
          offset = grow(offset, size);
        }
        if (bytes !== last) {
          last = bytes;
          chunks.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        }
        chunkOf[n] = chunks.length - 1;
        at[n] = entryAt;
        offset[n++] = entryOffset;
      },
      path,
    );
    return { header, count: n, chunks, chunkOf: chunkOf.subarray(0, n), at: at.subarray(0, n), offset: offset.subarray(0, n) };
  });
}

/** Entry i of the table as an object (key and value views into its chunk): for tests and small callers. */
export function tableEntry(table: SnapshotTable, i: number): SnapshotEntry {
  return entryAt(table.chunks[table.chunkOf[i]!]!, table.at[i]!, table.offset[i]!);
}

function grow<T extends Uint32Array | Float64Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}
