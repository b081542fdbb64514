// A hint-less open on a machine with more cores (recovery-scan.ts,
// RECOVERY_THREADS; recovery.ts, prescan): the oldest sealed segments are
// dealt out to the background worker and a scan worker per core beyond
// two. Made to run as on 4 and on 8 cores here: the same answers and open
// report as on one thread, the hints back, and damage in a segment a scan
// worker read still refused (strict) or skipped (salvage).

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { LogStore } from '../../src/log/log-store.js';
import { RECOVERY_THREADS, SCAN_WORKER_READS } from '../../src/log/recovery-scan.js';
import { damagedBatchRefusedThenSkipped, hintlessStore, scratchDir, segmentLogs } from '../support/hintless-store.js';

const SEGMENT = 32 * 1024;
const CORES = RECOVERY_THREADS.count;
t.teardown(() => {
  RECOVERY_THREADS.count = CORES;
});

t.test('4 and 8 threads: every segment deferred, the answers and the report of a plain open, the hints back', async (t) => {
  for (const threads of [4, 8]) {
    RECOVERY_THREADS.count = threads;
    const dir = scratchDir(t, 'logkv-recovery-threads-');
    const model = await hintlessStore(dir, { segmentSize: SEGMENT, writes: 4000, keys: 900 });
    const segments = segmentLogs(dir);
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
  const dir = scratchDir(t, 'logkv-recovery-threads-');
  await hintlessStore(dir, { segmentSize: SEGMENT, writes: 4000, keys: 900 });
  // Of the oldest sealed segments dealt out in turn, the background worker takes the 1st, 4th, ...; scan workers the 2nd and 3rd.
  const victim = join(dir, segmentLogs(dir)[1]!);
  const s = await damagedBatchRefusedThenSkipped(t, dir, victim, SEGMENT);
  await s.close();
});
