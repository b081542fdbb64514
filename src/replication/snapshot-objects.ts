// Snapshots in the JetStream object store (docs/REPLICATION.md): a
// store.snapshot() file shipped whole as one object, so a new copy starts
// from it plus the stream after it instead of the whole stream.
//
// One bucket per stream (`<stream>_snapshots`, JetStream stream
// OBJ_<bucket>). An object is named `<store id>/<next offset, 20 digits>.snap`
// and its metadata repeat what a reader must know before it trusts the
// bytes: the store, the offset the snapshot goes on at, and the SHA-256 of
// the file (its own trailer, formats/snapshot.ksy). On the way back the
// object store checks its digest of the chunks, then the file is read
// whole by the snapshot reader (CRC per chunk, the SHA-256 trailer), and
// the trailer and header must be the ones the metadata name: anything else
// is CORRUPT (reason snapshot-object) and the file is removed.

import fs from 'node:fs';
import { LogkvError } from '../errors.js';
import { SHA256_SIZE } from '../formats/limits.js';
import { scanSnapshot } from '../formats/snapshot-reader.js';
import { nodeFileIO } from '../io/file-io.js';
import { withFileSource } from '../io/file-source.js';
import type { SnapshotInfo } from '../log/snapshots.js';
import { Objm, setSha256Backend, StorageType, type ObjectInfo, type ObjectStore } from '@nats-io/obj';
import type { Connection } from './connection.js';

/** A snapshot object as its metadata describe it. */
export interface SnapshotObject {
  /** The object's name in the bucket. */
  name: string;
  /** The store whose state it is. */
  store: string;
  /** Every write below this offset is in it; the stream after it goes on here. */
  nextOffset: number;
  /** SHA-256 of the snapshot file (its trailer), hex. */
  sha256: string;
  bytes: number;
  entries: number;
}

const META = {
  store: 'logkv-store',
  nextOffset: 'logkv-next-offset',
  sha256: 'logkv-sha256',
  entries: 'logkv-entries',
} as const;

/** Object chunks: fewer, larger messages than the client's 128 KiB default (each chunk is one acknowledged publish). */
const CHUNK_SIZE = 512 * 1024;
/** Bytes read from the snapshot file per step of an upload. */
const READ_SIZE = 1024 * 1024;

export function bucketName(stream: string): string {
  return `${stream}_snapshots`;
}

export function objectName(storeId: string, nextOffset: number): string {
  return `${storeId}/${String(nextOffset).padStart(20, '0')}.snap`;
}

function corrupt(message: string): LogkvError {
  return new LogkvError('CORRUPT', message, { reason: 'snapshot-object' });
}

/**
 * The stream's snapshot bucket; undefined when it does not exist and
 * `create` is not given. The object client hashes with its pure-JS SHA-256
 * by default (5-10x slower): node:crypto gives the same bytes.
 */
export async function openBucket(c: Connection, create?: { replicas: number }): Promise<ObjectStore | undefined> {
  setSha256Backend('native');
  const objm = new Objm(c.js);
  const name = bucketName(c.stream);
  if (create) return objm.create(name, { replicas: create.replicas, storage: StorageType.File });
  try {
    return await objm.open(name);
  } catch (e) {
    if (e instanceof Error && /not found/.test(e.message)) return undefined;
    throw e;
  }
}

/** The logkv snapshot objects in `bucket`, oldest offset first; one whose metadata do not add up is CORRUPT. */
export async function listSnapshots(bucket: ObjectStore): Promise<SnapshotObject[]> {
  const out: SnapshotObject[] = [];
  for (const info of await bucket.list()) {
    if (info.deleted) continue;
    out.push(describe(info));
  }
  return out.sort((a, b) => a.nextOffset - b.nextOffset);
}

function describe(info: ObjectInfo): SnapshotObject {
  const m = info.metadata ?? {};
  const store = m[META.store];
  const nextOffset = Number(m[META.nextOffset]);
  const sha256 = m[META.sha256];
  const entries = Number(m[META.entries]);
  if (store === undefined || !/^[0-9a-f]{32}$/.test(store) || !Number.isSafeInteger(nextOffset) || nextOffset < 0 || sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256) || !Number.isSafeInteger(entries)) {
    throw corrupt(`object ${info.name} of bucket ${info.bucket} is not a logkv snapshot: its metadata lack the store, offset or SHA-256`);
  }
  if (info.name !== objectName(store, nextOffset)) throw corrupt(`object ${info.name} of bucket ${info.bucket} says it is the snapshot of store ${store} at ${nextOffset}, which its name is not`);
  return { name: info.name, store, nextOffset, sha256, bytes: info.size, entries };
}

/**
 * Uploads the snapshot file `info` of store `storeId`. Read through one
 * open descriptor, so a newer snapshot() that deletes the file meanwhile
 * does not cut the upload short.
 */
