// A roll on the real file system (segment-log.ts, background-files.ts):
// the next segment comes from a spare file prepared beside the writes, the
// sealed segment's hint is written in a worker thread, and close and the
// cleaner wait for those hints. What a user can see of it: the same
// values, a hint for every sealed segment after close, no temporary file
// left behind, and a reopen that scans no segment.

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { LogStore } from '../../src/log/log-store.js';

const SEGMENT = 64 * 1024;

function scratch(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'logkv-seal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function logs(names: string[]): string[] {
  return names.filter((n) => n.endsWith('.log')).sort();
}

async function waitFor(what: string, check: () => boolean): Promise<void> {
  const until = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

t.test('rolls on real files: every sealed segment gets its hint, nothing temporary stays, the reopen scans nothing', async (t) => {
  const dir = scratch(t);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: SEGMENT, autoCompact: false });
  const expected = new Map<string, string>();
  // 64 in flight, as a server would have them: rolls happen under a full queue.
  for (let round = 0; round < 40; round++) {
    await Promise.all(
      Array.from({ length: 64 }, (_, i) => {
        const key = `k${(round * 64 + i) % 1500}`;
        const value = `${round}:${i}:${'v'.repeat(40)}`;
        expected.set(key, value);
        return s.put(key, value);
      }),
    );
  }
  await s.close();
  const names = readdirSync(dir);
  const segments = logs(names);
  t.ok(segments.length >= 4, `${segments.length} segments: the run rolled`);
  for (const seg of segments) t.ok(names.includes(seg.replace(/\.log$/, '.hint')), `${seg} has its hint`);
  t.same(names.filter((n) => n.endsWith('.tmp')), [], 'no spare or hint temporary file is left');

  const r = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: SEGMENT });
  t.equal(r.openReport.hintsUsed, segments.length, 'the reopen loads every segment from its hint');
  t.equal(r.openReport.clean, true, 'and reports a clean store');
  for (const [k, v] of expected) if (r.get(k) !== v) t.fail(`${k}: ${r.get(k)} instead of ${v}`);
  t.equal(r.count(), expected.size, 'every key holds its last value');
  await r.close();
});

t.test('the next segment is the spare prepared once the active one is half full', async (t) => {
  const dir = scratch(t);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: SEGMENT, autoCompact: false });
  const value = 'x'.repeat(1000);
  let i = 0;
  // Past half of the first segment, short of the roll.
  while (i < 40) await s.put(`a${i++}`, value);
  const spare = '00000000000000000000.log.tmp';
  await waitFor('the spare file', () => readdirSync(dir).includes(spare));
  t.same(logs(readdirSync(dir)), ['00000000000000000000.log'], 'no roll yet');
  while (logs(readdirSync(dir)).length < 2) await s.put(`a${i++}`, value);
  t.notOk(readdirSync(dir).includes(spare), 'the roll renamed the spare into place');
  t.equal(s.get('a0'), value);
  await s.close();
  t.notOk(readdirSync(dir).some((n) => n.endsWith('.tmp')), 'close removes an unused spare');
  const r = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
  t.same(r.openReport.removedFiles, [], 'the next open has nothing to clean up');
  t.equal(r.get(`a${i - 1}`), value);
  await r.close();
});

t.test('a compaction right after rolls waits for their hints: no hint outlives its segment', async (t) => {
  const dir = scratch(t);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: SEGMENT, autoCompact: false });
  for (let i = 0; i < 3000; i++) void s.put(`k${i % 100}`, `${i}:${'y'.repeat(60)}`);
  await s.flush();
  const result = await s.compact();
  t.ok(result.segmentsBefore >= 2, `${result.segmentsBefore} sealed segments compacted`);
  await s.close();
  const names = readdirSync(dir);
  for (const hint of names.filter((n) => n.endsWith('.hint'))) t.ok(names.includes(hint.replace(/\.hint$/, '.log')), `${hint} belongs to a live segment`);
  const r = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
  t.same(r.openReport.removedFiles, [], 'no leftover for open to remove');
  for (let k = 0; k < 100; k++) t.equal(r.get(`k${k}`), `${2900 + k}:${'y'.repeat(60)}`);
  await r.close();
});

