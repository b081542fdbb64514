// The mirror's messages on their own (no NATS): a run of whole leader
// batches in one message, read back by the follower's decoder exactly as
// sent (puts, deletes, expiry, a cleaner's gaps); a batch larger than a
// message in parts; a record larger than a message TOO_LARGE.

import t from 'tap';
import { decodeMessage, encodeMessages, type OutgoingMessage } from '../../src/replication/message.js';
import { leaderBatch } from '../support/replication-messages.js';

const STORE = 'f'.repeat(32);

function incoming(m: OutgoingMessage, seq = 1) {
  const h = new Map([...m.headers, ['Nats-Msg-Id', m.msgID]]);
  return { seq, header: (n: string) => h.get(n) ?? '', data: m.payload };
}

t.test('a run of batches: one message, its payload the batches as given, read back as sent', async (t) => {
  const batches = [
    leaderBatch([{ offset: 5, key: 'a', value: '1' }], 1000),
    leaderBatch([{ offset: 6, key: 'b', value: '2', expireAt: 4_000_000_000_000 }, { offset: 7, key: 'a' }, { offset: 9, key: 'c', value: '' }], 1001),
    leaderBatch([{ offset: 12, key: 'd', value: 'x'.repeat(300) }], 1002),
  ];
  const [m, more] = encodeMessages(STORE, batches, 3, 1 << 20);
  t.equal(more, undefined, 'one message');
  t.ok(m!.payload.equals(Buffer.concat(batches.map((b) => b.bytes))), 'the payload is the batches, byte for byte');
  t.same(Object.fromEntries(m!.headers), { 'Logkv-First-Offset': '5', 'Logkv-Last-Offset': '12', 'Logkv-Prev': '3', 'Logkv-Timestamp': '1002', 'Logkv-Batch-End': '1' });
  t.equal(m!.msgID, `${STORE}:5`);
  t.same([m!.records, m!.firstTimestamp, m!.lastTimestamp], [5, 1000, 1002]);
  const d = decodeMessage(incoming(m!), 'S');
  t.same([d.store, d.first, d.last, d.prev, d.timestamp, d.batchEnd], [STORE, 5, 12, 3, 1002, true]);
  t.same(
    d.batches.map((b) => [b.timestampMs, b.records.map((r) => [r.offset, Buffer.from(r.key).toString(), r.value && Buffer.from(r.value).toString(), r.expireAt])]),
    [
      [1000, [[5, 'a', '1', undefined]]],
      [1001, [[6, 'b', '2', 4_000_000_000_000], [7, 'a', undefined, undefined], [9, 'c', '', undefined]]],
      [1002, [[12, 'd', 'x'.repeat(300), undefined]]],
    ],
    'every record: offset (gaps kept), key, value or delete, expiry; each batch its timestamp',
  );
});

t.test('a batch larger than a message: parts, each a batch of the format, chained; a record larger than a message: TOO_LARGE', async (t) => {
  const writes = Array.from({ length: 50 }, (_, i) => ({ offset: 100 + 2 * i, key: `k${i}`, value: 'v'.repeat(i * 10) }));
  const big = leaderBatch(writes, 7);
  const parts = encodeMessages(STORE, [big], 99, 2048);
  t.ok(parts.length > 3, `${big.bytes.length} bytes in ${parts.length} parts`);
  t.ok(parts.every((p) => p.payload.length <= 2048), 'each within the limit');
  let prev = 99;
  const offsets: number[] = [];
  for (const [i, p] of parts.entries()) {
    const d = decodeMessage(incoming(p, i + 1), 'S');
    t.equal(d.prev, prev, `part ${i} follows the one before`);
    t.equal(d.batchEnd, i === parts.length - 1, `part ${i}: Batch-End ${d.batchEnd ? 1 : 0}`);
    t.equal(d.batches.length, 1);
    t.equal(d.batches[0]!.timestampMs, 7, "each part keeps the leader batch's timestamp");
    offsets.push(...d.batches[0]!.records.map((r) => r.offset));
    prev = d.last;
  }
  t.same(offsets, writes.map((w) => w.offset), 'every record once, in order, offsets kept');
  t.throws(() => encodeMessages(STORE, [leaderBatch([{ offset: 0, key: 'huge', value: 'h'.repeat(5000) }])], -1, 2048), { code: 'TOO_LARGE' });
  t.same(encodeMessages(STORE, [], 4, 2048), [], 'no batch, no message');
});

t.test('decoding refuses what the encoder never makes: CORRUPT, reason replicated-message', async (t) => {
  const [m] = encodeMessages(STORE, [leaderBatch([{ offset: 0, key: 'a', value: '1' }]), leaderBatch([{ offset: 1, key: 'b', value: '2' }])], -1, 1 << 20);
  const bad = (what: string, edit: (h: Map<string, string>) => void, data = m!.payload) => {
    const h = new Map([...m!.headers, ['Nats-Msg-Id', m!.msgID]]);
    edit(h);
    t.throws(() => decodeMessage({ seq: 9, header: (n) => h.get(n) ?? '', data }, 'S'), { code: 'CORRUPT', reason: 'replicated-message' }, what);
  };
  bad('no message id', (h) => h.delete('Nats-Msg-Id'));
  bad('a message id of no store', (h) => h.set('Nats-Msg-Id', 'x:0'));
  bad('a negative first offset', (h) => h.set('Logkv-First-Offset', '-1'));
  bad('a Batch-End of 2', (h) => h.set('Logkv-Batch-End', '2'));
  bad('batches out of order', () => undefined, Buffer.concat([m!.payload.subarray(leaderBatch([{ offset: 0, key: 'a', value: '1' }]).bytes.length), m!.payload]));
  // The headers kept (offsets 0 to 1), the payload only the batch at 1.
  bad('a payload that begins past its first offset', () => undefined, leaderBatch([{ offset: 1, key: 'b', value: '2' }]).bytes);
});
