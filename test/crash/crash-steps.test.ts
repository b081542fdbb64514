// Crash at every I/O step, every step enumerated: a scenario runs once on
// the fault-injecting file system, an image of the disk is taken before
// each step in each of the ways a crash can leave it (support/crash-points.ts),
// and each image is opened and checked against the contract:
// - open succeeds (a crash is not corruption) in strict mode;
// - the state is the state after a prefix of the history that holds every
//   write acknowledged before that step (items 1, 2);
// - a second open after a clean close reports clean and shows the same.
// The first image of each LogStore crash point is also opened with a crash
// at every step of that recovery (a crash during recovery), which must
// hold the same.
//
// Scenarios: a LogStore writing through segment rolls (trim, fsync, hint
// written to a temp name, renamed, directory fsynced, next segment created,
// manifest frame); a close and reopen (trim, zero fill extended); the
// manifest's own journal switching generations after ~2,000 rolls; a
// JournalStore switching generations again and again.

import t, { type Test } from 'tap';
import { LogStore } from '../../src/log/log-store.js';
import { JournalStore } from '../../src/journal/journal-store.js';
import { type JournalValue, readSnapshot } from '../../src/formats/index.js';
import { type Clock, differs, LogModel, matchPrefix, onlyWrittenValues } from '../support/log-model.js';
import { runOps, type WriteOp } from '../support/log-driver.js';
import { MemoryFileIO, type Step } from '../support/memory-file-io.js';
import { capture, type CrashPoint, describeStep, VARIANTS } from '../support/crash-points.js';

const DIR = '/db';
const SEGMENT_SIZE = 4096;

interface Marks {
  durable: number;
  history: number;
}

interface Counts {
  steps: number;
  images: number;
  recoverySteps: number;
}

const openLog = (io: MemoryFileIO, clock: Clock) =>
  LogStore.open<string>(DIR, { io, valueEncoding: 'utf8', segmentSize: SEGMENT_SIZE, durability: 'sync', now: () => clock.now });

/** Opens one image and checks it; returns a description of what is wrong, or undefined. */
async function checkLogImage(io: MemoryFileIO, model: LogModel, marks: Marks, counts: Counts, nested: boolean, reopen = true): Promise<string | undefined> {
  model.durable = marks.durable;
  const recovery = nested ? capture(io, () => marks, () => true, [VARIANTS[0]!, VARIANTS[4]!]) : undefined;
  let store: LogStore<string>;
  try {
    store = await openLog(io, model.clock);
  } catch (e) {
    return `open failed after a crash: ${String(e)}`;
  } finally {
    recovery?.stop();
  }
  const found = matchPrefix(store, model, marks.history);
  if ('error' in found) return `${found.error}\nopen report: ${JSON.stringify(store.openReport)}`;
  const bad = onlyWrittenValues(store, model);
  if (bad) return bad;
  // A snapshot the manifest lists is whole (written to a temp name, fsynced, renamed, listed).
  for (const snap of store.snapshots()) {
    try {
      readSnapshot(io.readFile(snap.path), snap.path);
    } catch (e) {
      return `the listed snapshot ${snap.path} does not read: ${String(e)}`;
    }
  }
  await store.close();
  if (!reopen) return undefined;
  const again = await openLog(io, model.clock);
  const state = model.stateAt(found.p);
  try {
    if (!again.openReport.clean) return `the open after a recovery and a clean close was not clean: ${JSON.stringify(again.openReport)}`;
    const d = differs(again, model, state);
    if (d) return `the state changed across a clean reopen after recovery: ${d}`;
  } finally {
    await again.close();
  }
  // A crash during that recovery: every recovery step, enumerated too.
  for (const point of recovery?.points ?? []) {
    counts.recoverySteps++;
    for (const image of point.images) {
      counts.images++;
      const problem = await checkLogImage(image.io, model, marks, counts, false);
      if (problem) return `crash during recovery, ${describeStep(point.step)}, ${image.variant.name}: ${problem}`;
    }
  }
  return undefined;
}