const workerScript = (engine: string) => `
    import { open } from ${JSON.stringify(engine)};
    const db = await open(process.argv[1], { valueEncoding: 'utf8', segmentSize: 65536, autoCompact: false });
    for (let i = 0; i < 3000; i++) await db.put('k' + (i % 500), 'v' + i + 'x'.repeat(40));
    const snap = await db.snapshot();
    await db.close();
    console.log(JSON.stringify({ entries: snap.entries }));
  `;

t.test('a process started with V8 flags a worker refuses (--expose-gc, --trace-gc) still gets its worker', async (t) => {
  // The bench's children run with --expose-gc: without the worker, every roll wrote its hint on the main thread.
  const dir = scratch(t);
  const engine = new URL('../../dist/src/index.js', import.meta.url).href;
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['--expose-gc', '--trace-gc', '--input-type=module', '-e', workerScript(engine), dir], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stderr, /no background worker thread/, 'no warning: the worker started without the V8 flags');
  // --trace-gc writes to stdout too, and a collection may come after the result's line.
  const out = r.stdout.split('\n').filter((line) => line.startsWith('{')).at(-1) ?? '';
  t.same(JSON.parse(out), { entries: 500 }, 'the snapshot holds every key');
});

t.test('where no worker thread can start, the slow work runs on the main thread: a warning, nothing lost', async (t) => {
  const dir = scratch(t);
  const engine = new URL('../../dist/src/index.js', import.meta.url).href;
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', workerScript(engine), dir], { encoding: 'utf8', env: { ...process.env, LOGKV_WORKER: '0' } });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /no background worker thread \(LOGKV_WORKER=0\)/, 'one warning says so');
  // --trace-gc writes to stdout too, and a collection may come after the result's line.
  const out = r.stdout.split('\n').filter((line) => line.startsWith('{')).at(-1) ?? '';
  t.same(JSON.parse(out), { entries: 500 }, 'the snapshot holds every key');
  const names = readdirSync(dir);
  for (const seg of logs(names)) t.ok(names.includes(seg.replace(/\.log$/, '.hint')), `${seg} has its hint`);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
  t.equal(s.get('k499'), `v2999${'x'.repeat(40)}`);
  await s.close();
});

t.test('a roll with no spare ready (compact() early in a segment) writes no zero fill: the next segment grows as written', async (t) => {
  const dir = scratch(t);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: SEGMENT, autoCompact: false });
  // A quarter of the first segment: short of the half at which its spare is prepared.
  for (let i = 0; i < 16; i++) await s.put(`a${i}`, `${i}:${'x'.repeat(1000)}`);
  t.notOk(readdirSync(dir).some((n) => n.endsWith('.tmp')), 'no spare yet');
  await s.compact();
  const active = logs(readdirSync(dir)).at(-1)!;
  t.not(active, '00000000000000000000.log', 'compact() rolled');
  const headerOnly = statSync(join(dir, active)).size;
  t.ok(headerOnly < 4096, `the new active segment holds its header alone (${headerOnly} bytes), no zero fill`);
  await s.put('b', 'y'.repeat(100));
  const after = statSync(join(dir, active)).size;
  t.ok(after > headerOnly && after < 4096, `a put appends to it (${after} bytes): the file was not filled to the segment size on the write queue`);
  // It still rolls at the segment size, and its spare then comes as usual.
  let i = 0;
  while (logs(readdirSync(dir)).length < 3) await s.put(`c${i++}`, 'z'.repeat(1000));
  await s.close();
  const r = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
  t.equal(r.openReport.clean, true);
  t.same(r.openReport.removedFiles, [], 'nothing temporary left');
  t.equal(r.get('b'), 'y'.repeat(100));
  for (let k = 0; k < 16; k++) t.equal(r.get(`a${k}`), `${k}:${'x'.repeat(1000)}`);
  t.equal(r.get(`c${i - 1}`), 'z'.repeat(1000));
  await r.close();
});

