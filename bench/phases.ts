// The workloads, each run in a fresh child process (bench/child.ts) so that
// one engine's memory, caches and GC state never weigh on another's.
// Each returns plain figures; bench/run.ts turns them into rows and ratios.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type verify, verifyParallel } from '../cli/commands/verify.js';
import { scanSegment } from '../src/formats/log-segment-reader.js';
import { JournalStore } from '../src/journal/journal-store.js';
import { LogStore } from '../src/log/log-store.js';
import { ENGINE, type EngineName } from './engines.js';
import { repoRoot } from './paths.js';
import { dropPageCache, plainReadMBps, plainWriteMBps, sha256MBps } from './references.js';
import { dirtySegment } from './dirty-segment.js';
import { replication, replicationCatchUp } from './replication.js';
import { rolls } from './roll-latency.js';
import { diskBytes, memoryNow, peakRss, sample, timeOnce } from './measure.js';
import { hotPicks, KEY_BYTES, keyAt, randomPicks, type Sizes, VALUE_BYTES, valueAt, withSequentialKeys, writeKey } from './workload.js';

export type Figures = Record<string, number | string | boolean | null>;

const GETS_PER_SAMPLE = 1000;
const CONCURRENT = 100;
/** Encoded size of one live record in the log: fixed part, key, value (formats/log_segment.ksy). */
const LOG_RECORD_BYTES = 16 + KEY_BYTES + VALUE_BYTES;

function check(value: Uint8Array | undefined, what: string): void {
  if (value === undefined || value.length !== VALUE_BYTES) throw new Error(`${what}: expected a ${VALUE_BYTES}-byte value, got ${value === undefined ? 'none' : value.length}`);
}

/** A fresh store bulk-loaded with keys [0, n), with the load's time and the memory before and after it. */
async function loaded(engine: EngineName, dir: string, n: number) {
  // The key and value pools are made before the first memory figure.
  keyAt(0);
  valueAt(0);
  const before = memoryNow();
  const store = await ENGINE[engine].open(dir, 'load');
  const loadMs = await timeOnce(() => store.load(0, n));
  return { store, loadMs, before, after: memoryNow() };
}

/** Bulk load of `keys` keys into a fresh store, memory at that point, then random gets over them. */
export async function load(engine: EngineName, dir: string, sizes: Sizes): Promise<Figures> {
  const n = sizes.keys;
  const { store, loadMs, before, after } = await loaded(engine, dir, n);
  const peak = peakRss();

  const gets = await getRate(engine, store, randomPicks(n, 1 << 16), sizes);
  const hotGets = await getRate(engine, store, hotPicks(n, 1 << 16), sizes);
  await store.close();
  return {
    keys: n,
    loadMs,
    bulkPutPerSec: (n / loadMs) * 1000,
    getPerSec: gets,
    hotGetPerSec: hotGets,
    heapPerKey: (after.heap - before.heap) / n,
    rssPerKey: (after.rss - before.rss) / n,
    peakRssPerKey: (peak - before.rss) / n,
    diskBytes: diskBytes(dir),
  };
}

/** Gets per second of the keys numbered `picks` (made up front, so the loop times only the engine); every one must be found. */
async function getRate(engine: EngineName, store: Awaited<ReturnType<(typeof ENGINE)[EngineName]['open']>>, picks: Uint32Array, sizes: Sizes): Promise<number> {
  const keys = new Uint8Array(picks.length * KEY_BYTES);
  for (let i = 0; i < picks.length; i++) writeKey(keys, i * KEY_BYTES, picks[i]!);
  const views = Array.from(picks, (_, i) => Buffer.from(keys.buffer, i * KEY_BYTES, KEY_BYTES));
  for (let i = 0; i < 100; i++) check(store.get(views[i]!), `${engine} get`);
  let at = 0;
  let found = 0;
  const gets = await sample(`${engine} get`, () => {
    for (let i = 0; i < GETS_PER_SAMPLE; i++) {
      if (store.get(views[at]!) !== undefined) found++;
      at = (at + 1) & (views.length - 1);
    }
  }, sizes.benchTimeMs, sizes.minSamples);
  if (found % GETS_PER_SAMPLE !== 0) throw new Error(`${engine}: a get of a loaded key found nothing`);
  return (GETS_PER_SAMPLE / gets.meanMs) * 1000;
}