async function checkLogPoints(t: Test, name: string, model: LogModel, points: Array<CrashPoint<Marks>>, deep = true): Promise<Counts> {
  const counts: Counts = { steps: 0, images: 0, recoverySteps: 0 };
  const failures: string[] = [];
  for (const point of points) {
    counts.steps++;
    for (const image of point.images) {
      counts.images++;
      // Recovery is crashed step by step from the plainest image of each point (the one that drops every unsynced write).
      const problem = await checkLogImage(image.io, model, point.marks, counts, deep && image.variant === VARIANTS[0], deep);
      if (problem) failures.push(`${name}: crash before ${describeStep(point.step)} (${point.marks.durable} of ${point.marks.history} batches acknowledged), ${image.variant.name}: ${problem}`);
    }
  }
  t.same(failures.slice(0, 3), [], `${name}: every image recovers to an acknowledged prefix`);
  t.comment(`${name}: ${counts.steps} I/O steps x ${VARIANTS.length} crash variants, ${counts.recoverySteps} recovery steps crashed too: ${counts.images} images checked`);
  return counts;
}

const put = (key: string, value: string, ttl?: number): WriteOp => ({ kind: 'put', key, value, ...(ttl === undefined ? {} : { ttl }) });

/** Writes through several segment rolls: every write path of the log. */
async function rollWorkload(io: MemoryFileIO, model: LogModel): Promise<void> {
  const store = await openLog(io, model.clock);
  for (let i = 0; i < 16; i++) {
    const op: WriteOp = i % 7 === 3 ? { kind: 'del', key: `k${i % 4}` } : put(`k${i % 4}`, `${i}:${'v'.repeat(200 + ((i * 397) % 900))}`, i % 5 === 0 ? 60_000 : undefined);
    await runOps(store, model, 'sync', [op]);
  }
  await runOps(store, model, 'sync', [
    put('g1', 'x'.repeat(700)),
    { kind: 'batch', ops: [{ type: 'put', key: 'g2', value: 'y'.repeat(900) }, { type: 'del', key: 'k1' }] },
    { kind: 'incr', key: 'n', by: 5 },
    { kind: 'lock', key: 'lock', owner: 'w1', ttl: 5000 },
  ]);
  await store.close();
}

t.test('LogStore: crash before every I/O step of writes, segment rolls, hint writes and manifest frames', async (t) => {
  const clock: Clock = { now: 1_000_000 };
  const model = new LogModel(clock);
  const io = new MemoryFileIO();
  const cap = capture(io, () => ({ durable: model.durable, history: model.history.length }));
  await rollWorkload(io, model);
  cap.stop();
  const kinds = new Set(cap.points.map((p) => `${p.step.kind}:${p.step.path.replace(/\d{20}/, 'N')}`));
  for (const k of ['rename:/db/N.hint.tmp', 'rename:/db/N.log.tmp', 'syncDir:/db', 'truncate:/db/N.log', 'write:/db/MANIFEST.jrna']) t.ok(kinds.has(k), `the run includes ${k}`);
  await checkLogPoints(t, 'segment roll / hint / manifest frame', model, cap.points);
});

t.test('LogStore: crash before every I/O step of a close and a reopen (trim, zero fill extended)', async (t) => {
  const clock: Clock = { now: 1_000_000 };
  const model = new LogModel(clock);
  const io = new MemoryFileIO();
  const store = await openLog(io, clock);
  for (let i = 0; i < 5; i++) await runOps(store, model, 'sync', [put(`k${i}`, 'z'.repeat(100 * i))]);
  const cap = capture(io, () => ({ durable: model.durable, history: model.history.length }));
  await store.close();
  const again = await openLog(io, clock);
  await runOps(again, model, 'sync', [put('after', 'reopen')]);
  await again.close();
  cap.stop();
  await checkLogPoints(t, 'close / reopen', model, cap.points);
});

