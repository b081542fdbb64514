// The mirror: a running LogStore's change feed published into a JetStream
// stream, every acknowledged write exactly once, in offset order.
//
// Exactly once and in order, with many publishes in flight: each publish
// states the stream sequence it expects to follow (Nats-Expected-Last-
// Sequence). JetStream applies a stream's publishes in order, so when one
// fails (a timeout while a node dies) every later one in flight is refused
// rather than stored past a hole. The mirror then waits for all of them,
// reads the stream's last message (whose message id names the store and
// offset) and goes on from the offset after it. Nothing the stream holds
// is sent twice, nothing is skipped; a re-send inside JetStream's
// duplicate window is also dropped by its message id. A process that
// restarts does the same from the start: the stream is the mirror's only
// state.
//
// Messages are runs of whole leader batches (message.ts): what the log
// acknowledged since the last message, as the log holds it, up to a byte
// and record limit, sent once full or once its first write has waited
// lingerMs. The grouping need not be the same on a re-send: a
// resume goes on after the stream's last message, whatever it held, and
// a publish can only land right after the message its sender read last
// (Nats-Expected-Last-Sequence is checked when JetStream applies it, in
// its Raft log's order, so a stale publish from before a resume lands
// before the resumed ones, which then fail and resume again). A re-send
// of the same message (same first offset) is also dropped by its id.
//
// The store's own writes never wait for the mirror: it reads the log files
// behind the write path (change-feed.ts), only acknowledged writes, and
// reads more only when a publish slot is free, so while the stream is
// slow more batches go into each message.
//
// Snapshots (snapshot-objects.ts): shipSnapshot() puts a store.snapshot()
// file into the stream's object store bucket, on demand or every
// snapshotEveryMs. When the stream ends below the oldest write whose
// history the store holds (a store begun from a snapshot: restore(), or an
// open that had to start from one), that history exists only as a
// snapshot: the mirror first ships one at offset N (or finds the one it
// shipped before a restart), and the next message names N - 1 as the
// offset before it. A follower that holds the stream's writes below N
// meets OFFSET_GAP there rather than a silent hole; one begun from that
// snapshot goes on.

import { headers } from '@nats-io/transport-node';
import { LogkvError } from '../errors.js';
import type { BatchFeed, LogStore } from '../log/log-store.js';
import type { StoredMsg } from '@nats-io/jetstream';
import { type Connection, type ConnectionOptions, delay, ensureStream, finalError, type Lag, lastMessage, openConnection, retrying } from './connection.js';
import { decodeMessage, encodeMessages, type OutgoingMessage } from './message.js';
import { listSnapshots, openBucket, pruneSnapshots, type SnapshotObject, uploadSnapshot } from './snapshot-objects.js';
import type { ObjectStore } from '@nats-io/obj';

export interface MirrorOptions extends ConnectionOptions {
  /** Subject the messages go to. Default `logkv.<stream>`. */
  subject?: string;
  /** Replicas of the stream when the mirror creates it (it does when it is missing). Default 1; 3 on a cluster. */
  replicas?: number;
  /** Messages awaiting their acknowledgement at most. Default 32. */
  maxInFlight?: number;
  /**
   * How long (ms) the first write of a message not yet full may wait for
   * more to go with it. Default 10: fewer, larger messages cost the stream's
   * nodes much less CPU (docs/REPLICATION.md), for this much more lag.
   */
  lingerMs?: number;
  /** Bytes of batches in one message at most (NATS's max_payload bounds it too). Default 1 MiB. */
  maxMessageBytes?: number;
  /** Records in one message at most (a single batch holding more is still sent whole). Default 4096. */
  maxMessageRecords?: number;
  /** Errors the mirror retries after (a node gone, a timeout). Default: none reported. */
  onRetry?: (error: unknown) => void;
  /** Each message once the stream acknowledged it: every write up to `offset` is in the stream; `timestamp` is that write's (its batch's, in the leader's log). */
  onPublished?: (offset: number, timestamp: number) => void;
  /** Ship a snapshot into the object store this often (ms); failures go to onRetry and the next one tries again. Default: only on demand. */
  snapshotEveryMs?: number;
  /** Snapshot objects of this store kept in the bucket; older ones are deleted after each shipped. Default 2. */
  keepSnapshots?: number;
  /** Each snapshot object once shipped. */
  onSnapshot?: (s: SnapshotObject) => void;
}

