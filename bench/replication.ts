// Replication through NATS JetStream (issue 19, docs/REPLICATION.md),
// logkv only: each phase starts its own 3-node nats-server cluster on
// loopback (bench/nats-cluster.ts, the tests' own), an R3 stream, and stops
// it at the end. Without nats-server the phases return { skipped: why },
// which the table shows instead of a figure.
//
// - replication: durable puts, 64 in flight, into a store mirrored into the
//   stream and into one beside it without a mirror (rounds taking turns,
//   the best round of each: other agents share the cores); the mirror's lag
//   per write at a steady 5k writes/s; then a follower applying the whole
//   stream from an empty directory.
// - replicationCatchUp: a new follower of a store of `keys` keys (a
//   snapshot object and a stream tail after it), against what the same
//   bytes cost locally: restore() of the local snapshot file plus a plain
//   read of the tail's messages from the stream.
//
// The nats-server nodes run on the same cores as the store, so every
// figure here is the worst case for the mirror's cost.

import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { LogStore } from '../src/log/log-store.js';
import { restore } from '../src/log/restore.js';
import { follow, mirror, type Mirror } from '../src/replication/index.js';
import { chunks, identity } from './batches.js';
import type { EngineName } from './engines.js';
import { timeOnce } from './measure.js';
import { natsSkipReason, type NatsCluster, startCluster } from './nats-cluster.js';
import type { Figures } from './phases.js';
import { keyAt, type Sizes, valueAt } from './workload.js';

const IN_FLIGHT = 64;
const ROUNDS = 3;
const LAG_RATE = 5000;
const STREAM = 'bench';
const REPLICAS = 3;

/** The store options every store here is opened with: durable puts, fdatasync off the JS thread (LogStore's default, the store's sync thread, which leaves the event loop to the mirror during each sync). */
const DURABLE = { durability: 'sync' } as const;

/** Runs `f` with a fresh 3-node cluster, stopped after it; { skipped } when nats-server is missing. */
async function withCluster(engine: EngineName, f: (cluster: NatsCluster) => Promise<Figures>): Promise<Figures> {
  if (engine !== 'logkv') throw new Error('the replication phases measure logkv only');
  const skipped = natsSkipReason();
  if (skipped) return { skipped };
  const cluster = await startCluster(3);
  try {
    return await f(cluster);
  } finally {
    await cluster.stop();
  }
}

/** `count` durable puts of keys [from, from + count), `IN_FLIGHT` awaiting at any time; their wall time in ms. */
async function putsInFlight(store: LogStore<Uint8Array>, from: number, count: number, version = 0): Promise<number> {
  let next = from;
  const end = from + count;
  const writer = async () => {
    while (next < end) {
      const i = next++;
      await store.put(keyAt(i), valueAt(i, version));
    }
  };
  return timeOnce(() => Promise.all(Array.from({ length: IN_FLIGHT }, writer)));
}

/**
 * The newest write the stream acknowledged, from the mirror's onPublished,
 * and a wait for one: mirror.caughtUp() is not used inside a timed part, as
 * it first walks the log from the last acknowledged write to its end (work
 * of its own, competing with the mirror's).
 */
class StreamAcks {
  newest = -1;
  /** Each acknowledged message's last offset: every write up to it is in the stream (the lag run's timing). */
  onEach: (offset: number) => void = () => undefined;
  #waiting: { offset: number; resolve: () => void } | undefined;

  readonly published = (offset: number): void => {
    this.newest = offset;
    this.onEach(offset);
    if (this.#waiting && offset >= this.#waiting.offset) {
      this.#waiting.resolve();
      this.#waiting = undefined;
    }
  };

