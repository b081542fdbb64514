// Point reads (SegmentLog.readValue): the record goes into a scratch buffer
// reused from get to get and only the value is copied out, so every value a
// get returns must be a copy of its own: a later get, or the caller writing
// into it, changes no other result. Records of other sizes, and ones too big
// for the scratch buffer, read the same. The record CRC a get checks is the
// only check of a record its writer got wrong, as recovery trusts batch CRCs.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import fc from 'fast-check';
import { verify } from '../../cli/commands/verify.js';
import { crc32c } from '../../src/checksum/crc32c.js';
import { readSegment } from '../../src/formats/index.js';
import { BATCH_FRAME_SIZE } from '../../src/formats/limits.js';
import { LogStore } from '../../src/log/log-store.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

t.test('every value a get returns is its own copy, whatever the sizes of the records read between', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<Uint8Array>('/db', { io });
  const sizes = [0, 1, 100, 100, 4000, 4100, 70_000, 100, 3];
  const want = sizes.map((n, i) => Buffer.alloc(n, i + 1));
  for (const [i, v] of want.entries()) await s.put(`k${i}`, v);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat(sizes.length - 1), { minLength: 1, maxLength: 30 }), async (order) => {
      const got = order.map((i) => s.get(`k${i}`)!);
      for (const [j, i] of order.entries()) t.ok(Buffer.from(got[j]!).equals(want[i]!), `k${i} read back`);
      // Scribbling over one result touches no other, nor what the store holds.
      for (const g of got) g.fill(0xee);
      for (const i of order) if (sizes[i]! > 0) t.ok(Buffer.from(s.get(`k${i}`)!).equals(want[i]!), `k${i} unchanged in the store`);
    }),
    { numRuns: 40 },
  );
  await s.close();
});

t.test('utf8 and json stores decode from the same reads', async (t) => {
  const io = new MemoryFileIO();
  const a = await LogStore.open<string>('/a', { io, valueEncoding: 'utf8' });
  await a.put('x', 'é'.repeat(3000));
  await a.put('y', 'short');
  t.equal(a.get('x'), 'é'.repeat(3000));
  t.equal(a.get('y'), 'short');
  t.equal(a.get('x'), 'é'.repeat(3000));
  await a.close();
  const b = await LogStore.open<unknown>('/b', { io, valueEncoding: 'json' });
  await b.put('o', { list: [1, 2, 3], text: 'x'.repeat(5000) });
  await b.put('n', 7);
  t.same(b.get('o'), { list: [1, 2, 3], text: 'x'.repeat(5000) });
  t.equal(b.get('n'), 7);
  await b.close();
});

t.test("a record CRC its writer got wrong (the batch's matches): open loads it, get refuses it, verify flags it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logkv-record-crc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
  await s.batch([
    { type: 'put', key: 'a', value: 'apple' },
    { type: 'put', key: 'b', value: 'banana' },
  ]);
  await s.close();
  for (const f of readdirSync(dir)) if (f.endsWith('.hint')) rmSync(join(dir, f));
  const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.log'))!);
  const bytes = Buffer.from(readFileSync(file));
  const [batch] = readSegment(bytes).batches;
  const b = batch!.records[1]!;
  bytes.writeUInt32LE((bytes.readUInt32LE(b.position) ^ 1) >>> 0, b.position);
  const batchEnd = batch!.position + batch!.size;
  bytes.writeUInt32LE(crc32c(bytes.subarray(batch!.position + BATCH_FRAME_SIZE, batchEnd)), batch!.position + 4);
  writeFileSync(file, bytes);

  const reopened = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
  t.same(reopened.openReport.damage, [], 'recovery reads whole batches: their CRCs hold');
  t.equal(reopened.get('a'), 'apple');
  t.throws(() => reopened.get('b'), { code: 'CORRUPT', reason: 'record-crc', file, offset: b.position }, 'the point read checks the record CRC');
  await reopened.close();
  const report = verify(dir);
  const segment = report.files.find((f) => f.file === file)!;
  t.notOk(segment.ok, 'kvtool verify checks record CRCs');
  t.ok(segment.problems.some((p) => p.reason === 'record-crc' && p.offset === batch!.position), 'naming the batch that holds the record');
});