export interface Mirror {
  /** Writes the store acknowledged that the stream has not. */
  readonly lag: Lag;
  /** Writes published and acknowledged since this mirror started. */
  readonly published: number;
  /** The error the mirror stopped on (another store's stream, a write too large for a message, ...). */
  readonly error: LogkvError | undefined;
  /** Resolves once the stream holds every write the store acknowledged before the call; rejects with the error the mirror stopped on. */
  caughtUp(): Promise<void>;
  /**
   * Takes a store.snapshot() and puts it into the stream's snapshot bucket
   * (`<stream>_snapshots`), named by the store and its offset; resolves
   * with the object once stored. One at a time: a call while one is under
   * way waits for it and ships another.
   */
  shipSnapshot(): Promise<SnapshotObject>;
  /** Stops publishing (publishes in flight are awaited) and the snapshot schedule, and closes the connection; the store stays open. */
  close(): Promise<void>;
}

/** Starts mirroring `store` into the stream; rejects when NATS cannot be reached or the stream holds another store's writes. */
export async function mirror(store: LogStore<unknown>, options: MirrorOptions): Promise<Mirror> {
  const storeId = store.storeId;
  if (storeId === undefined) throw new LogkvError('INVALID_ARGUMENT', `the store at ${store.dir} has no IDENTITY (open it writable once)`);
  const maxInFlight = options.maxInFlight ?? 32;
  const replicas = options.replicas ?? 1;
  if (!Number.isSafeInteger(maxInFlight) || maxInFlight < 1) throw new LogkvError('INVALID_ARGUMENT', 'maxInFlight must be a positive integer');
  const maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024;
  const maxMessageRecords = options.maxMessageRecords ?? 4096;
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 1024) throw new LogkvError('INVALID_ARGUMENT', 'maxMessageBytes must be an integer of at least 1024');
  if (!Number.isSafeInteger(maxMessageRecords) || maxMessageRecords < 1) throw new LogkvError('INVALID_ARGUMENT', 'maxMessageRecords must be a positive integer');
  const lingerMs = options.lingerMs ?? 10;
  if (!Number.isFinite(lingerMs) || lingerMs < 0) throw new LogkvError('INVALID_ARGUMENT', 'lingerMs must be a number of milliseconds, 0 or more');
  if (!Number.isSafeInteger(replicas) || replicas < 1 || replicas > 5) throw new LogkvError('INVALID_ARGUMENT', 'replicas must be an integer from 1 to 5');
  const keepSnapshots = options.keepSnapshots ?? 2;
  if (!Number.isSafeInteger(keepSnapshots) || keepSnapshots < 1) throw new LogkvError('INVALID_ARGUMENT', 'keepSnapshots must be a positive integer');
  if (options.snapshotEveryMs !== undefined && (!Number.isSafeInteger(options.snapshotEveryMs) || options.snapshotEveryMs < 1)) {
    throw new LogkvError('INVALID_ARGUMENT', 'snapshotEveryMs must be a positive integer (ms)');
  }
  const subject = options.subject ?? `logkv.${options.stream}`;
  const connection = await openConnection(options, `logkv mirror ${storeId}`);
  try {
    const startTimeoutMs = options.startTimeoutMs ?? 30_000;
    await retrying(`stream ${options.stream}`, startTimeoutMs, () => ensureStream(connection, subject, replicas), options.onRetry);
    const m = new StoreMirror(store, storeId, connection, subject, maxInFlight, { ...options, replicas, keepSnapshots, maxMessageBytes, maxMessageRecords, lingerMs });
    // The first resume point is read here, so a stream of another store is refused by mirror() itself.
    const start = await retrying(`stream ${options.stream}`, startTimeoutMs, () => m.resumePoint(), options.onRetry);
    m.start(start);
    return m;
  } catch (e) {
    await connection.close().catch(() => undefined);
    throw e;
  }
}

/** The options mirror() gave their defaults. */
interface Settled {
  replicas: number;
  keepSnapshots: number;
  maxMessageBytes: number;
  maxMessageRecords: number;
  lingerMs: number;
}

