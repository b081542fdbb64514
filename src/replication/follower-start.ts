// Where a new follower begins: a directory that holds no store yet starts
// either empty, applying the stream from its first write, or from a
// snapshot object (snapshot-objects.ts) restored into it, applying the
// stream after it. A stream that no longer holds its store's first write
// (its start was cut, or the mirror's store began from a snapshot) can
// only be followed from a snapshot; a stream whose start is there can be
// followed either way, and by default a snapshot is taken when there is
// one, as it is the shorter way in.
//
// A snapshot object is usable when the stream goes on from it: the stream
// holds nothing yet, or its first message names as the write before it
// one the snapshot holds (its `prev` below the snapshot's next offset).

import { basename, dirname, join } from 'node:path';
import fs from 'node:fs';
import { LogkvError } from '../errors.js';
import { restore } from '../log/restore.js';
import { type Connection, streamMissing } from './connection.js';
import { decodeMessage } from './message.js';
import { bucketName, downloadSnapshot, listSnapshots, openBucket, type SnapshotObject } from './snapshot-objects.js';
import type { ObjectStore } from '@nats-io/obj';

export type StartFrom = 'snapshot' | 'stream';

export interface StartPlan {
  /** The snapshot object to restore first; undefined: start empty. */
  snapshot?: SnapshotObject;
  bucket?: ObjectStore;
}

/** Decides where a follower with no store yet begins (see the head of this file). */
export async function planStart(c: Connection, o: { leader?: string; startFrom: StartFrom }): Promise<StartPlan> {
  let state = { messages: 0, first_seq: 0, last_seq: 0 };
  try {
    state = (await c.jsm.streams.info(c.stream)).state;
  } catch (e) {
    // Not made yet (the mirror makes it): nothing was ever in it.
    if (!streamMissing(e)) throw e;
  }
  let first: { store: string; first: number; prev: number } | undefined;
  let unreadable = false;
  if (state.messages > 0) {
    const m = await c.jsm.streams.getMessage(c.stream, { seq: state.first_seq });
    try {
      if (m) first = decodeMessage({ seq: m.seq, header: (n) => m.header.get(n), data: m.data }, c.stream);
    } catch (e) {
      // A damaged first message: the follower begins empty and stops on it (CORRUPT, from the consuming path), applying nothing.
      if (!(e instanceof LogkvError)) throw e;
      unreadable = true;
    }
  }
  const bucket = await openBucket(c);
  const objects = bucket ? await listSnapshots(bucket) : [];
  const leader = o.leader ?? first?.store ?? onlyStore(objects, c.stream);
  const mine = objects.filter((s) => s.store === leader);
  const newest = mine.at(-1);
  if (unreadable) return {};
  const holdsStart = first ? first.prev === -1 : state.last_seq === 0;
  const reaches = newest !== undefined && (first === undefined || first.prev < newest.nextOffset);
  if (reaches && (o.startFrom === 'snapshot' || !holdsStart)) {
    // A snapshot of one store under a stream of another (a pinned leader that is not the stream's): nothing is restored.
    if (first && first.store !== newest.store) {
      throw new LogkvError('WRONG_LEADER', `stream ${c.stream} holds the writes of store ${first.store}, its snapshot object ${newest.name} is of store ${newest.store}`);
    }
    return { snapshot: newest, bucket };
  }
  if (holdsStart) return {};
  const where = first ? `begins at offset ${first.first} (the writes up to offset ${first.prev} are no longer in it)` : `holds none of the ${state.last_seq} messages it had`;
  const snapshots = newest ? `its newest snapshot object goes on at offset ${newest.nextOffset}, which the stream does not reach` : `bucket ${bucketName(c.stream)} holds no snapshot${leader ? ` of store ${leader}` : ''}`;
  throw new LogkvError('OUT_OF_RANGE', `stream ${c.stream} ${where}, and ${snapshots}: a follower cannot begin from it`);
}

/** The one store the bucket holds snapshots of; several: the follower must be told which (leader). */
function onlyStore(objects: readonly SnapshotObject[], stream: string): string | undefined {
  const stores = new Set(objects.map((s) => s.store));
  if (stores.size > 1) throw new LogkvError('INVALID_ARGUMENT', `the snapshot bucket of stream ${stream} holds snapshots of ${stores.size} stores: give the leader's store id (leader)`);
  return stores.values().next().value;
}

/**
 * Downloads snapshot object `s` beside `dir` (a restore needs its
 * directory empty), checks it and restores it into `dir` as a follower's
 * copy of its store. A damaged object is CORRUPT and `dir` is left as it
 * was.
 */
export async function restoreSnapshotObject(bucket: ObjectStore, s: SnapshotObject, dir: string, o: { segmentSize?: number; stallMs: number }): Promise<void> {
  const file = join(dirname(dir), `.${basename(dir)}.${s.nextOffset}.snap.part`);
  try {
    await downloadSnapshot(bucket, s, file, o.stallMs);
    await restore(file, dir, { leader: s.store, ...(o.segmentSize !== undefined ? { segmentSize: o.segmentSize } : {}) });
  } finally {
    fs.rmSync(file, { force: true });
  }
}
