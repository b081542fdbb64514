// An open with no hint or index anywhere, on the real file system: the
// sealed segments it must read whole are read ahead, half of them in the
// background worker and the rest with the newest here (recovery.ts,
// prescan; recovery-scan.ts), their tables sent back to this thread. What a
// user can see of it: every segment deferred, the same answers as before
// the hints went, the hints back after close, and damage in a segment the
// worker read still refused (strict) or skipped (salvage).

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { LogStore } from '../../src/log/log-store.js';
import { damagedBatchRefusedThenSkipped, hintlessStore, scratchDir, segmentLogs } from '../support/hintless-store.js';

const SEGMENT = 64 * 1024;

t.test('every segment deferred from a read of its own, the answers unchanged, the hints back', async (t) => {
  const dir = scratchDir(t, 'logkv-hintless-');
  const model = await hintlessStore(dir, { segmentSize: SEGMENT, writes: 3000, keys: 700, expiryEvery: 101 });
  const segments = segmentLogs(dir);
  t.ok(segments.length >= 4, `${segments.length} segments`);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: SEGMENT, autoCompact: false });
  t.equal(s.openReport.segmentsDeferred, segments.length);
  t.equal(s.openReport.hintsUsed, 0);
  t.equal(s.openReport.hintsRebuilt, segments.length - 1);
  for (let k = 0; k < 700; k++) t.equal(s.get(`key-${k}`), model.get(`key-${k}`), `key-${k} before the load`);
  t.same([...s.keys({ gte: 'key-60', lt: 'key-62' })].map(String), [...model.keys()].filter((k) => k >= 'key-60' && k < 'key-62').sort());
  await s.whenLoaded();
  t.equal(s.count(), model.size);
  await s.close();
  for (const log of segments) {
    const stem = log.slice(0, -4);
    t.ok(readdirSync(dir).includes(`${stem}.hint`) && readdirSync(dir).includes(`${stem}.index`), `${log}: hint and index back`);
  }
  const again = await LogStore.open<string>(dir, { valueEncoding: 'utf8', readOnly: true });
  t.equal(again.openReport.hintsUsed, segments.length);
  for (const [k, v] of model) t.equal(again.get(k), v);
  await again.close();
});

t.test('a flipped byte in the oldest segment (read by the worker): strict refuses and changes nothing, salvage skips the batch', async (t) => {
  const dir = scratchDir(t, 'logkv-hintless-');
  await hintlessStore(dir, { segmentSize: SEGMENT, writes: 3000, keys: 700, expiryEvery: 101 });
  const oldest = join(dir, segmentLogs(dir)[0]!);
  const s = await damagedBatchRefusedThenSkipped(t, dir, oldest, SEGMENT);
  t.equal(s.openReport.segmentsDeferred, 0, 'a damaged oldest segment: nothing deferred');
  await s.close();
});
