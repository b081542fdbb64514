// A leader's writes as JetStream messages (docs/REPLICATION.md, "Messages"):
// the only code that makes these messages and the only code that believes
// one.
//
// A message holds a run of whole batches of the leader's log, in offset
// order, its payload those batches one after another in the log segment
// format (formats/log_segment.ksy, type batch: each with its real base
// offset, timestamp and CRC-32C), mostly the very bytes of the leader's
// segment. So the bytes on the wire are described by the spec the store's
// own files are, and a damaged payload is found by the same reader. One
// message per run rather than per write: JetStream takes ~19k publishes a
// second on an R3 stream here, a store ~150k durable writes.
//
// The headers repeat what a reader needs without decoding the payload
// (first and last offset, for the follower's search of the stream) and
// carry what the batches cannot: the last offset of the message before it
// in the stream (a gap is found, not guessed), and whether its last batch
// goes on in the next message (a leader batch larger than a message is
// sent in parts, each a batch of the format holding some of its records;
// the follower applies the leader batch once it has every part).

import { LogkvError } from '../errors.js';
import { BATCH_FRAME_SIZE, BATCH_HEADER_SIZE, Op } from '../formats/limits.js';
import { BatchReader } from '../formats/log-segment-reader.js';
import { encodeBatch, recordSize } from '../formats/log-segment-writer.js';
import type { FeedRun } from '../log/log-store.js';

export const HEADER = {
  /** Offset of the message's first record (the base offset of its first batch). */
  first: 'Logkv-First-Offset',
  /** Offset of its last record. */
  last: 'Logkv-Last-Offset',
  /** The last offset of the message before this one in the stream; -1 for the first. */
  prev: 'Logkv-Prev',
  /** The timestamp of its last batch (ms since the epoch): the newest write it holds. */
  timestamp: 'Logkv-Timestamp',
  /** "0" when its last batch is a part of a leader batch that goes on in the next message, else "1". */
  batchEnd: 'Logkv-Batch-End',
} as const;

/** The header of the one-write-per-message format of the first mirror (offset of its one record): a message with it is told apart from a damaged one. */
const OLD_OFFSET_HEADER = 'Logkv-Offset';

/** JetStream's de-duplication header (set by the client from `msgID`). */
export const MSG_ID_HEADER = 'Nats-Msg-Id';

/** The message id: the leader's store id and the message's first offset, so a re-sent message is dropped by JetStream and no other store's can pass for it. */
export function messageId(storeId: string, firstOffset: number): string {
  return `${storeId}:${firstOffset}`;
}

/** A record of the leader's log as a follower applies it (value bytes as the leader stored them). */
export interface ReplicatedRecord {
  offset: number;
  /** A view into the message's payload. */
  key: Uint8Array;
  /** Undefined for a delete; a view into the message's payload. */
  value: Uint8Array | undefined;
  expireAt: number | undefined;
}

/** One batch of a message: a leader batch, or a part of one (see batchEnd). */
export interface ReplicatedMessageBatch {
  timestampMs: number;
  records: ReplicatedRecord[];
}

/** A message as decodeMessage() read and checked it. */
export interface ReplicatedMessage {
  store: string;
  first: number;
  last: number;
  prev: number;
  timestamp: number;
  /** False when the last batch goes on in the next message's first batch. */
  batchEnd: boolean;
  /** At least one; offsets strictly increasing across all of them. */
  batches: ReplicatedMessageBatch[];
}

export interface OutgoingMessage {
  msgID: string;
  headers: Array<[string, string]>;
  payload: Buffer;
  first: number;
  last: number;
  /** Timestamp of its first batch: the oldest write it holds (the mirror's lag). */
  firstTimestamp: number;
  lastTimestamp: number;
  records: number;
}

/**
 * The messages for `runs` (whole batches in log order, as
 * BatchFeed.read() gives them) of store `storeId`, published after the one
 * whose last offset is `prev` (-1: none): one message, unless a single
 * batch is larger than `maxBytes` (then one per part of it). TOO_LARGE
 * when a single record is.
 */
export function encodeMessages(storeId: string, runs: readonly FeedRun[], prev: number, maxBytes: number): OutgoingMessage[] {
  const head = runs[0];
  if (!head) return [];
  if (runs.length === 1 && head.batches === 1 && head.bytes.length > maxBytes) return encodeParts(storeId, head, prev, maxBytes);
  const tail = runs.at(-1)!;
  const payload = runs.length === 1 ? head.bytes : Buffer.concat(runs.map((r) => r.bytes));
  let records = 0;
  for (const r of runs) records += r.records;
  return [outgoing(storeId, payload, head.firstOffset, tail.lastOffset, prev, head.firstTimestampMs, tail.lastTimestampMs, true, records)];
}