interface ResumePoint {
  /** The stream's last sequence: the next publish expects it. */
  seq: number;
  /** The offset of the stream's last message; -1 when it holds none. */
  offset: number;
  /** The first offset to publish (the one after `offset`, or a snapshot object's next offset). */
  from: number;
  /** What the first message names as the offset before it: `offset`, or the snapshot's next offset - 1. */
  prev: number;
}

interface Waiter {
  /** Resolve once the write at this offset is acknowledged. */
  target: number;
  resolve(): void;
  reject(e: unknown): void;
}

class StoreMirror implements Mirror {
  readonly #store: LogStore<unknown>;
  readonly #storeId: string;
  readonly #c: Connection;
  readonly #subject: string;
  readonly #maxInFlight: number;
  readonly #o: MirrorOptions & Settled;
  #bucket: ObjectStore | undefined;
  /** The snapshot shipping under way: calls run one after another. */
  #shipping: Promise<unknown> = Promise.resolve();
  #snapshotTimer: NodeJS.Timeout | undefined;
  #published = 0;
  /** Offset of the newest write the stream acknowledged (-1: none yet). */
  #acked = -1;
  /** Messages awaiting acknowledgement, by first offset, oldest first: the timestamps of their first batches. */
  readonly #inFlight = new Map<number, number>();
  /** The loop waits for the feed's next change: seen from another task, the feed waits for the store's next acknowledged write. */
  #parked = false;
  /** When the mirror last had nothing to send (for lag.ms while nothing is in flight). */
  #idleSince = Date.now();
  #error: LogkvError | undefined;
  #closing = false;
  #running: Promise<void> = Promise.resolve();
  /** Resolves to wake the publishing loop (a failure, close). */
  #wake: () => void = () => undefined;
  /** Resolves to tell the publishing loop, waiting for a free slot, that a publish settled. */
  #slotFreed: () => void = () => undefined;
  #waiters: Waiter[] = [];

  constructor(store: LogStore<unknown>, storeId: string, c: Connection, subject: string, maxInFlight: number, o: MirrorOptions & Settled) {
    this.#store = store;
    this.#storeId = storeId;
    this.#c = c;
    this.#subject = subject;
    this.#maxInFlight = maxInFlight;
    this.#o = o;
  }

