// Messages of a mirror made by hand (docs/REPLICATION.md, "Messages"), for
// the tests that put a stream together themselves: leader batches as the
// batch feed gives them, a message of several, and a publish that can
// damage a message's headers or payload on the way.

import { connect, headers } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Op } from '../../src/formats/limits.js';
import { encodeBatch } from '../../src/formats/log-segment-writer.js';
import type { FeedRun } from '../../src/log/log-store.js';
import { encodeMessages, type OutgoingMessage } from '../../src/replication/message.js';

export interface Write {
  offset: number;
  key: string;
  /** Undefined: a delete. */
  value?: string | undefined;
  expireAt?: number;
}

/** A leader batch of `writes` (offsets increasing) logged at `timestampMs`: its bytes in the segment format. */
export function leaderBatch(writes: readonly Write[], timestampMs = 1_700_000_000_000 + writes[0]!.offset): FeedRun {
  const base = writes[0]!.offset;
  const bytes = encodeBatch({
    baseOffset: base,
    timestampMs,
    records: writes.map((w) => ({
      op: w.value === undefined ? Op.Delete : Op.Put,
      offsetDelta: w.offset - base,
      key: Buffer.from(w.key),
      value: Buffer.from(w.value ?? ''),
      expireAtMs: w.expireAt,
    })),
  });
  return { bytes, firstOffset: base, lastOffset: writes.at(-1)!.offset, firstTimestampMs: timestampMs, lastTimestampMs: timestampMs, records: writes.length, batches: 1 };
}

/** One-write batches `k<offset>` = `value <offset>` at `offsets`. */
export function singles(offsets: readonly number[]): FeedRun[] {
  return offsets.map((offset) => leaderBatch([{ offset, key: `k${offset}`, value: `value ${offset}` }]));
}

/** The one message holding `batches` after the message ending at `prev`. */
export function messageOf(storeId: string, batches: readonly FeedRun[], prev: number): OutgoingMessage {
  const [m, more] = encodeMessages(storeId, batches, prev, 1 << 20);
  if (!m || more) throw new Error('not one message');
  return m;
}

/** Publishes `messages` into `stream` (subject logkv.<stream>) in order; `edit` may change a message's headers or payload first. */
export async function publishMessages(
  servers: string[],
  stream: string,
  messages: readonly OutgoingMessage[],
  edit?: (i: number, h: Map<string, string>, payload: Buffer) => Buffer | void,
): Promise<void> {
  const nc = await connect({ servers });
  try {
    const js = jetstream(nc);
    for (const [i, m] of messages.entries()) {
      const h = new Map(m.headers);
      const payload = Buffer.from(m.payload);
      const edited = edit?.(i, h, payload) ?? payload;
      const nh = headers();
      for (const [k, v] of h) nh.set(k, v);
      await js.publish(`logkv.${stream}`, edited, { msgID: m.msgID, headers: nh });
    }
  } finally {
    await nc.close();
  }
}

/** Messages of one-write batches at `offsets`, `perMessage` writes each, chained by their prev. */
export function chain(storeId: string, offsets: readonly number[], perMessage = 1, prev = -1): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  for (let i = 0; i < offsets.length; i += perMessage) {
    const m = messageOf(storeId, singles(offsets.slice(i, i + perMessage)), prev);
    out.push(m);
    prev = m.last;
  }
  return out;
}