/** Open of the store `load` left, until the first get returns. */
export async function reopen(engine: EngineName, dir: string, sizes: Sizes): Promise<Figures> {
  const key = keyAt(randomPicks(sizes.keys, 1, 777)[0]!);
  const before = memoryNow();
  let store: Awaited<ReturnType<(typeof ENGINE)[EngineName]['open']>> | undefined;
  const cpu0 = process.cpuUsage();
  const ms = await timeOnce(async () => {
    store = await ENGINE[engine].open(dir, 'read');
    check(store.get(key), `${engine} first get`);
  });
  const cpu = process.cpuUsage(cpu0);
  const after = memoryNow();
  // An engine that loads its keys after open (logkv): until when, measured from the start of the open.
  const loadedMs = store!.whenLoaded ? ms + (await timeOnce(() => store!.whenLoaded!())) : undefined;
  const loaded = memoryNow();
  await store!.close();
  // CPU time too: other agents share the cores, and CPU time moves less with their load than wall time.
  return {
    reopenMs: ms,
    reopenCpuMs: (cpu.user + cpu.system) / 1000,
    heapPerKeyAfterReopen: (after.heap - before.heap) / sizes.keys,
    ...(loadedMs === undefined ? {} : { loadedMs, heapPerKeyAfterLoad: (loaded.heap - before.heap) / sizes.keys }),
  };
}

const SCAN_KEYS = 10_000;

/** Open of the store `load` left, then a scan of 10k keys in key order from a random key: what a range read costs before anything is warm. */
export async function reopenScan(engine: EngineName, dir: string, sizes: Sizes): Promise<Figures> {
  const from = keyAt(randomPicks(sizes.keys, 1, 4242)[0]!);
  // Keys are uniform over their first byte: from one at most 0xc0, a quarter of the keys follow, more than `want` (a twentieth).
  from[0] = Math.min(from[0]!, 0xc0);
  const want = Math.min(SCAN_KEYS, Math.floor(sizes.keys / 20));
  let store: Awaited<ReturnType<(typeof ENGINE)[EngineName]['open']>> | undefined;
  let scanned = 0;
  let scanMs = 0;
  const ms = await timeOnce(async () => {
    store = await ENGINE[engine].open(dir, 'read');
    scanMs = await timeOnce(async () => {
      scanned = await store!.scan(from, want);
    });
  });
  await store!.close();
  if (scanned !== want) throw new Error(`${engine}: the scan read ${scanned} entries, not ${want}`);
  return { openScanMs: ms, scanMs, scanned };
}

/** Bulk load of `keys` keys in ascending key order into a fresh store (issue 17: sequential ids are a B-tree's best case). */
export function loadSequential(engine: EngineName, dir: string, sizes: Sizes): Promise<Figures> {
  return withSequentialKeys(async () => {
    const n = sizes.keys;
    const { store, loadMs } = await loaded(engine, dir, n);
    check(store.get(keyAt(n - 1)), `${engine} get after the load`);
    await store.close();
    return { keys: n, loadMs, bulkPutPerSec: (n / loadMs) * 1000 };
  });
}

/** Bulk load of 4x the keys, for the memory and reopen figures at that size (no gets). */
export async function load4x(engine: EngineName, dir: string, sizes: Sizes): Promise<Figures> {
  const n = sizes.keys * 4;
  const { store, loadMs, before, after } = await loaded(engine, dir, n);
  check(store.get(keyAt(n - 1)), `${engine} get after the load`);
  await store.close();
  return { keys: n, loadMs, heapPerKey: (after.heap - before.heap) / n, rssPerKey: (after.rss - before.rss) / n };
}

/** reopen() of the store load4x() left. */
export function reopen4x(engine: EngineName, dir: string, sizes: Sizes): Promise<Figures> {
  return reopen(engine, dir, { ...sizes, keys: sizes.keys * 4 });
}

