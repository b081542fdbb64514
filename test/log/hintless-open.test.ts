// An open with no hint or index anywhere, on the real file system: the
// sealed segments it must read whole are read ahead, half of them in the
// background worker and the rest with the newest here (recovery.ts,
// prescan; recovery-scan.ts), their tables sent back to this thread. What a
// user can see of it: every segment deferred, the same answers as before
// the hints went, the hints back after close, and damage in a segment the
// worker read still refused (strict) or skipped (salvage).

import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { LogkvError } from '../../src/errors.js';
import { readSegment } from '../../src/formats/index.js';
import { LogStore } from '../../src/log/log-store.js';

const SEGMENT = 64 * 1024;

function scratch(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'logkv-hintless-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A store of several segments (keys overwritten and deleted across them), closed, then every hint and index removed. */
async function hintless(dir: string): Promise<Map<string, string>> {
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: SEGMENT, autoCompact: false });
  const model = new Map<string, string>();
  for (let i = 0; i < 3000; i++) {
    const key = `key-${i % 700}`;
    if (i % 17 === 0) {
      await s.delete(key);
      model.delete(key);
    } else {
      const value = `value-${i}-${'x'.repeat(i % 40)}`;
      await s.put(key, value, i % 101 === 0 ? { expireAt: 4_000_000_000_000 } : undefined);
      model.set(key, value);
    }
  }
  await s.close();
  for (const n of readdirSync(dir)) if (n.endsWith('.hint') || n.endsWith('.index')) unlinkSync(join(dir, n));
  return model;
}

const logs = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.log')).sort();

t.test('every segment deferred from a read of its own, the answers unchanged, the hints back', async (t) => {
  const dir = scratch(t);
  const model = await hintless(dir);
  const segments = logs(dir);
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
  const dir = scratch(t);
  await hintless(dir);
  const oldest = join(dir, logs(dir)[0]!);
  const bytes = readFileSync(oldest);
  const batch = readSegment(bytes).batches[2]!;
  bytes[batch.position + Math.floor(batch.size / 2)]! ^= 0x20;
  writeFileSync(oldest, bytes);
  const before = readdirSync(dir).sort();
  const refused = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: SEGMENT }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(refused instanceof LogkvError && refused.code === 'CORRUPT', 'strict: CORRUPT');
  t.match((refused as LogkvError).message, `${oldest} is damaged at byte ${batch.position}`);
  t.same(readdirSync(dir).sort(), before, 'nothing written');
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: SEGMENT, recovery: 'salvage' });
  t.match(s.openReport.damage, [{ file: oldest, offset: batch.position, action: 'skipped' }]);
  t.equal(s.openReport.segmentsDeferred, 0, 'a damaged oldest segment: nothing deferred');
  await s.close();
});