t.test('rolls forced while spares are being filled (compact() after every few puts): the values, and no temporary file, after close and reopen', async (t) => {
  const dir = scratch(t);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: SEGMENT, autoCompact: false });
  const expected = new Map<string, string>();
  // Each round fills the active segment past half (its spare starts filling) and compacts at once:
  // the roll takes the spare if it is ready, or keeps it for a later roll.
  for (let round = 0; round < 12; round++) {
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < 36; i++) {
      const key = `k${(round * 36 + i) % 200}`;
      const value = `${round}:${i}:${'v'.repeat(1000)}`;
      expected.set(key, value);
      writes.push(s.put(key, value));
    }
    writes.push(s.compact().then(() => undefined));
    await Promise.all(writes);
  }
  for (const [k, v] of expected) if (s.get(k) !== v) t.fail(`${k}: ${s.get(k)} instead of ${v}`);
  await s.close();
  t.same(readdirSync(dir).filter((n) => n.endsWith('.tmp')), [], 'close leaves no spare');
  const r = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
  t.equal(r.openReport.clean, true);
  t.same(r.openReport.removedFiles, [], 'nothing for open to remove');
  for (const [k, v] of expected) if (r.get(k) !== v) t.fail(`${k} after reopen: ${r.get(k)} instead of ${v}`);
  t.equal(r.count(), expected.size);
  await r.close();
});

t.test('small durable writes get a spare; large durable batches get none: the next segment grows as written', async (t) => {
  const dir = scratch(t);
  const segmentSize = 2 * 1024 * 1024;
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize, autoCompact: false });
  // Puts of 1 KB, each durable: the first segment's spare is prepared past its half (which also starts the worker).
  let i = 0;
  const spare = '00000000000000000000.log.tmp';
  while (!readdirSync(dir).includes(spare) && logs(readdirSync(dir)).length < 2) await s.put(`small${i++}`, 's'.repeat(1000));
  await waitFor('the spare file', () => readdirSync(dir).includes(spare) || logs(readdirSync(dir)).length > 1);
  t.ok(readdirSync(dir).includes(spare) || logs(readdirSync(dir)).length > 1, `small writes: a spare is prepared (${i} puts of 1 KB)`);
  while (logs(readdirSync(dir)).length < 2) await s.put(`small${i++}`, 's'.repeat(1000));
  // Batches of ~300 KB, each durable when it resolves: past the 256 KiB a sync under which a spare pays.
  const big = (n: number) => s.batch(Array.from({ length: 100 }, (_, k) => ({ type: 'put' as const, key: `big${n}-${k}`, value: 'b'.repeat(3000) })));
  let n = 0;
  while (logs(readdirSync(dir)).length < 3) {
    await big(n++);
    // The worker is running: a spare asked for would be there well within this pause.
    if (logs(readdirSync(dir)).length < 3) await new Promise((r) => setTimeout(r, 300));
    t.notOk(readdirSync(dir).some((f) => f.endsWith('.log.tmp')), `no spare prepared after batch ${n}`);
  }
  const third = logs(readdirSync(dir)).at(-1)!;
  const size = statSync(join(dir, third)).size;
  t.ok(size < segmentSize / 2, `the segment after the roll holds its batch alone (${size} bytes), no zero fill to the segment size`);
  await s.close();
  const r = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
  t.equal(r.openReport.clean, true);
  t.equal(r.get(`big${n - 1}-99`), 'b'.repeat(3000));
  t.equal(r.get(`small${i - 1}`), 's'.repeat(1000));
  await r.close();
});