/** A leader batch too large for one message: its records in parts, each a batch of its own with the leader batch's timestamp. */
function encodeParts(storeId: string, b: FeedRun, prev: number, maxBytes: number): OutgoingMessage[] {
  const step = new BatchReader(b.bytes).at(0, 0);
  if (step.kind !== 'batch') throw new LogkvError('CORRUPT', `the batch at offset ${b.firstOffset} did not read back whole to be sent in parts`, { reason: 'batch-crc' });
  const { records, compacted, timestampMs } = step.batch;
  const out: OutgoingMessage[] = [];
  let i = 0;
  while (i < records.length) {
    let size = BATCH_FRAME_SIZE + BATCH_HEADER_SIZE;
    let j = i;
    while (j < records.length && (j === i || size + recordSize(records[j]!) <= maxBytes)) size += recordSize(records[j++]!);
    if (size > maxBytes) {
      throw new LogkvError('TOO_LARGE', `the write at offset ${records[i]!.offset} takes ${size} bytes, over the ${maxBytes} a message may carry (NATS max_payload)`);
    }
    const part = records.slice(i, j);
    const base = part[0]!.offset;
    const payload = encodeBatch({
      baseOffset: base,
      timestampMs,
      compacted,
      records: part.map((r) => ({ op: r.op, offsetDelta: r.offset - base, key: r.key, value: r.value, expireAtMs: r.expireAtMs })),
    });
    const lastOffset = part.at(-1)!.offset;
    out.push(outgoing(storeId, payload, base, lastOffset, prev, timestampMs, timestampMs, j === records.length, part.length));
    prev = lastOffset;
    i = j;
  }
  return out;
}

function outgoing(storeId: string, payload: Buffer, first: number, last: number, prev: number, firstTimestamp: number, lastTimestamp: number, batchEnd: boolean, records: number): OutgoingMessage {
  return {
    msgID: messageId(storeId, first),
    headers: [
      [HEADER.first, String(first)],
      [HEADER.last, String(last)],
      [HEADER.prev, String(prev)],
      [HEADER.timestamp, String(lastTimestamp)],
      [HEADER.batchEnd, batchEnd ? '1' : '0'],
    ],
    payload,
    first,
    last,
    firstTimestamp,
    lastTimestamp,
    records,
  };
}

/** What decodeMessage reads of a stored or delivered message. */
export interface IncomingMessage {
  seq: number;
  header(name: string): string;
  data: Uint8Array;
}

/**
 * Reads and checks message `m` of stream `stream`, every batch of it,
 * before any of it is believed: CORRUPT (reason 'replicated-message') when
 * a batch fails its CRC or any check of the format, the payload holds
 * anything but whole batches, offsets do not increase, or the headers and
 * the payload disagree. Which store it is from is the caller's check.
 */
export function decodeMessage(m: IncomingMessage, stream: string): ReplicatedMessage {
  const damaged = (why: string) =>
    new LogkvError('CORRUPT', `message ${m.seq} of stream ${stream} is damaged: ${why}; nothing of it was applied`, { offset: m.seq, reason: 'replicated-message' });
  const id = /^([0-9a-f]{32}):(\d+)$/.exec(m.header(MSG_ID_HEADER));
  if (!id) throw damaged(`its message id ${JSON.stringify(m.header(MSG_ID_HEADER))} is not a logkv store id and offset`);
  const first = integerHeader(m, HEADER.first);
  const last = integerHeader(m, HEADER.last);
  const timestamp = integerHeader(m, HEADER.timestamp);
  const prev = integerHeader(m, HEADER.prev, -1);
  const batchEnd = m.header(HEADER.batchEnd);
  if (first === undefined && m.header(OLD_OFFSET_HEADER) !== '') {
    throw damaged('it is a message of one write (header Logkv-Offset), the format of an older mirror, which this version does not read: mirror the store into a new stream');
  }
  if (first === undefined || last === undefined || timestamp === undefined || prev === undefined || (batchEnd !== '0' && batchEnd !== '1')) {
    throw damaged('a Logkv header is missing or not a number');
  }
  if (Number(id[2]) !== first) throw damaged(`its message id says offset ${id[2]}, its header ${first}`);
  if (!(prev < first && first <= last)) throw damaged(`its offsets do not hold prev < first <= last (${prev}, ${first}, ${last})`);
  const reader = new BatchReader(m.data);
  const batches: ReplicatedMessageBatch[] = [];
  let pos = 0;
  let minOffset = first;
  let lastOffset = -1;
  let lastTimestamp = -1;
  while (pos < m.data.length) {
    const step = reader.at(pos, minOffset);
    if (step.kind === 'end') throw damaged(`zero bytes at byte ${pos} of its payload, where a batch should begin`);
    if (step.kind === 'damage') throw damaged(`batch ${batches.length + 1} of it (byte ${pos} of its payload): ${step.damage.reason}: ${step.damage.message}`);
    const b = step.batch;
    if (batches.length === 0 && b.records[0]!.offset !== first) throw damaged(`its first record is at offset ${b.records[0]!.offset}, its headers say ${first}`);
    batches.push({
      timestampMs: b.timestampMs,
      records: b.records.map((r) => ({ offset: r.offset, key: r.key, value: r.op === Op.Delete ? undefined : r.value, expireAt: r.expireAtMs })),
    });
    lastOffset = b.baseOffset + b.lastOffsetDelta;
    lastTimestamp = b.timestampMs;
    minOffset = lastOffset + 1;
    pos += b.size;
  }
  if (batches.length === 0) throw damaged('its payload is empty');
  if (lastOffset !== last || lastTimestamp !== timestamp) throw damaged(`its payload ends at offset ${lastOffset} at ${lastTimestamp}, its headers say offset ${last} at ${timestamp}`);
  return { store: id[1]!, first, last, prev, timestamp, batchEnd: batchEnd === '1', batches };
}

function integerHeader(m: IncomingMessage, name: string, min = 0): number | undefined {
  const text = m.header(name);
  if (!/^-?\d{1,16}$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= min ? n : undefined;
}