/** Single durable puts (latency), then 100 in flight at a time (group commit). */
export async function durable(engine: EngineName, dir: string, sizes: Sizes): Promise<Figures> {
  const store = await ENGINE[engine].open(dir, 'durable');
  let i = 0;
  const syncsBefore = store.syncCount();
  const single = await sample(`${engine} durable put`, () => store.put(keyAt(i), valueAt(i++)), sizes.benchTimeMs, sizes.minSamples);
  const puts = i;
  const syncs = store.syncCount();
  const concurrent = await sample(
    `${engine} ${CONCURRENT} concurrent durable puts`,
    () => {
      const all: Array<Promise<void>> = [];
      for (let j = 0; j < CONCURRENT; j++, i++) all.push(store.put(keyAt(i), valueAt(i)));
      return Promise.all(all);
    },
    sizes.benchTimeMs,
    sizes.minSamples,
  );
  await store.close();
  // logkv's durable mode syncs on the main thread (engines.ts); its default,
  // the fdatasync on the store's sync thread, is measured too so the table shows what the option buys.
  const pool = engine === 'logkv' ? await logkvThreadPoolPuts(`${dir}-pool`, sizes) : undefined;
  return {
    ...pool,
    durablePutPerSec: 1000 / single.meanMs,
    durablePutP50Ms: single.p50Ms,
    durablePutP99Ms: single.p99Ms,
    durablePutSamples: single.samples,
    fdatasyncPerPut: syncs === undefined || syncsBefore === undefined ? null : (syncs - syncsBefore) / puts,
    concurrentPutPerSec: (CONCURRENT / concurrent.meanMs) * 1000,
  };
}

