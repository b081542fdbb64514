// The follower: a store in its own directory that applies a mirror's
// stream, each leader batch as one batch of its own log at the leader's
// offsets and timestamp (LogStore.applyReplicated), so its files are what
// the leader's would be after the same writes.
//
// Its only state is the store: the next message wanted is the first whose
// last offset is past the store's newest, found by a binary search over
// the stream's sequences (a handful of requests), so a follower that
// restarts, or crashed, goes on where its durable log ends; of a message
// that begins at or before it, only the records past it are applied. A
// message is checked whole (message.ts) before any of its batches is
// handed to the store; a leader batch sent in parts is held until its
// last part came. Many batches share an fsync (the store's group commit).
//
// Consuming: an ordered pull consumer, fetched a batch at a time. It does
// not recover by itself when the node holding it dies (DESIGN.md, known
// traps): a fetch that brings nothing while the stream has more makes a
// new consumer from the sequence after the last batch handed to the store.
//
// Bad input stops the follower with a typed error (its `error`, and
// caughtUp() rejects) and applies nothing of the bad message's batch: a
// message of another store (WRONG_LEADER), a damaged one (CORRUPT), one
// whose predecessor is not the write applied last (OFFSET_GAP).

import { DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { LogkvError } from '../errors.js';
import { LogStore, type LogStoreOptions, type ReplicatedBatch } from '../log/log-store.js';
import { nodeFileIO } from '../io/file-io.js';
import { inspectStoreDir } from '../log/store-dir.js';
import { storePath } from '../log/store-path.js';
import { type Connection, type ConnectionOptions, delay, finalError, type Lag, lastMessage, openConnection, retrying, streamMissing } from './connection.js';
import { planStart, restoreSnapshotObject, type StartFrom } from './follower-start.js';
import { decodeMessage, HEADER, type ReplicatedMessageBatch } from './message.js';

export interface FollowOptions extends ConnectionOptions {
  /** Options of the follower's store (its value encoding must be the leader's). */
  store?: Omit<LogStoreOptions, 'follower' | 'readOnly'>;
  /** The leader's store id; default: the one the store recorded, else the first message's. */
  leader?: string;
  /** Messages fetched per request. Default 64: a message holds up to maxMessageBytes of the mirror's (1 MiB), and a fetch is held in memory whole. */
  fetchSize?: number;
  /** Batches handed to the store and not yet durable at most. Default 256. */
  maxApplying?: number;
  /** Errors the follower retries after (a node gone, a timeout). */
  onRetry?: (error: unknown) => void;
  /**
   * Where a follower whose directory holds no store yet begins:
   * 'snapshot' (default), from the newest snapshot object of the stream's
   * bucket that the stream goes on from, when there is one; 'stream', from
   * the stream's first write (its files then are what the leader's are)
   * when the stream still holds it. Either takes the other way when it must.
   */
  startFrom?: StartFrom;
}

export interface Follower<V = unknown> {
  /** The follower's store: reads as any LogStore; writes of its own are refused (READ_ONLY). */
  readonly store: LogStore<V>;
  /** Writes in the stream not yet applied (as of the follower's last look at the stream's end). */
  readonly lag: Lag;
  /** The error the follower stopped on. */
  readonly error: LogkvError | undefined;
  /** Resolves once the store holds every write the stream held at the call; rejects with the error the follower stopped on. */
  caughtUp(): Promise<void>;
  /**
   * Stops following and makes the store writable in place: it goes on at
   * the next offset after the last leader batch it holds whole (a batch
   * only partly received is dropped, as the leader's all-or-nothing batch
   * demands). Resolves with the store, which is then the caller's to
   * close; close() on this handle leaves it open. Allowed after the
   * follower stopped on an error: the batches before it are good.
   */
  promote(): Promise<LogStore<V>>;
  /** Stops applying, waits for batches under way, closes the connection and the store (not a promoted one). */
  close(): Promise<void>;
}

/** Opens (creating when missing) the follower's store in `dir` and starts applying the stream. */
export async function follow<V = unknown>(dir: string, options: FollowOptions): Promise<Follower<V>> {
  const fetchSize = options.fetchSize ?? 64;
  const maxApplying = options.maxApplying ?? 256;
  if (!Number.isSafeInteger(fetchSize) || fetchSize < 1 || !Number.isSafeInteger(maxApplying) || maxApplying < 1) {
    throw new LogkvError('INVALID_ARGUMENT', 'fetchSize and maxApplying are positive integers');
  }
  if (options.leader !== undefined && !/^[0-9a-f]{32}$/.test(options.leader)) throw new LogkvError('INVALID_ARGUMENT', 'leader is a store id: 32 hex digits');
  const startFrom = options.startFrom ?? 'snapshot';
  if (startFrom !== 'snapshot' && startFrom !== 'stream') throw new LogkvError('INVALID_ARGUMENT', "startFrom is 'snapshot' or 'stream'");
  const found = inspectStoreDir(nodeFileIO, storePath(dir)).kind;
  if (found !== 'store' && found !== 'foreign') return begin<V>(dir, { ...options, fetchSize, maxApplying, startFrom });
  const store = await LogStore.open<V>(dir, { ...options.store, follower: true });
  try {
    if (options.leader !== undefined && store.leader !== undefined && store.leader !== options.leader) {
      throw new LogkvError('WRONG_LEADER', `the store at ${dir} follows store ${store.leader}, not ${options.leader}`);
    }
    const connection = await openConnection(options, `logkv follower ${dir}`);
    const f = new StoreFollower(store, connection, { ...options, fetchSize, maxApplying });
    f.start();
    return f;
  } catch (e) {
    await store.close();
    throw e;
  }
}

/** A follower in a directory with no store yet: connects first, as where it begins (empty, or a snapshot object) depends on the stream. */
async function begin<V>(dir: string, o: FollowOptions & { fetchSize: number; maxApplying: number; startFrom: StartFrom }): Promise<Follower<V>> {
  const connection = await openConnection(o, `logkv follower ${dir}`);
  try {
    const startTimeoutMs = o.startTimeoutMs ?? 30_000;
    const plan = await retrying(`stream ${o.stream}`, startTimeoutMs, () => planStart(connection, { ...(o.leader !== undefined ? { leader: o.leader } : {}), startFrom: o.startFrom }), o.onRetry);
    if (plan.snapshot && plan.bucket) {
      const { snapshot, bucket } = plan;
      if (o.leader !== undefined && snapshot.store !== o.leader) throw new LogkvError('WRONG_LEADER', `snapshot object ${snapshot.name} is of store ${snapshot.store}, not ${o.leader}`);
      const stallMs = Math.max(3 * connection.requestTimeoutMs, 15_000);
      const segmentSize = o.store?.segmentSize;
      await retrying(`snapshot object ${snapshot.name}`, startTimeoutMs, () => restoreSnapshotObject(bucket, snapshot, storePath(dir), { stallMs, ...(segmentSize !== undefined ? { segmentSize } : {}) }), o.onRetry);
    }
    const store = await LogStore.open<V>(dir, { ...o.store, follower: true });
    const f = new StoreFollower(store, connection, o);
    f.start();
    return f;
  } catch (e) {
    await connection.close().catch(() => undefined);
    throw e;
  }
}

interface Waiter {
  seq: number;
  resolve(): void;
  reject(e: unknown): void;
}

/** The stream's end as last seen. */
interface Tail {
  seq: number;
  offset: number;
  timestamp: number;
}

class StoreFollower<V> implements Follower<V> {
  readonly store: LogStore<V>;
  readonly #c: Connection;
  readonly #o: FollowOptions & { fetchSize: number; maxApplying: number };
  #leader: string | undefined;
  /** Stream sequence of the last message of the newest batch the store made durable (undefined: not known yet). */
  #appliedSeq: number | undefined;
  #appliedOffset: number;
  /** The offset before the store's log start (a copy begun from a snapshot: the snapshot's last); -1 for one begun empty. */
  readonly #base: number;
  /** Stream sequence of the newest message whose batches were all handed to the store. */
  #handedSeq: number | undefined;
  /** Offset of the newest record taken in (applied, being applied, or held in #held). */
  #received: number;
  /** The parts received of a leader batch not yet whole (its records copied: a message's buffer is not kept). */
  #held: ReplicatedMessageBatch | undefined;
  readonly #applying = new Set<Promise<void>>();
  #tail: Tail | undefined;
  #error: LogkvError | undefined;
  #closing = false;
  #promoted = false;
  #stopFetch: () => void = () => undefined;
  #running: Promise<void> = Promise.resolve();
  #waiters: Waiter[] = [];

  constructor(store: LogStore<V>, c: Connection, o: FollowOptions & { fetchSize: number; maxApplying: number }) {
    this.store = store;
    this.#c = c;
    this.#o = o;
    this.#leader = o.leader ?? store.leader;
    this.#appliedOffset = store.nextOffset - 1;
    this.#base = store.logStartOffset - 1;
    this.#received = this.#appliedOffset;
  }

  get lag(): Lag {
    const tail = this.#tail;
    const offsets = tail === undefined ? 0 : Math.max(0, tail.offset - this.#appliedOffset);
    if (offsets === 0) return { offsets: 0, ms: 0 };
    const oldest = this.#held?.timestampMs ?? tail!.timestamp;
    return { offsets, ms: Math.max(0, Date.now() - oldest) };
  }

  get error(): LogkvError | undefined {
    return this.#error;
  }

  async caughtUp(): Promise<void> {
    if (this.#error) throw this.#error;
    let tail: Tail | undefined;
    try {
      tail = await this.#lookAtTail(true);
    } catch (e) {
      if (streamMissing(e)) throw new LogkvError('NOT_FOUND', `stream ${this.#c.stream} does not exist (a mirror makes it): there is nothing to catch up with`, { cause: e });
      throw e;
    }
    await new Promise<void>((resolve, reject) => {
      this.#waiters.push({ seq: tail?.seq ?? 0, resolve, reject });
      this.#settleWaiters();
    });
  }

  async close(): Promise<void> {
    await this.#stop('the follower was closed before it caught up');
    if (!this.#promoted) await this.store.close();
  }

  async promote(): Promise<LogStore<V>> {
    if (this.#promoted) return this.store;
    if (this.#closing) throw new LogkvError('CLOSED', 'the follower was closed');
    await this.#stop('the follower was promoted before it caught up');
    await this.store.promote();
    this.#promoted = true;
    return this.store;
  }

  /** Ends the consuming loop and the connection once every batch handed to the store has settled. */
  async #stop(why: string): Promise<void> {
    this.#closing = true;
    this.#stopFetch();
    await this.#running;
    await Promise.allSettled(this.#applying);
    for (const w of this.#waiters) w.reject(new LogkvError('CLOSED', why));
    this.#waiters = [];
    await this.#c.close().catch(() => undefined);
  }

  start(): void {
    this.#running = this.#run();
  }

  async #run(): Promise<void> {
    let backoff = 100;
    while (!this.#closing && !this.#error) {
      try {
        await this.#consume();
        backoff = 100;
      } catch (e) {
        const final = finalError(e);
        if (final) {
          // The batches before the bad message are good: they are made durable before the error is told.
          await Promise.allSettled(this.#applying);
          return this.#fail(final);
        }
        this.#o.onRetry?.(e);
        await delay(backoff);
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  }

  /** One ordered consumer's life: from the message after the last batch handed over, until it stalls, fails or the follower closes. */
  async #consume(): Promise<void> {
    // What was held of an unfinished batch is fetched again from its first message.
    await this.#settleApplying();
    this.#held = undefined;
    this.#received = this.#appliedOffset;
    if (this.#handedSeq === undefined) {
      // Every message before the first wanted belongs to a batch the store holds.
      this.#handedSeq = (await this.#firstWanted()) - 1;
      this.#appliedSeq = this.#handedSeq;
      this.#settleWaiters();
    }
    const start = this.#handedSeq + 1;
    const consumer = await this.#c.js.consumers.get(this.#c.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start });
    let seen = start - 1;
    let empty = 0;
    while (!this.#closing && !this.#error) {
      const messages = await consumer.fetch({ max_messages: this.#o.fetchSize, expires: 1000 });
      this.#stopFetch = () => void messages.close();
      let n = 0;
      for await (const m of messages) {
        n++;
        seen = m.seq;
        await this.#take(m);
        if (this.#closing) break;
      }
      if (n > 0) {
        empty = 0;
        continue;
      }
      // Nothing came: caught up, or the consumer is stuck on a node that died.
      const tail = await this.#lookAtTail(false);
      if (tail === undefined || tail.seq <= seen) continue;
      if (++empty >= 2) return;
    }
  }

  /** Takes message `m` in: checked whole, its batches handed to the store (a part of one held until the batch is whole). */
  async #take(m: JsMsg): Promise<void> {
    const msg = decodeMessage({ seq: m.seq, header: (n) => m.headers?.get(n) ?? '', data: m.data }, this.#c.stream);
    this.#leader ??= msg.store;
    const leader = this.#leader;
    if (msg.store !== leader) {
      throw new LogkvError('WRONG_LEADER', `message ${m.seq} of stream ${this.#c.stream} holds writes of store ${msg.store}; the store at ${this.store.dir} follows ${leader}`);
    }
    const after = this.#received;
    // Delivered again (a new consumer starts at the message after the last one handed over whole): already taken in.
    if (msg.last <= after) return;
    // A message that begins at or before the newest write held (a snapshot this copy began from falls inside it) goes on from it: no gap to look for.
    if (msg.first > after) {
      // Right after a snapshot, the message before it may be older than the snapshot's last write (the cleaner thinned what the mirror read, or the stream goes on from a snapshot shipped at a jump): nothing between is missing.
      const afterSnapshot = after === this.#base && msg.prev < after;
      if (msg.prev !== after && !afterSnapshot) {
        const jump = msg.prev > after ? ` (the mirror may have gone on from a snapshot at offset ${msg.prev + 1}: a new follower in an empty directory begins from it)` : '';
        throw new LogkvError(
          'OFFSET_GAP',
          `message ${m.seq} of stream ${this.#c.stream} (offsets ${msg.first}-${msg.last}) follows offset ${msg.prev}, but the store at ${this.store.dir} has ${after < 0 ? 'nothing' : `offset ${after}`} last: the stream misses writes between them${jump}`,
        );
      }
    }
    const count = msg.batches.length;
    for (const [i, b] of msg.batches.entries()) {
      let records = b.records[0]!.offset > after ? b.records : b.records.filter((r) => r.offset > after);
      if (records.length === 0) continue;
      const held = this.#held;
      if (held) {
        if (held.timestampMs !== b.timestampMs) {
          throw new LogkvError('CORRUPT', `message ${m.seq} of stream ${this.#c.stream} goes on with a leader batch of ${held.timestampMs}, but at ${b.timestampMs}; nothing of it was applied`, { offset: m.seq, reason: 'replicated-message' });
        }
        records = [...held.records, ...records];
        this.#held = undefined;
      }
      const last = i === count - 1;
      if (last && !msg.batchEnd) {
        this.#held = { timestampMs: b.timestampMs, records: records.map((r) => ({ ...r, key: Buffer.from(r.key), value: r.value && Buffer.from(r.value) })) };
        continue;
      }
      this.#hand({ leader, timestampMs: b.timestampMs, records }, records.at(-1)!.offset, last ? m.seq : undefined);
    }
    this.#received = msg.last;
    if (this.#tail === undefined || this.#tail.seq < m.seq) this.#tail = { seq: m.seq, offset: msg.last, timestamp: msg.timestamp };
    while (this.#applying.size >= this.#o.maxApplying) await Promise.race(this.#applying);
    if (this.#error) throw this.#error;
  }

  /** Hands a whole leader batch to the store; `seq`: the stream sequence of the message it ends, when it is that message's last batch. */
  #hand(batch: ReplicatedBatch, offset: number, seq: number | undefined): void {
    if (seq !== undefined) this.#handedSeq = seq;
    const applying: Promise<void> = this.store
      .applyReplicated(batch)
      .then(
        () => {
          // Batches resolve in the order they were handed (one write queue).
          if (seq !== undefined) this.#appliedSeq = seq;
          this.#appliedOffset = offset;
          this.#settleWaiters();
        },
        (e: unknown) => this.#fail(e instanceof LogkvError ? e : new LogkvError('IO', `applying a batch failed: ${String(e)}`, { cause: e })),
      )
      .finally(() => this.#applying.delete(applying));
    this.#applying.add(applying);
  }

  async #settleApplying(): Promise<void> {
    await Promise.allSettled(this.#applying);
    if (this.#error) throw this.#error;
  }

  /** The first sequence whose message lies past the store's newest offset: a binary search, as the stream's offsets rise with its sequences. */
  async #firstWanted(): Promise<number> {
    const info = await this.#streamInfo();
    const { first_seq: first, last_seq: last, messages } = info.state;
    const after = this.#appliedOffset;
    if (messages === 0) return last + 1;
    const offsetAt = async (seq: number): Promise<number> => {
      const msg = await this.#c.jsm.streams.getMessage(this.#c.stream, { seq });
      if (!msg) throw new LogkvError('CORRUPT', `message ${seq} of stream ${this.#c.stream} is missing`, { reason: 'replicated-message' });
      const last = Number(msg.header.get(HEADER.last) || Number.NaN);
      // A message without its offset is damaged: the decoder says how.
      return Number.isSafeInteger(last) ? last : decodeMessage({ seq, header: (n) => msg.header.get(n), data: msg.data }, this.#c.stream).last;
    };
    let lo = first;
    let hi = last + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if ((await offsetAt(mid)) > after) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  async #streamInfo() {
    try {
      return await this.#c.jsm.streams.info(this.#c.stream);
    } catch (e) {
      // Not made yet (the mirror makes it): retried like any other wait.
      if (streamMissing(e)) throw new Error(`stream ${this.#c.stream} does not exist yet`, { cause: e });
      throw e;
    }
  }

  /** Reads the stream's end (for lag and caughtUp); `strict` throws what fails, else undefined. */
  async #lookAtTail(strict: boolean): Promise<Tail | undefined> {
    try {
      const { lastSeq, msg } = await lastMessage(this.#c);
      if (!msg) return (this.#tail = { seq: lastSeq, offset: -1, timestamp: 0 });
      const offset = Number(msg.header.get(HEADER.last));
      const timestamp = Number(msg.header.get(HEADER.timestamp));
      this.#tail = { seq: lastSeq, offset: Number.isSafeInteger(offset) ? offset : -1, timestamp: Number.isSafeInteger(timestamp) ? timestamp : 0 };
      return this.#tail;
    } catch (e) {
      if (strict) throw e;
      return undefined;
    }
  }

  #settleWaiters(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (this.#error) w.reject(this.#error);
      else if ((this.#appliedSeq ?? -1) >= w.seq) w.resolve();
      else return true;
      return false;
    });
  }

  #fail(e: LogkvError): void {
    this.#error ??= e;
    this.#stopFetch();
    this.#settleWaiters();
  }
}
