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
// The store's own writes never wait for the mirror: it reads the log files
// behind the write path (change-feed.ts), only acknowledged writes, and
// reads the next write only when a publish slot is free.
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
import type { Change, LogStore } from '../log/log-store.js';
import type { StoredMsg } from '@nats-io/jetstream';
import { type Connection, type ConnectionOptions, delay, ensureStream, isFinal, type Lag, lastMessage, openConnection, retrying } from './connection.js';
import { decodeMessage, encodeMessage } from './message.js';
import { listSnapshots, openBucket, pruneSnapshots, type SnapshotObject, uploadSnapshot } from './snapshot-objects.js';
import type { ObjectStore } from '@nats-io/obj';

export interface MirrorOptions extends ConnectionOptions {
  /** Subject the messages go to. Default `logkv.<stream>`. */
  subject?: string;
  /** Replicas of the stream when the mirror creates it (it does when it is missing). Default 1; 3 on a cluster. */
  replicas?: number;
  /** Publishes awaiting their acknowledgement at most. Default 256. */
  maxInFlight?: number;
  /** Errors the mirror retries after (a node gone, a timeout). Default: none reported. */
  onRetry?: (error: unknown) => void;
  /** Each write once the stream acknowledged it (offset, and its timestamp in the leader's log). */
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
  const maxInFlight = options.maxInFlight ?? 256;
  const replicas = options.replicas ?? 1;
  if (!Number.isSafeInteger(maxInFlight) || maxInFlight < 1) throw new LogkvError('INVALID_ARGUMENT', 'maxInFlight must be a positive integer');
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
    const m = new StoreMirror(store, storeId, connection, subject, maxInFlight, { ...options, replicas, keepSnapshots });
    // The first resume point is read here, so a stream of another store is refused by mirror() itself.
    const start = await retrying(`stream ${options.stream}`, startTimeoutMs, () => m.resumePoint(), options.onRetry);
    m.start(start);
    return m;
  } catch (e) {
    await connection.close().catch(() => undefined);
    throw e;
  }
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
  readonly #o: MirrorOptions & { replicas: number; keepSnapshots: number };
  #bucket: ObjectStore | undefined;
  /** The snapshot shipping under way: calls run one after another. */
  #shipping: Promise<unknown> = Promise.resolve();
  #snapshotTimer: NodeJS.Timeout | undefined;
  #published = 0;
  /** Offset of the newest write the stream acknowledged (-1: none yet). */
  #acked = -1;
  /** Publishes awaiting acknowledgement, by offset, oldest first: their timestamps. */
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
  /** Publishes waiting for the next turn of the event loop (#send), in offset order. */
  #outbox: Array<() => void> = [];

  constructor(store: LogStore<unknown>, storeId: string, c: Connection, subject: string, maxInFlight: number, o: MirrorOptions & { replicas: number; keepSnapshots: number }) {
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
    for await (const c of this.#store.storedChanges({ from: this.#acked + 1, follow: false })) target = c.offset;
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
    if (last.offset >= store.nextOffset) {
      throw new LogkvError(
        'OUT_OF_RANGE',
        `stream ${this.#c.stream} holds offset ${last.offset}, past the newest write of the store at ${store.dir} (${store.nextOffset - 1}): the store is not the one whose writes the stream holds (restored from an older copy?)`,
      );
    }
    return last.offset;
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
        if (isFinal(e)) return this.#fail(e as LogkvError);
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
    const feed = this.#store.storedChanges({ from: at.from });
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
    const maxPayload = this.#c.nc.info?.max_payload ?? 1024 * 1024;
    try {
      for (;;) {
        while (pending.size >= this.#maxInFlight && !stopped) await new Promise<void>((resolve) => (this.#slotFreed = resolve));
        if (stopped || this.#closing) break;
        const next = await this.#next(feed, stop);
        if (stopped || this.#closing || next === undefined) break;
        if (next.done === true) {
          storeClosed = true;
          break;
        }
        const c = next.value;
        const m = encodeMessage(this.#storeId, c, prev);
        if (m.payload.length + 512 > maxPayload) {
          throw new LogkvError('TOO_LARGE', `the write at offset ${c.offset} takes ${m.payload.length} bytes, over the ${maxPayload} a NATS message may carry here (max_payload)`);
        }
        const h = headers();
        for (const [k, v] of m.headers) h.set(k, v);
        const seq = ++expected;
        prev = c.offset;
        this.#inFlight.set(c.offset, c.timestamp);
        const p: Promise<void> = this.#send(() =>
          this.#c.js.publish(this.#subject, m.payload, { msgID: m.msgID, headers: h, expect: { lastSequence: seq - 1 }, timeout: this.#c.requestTimeoutMs }),
        )
          .then(
            (ack) => {
              this.#inFlight.delete(c.offset);
              if (ack.duplicate || ack.seq !== seq) throw new Error(`stream ${this.#c.stream} stored offset ${c.offset} as sequence ${ack.seq}${ack.duplicate ? ' (a duplicate)' : ''}, not ${seq}`);
              this.#acknowledged(c);
            },
          )
          .catch((e: unknown) => {
            failed ??= e;
            this.#wake();
            this.#slotFreed();
          })
          .finally(() => {
            pending.delete(p);
            this.#inFlight.delete(c.offset);
            this.#slotFreed();
          });
        pending.add(p);
      }
    } finally {
      this.#parked = false;
      await Promise.all(pending);
      await feed.return?.();
    }
    if (failed !== undefined) throw failed;
    return !this.#closing && !storeClosed;
  }

  /**
   * Makes `publish` on the next turn of the event loop, with every other
   * publish queued until then, in the order queued. The NATS client sends
   * what was published within one run of microtasks in one socket write;
   * a publish made as soon as the feed gave its change went out alone (the
   * feed's next change comes after the client's flush), and those writes
   * were the mirror's largest cost (bench/replication.ts, profiled).
   */
  #send<T>(publish: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const queued = this.#outbox.push(() => void publish().then(resolve, reject));
      if (queued === 1) setImmediate(() => this.#outbox.splice(0).forEach((send) => send()));
    });
  }

  /** The feed's next change; undefined when `stop` came first. */
  async #next(feed: AsyncIterator<Change<Buffer>>, stop: Promise<void>): Promise<IteratorResult<Change<Buffer>> | undefined> {
    // A feed with a change ready answers within microtasks: anyone who sees this set from another task sees a feed waiting for writes.
    this.#parked = true;
    if (this.#inFlight.size === 0) this.#idleSince = Date.now();
    try {
      return await Promise.race([feed.next(), stop.then(() => undefined)]);
    } finally {
      this.#parked = false;
    }
  }

  #acknowledged(c: Change<Buffer>): void {
    this.#published++;
    this.#acked = Math.max(this.#acked, c.offset);
    this.#o.onPublished?.(c.offset, c.timestamp);
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