  get lag(): Lag {
    const offsets = Math.max(0, this.#store.nextOffset - 1 - this.#acked);
    if (offsets === 0 || (this.#parked && this.#inFlight.size === 0)) return { offsets: 0, ms: 0 };
    const oldest = this.#inFlight.values().next();
    return { offsets, ms: Math.max(0, Date.now() - (oldest.done === true ? this.#idleSince : oldest.value)) };
  }

  get published(): number {
    return this.#published;
  }

  get error(): LogkvError | undefined {
    return this.#error;
  }

  async caughtUp(): Promise<void> {
    if (this.#error) throw this.#error;
    // The newest acknowledged write the log still holds: the cleaner may have removed the ones after the last published.
    let target = this.#acked;
    const feed = this.#store.storedBatches({ from: this.#acked + 1 });
    for (let read = feed.read(1 << 20); read.length > 0; read = feed.read(1 << 20)) target = read.at(-1)!.lastOffset;
    feed.close();
    await new Promise<void>((resolve, reject) => {
      this.#waiters.push({ target, resolve, reject });
      this.#settleWaiters();
    });
  }

  async shipSnapshot(): Promise<SnapshotObject> {
    if (this.#closing) throw new LogkvError('CLOSED', 'the mirror is closed');
    const ship = this.#shipping.catch(() => undefined).then(() => this.#ship());
    this.#shipping = ship;
    return ship;
  }

  async #ship(): Promise<SnapshotObject> {
    const info = await this.#store.snapshot();
    const bucket = (this.#bucket ??= await openBucket(this.#c, { replicas: this.#o.replicas }))!;
    const shipped = await uploadSnapshot(bucket, this.#storeId, info, this.#c.requestTimeoutMs);
    await pruneSnapshots(bucket, this.#storeId, this.#o.keepSnapshots);
    this.#o.onSnapshot?.(shipped);
    return shipped;
  }

  #schedule(): void {
    const every = this.#o.snapshotEveryMs;
    if (every === undefined || this.#closing) return;
    this.#snapshotTimer = setTimeout(() => {
      this.shipSnapshot()
        .catch((e: unknown) => {
          if (!this.#closing) this.#o.onRetry?.(e);
        })
        .finally(() => this.#schedule());
    }, every);
    // A schedule alone does not keep a process alive.
    this.#snapshotTimer.unref();
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#snapshotTimer);
    this.#wake();
    await this.#running;
    await this.#shipping.catch(() => undefined);
    for (const w of this.#waiters) w.reject(new LogkvError('CLOSED', 'the mirror was closed before it caught up'));
    this.#waiters = [];
    await this.#c.close().catch(() => undefined);
  }

  /** Where the stream ends: its last sequence and the offset of its last message, checked to be this store's. */
  async resumePoint(): Promise<ResumePoint> {
    const { lastSeq, msg } = await lastMessage(this.#c);
    const store = this.#store;
    const offset = msg ? this.#checkLast(msg) : -1;
    if (offset + 1 >= store.logStartOffset) return { seq: lastSeq, offset, from: offset + 1, prev: offset };
    // The writes between the stream's end and the store's log start exist only as a snapshot: one shipped before (this mirror's last run), or a new one.
    const snapshot = (await this.#snapshotFrom(store.logStartOffset)) ?? (await this.shipSnapshot());
    return { seq: lastSeq, offset, from: snapshot.nextOffset, prev: snapshot.nextOffset - 1 };
  }

  /** The newest snapshot object of this store that the log goes on from (at or past `start`, not past its newest write). */
  async #snapshotFrom(start: number): Promise<SnapshotObject | undefined> {
    const bucket = (this.#bucket ??= await openBucket(this.#c));
    if (bucket === undefined) return undefined;
    const usable = (await listSnapshots(bucket)).filter((s) => s.store === this.#storeId && s.nextOffset >= start && s.nextOffset <= this.#store.nextOffset);
    return usable.at(-1);
  }

  /** The offset of the stream's last message, checked to be a write of this store that the store holds. */
  #checkLast(msg: StoredMsg): number {
    const store = this.#store;
    const last = decodeMessage({ seq: msg.seq, header: (n) => msg.header.get(n), data: msg.data }, this.#c.stream);
    if (last.store !== this.#storeId) {
      throw new LogkvError('WRONG_LEADER', `stream ${this.#c.stream} holds the writes of store ${last.store}, not of ${this.#storeId} (${store.dir}): give each store a stream of its own`);
    }
    if (last.last >= store.nextOffset) {
      throw new LogkvError(
        'OUT_OF_RANGE',
        `stream ${this.#c.stream} holds offset ${last.last}, past the newest write of the store at ${store.dir} (${store.nextOffset - 1}): the store is not the one whose writes the stream holds (restored from an older copy?)`,
      );
    }
    return last.last;
  }

  start(first: ResumePoint): void {
    this.#running = this.#run(first);
    this.#schedule();
  }

  async #run(first: ResumePoint | undefined): Promise<void> {
    let at = first;
    let backoff = 100;
    while (!this.#closing) {
      try {
        at ??= await this.resumePoint();
        this.#acked = Math.max(this.#acked, at.prev);
        const more = await this.#publishFrom(at);
        if (!more) {
          // The store closed (or this mirror did): every write the feed gave was acknowledged or failed.
          if (!this.#closing) this.#fail(new LogkvError('CLOSED', `the store at ${this.#store.dir} was closed: the mirror stopped`));
          return;
        }
        backoff = 100;
      } catch (e) {
        const final = finalError(e);
        if (final) return this.#fail(final);
        this.#o.onRetry?.(e);
        await delay(backoff);
        backoff = Math.min(backoff * 2, 2000);
      }
      at = undefined;
    }
  }

  /**
   * Publishes from the write after `at` until a publish fails (returns
   * true: resume), the store closes or the mirror is closed (false).
   */
  async #publishFrom(at: ResumePoint): Promise<boolean> {
    const feed = this.#store.storedBatches({ from: at.from });
    const pending = new Set<Promise<void>>();
    let failed: unknown;
    let stopped = false;
    let storeClosed = false;
    const stop = new Promise<void>((resolve) => (this.#wake = resolve)).then(() => {
      stopped = true;
      this.#slotFreed();
    });
    let expected = at.seq;
    let prev = at.prev;
    /** When the feed first had batches read ahead that no message took yet. */
    let waitingSince: number | undefined;
    // Room for the headers within NATS's max_payload, which counts them too.
    const maxBytes = Math.min(this.#o.maxMessageBytes, (this.#c.nc.info?.max_payload ?? 1024 * 1024) - 1024);
    try {
      for (;;) {
        while (pending.size >= this.#maxInFlight && !stopped) await new Promise<void>((resolve) => (this.#slotFreed = resolve));
        if (stopped || this.#closing) break;
        // A message goes once it is full or its first write has waited lingerMs (Kafka's linger.ms): JetStream's cost
        // is mostly per message, the more so with few in flight (~0.5 ms of CPU across an R3 stream's three nodes
        // here, one at a time; besides ~15-30 ms per MB), and a message per group commit at 100k writes/s took as
        // much CPU in the nats-server nodes as the store took in all, on the cores they share.
        if (!feed.fill(maxBytes, this.#o.maxMessageRecords) && feed.ahead > 0) {
          waitingSince ??= performance.now();
          const due = waitingSince + this.#o.lingerMs - performance.now();
          if (due > 0) {
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, due))), feed.changed(), stop]);
            clearTimeout(timer);
            continue;
          }
        }
        const batches = feed.read(maxBytes, this.#o.maxMessageRecords);
        if (batches.length === 0) {
          // Done only once the store closed: the feed is closed below, after the loop.
          if (feed.done) {
            storeClosed = true;
            break;
          }
          await this.#wait(feed, stop);
          continue;
        }
        waitingSince = feed.ahead > 0 ? performance.now() : undefined;
        for (const m of encodeMessages(this.#storeId, batches, prev, maxBytes)) {
          pending.add(this.#publish(m, ++expected, (e) => {
            failed ??= e;
            this.#wake();
          }, pending));
          prev = m.last;
        }
      }
    } finally {
      this.#parked = false;
      await Promise.all(pending);
      feed.close();
    }
    if (failed !== undefined) throw failed;
    return !this.#closing && !storeClosed;
  }

  /**
   * Publishes `m`, which must become the stream's message `seq`: JetStream
   * refuses it unless the stream ends at seq - 1 (so nothing lands past a
   * hole). Settles when acknowledged (or failed: `onFail`), leaving `pending`.
   */
  #publish(m: OutgoingMessage, seq: number, onFail: (e: unknown) => void, pending: Set<Promise<void>>): Promise<void> {
    const h = headers();
    for (const [k, v] of m.headers) h.set(k, v);
    this.#inFlight.set(m.first, m.firstTimestamp);
    const p: Promise<void> = this.#c.js
      .publish(this.#subject, m.payload, { msgID: m.msgID, headers: h, expect: { lastSequence: seq - 1 }, timeout: this.#c.requestTimeoutMs })
      .then((ack) => {
        this.#inFlight.delete(m.first);
        if (ack.duplicate || ack.seq !== seq) throw new Error(`stream ${this.#c.stream} stored offsets ${m.first}-${m.last} as sequence ${ack.seq}${ack.duplicate ? ' (a duplicate)' : ''}, not ${seq}`);
        this.#acknowledged(m);
      })
      .catch(onFail)
      .finally(() => {
        pending.delete(p);
        this.#inFlight.delete(m.first);
        this.#slotFreed();
      });
    return p;
  }

  /** Waits for the store's next acknowledged write, or `stop`. */
  async #wait(feed: BatchFeed, stop: Promise<void>): Promise<void> {
    // Seen from another task, this set means a feed waiting for writes: one with a batch there would have given it.
    this.#parked = true;
    if (this.#inFlight.size === 0) this.#idleSince = Date.now();
    try {
      await Promise.race([feed.changed(), stop]);
    } finally {
      this.#parked = false;
    }
  }

  #acknowledged(m: OutgoingMessage): void {
    this.#published += m.records;
    this.#acked = Math.max(this.#acked, m.last);
    this.#o.onPublished?.(m.last, m.lastTimestamp);
    this.#settleWaiters();
  }

  #settleWaiters(): void {
    if (this.#waiters.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => {
      if (this.#acked >= w.target) w.resolve();
      else if (this.#error) w.reject(this.#error);
      else return true;
      return false;
    });
  }

  #fail(e: LogkvError): void {
    this.#error = e;
    this.#settleWaiters();
  }
}
