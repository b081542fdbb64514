// One write of a leader's log as a JetStream message (docs/REPLICATION.md):
// the only code that makes these messages and the only code that believes
// one.
//
// The payload is the record as a one-record batch of the log segment
// format (formats/log_segment.ksy, type batch): its real offset as the
// base offset, its batch's timestamp, CRC-32C over all of it. So the bytes
// on the wire are described by the spec the store's own files are, and a
// damaged payload is found by the same reader. The headers repeat what a
// consumer needs without decoding (offset, timestamp) and carry what the
// batch cannot: the offset of the message before it in the stream (a gap
// is found, not guessed) and whether it ends its leader batch (a follower
// applies a leader's batch all or nothing).

import { LogkvError } from '../errors.js';
import { Op } from '../formats/limits.js';
import { BatchReader } from '../formats/log-segment-reader.js';
import { encodeBatch } from '../formats/log-segment-writer.js';
import type { Change } from '../log/log-store.js';

export const HEADER = {
  offset: 'Logkv-Offset',
  timestamp: 'Logkv-Timestamp',
  /** Offset of the message before this one in the stream; -1 for the first. */
  prev: 'Logkv-Prev',
  /** "1" on the last record of a leader's batch, else "0". */
  batchEnd: 'Logkv-Batch-End',
} as const;

/** JetStream's de-duplication header (set by the client from `msgID`). */
export const MSG_ID_HEADER = 'Nats-Msg-Id';

/** The message id: the leader's store id and the offset, so a re-sent write is dropped by JetStream and no other store's write can pass for it. */
export function messageId(storeId: string, offset: number): string {
  return `${storeId}:${offset}`;
}

/** A record of the leader's log as a follower applies it (value bytes as the leader stored them). */
export interface ReplicatedRecord {
  store: string;
  offset: number;
  timestamp: number;
  prev: number;
  batchEnd: boolean;
  key: Uint8Array;
  /** Undefined for a delete. */
  value: Uint8Array | undefined;
  expireAt: number | undefined;
}

export interface OutgoingMessage {
  msgID: string;
  headers: Array<[string, string]>;
  payload: Buffer;
}

/** The message for change `c` of store `storeId`, published after the one at offset `prev` (-1: none). */
export function encodeMessage(storeId: string, c: Change<Uint8Array>, prev: number): OutgoingMessage {
  const payload = encodeBatch({
    baseOffset: c.offset,
    timestampMs: c.timestamp,
    records: [{ op: c.tombstone ? Op.Delete : Op.Put, offsetDelta: 0, key: c.key, value: c.value ?? new Uint8Array(0), expireAtMs: c.expireAt }],
  });
  return {
    msgID: messageId(storeId, c.offset),
    headers: [
      [HEADER.offset, String(c.offset)],
      [HEADER.timestamp, String(c.timestamp)],
      [HEADER.prev, String(prev)],
      [HEADER.batchEnd, c.lastInBatch ? '1' : '0'],
    ],
    payload,
  };
}

/** What decodeMessage reads of a stored or delivered message. */
export interface IncomingMessage {
  seq: number;
  header(name: string): string;
  data: Uint8Array;
}

/**
 * Reads and checks message `m` of stream `stream`: CORRUPT (reason
 * 'replicated-message') when its headers and its payload do not agree or
 * the payload fails its CRC. Which store it is from is the caller's check.
 */
export function decodeMessage(m: IncomingMessage, stream: string): ReplicatedRecord {
  const damaged = (why: string) =>
    new LogkvError('CORRUPT', `message ${m.seq} of stream ${stream} is damaged: ${why}; nothing of it was applied`, { offset: m.seq, reason: 'replicated-message' });
  const id = /^([0-9a-f]{32}):(\d+)$/.exec(m.header(MSG_ID_HEADER));
  if (!id) throw damaged(`its message id ${JSON.stringify(m.header(MSG_ID_HEADER))} is not a logkv store id and offset`);
  const offset = integerHeader(m, HEADER.offset);
  const timestamp = integerHeader(m, HEADER.timestamp);
  const prev = integerHeader(m, HEADER.prev, -1);
  const batchEnd = m.header(HEADER.batchEnd);
  if (offset === undefined || timestamp === undefined || prev === undefined || (batchEnd !== '0' && batchEnd !== '1')) {
    throw damaged('a Logkv header is missing or not a number');
  }
  if (Number(id[2]) !== offset) throw damaged(`its message id says offset ${id[2]}, its header ${offset}`);
  if (prev >= offset) throw damaged(`the message before it is said to be at offset ${prev}, not below its own ${offset}`);
  const step = new BatchReader(m.data).at(0, 0);
  if (step.kind !== 'batch') throw damaged(step.kind === 'damage' ? `${step.damage.reason}: ${step.damage.message}` : 'its payload is empty');
  const b = step.batch;
  const r = b.records[0];
  if (b.size !== m.data.length || b.records.length !== 1 || !r) throw damaged('its payload is not exactly one record');
  if (r.offset !== offset || b.timestampMs !== timestamp) throw damaged(`its payload holds offset ${r.offset} at ${b.timestampMs}, its headers offset ${offset} at ${timestamp}`);
  const tombstone = r.op === Op.Delete;
  return {
    store: id[1]!,
    offset,
    timestamp,
    prev,
    batchEnd: batchEnd === '1',
    key: Buffer.from(r.key),
    value: tombstone ? undefined : Buffer.from(r.value),
    expireAt: r.expireAtMs,
  };
}

function integerHeader(m: IncomingMessage, name: string, min = 0): number | undefined {
  const text = m.header(name);
  if (!/^-?\d{1,16}$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= min ? n : undefined;
}