/** Single durable puts of a LogStore with its default options (fdatasync on the store's sync thread, libuv's pool without the addon). */
async function logkvThreadPoolPuts(dir: string, sizes: Sizes): Promise<Figures> {
  const store = await LogStore.open<Uint8Array>(dir, { durability: 'sync' });
  try {
    let i = 0;
    const single = await sample('logkv durable put, default fdatasync (sync thread)', () => store.put(keyAt(i), valueAt(i++)), sizes.benchTimeMs, sizes.minSamples);
    return { durablePutPoolPerSec: 1000 / single.meanMs, durablePutPoolP50Ms: single.p50Ms };
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `overwrites` puts over `overwriteKeys` keys, then the engine's compaction. */
export async function overwrite(engine: EngineName, dir: string, sizes: Sizes): Promise<Figures> {
  const k = sizes.overwriteKeys;
  let store = await ENGINE[engine].open(dir, 'load');
  const writeMs = await timeOnce(() => store.load(0, sizes.overwrites, 1, (i) => i % k));
  await store.close();
  const before = diskBytes(dir);
  store = await ENGINE[engine].open(dir, 'durable');
  const figures: Figures = {
    overwritePerSec: (sizes.overwrites / writeMs) * 1000,
    diskBytesBefore: before,
    liveBytes: k * LOG_RECORD_BYTES,
    diskBytesAfter: null,
    compactMs: null,
  };
  if (store.compact) {
    figures.compactMs = await timeOnce(store.compact);
    // Measured after close(): close trims the new active segment's preallocated
    // zero fill (64 MiB of it would be no data, only reserved space).
    await store.close();
    figures.diskBytesAfter = diskBytes(dir);
    if (engine === 'logkv') figures.segmentBytesAfter = segmentFiles(dir).reduce((n, f) => n + fs.statSync(f).size, 0);
  } else {
    await store.close();
    if (engine === 'lmdb') figures.diskBytesAfter = before;
  }
  // The newest value of each key must still be there.
  const reopened = await ENGINE[engine].open(dir, 'read');
  for (let key = 0; key < Math.min(k, 100); key++) check(reopened.get(keyAt(key)), `${engine} get after compaction`);
  await reopened.close();
  return figures;
}

function segmentFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort().map((f) => join(dir, f));
}

/** Open without hint files (a full scan of every segment), and the segment reader alone. */
export async function recovery(_engine: EngineName, dir: string, sizes: Sizes): Promise<Figures> {
  const segments = segmentFiles(dir);
  const bytes = segments.reduce((n, f) => n + fs.statSync(f).size, 0);
  const cold = dropPageCache(sizes);
  const referenceMBps = await plainReadMBps(segments);
  // The reader alone, over bytes already in memory.
  const buffers = segments.map((f) => fs.readFileSync(f));
  let records = 0;
  const scanMs = await timeOnce(() => {
    for (const b of buffers) records += scanSegment(b).recordCount;
  });
  buffers.length = 0;
  for (const f of fs.readdirSync(dir)) if (f.endsWith('.hint')) fs.unlinkSync(join(dir, f));
  const key = keyAt(randomPicks(sizes.keys, 1, 777)[0]!);
  let db: LogStore<Uint8Array> | undefined;
  if (cold) dropPageCache(sizes);
  const openMs = await timeOnce(async () => {
    db = await LogStore.open<Uint8Array>(dir);
    check(db.get(key), 'logkv get after recovery');
  });
  const loadedMs = openMs + (await timeOnce(() => db!.whenLoaded()));
  const report = db!.openReport;
  await db!.close();
  if (report.hintsUsed !== 0) throw new Error('recovery: a hint was used after all hints were removed');
  return {
    segmentBytes: bytes,
    scanRecords: records,
    scanMBps: bytes / 1e6 / (scanMs / 1000),
    recoveryMs: openMs,
    recoveryMBps: bytes / 1e6 / (openMs / 1000),
    recoveryLoadedMs: loadedMs,
    plainReadMBps: referenceMBps,
    coldCache: cold,
    hintsRebuilt: report.hintsRebuilt,
  };
}

/**
 * kvtool verify over the store, as the command runs it by default (--jobs:
 * the cores; in process: node's start-up is not counted). Every segment and hint must check out; problems
 * kvtool reports in other files are counted, not fatal, and shown.
 */
export async function verifyStore(_engine: EngineName, dir: string, sizes: Sizes): Promise<Figures> {
  let result: ReturnType<typeof verify> | undefined;
  const jobs = availableParallelism();
  const cold = dropPageCache(sizes);
  const ms = await timeOnce(async () => {
    result = await verifyParallel(dir, { jobs });
  });
  const files = result!.files;
  const bad = files.filter((f) => !f.ok);
  const badLog = bad.find((f) => f.kind === 'segment' || f.kind === 'hint');
  if (badLog || files.length === 0) throw new Error(`kvtool verify: ${badLog ? `${badLog.file} has problems` : 'no file checked'}`);
  const bytes = files.reduce((n, f) => n + f.size, 0);
  if (cold) dropPageCache(sizes);
  const referenceMBps = await plainReadMBps(files.filter((f) => f.kind !== 'store').map((f) => f.file));
  const segmentBytes = segmentFiles(dir).reduce((n, f) => n + fs.statSync(f).size, 0);
  const dumpMs = await timeOnce(() => dumpJson(dir));
  return {
    plainReadMBps: referenceMBps,
    coldCache: cold,
    dumpJsonMBps: segmentBytes / 1e6 / (dumpMs / 1000),
    verifyBytes: bytes,
    verifyMs: ms,
    verifyMBps: bytes / 1e6 / (ms / 1000),
    verifyJobs: jobs,
    verifyFiles: files.length,
    verifyOtherProblems: bad.map((f) => `${f.file.slice(dir.length + 1)}: ${f.problems[0]?.code ?? '?'}`).join(', '),
  };
}


/** `kvtool dump --json DIR` as a user runs it, its output to /dev/null. */
function dumpJson(dir: string): void {
  const r = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'cli', 'kvtool.js'), '--quiet', 'dump', '--json', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`kvtool dump --json exited ${r.status ?? r.signal}`);
}

interface SnapshotApi {
  snapshot?: () => Promise<unknown>;
}

