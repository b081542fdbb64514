// A hint-less open on a machine with more cores (recovery-scan.ts,
// RECOVERY_THREADS; recovery.ts, prescan): the oldest sealed segments are
// dealt out to the background worker and a scan worker per core beyond
// two. Made to run as on 4 and on 8 cores here: the same answers and open
// report as on one thread, the hints back, and damage in a segment a scan
// worker read still refused (strict) or skipped (salvage).

import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { LogkvError } from '../../src/errors.js';
import { readSegment } from '../../src/formats/index.js';
import { LogStore } from '../../src/log/log-store.js';
import { RECOVERY_THREADS, SCAN_WORKER_READS } from '../../src/log/recovery-scan.js';

const SEGMENT = 32 * 1024;
const CORES = RECOVERY_THREADS.count;
t.teardown(() => {
  RECOVERY_THREADS.count = CORES;
});

function scratch(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'logkv-recovery-threads-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A store of many segments (keys overwritten and deleted across them), closed, then every hint and index removed. */
async function hintless(dir: string): Promise<Map<string, string>> {
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: SEGMENT, autoCompact: false });
  const model = new Map<string, string>();
  for (let i = 0; i < 4000; i++) {
    const key = `key-${i % 900}`;
    if (i % 17 === 0) {
      await s.delete(key);
      model.delete(key);
    } else {
      const value = `value-${i}-${'x'.repeat(i % 40)}`;
      await s.put(key, value);
      model.set(key, value);
    }
  }
  await s.close();
  for (const n of readdirSync(dir)) if (n.endsWith('.hint') || n.endsWith('.index')) unlinkSync(join(dir, n));
  return model;
}

const logs = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.log')).sort();

t.test('4 and 8 threads: every segment deferred, the answers and the report of a plain open, the hints back', async (t) => {
  for (const threads of [4, 8]) {
    RECOVERY_THREADS.count = threads;
    const dir = scratch(t);
    const model = await hintless(dir);
    const segments = logs(dir);
    t.ok(segments.length >= 8, `${segments.length} segments`);
    const readBefore = SCAN_WORKER_READS.count;
    const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: SEGMENT, autoCompact: false });
    const away = Math.floor((segments.length * (threads - 1)) / threads);
    t.equal(SCAN_WORKER_READS.count - readBefore, away - Math.ceil(away / (threads - 1)), `${threads} threads: scan workers read their share of the segments`);
    t.equal(s.openReport.segmentsDeferred, segments.length, `${threads} threads: every segment deferred`);
    t.equal(s.openReport.hintsUsed, 0);
    t.equal(s.openReport.hintsRebuilt, segments.length - 1);
    for (let k = 0; k < 900; k++) t.equal(s.get(`key-${k}`), model.get(`key-${k}`), `key-${k}`);
    await s.whenLoaded();
    t.equal(s.count(), model.size, 'every key');
    await s.close();
    for (const log of segments) t.ok(readdirSync(dir).includes(log.replace('.log', '.hint')), `${log}: hint back`);
  }
});

t.test('4 threads, a flipped byte in a segment a scan worker reads: strict refuses and changes nothing, salvage skips the batch', async (t) => {
  RECOVERY_THREADS.count = 4;
  const dir = scratch(t);
  await hintless(dir);
  // Of the oldest sealed segments dealt out in turn, the background worker takes the 1st, 4th, ...; scan workers the 2nd and 3rd.
  const victim = join(dir, logs(dir)[1]!);
  const bytes = readFileSync(victim);
  const batch = readSegment(bytes).batches[2]!;
  bytes[batch.position + Math.floor(batch.size / 2)]! ^= 0x20;
  writeFileSync(victim, bytes);
  const before = readdirSync(dir).sort();
  const refused = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: SEGMENT }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(refused instanceof LogkvError && refused.code === 'CORRUPT', 'strict: CORRUPT');
  t.match((refused as LogkvError).message, `${victim} is damaged at byte ${batch.position}`);
  t.same(readdirSync(dir).sort(), before, 'nothing written');
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: SEGMENT, recovery: 'salvage' });
  t.match(s.openReport.damage, [{ file: victim, offset: batch.position, action: 'skipped' }]);
  await s.close();
});