t.test("LogStore: crash before every I/O step of the manifest journal's generation switch", async (t) => {
  // The manifest (256 KiB per journal file) switches generation after about
  // 2,000 frames: run that many rolls once to find the switch, then again
  // taking images at every step from the frame before it to the frame after.
  const run = async (io: MemoryFileIO, model: LogModel, rolls: number) => {
    const store = await openLog(io, model.clock);
    for (let i = 0; i < rolls; i++) await runOps(store, model, 'sync', [put(`k${i % 3}`, `${i}:${'m'.repeat(3000)}`)]);
    await store.close();
  };
  const isSwitch = (s: Step) => s.kind === 'write' && /MANIFEST\.jrn[ab]$/.test(s.path) && (s.length ?? 0) > 100_000;
  const probe = new MemoryFileIO();
  let found: Step | undefined;
  let rolls = 0;
  probe.beforeStep = (s) => {
    if (!found && rolls > 0 && isSwitch(s)) found = s;
  };
  const probeModel = new LogModel({ now: 1_000_000 });
  const store = await openLog(probe, probeModel.clock);
  while (!found && rolls < 5000) {
    await runOps(store, probeModel, 'sync', [put(`k${rolls % 3}`, `${rolls}:${'m'.repeat(3000)}`)]);
    rolls++;
  }
  await store.close();
  t.ok(found, `the manifest switched generation after ${rolls} rolls`);
  const switchSteps = probe.trace.filter((s) => s.n >= found!.n - 12 && s.n <= found!.n + 12 && /MANIFEST/.test(s.path));
  const from = switchSteps[0]!.n;
  const to = switchSteps.at(-1)!.n;
  const model = new LogModel({ now: 1_000_000 });
  const io = new MemoryFileIO();
  const cap = capture(io, () => ({ durable: model.durable, history: model.history.length }), (s) => s.n >= from && s.n <= to);
  await run(io, model, rolls);
  cap.stop();
  t.ok(cap.points.some((p) => isSwitch(p.step)), 'the images cover the switch');
  t.ok(cap.points.some((p) => p.step.kind === 'sync' && /MANIFEST\.jrnb$/.test(p.step.path)), 'and the fsyncs of the new generation');
  // Each open reads ~1,600 hints: no crash during recovery here, and no second open (the roll scenario has both).
  await checkLogPoints(t, 'manifest journal switch', model, cap.points, false);
});

t.test('LogStore: crash before every I/O step of a compaction (outputs, hints, manifest switch, deletes), with writes racing it', async (t) => {
  const clock: Clock = { now: 1_000_000 };
  const model = new LogModel(clock);
  const io = new MemoryFileIO();
  const store = await LogStore.open<string>(DIR, { io, valueEncoding: 'utf8', segmentSize: SEGMENT_SIZE, autoCompact: false, tombstoneRetentionMs: 0, now: () => clock.now });
  // Overwrites and deletes over several segments: the cleaner drops old values and, past retention, tombstones.
  for (let i = 0; i < 24; i++) {
    const op: WriteOp =
      i % 5 === 4 ? { kind: 'del', key: `k${i % 3}` } : i % 4 === 1 ? put(`u${i}`, `kept ${i}`) : put(`k${i % 3}`, `${i}:${'c'.repeat(300 + ((i * 211) % 700))}`);
    await runOps(store, model, 'sync', [op]);
  }
  clock.now += 10;
  const cap = capture(io, () => ({ durable: model.durable, history: model.history.length }));
  const [result] = await Promise.all([store.compact(), runOps(store, model, 'sync', [put('racing', 'r1'), { kind: 'del', key: 'k1' }, put('k2', 'after')])]);
  cap.stop();
  await store.close();
  t.ok(result.recordsDropped > 0 && result.segmentsBefore >= 2, `the run rewrote ${result.segmentsBefore} segments into ${result.segmentsAfter}, dropping ${result.recordsDropped} records`);
  t.ok(cap.points.some((p) => p.step.kind === 'unlink'), 'the images cover the deletes of the old segments');
  t.ok(cap.points.some((p) => /-\d+\.log/.test(p.step.path)), 'and the writes of the outputs');
  await checkLogPoints(t, 'compaction', model, cap.points);
});