  /** Resolves once the stream acknowledged `offset`; rejects when the mirror stopped on an error or nothing came for a minute. */
  async holds(offset: number, m: Mirror): Promise<void> {
    let seen = this.newest;
    while (this.newest < offset) {
      const came = await new Promise<boolean>((resolve) => {
        this.#waiting = { offset, resolve: () => resolve(true) };
        setTimeout(() => resolve(false), 60_000).unref();
      });
      if (m.error) throw m.error;
      if (!came && this.newest === seen) throw new Error(`the stream acknowledged nothing past offset ${seen} for a minute (waiting for ${offset})`);
      seen = this.newest;
    }
  }
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export async function replication(engine: EngineName, dir: string, sizes: Sizes): Promise<Figures> {
  return withCluster(engine, async (cluster) => {
    const servers = cluster.servers;
    const perRound = Math.max(1000, Math.round(20_000 * sizes.scale));
    const lagWrites = Math.max(500, Math.round(25_000 * sizes.scale));
    const plain = await LogStore.open<Uint8Array>(join(dir, 'plain'), DURABLE);
    const leader = await LogStore.open<Uint8Array>(join(dir, 'leader'), DURABLE);
    let retries = 0;
    const acks = new StreamAcks();
    let m: Mirror | undefined;
    const figures: Figures = {};
    try {
      m = await mirror(leader, { servers, stream: STREAM, replicas: REPLICAS, onRetry: () => retries++, onPublished: acks.published });
      const mirrored = m;
      // Warm-up: the JIT, the stream's first publishes, the disk's preallocation.
      let key = 0;
      await putsInFlight(plain, key, 1000);
      await putsInFlight(leader, key, 1000);
      await mirrored.caughtUp();
      key += 1000;

      let bestPlain = 0;
      let bestMirrored = 0;
      let bestThrough = 0;
      for (let round = 0; round < ROUNDS; round++) {
        // Alternating which goes first, so neither always meets the other's after-effects.
        const order = round % 2 === 0 ? (['plain', 'mirrored'] as const) : (['mirrored', 'plain'] as const);
        for (const which of order) {
          if (which === 'plain') {
            bestPlain = Math.max(bestPlain, (perRound / (await putsInFlight(plain, key, perRound))) * 1000);
          } else {
            const t0 = performance.now();
            const putMs = await putsInFlight(leader, key, perRound);
            await acks.holds(leader.nextOffset - 1, mirrored);
            bestMirrored = Math.max(bestMirrored, (perRound / putMs) * 1000);
            bestThrough = Math.max(bestThrough, (perRound / (performance.now() - t0)) * 1000);
          }
        }
        key += perRound;
      }
      figures.plainPutPerSec = bestPlain;
      figures.mirroredPutPerSec = bestMirrored;
      figures.mirroredThroughPerSec = bestThrough;
      figures.mirroredPutRatio = bestMirrored / bestPlain;
      figures.putsPerRound = perRound;
      figures.rounds = ROUNDS;
      await plain.close();

      Object.assign(figures, await lagAtSteadyRate(leader, mirrored, acks, key, lagWrites));
      await mirrored.caughtUp();
      await mirrored.close();
      m = undefined;
      const streamed = leader.nextOffset;
      await leader.close();

      // A follower from an empty directory, through the whole stream (every write above, at offsets from 0).
      let appliedTo = -1;
      const applyMs = await timeOnce(async () => {
        const f = await follow<Uint8Array>(join(dir, 'follower'), { servers, stream: STREAM, startFrom: 'stream', onRetry: () => retries++ });
        try {
          await f.caughtUp();
          appliedTo = f.store.nextOffset;
        } finally {
          await f.close();
        }
      });
      if (appliedTo !== streamed) throw new Error(`the follower holds offsets up to ${appliedTo - 1}, the leader wrote up to ${streamed - 1}`);
      figures.followerWrites = streamed;
      figures.followerApplyPerSec = (streamed / applyMs) * 1000;
      figures.retries = retries;
      return figures;
    } finally {
      await m?.close();
      await plain.close();
      await leader.close();
    }
  });
}

/**
 * `writes` puts at a steady LAG_RATE a second, issued on a clock (not
 * waiting for each other), and for each the time from its put() resolving
 * (durable on the leader) to the stream's acknowledgement: the mirror's lag
 * as the mirror's `lag.ms` counts it.
 */
async function lagAtSteadyRate(
  leader: LogStore<Uint8Array>,
  m: Mirror,
  acks: StreamAcks,
  firstKey: number,
  writes: number,
): Promise<Figures> {
  // The writes go into a store nothing else writes now: the i-th put takes the i-th offset after `base` (one write queue, in call order).
  const base = leader.nextOffset;
  const acked = new Float64Array(writes);
  const streamed = new Float64Array(writes);
  // A message acknowledges every write up to its last offset.
  let filled = base - 1;
  acks.onEach = (offset) => {
    const now = performance.now();
    for (; filled < offset && filled + 1 < base + writes; filled++) streamed[filled + 1 - base] = now;
  };
  const puts: Array<Promise<void>> = [];
  const t0 = performance.now();
  while (puts.length < writes) {
    const due = Math.min(writes, Math.floor(((performance.now() - t0) * LAG_RATE) / 1000) + 1);
    while (puts.length < due) {
      const i = puts.length;
      puts.push(leader.put(keyAt(firstKey + i), valueAt(firstKey + i)).then(() => void (acked[i] = performance.now())));
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  // The rate reached: writes over the time until the last was issued (not until it was durable).
  const issuedMs = performance.now() - t0;
  await Promise.all(puts);
  await acks.holds(base + writes - 1, m);
  acks.onEach = () => undefined;
  if (leader.nextOffset !== base + writes) throw new Error(`the lag run wrote offsets ${base} to ${leader.nextOffset - 1}, not ${writes} writes`);
  const lag = new Float64Array(writes);
  for (let i = 0; i < writes; i++) {
    if (streamed[i] === 0) throw new Error(`the stream never acknowledged offset ${base + i}`);
    // The stream's acknowledgement can come before the put's promise settles: no lag then.
    lag[i] = Math.max(0, streamed[i]! - acked[i]!);
  }
  lag.sort();
  return { lagWrites: writes, lagRatePerSec: (writes / issuedMs) * 1000, lagP50Ms: percentile(lag, 0.5), lagP99Ms: percentile(lag, 0.99), lagMaxMs: lag[writes - 1]! };
}

export async function replicationCatchUp(engine: EngineName, dir: string, sizes: Sizes): Promise<Figures> {
  return withCluster(engine, async (cluster) => {
    const servers = cluster.servers;
    const keys = sizes.keys;
    const tail = Math.max(100, Math.round(keys / 100));
    // The leader: a store of `keys` keys begun from a snapshot, so the mirror ships that snapshot first and streams only what comes after it (docs/REPLICATION.md).
    const source = await LogStore.open<Uint8Array>(join(dir, 'source'), { durability: 'none' });
    for (const chunk of chunks(0, keys, 0, identity)) await source.batch(chunk.map(([key, value]) => ({ type: 'put' as const, key, value })));
    await source.flush();
    const snap = await source.snapshot();
    await source.close();
    // The reference's first part: restore() of the local snapshot file (this is also how the leader is made).
    const restoreMs = await timeOnce(() => restore(snap.path, join(dir, 'leader')));
    const leader = await LogStore.open<Uint8Array>(join(dir, 'leader'), DURABLE);
    let m: Mirror | undefined;
    try {
      let snapshotBytes = 0;
      const shipMs = await timeOnce(async () => {
        m = await mirror(leader, { servers, stream: STREAM, replicas: REPLICAS, onSnapshot: (s) => (snapshotBytes = s.bytes) });
      });
      if (snapshotBytes === 0) throw new Error('the mirror of a store begun from a snapshot shipped no snapshot object');
      // The tail: new values of the first `tail` keys.
      await putsInFlight(leader, 0, tail, 1);
      await m!.caughtUp();
      await m!.close();
      m = undefined;
      const tailReadMs = await plainStreamRead(servers);

      let caughtUp = { nextOffset: -1, value: undefined as Uint8Array | undefined };
      const followerMs = await timeOnce(async () => {
        const f = await follow<Uint8Array>(join(dir, 'follower'), { servers, stream: STREAM });
        try {
          await f.caughtUp();
          caughtUp = { nextOffset: f.store.nextOffset, value: f.store.get(keyAt(0)) };
        } finally {
          await f.close();
        }
      });
      if (caughtUp.nextOffset !== leader.nextOffset) throw new Error(`the new follower goes on at offset ${caughtUp.nextOffset}, the leader at ${leader.nextOffset}`);
      if (!caughtUp.value || Buffer.compare(caughtUp.value, valueAt(0, 1)) !== 0) throw new Error("the new follower's first key does not hold the tail's value");
      const referenceMs = restoreMs + tailReadMs;
      return {
        catchUpKeys: keys,
        catchUpTailWrites: tail,
        snapshotBytes,
        shipSnapshotMs: shipMs,
        referenceRestoreMs: restoreMs,
        referenceTailReadMs: tailReadMs,
        catchUpReferenceMs: referenceMs,
        catchUpMs: followerMs,
        catchUpRatio: followerMs / referenceMs,
      };
    } finally {
      await m?.close();
      await leader.close();
    }
  });
}

/** Reads every message of the stream with an ordered consumer, nothing parsed or applied: the reference for the follower's stream part. */
async function plainStreamRead(servers: string[]): Promise<number> {
  const nc = await connect({ servers });
  try {
    const count = (await (await jetstreamManager(nc)).streams.info(STREAM)).state.messages;
    const consumer = await jetstream(nc).consumers.get(STREAM);
    let bytes = 0;
    const ms = await timeOnce(async () => {
      const messages = await consumer.consume({ max_messages: 1024 });
      let n = 0;
      for await (const msg of messages) {
        bytes += msg.data.length;
        if (++n >= count) break;
      }
      await messages.close();
    });
    if (bytes === 0) throw new Error('the plain read of the stream read nothing');
    return ms;
  } finally {
    await nc.close();
  }
}