/** snapshot() of the loaded store and restore() of it, where the engine has them. */
export async function snapshot(_engine: EngineName, dir: string): Promise<Figures> {
  const db = await LogStore.open<Uint8Array>(dir);
  try {
    const api = db as unknown as SnapshotApi;
    const lib = (await import('../src/index.js')) as Record<string, unknown>;
    const restore = lib.restore as ((snapshotPath: string, dir: string) => Promise<unknown>) | undefined;
    if (typeof api.snapshot !== 'function' || typeof restore !== 'function') return { snapshotAvailable: false };
    let made: unknown;
    const writeMs = await timeOnce(async () => {
      made = await api.snapshot!.call(db);
    });
    const path = typeof made === 'string' ? made : (made as { path?: string } | undefined)?.path;
    if (typeof path !== 'string') throw new Error('snapshot() returned no path');
    const bytes = fs.statSync(path).size;
    const target = `${dir}-restored`;
    const restoreMs = await timeOnce(() => restore(path, target));
    return {
      snapshotAvailable: true,
      snapshotBytes: bytes,
      snapshotWriteMBps: bytes / 1e6 / (writeMs / 1000),
      snapshotRestoreMBps: bytes / 1e6 / (restoreMs / 1000),
      plainWriteMBps: await plainWriteMBps(dir, bytes),
      sha256MBps: await sha256MBps(path),
    };
  } finally {
    await db.close();
  }
}

/** The disk's own fdatasync rate: 128 B written into preallocated space (what logkv does), and after an append. */
export async function fdatasync(_engine: EngineName, dir: string, sizes: Sizes): Promise<Figures> {
  const size = 64 * 1024 * 1024;
  const pre = join(dir, 'prealloc');
  const fd = fs.openSync(pre, 'w+');
  const zeros = Buffer.alloc(1024 * 1024);
  for (let at = 0; at < size; at += zeros.length) fs.writeSync(fd, zeros, 0, zeros.length, at);
  fs.fsyncSync(fd);
  const record = Buffer.alloc(128, 7);
  let pos = 0;
  const inPlace = await sample('fdatasync in preallocated space', () => {
    fs.writeSync(fd, record, 0, record.length, pos);
    pos = (pos + record.length) % size;
    fs.fdatasyncSync(fd);
  }, sizes.benchTimeMs, sizes.minSamples);
  fs.closeSync(fd);
  const afd = fs.openSync(join(dir, 'append'), 'w');
  const appended = await sample('fdatasync after an append', () => {
    fs.writeSync(afd, record);
    fs.fdatasyncSync(afd);
  }, sizes.benchTimeMs, sizes.minSamples);
  fs.closeSync(afd);
  return {
    fdatasyncPerSec: 1000 / inPlace.meanMs,
    fdatasyncP50Ms: inPlace.p50Ms,
    fdatasyncAppendPerSec: 1000 / appended.meanMs,
    fdatasyncAppendP50Ms: appended.p50Ms,
  };
}

/** JournalStore at its default size: durable sets and gets over a small key set. */
export async function journal(_engine: EngineName, dir: string, sizes: Sizes): Promise<Figures> {
  const store = await JournalStore.open(join(dir, 'settings'));
  const names = Array.from({ length: 100 }, (_, i) => keyAt(i).toString('hex').slice(0, KEY_BYTES));
  let i = 0;
  // Standalone 100-byte values: a view into a larger buffer costs the store a copy of all of it (structuredClone).
  const set = await sample('JournalStore set', () => store.set(names[i % names.length]!, Uint8Array.from(valueAt(i++))), sizes.benchTimeMs, sizes.minSamples);
  let found = 0;
  const get = await sample('JournalStore get x1000', () => {
    for (let j = 0; j < GETS_PER_SAMPLE; j++) if (store.get(names[j % names.length]!) !== undefined) found++;
  }, sizes.benchTimeMs, sizes.minSamples);
  await store.close();
  if (found === 0) throw new Error('JournalStore get found nothing');
  return { journalSetPerSec: 1000 / set.meanMs, journalSetP50Ms: set.p50Ms, journalGetPerSec: (GETS_PER_SAMPLE / get.meanMs) * 1000 };
}

export const PHASES = { load, loadSequential, reopen, reopenScan, load4x, reopen4x, durable, overwrite, recovery, verify: verifyStore, snapshot, fdatasync, journal, rolls, dirtySegment, replication, replicationCatchUp } as const;
export type PhaseName = keyof typeof PHASES;