t.test('LogStore: crash before every I/O step of a snapshot (temp file, fsync, rename, directory fsync, manifest), with writes racing it', async (t) => {
  const clock: Clock = { now: 1_000_000 };
  const model = new LogModel(clock);
  const io = new MemoryFileIO();
  const store = await LogStore.open<string>(DIR, { io, valueEncoding: 'utf8', segmentSize: SEGMENT_SIZE, autoCompact: false, keepSnapshots: 1, now: () => clock.now });
  for (let i = 0; i < 12; i++) await runOps(store, model, 'sync', [i % 4 === 3 ? { kind: 'del', key: `k${i % 3}` } : put(`k${i % 3}`, `${i}:${'s'.repeat(200 + i * 50)}`, i % 5 === 0 ? 60_000 : undefined)]);
  await store.snapshot(); // a second one replaces it: the old file's removal is enumerated too
  const cap = capture(io, () => ({ durable: model.durable, history: model.history.length }));
  const [info] = await Promise.all([store.snapshot(), runOps(store, model, 'sync', [put('racing', 'r1'), { kind: 'del', key: 'k1' }])]);
  cap.stop();
  await store.close();
  t.ok(info.entries > 0, `the snapshot holds ${info.entries} entries`);
  t.ok(cap.points.some((p) => p.step.kind === 'rename' && /\.snap$/.test(p.step.to ?? '')), 'the images cover the rename into place');
  await checkLogPoints(t, 'snapshot', model, cap.points);
});

// ---- JournalStore ---------------------------------------------------------

const canon = (entries: Array<[string, JournalValue]>) => JSON.stringify(entries.map(([k, v]) => [k, String(v)]).sort());

t.test('JournalStore: crash before every I/O step of appends and generation switches', async (t) => {
  const io = new MemoryFileIO();
  io.mkdir('/db');
  // states[i]: the state after i writes; states[0], the empty store, needs no acknowledgement.
  const states: string[] = [canon([])];
  let durable = 1;
  let live = new Map<string, JournalValue>();
  const cap = capture(io, () => ({ durable, history: states.length }));
  const s = await JournalStore.open('/db/j', { io, bufferSize: 4096 });
  for (let i = 0; i < 60; i++) {
    const key = `k${i % 5}`;
    const value = i % 11 === 10 ? null : `${i}:${'j'.repeat((i * 131) % 500)}`;
    const next = new Map(live);
    if (value === null) next.delete(key);
    else next.set(key, value);
    if (i % 13 === 12) next.set('many', i);
    states.push(canon([...next]));
    if (i % 13 === 12) await s.setMany([[key, value], ['many', i]]);
    else await s.set(key, value);
    live = next;
    durable = states.length;
  }
  await s.close();
  cap.stop();
  const switches = cap.points.filter((p) => p.step.kind === 'write' && p.step.position === 36 && (p.step.length ?? 0) > 4000).length;
  t.ok(switches >= 3, `${switches} generation switches in the run`);
  const failures: string[] = [];
  let images = 0;
  for (const point of cap.points) {
    for (const image of point.images) {
      images++;
      let r: JournalStore;
      try {
        r = await JournalStore.open('/db/j', { io: image.io, bufferSize: 4096 });
      } catch (e) {
        failures.push(`crash before ${describeStep(point.step)}, ${image.variant.name}: open failed: ${String(e)}`);
        continue;
      }
      const state = canon(r.entries());
      const allowed = states.slice(Math.max(0, point.marks.durable - 1), point.marks.history);
      if (!allowed.includes(state)) {
        failures.push(`crash before ${describeStep(point.step)}, ${image.variant.name}: ${state} is not one of the states from the last acknowledged on: ${allowed.join(' | ')}`);
      }
      await r.close();
    }
  }
  t.same(failures.slice(0, 3), [], 'every image recovers to the acknowledged state or a later one');
  t.comment(`journal switch: ${cap.points.length} I/O steps x ${VARIANTS.length} crash variants: ${images} images checked`);
});