export async function uploadSnapshot(bucket: ObjectStore, storeId: string, info: SnapshotInfo, timeoutMs: number): Promise<SnapshotObject> {
  const fd = fs.openSync(info.path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size < SHA256_SIZE) throw corrupt(`${info.path} is too short to be a snapshot`);
    const trailer = Buffer.alloc(SHA256_SIZE);
    fs.readSync(fd, trailer, 0, SHA256_SIZE, size - SHA256_SIZE);
    let position = 0;
    const data = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (position >= size) return controller.close();
        const piece = Buffer.alloc(Math.min(READ_SIZE, size - position));
        const n = fs.readSync(fd, piece, 0, piece.length, position);
        if (n === 0) return controller.error(new Error(`${info.path} ended at byte ${position} of ${size}`));
        position += n;
        controller.enqueue(n === piece.length ? piece : piece.subarray(0, n));
      },
    });
    const name = objectName(storeId, info.nextOffset);
    const put = await bucket.put(
      {
        name,
        description: `logkv snapshot of store ${storeId}: every write below offset ${info.nextOffset}`,
        options: { max_chunk_size: CHUNK_SIZE },
        metadata: { [META.store]: storeId, [META.nextOffset]: String(info.nextOffset), [META.sha256]: trailer.toString('hex'), [META.entries]: String(info.entries) },
      },
      data,
      { timeout: timeoutMs },
    );
    return describe(put);
  } finally {
    fs.closeSync(fd);
  }
}

/** Deletes the oldest snapshot objects of `storeId` beyond the newest `keep`. */
export async function pruneSnapshots(bucket: ObjectStore, storeId: string, keep: number): Promise<void> {
  const mine = (await listSnapshots(bucket)).filter((s) => s.store === storeId);
  for (const s of mine.slice(0, Math.max(0, mine.length - keep))) await bucket.delete(s.name);
}

/**
 * Downloads snapshot object `s` into the file `file` and checks it (see
 * the head of this file). A damaged object is CORRUPT and leaves no file;
 * a download that stalls for `stallMs` fails with a plain Error (a node
 * gone: the caller may retry).
 */
export async function downloadSnapshot(bucket: ObjectStore, s: SnapshotObject, file: string, stallMs: number): Promise<void> {
  const got = await bucket.get(s.name);
  if (got === null) throw new Error(`snapshot object ${s.name} is gone (deleted meanwhile?)`);
  const fd = fs.openSync(file, 'w');
  let ok = false;
  try {
    const reader = got.data.getReader();
    let bytes = 0;
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`downloading snapshot object ${s.name}: nothing came for ${stallMs} ms`)), stallMs);
      });
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await Promise.race([reader.read(), stalled]);
      } catch (e) {
        await reader.cancel().catch(() => undefined);
        // The object store's own digest check fails the stream: the chunks are not what was put.
        if (e instanceof Error && /digests do not match/.test(e.message)) throw corrupt(`snapshot object ${s.name}: ${e.message.split('\n')[0]}`);
        throw e;
      } finally {
        clearTimeout(timer);
      }
      if (step.done) break;
      fs.writeSync(fd, step.value, 0, step.value.length, bytes);
      bytes += step.value.length;
    }
    const failed = await got.error;
    if (failed) throw /digests do not match/.test(failed.message) ? corrupt(`snapshot object ${s.name}: ${failed.message.split('\n')[0]}`) : failed;
    if (bytes !== s.bytes) throw corrupt(`snapshot object ${s.name} holds ${bytes} bytes, its info says ${s.bytes}`);
    fs.fsyncSync(fd);
    ok = true;
  } finally {
    fs.closeSync(fd);
    if (!ok) fs.rmSync(file, { force: true });
  }
  try {
    checkSnapshotFile(s, file);
  } catch (e) {
    fs.rmSync(file, { force: true });
    throw e;
  }
}

/** The downloaded file is a whole snapshot and the one the object's metadata name. */
function checkSnapshotFile(s: SnapshotObject, file: string): void {
  let header;
  try {
    // Read through once without keeping entries (restore() reads it again to build the store).
    header = withFileSource(nodeFileIO, file, (source) => scanSnapshot(source, undefined, file));
  } catch (e) {
    throw corrupt(`snapshot object ${s.name}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const size = fs.statSync(file).size;
  const trailer = Buffer.alloc(SHA256_SIZE);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, trailer, 0, SHA256_SIZE, size - SHA256_SIZE);
  } finally {
    fs.closeSync(fd);
  }
  if (trailer.toString('hex') !== s.sha256) throw corrupt(`snapshot object ${s.name}: its SHA-256 is ${trailer.toString('hex')}, its metadata say ${s.sha256}`);
  if (header.nextOffset !== s.nextOffset) throw corrupt(`snapshot object ${s.name}: the snapshot goes on at offset ${header.nextOffset}, its metadata say ${s.nextOffset}`);
}
