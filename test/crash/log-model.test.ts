// Model-based test of LogStore over the fault-injecting file system:
// random sequences of put, delete, batch, incr, TTL writes, setIfAbsent,
// compareAndSet, lock/extendLock/unlock, concurrent bursts (group commit)
// with a crash striking mid-burst, clock moves, flush, close and reopen,
// power-loss crashes (unsynced writes dropped, kept in part, pages torn),
// fsync failing with EIO, writes failing with ENOSPC, and corruption of any
// file. Oracle: the recovery contract, items 1 to 4 (log-model.ts).

import fc from 'fast-check';
import t from 'tap';
import { LogkvError } from '../../src/errors.js';
import { type Durability, LogStore } from '../../src/log/log-store.js';
import { restore } from '../../src/log/restore.js';
import { type Clock, differs, isDamageError, LogModel, matchPrefix, onlyWrittenValues, recoveredState } from '../support/log-model.js';
import { isIoFailure, Mismatch, perform, runOps, type WriteOp } from '../support/log-driver.js';
import { MemoryFileIO, seededRandom, type TearMode } from '../support/memory-file-io.js';
import { checkProperty, commandsArb } from '../support/property.js';
import { applyDamage, cleanCut, damageArb, type FileDamage } from '../support/damage.js';

const DIR = '/db';

const SEGMENT_SIZE = 4096;

interface Real {
  io: MemoryFileIO;
  store: LogStore<string>;
  durability: Durability;
  /** A write or fsync failed: every write is refused until reopened. */
  failed: boolean;
  /** Loss was reported (corruption): the sequence stops here. */
  dead: boolean;
  /** Errors of the cleaner running by itself. */
  backgroundErrors?: unknown[];
  /** A file was damaged earlier (the cleaner may meet it and refuse). */
  damaged?: boolean;
  /** Every file damaged so far: damage can go unseen (a hint stands in for its segment) until a later open meets it. */
  damagedFiles?: Set<string>;
  /** Snapshots restored so far (each into a directory of its own). */
  restores?: number;
  log: string[];
}

interface M {
  model: LogModel;
}

async function open(r: Real, model: LogModel, io: MemoryFileIO, recovery: 'strict' | 'salvage' = 'strict'): Promise<void> {
  r.io = io;
  // Tombstones older than a second may be dropped by the cleaner (which also runs by itself after rolls).
  r.store = await LogStore.open<string>(DIR, {
    io,
    valueEncoding: 'utf8',
    segmentSize: SEGMENT_SIZE,
    durability: r.durability,
    recovery,
    now: () => model.clock.now,
    tombstoneRetentionMs: 1000,
    cleanerDirtyRatio: 0.3,
    onBackgroundError: (e: unknown) => (r.backgroundErrors ??= []).push(e),
  });
  r.failed = false;
  if (process.env.LOGKV_TRACE) console.error(`  open: ${JSON.stringify({ ...r.store.openReport, durationMs: undefined })} files ${io.readdir(DIR).join(' ')}`);
}

function fail(r: Real, what: string): never {
  throw new Mismatch(`${what}\nsteps:\n${r.log.join('\n')}`);
}

function expectState(r: Real, m: M, what: string): void {
  const d = differs(r.store, m.model, m.model.current());
  if (d) fail(r, `${what}: ${d}`);
}

/** After a crash: items 1 and 2; the history goes on from the prefix kept. */
function expectPrefix(r: Real, m: M, what: string): void {
  const found = matchPrefix(r.store, m.model);
  if ('error' in found) fail(r, `${what}: ${found.error}\nopen report: ${JSON.stringify(r.store.openReport)}`);
  m.model.truncate(found.p);
  m.model.durable = found.p;
}

const KEYS = ['a', 'b', 'c', 'n', 'lock', 'ключ', 'k'.repeat(40)];
const key = fc.constantFrom(...KEYS);
const value = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 1800 }).map((n) => 'v'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: 5 }).map(String) },
);
const ttl = fc.option(fc.integer({ min: 1, max: 3000 }), { nil: undefined });
const owner = fc.constantFrom('w1', 'w2');

const writeOp: fc.Arbitrary<WriteOp> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), key, value, ttl }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('del' as const), key }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      ops: fc.array(
        fc.oneof(fc.record({ type: fc.constant('put' as const), key, value, ttl }), fc.record({ type: fc.constant('del' as const), key })),
        { minLength: 1, maxLength: 6 },
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('incr' as const), key: fc.constantFrom('n', 'a'), by: fc.integer({ min: -3, max: 3 }), ttl }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('setIfAbsent' as const), key, value }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cas' as const), key, expected: fc.option(value, { nil: undefined }), next: fc.option(value, { nil: undefined }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('lock' as const), key: fc.constant('lock'), owner, ttl: fc.integer({ min: 1, max: 2000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unlock' as const), key: fc.constant('lock'), owner }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('extendLock' as const), key: fc.constant('lock'), owner, ttl: fc.integer({ min: 1, max: 2000 }) }) },
);

abstract class Cmd implements fc.AsyncCommand<M, Real> {
  check(): boolean {
    return true;
  }
  abstract run(m: M, r: Real): Promise<void>;
  abstract toString(): string;
}

/** Skipped once the sequence is dead (loss reported). */
abstract class LiveCmd extends Cmd {
  async run(m: M, r: Real): Promise<void> {
    if (r.dead) return;
    r.log.push(this.toString());
    if (process.env.LOGKV_TRACE) console.error(this.toString());
    // A promise that never settles is a finding too: turn a hang into a failure with its steps.
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Mismatch(`hung for 10 s in ${this.toString()}\nsteps:\n${r.log.join('\n')}`)), 10_000);
    });
    try {
      await Promise.race([this.go(m, r), hung]);
    } finally {
      clearTimeout(timer);
    }
  }
  abstract go(m: M, r: Real): Promise<void>;
}

/** Writes issued together: one when sequential, several to exercise group commit. */
class WriteCmd extends LiveCmd {
  constructor(readonly ops: WriteOp[]) {
    super();
  }
  async go(m: M, r: Real) {
    if (r.failed) {
      for (const op of this.ops) {
        const e = await perform(r.store, op).then(() => undefined, (err: unknown) => err);
        if (!isIoFailure(e)) fail(r, `after a failed write or fsync, ${JSON.stringify(op)} was not refused with IO: ${String(e ?? 'it succeeded')}`);
      }
      return;
    }
    const outcomes = await runOps(r.store, m.model, r.durability, this.ops);
    for (const o of outcomes) if (o.error) fail(r, `${JSON.stringify(o.op)} failed: ${String(o.error)}`);
    expectState(r, m, 'after writing');
  }
  toString = () => (this.ops.length === 1 ? `write ${JSON.stringify(this.ops[0])}` : `burst of ${this.ops.length}: ${JSON.stringify(this.ops)}`);
}

const TEARS: TearMode[] = ['prefix', 'zero', 'garbage'];

function crashImage(io: MemoryFileIO, seed: number): MemoryFileIO {
  return io.crash({ random: seededRandom(seed), tearModes: TEARS, names: seed % 3 === 0 ? 'current' : 'durable' });
}

/** A concurrent burst during which the power fails at the `at`-th I/O step. */
class CrashMidBurstCmd extends LiveCmd {
  constructor(readonly ops: WriteOp[], readonly at: number, readonly seed: number) {
    super();
  }
  async go(m: M, r: Real) {
    if (r.failed) return;
    let image: MemoryFileIO | undefined;
    let durableAtCrash = 0;
    let historyAtCrash = 0;
    let steps = 0;
    r.io.beforeStep = () => {
      if (steps++ !== this.at) return;
      image = crashImage(r.io, this.seed);
      durableAtCrash = m.model.durable;
      historyAtCrash = m.model.history.length;
    };
    let outcomes;
    try {
      outcomes = await runOps(r.store, m.model, r.durability, this.ops);
    } finally {
      r.io.beforeStep = undefined;
    }
    for (const o of outcomes) if (o.error) fail(r, `${JSON.stringify(o.op)} failed: ${String(o.error)}`);
    if (!image) return expectState(r, m, 'after a burst (it took fewer steps than the crash point)');
    r.log.push(`  crash at step ${this.at}: ${durableAtCrash} of ${historyAtCrash} batches acknowledged`);
    // The store is abandoned, as by a machine that lost power.
    m.model.durable = durableAtCrash;
    await open(r, m.model, image);
    const found = matchPrefix(r.store, m.model, historyAtCrash);
    if ('error' in found) fail(r, `crash mid-burst: ${found.error}`);
    m.model.truncate(found.p);
    m.model.durable = found.p;
  }
  toString = () => `crash at step ${this.at} of a burst (seed ${this.seed}): ${JSON.stringify(this.ops)}`;
}

class ClockCmd extends LiveCmd {
  constructor(readonly ms: number) {
    super();
  }
  async go(m: M) {
    m.model.clock.now += this.ms;
  }
  toString = () => `clock +${this.ms} ms`;
}

class FlushCmd extends LiveCmd {
  async go(m: M, r: Real) {
    try {
      await r.store.flush();
    } catch (e) {
      if (r.failed && isIoFailure(e)) return;
      fail(r, `flush failed: ${String(e)}`);
    }
    if (r.failed) fail(r, 'flush resolved after a failed write or fsync: it acknowledged writes that may not be durable');
    m.model.durable = m.model.history.length;
  }
  toString = () => 'flush()';
}

/** The cleaner: no live key lost, no deleted key back, offsets kept; every write stays as durable as it was. */
class CompactCmd extends LiveCmd {
  constructor(readonly racing: WriteOp[]) {
    super();
  }
  async go(m: M, r: Real) {
    if (r.failed) return;
    const [result, outcomes] = await Promise.all([r.store.compact().then((x) => x, (e: unknown) => e), runOps(r.store, m.model, r.durability, this.racing)]);
    if (result instanceof Error) {
      // Damage behind a valid hint is met by the cleaner, which must refuse naming it and change nothing.
      if (!(r.damaged && isDamageError(result))) fail(r, `compact failed: ${String(result)}`);
      expectState(r, m, 'after a compaction that met damage');
      r.dead = true;
      return;
    }
    for (const o of outcomes) if (o.error) fail(r, `${JSON.stringify(o.op)} racing compact failed: ${String(o.error)}`);
    expectState(r, m, 'after compact');
  }
  toString = () => `compact() with ${this.racing.length} writes racing it: ${JSON.stringify(this.racing)}`;
}

/**
 * A snapshot while writes race it: restored into a new store, it holds the
 * state after a prefix of the history from the call on (no live key lost,
 * no deleted key back, no write half in).
 */
class SnapshotCmd extends LiveCmd {
  constructor(readonly racing: WriteOp[]) {
    super();
  }
  async go(m: M, r: Real) {
    if (r.failed) return;
    const atCall = m.model.history.length;
    const [info, outcomes] = await Promise.all([r.store.snapshot().then((x) => x, (e: unknown) => (e instanceof Error ? e : new Error(String(e)))), runOps(r.store, m.model, r.durability, this.racing)]);
    if (info instanceof Error) {
      if (!(r.damaged && isDamageError(info))) fail(r, `snapshot failed: ${String(info)}`);
      r.dead = true;
      return;
    }
    for (const o of outcomes) if (o.error) fail(r, `${JSON.stringify(o.op)} racing snapshot failed: ${String(o.error)}`);
    // The snapshot made everything before it durable.
    m.model.durable = Math.max(m.model.durable, m.model.history.length - this.racing.length);
    const target = `/restored-${r.restores = (r.restores ?? 0) + 1}`;
    await restore(info.path, target, { io: r.io, segmentSize: SEGMENT_SIZE, now: () => m.model.clock.now });
    const restored = await LogStore.open<string>(target, { io: r.io, valueEncoding: 'utf8', segmentSize: SEGMENT_SIZE, now: () => m.model.clock.now });
    try {
      // A point in time between the call and its end: the state after a prefix holding every write before the call.
      const saved = m.model.durable;
      m.model.durable = atCall;
      const found = matchPrefix(restored, m.model);
      m.model.durable = saved;
      if ('error' in found) fail(r, `the snapshot restored is no state between snapshot() and its end: ${found.error}`);
    } finally {
      await restored.close();
    }
    expectState(r, m, 'after snapshot');
  }
  toString = () => `snapshot() with ${this.racing.length} writes racing it: ${JSON.stringify(this.racing)}`;
}

class ReopenCmd extends LiveCmd {
  async go(m: M, r: Real) {
    const wasFailed = r.failed;
    await r.store.close().catch((e: unknown) => {
      if (!wasFailed) fail(r, `close failed: ${String(e)}`);
    });
    // A clean close makes everything durable (a close after a failure need not).
    if (!wasFailed) m.model.durable = m.model.history.length;
    await open(r, m.model, r.io);
    if (wasFailed) return expectPrefix(r, m, 'reopen after a failure');
    const rep = r.store.openReport;
    if (!rep.clean || rep.damage.length > 0) fail(r, `a clean reopen reported ${JSON.stringify(rep)}`);
    expectState(r, m, 'after a clean reopen');
  }
  toString = () => 'close(); reopen()';
}

class CrashCmd extends LiveCmd {
  constructor(readonly seed: number) {
    super();
  }
  async go(m: M, r: Real) {
    await open(r, m.model, crashImage(r.io, this.seed));
    expectPrefix(r, m, 'after a crash');
  }
  toString = () => `power loss (seed ${this.seed})`;
}

/** fsync fails with EIO under the next write (or flush): not acknowledged, later writes refused, and a crash keeps every acknowledged write. */
class FsyncFailsCmd extends LiveCmd {
  constructor(readonly op: WriteOp, readonly seed: number) {
    super();
  }
  async go(m: M, r: Real) {
    if (r.failed) return;
    r.io.failSyncs = 1;
    const [o] = await runOps(r.store, m.model, r.durability, [this.op]);
    if (r.durability === 'sync' && o!.index !== undefined && !isIoFailure(o!.error)) {
      fail(r, `a write whose fsync failed was not refused with IO: ${String(o!.error ?? 'it was acknowledged')}`);
    }
    if (o!.error && !isIoFailure(o!.error)) fail(r, `unexpected error ${String(o!.error)}`);
    if (r.io.failSyncs === 0) {
      r.failed = true;
      // In 'none' mode the failure is met by flush(), twice: the second must not succeed either.
      for (let i = 0; i < 2 && r.durability !== 'sync'; i++) {
        const e = await r.store.flush().then(() => undefined, (err: unknown) => err);
        if (!isIoFailure(e)) fail(r, `flush() #${i + 1} after a failed fsync ${e ? `threw ${String(e)}` : 'resolved'}: it must refuse with IO`);
      }
    }
    r.io.failSyncs = 0;
    await open(r, m.model, crashImage(r.io, this.seed));
    expectPrefix(r, m, 'crash after a failed fsync');
  }
  toString = () => `fsync fails (EIO) under ${JSON.stringify(this.op)}, then power loss (seed ${this.seed})`;
}

/** The disk fills during a write: it fails with NO_SPACE (nothing acknowledged), later writes are refused, a reopen keeps every acknowledged write. */
class NoSpaceCmd extends LiveCmd {
  constructor(readonly op: WriteOp, readonly room: number | undefined) {
    super();
  }
  async go(m: M, r: Real) {
    if (r.failed) return;
    if (this.room === undefined) r.io.failWrites = 1;
    else r.io.capacity = r.io.usedBytes() + this.room;
    const [o] = await runOps(r.store, m.model, r.durability, [this.op]);
    r.io.failWrites = 0;
    r.io.capacity = Infinity;
    if (!o!.error) return expectState(r, m, 'after a write that fit');
    if (!(o!.error instanceof LogkvError && o!.error.code === 'NO_SPACE')) fail(r, `a write that met ENOSPC failed with ${String(o!.error)}, not NO_SPACE`);
    r.failed = true;
    const again = await r.store.put('a', 'after').then(() => undefined, (e: unknown) => e);
    if (!isIoFailure(again)) fail(r, `after ENOSPC a write was not refused: ${String(again ?? 'it succeeded')}`);
    await r.store.close().catch(() => undefined);
    await open(r, m.model, r.io);
    expectPrefix(r, m, 'reopen after ENOSPC');
  }
  toString = () => `ENOSPC ${this.room === undefined ? 'on the next write' : `after ${this.room} more bytes`} under ${JSON.stringify(this.op)}`;
}

/** Damage to one file of the closed store, then open: reported (file, offset) or the state equals the model (items 3, 4). */
class CorruptCmd extends LiveCmd {
  constructor(readonly fileIndex: number, readonly damage: FileDamage) {
    super();
  }
  async go(m: M, r: Real) {
    const wasFailed = r.failed;
    await r.store.close().catch(() => undefined);
    if (!wasFailed) m.model.durable = m.model.history.length;
    // The store's own files: restore steps write stores of their own (/restored-N) into the same file system.
    const files = [...r.io.files().keys()].filter((p) => p.startsWith(`${DIR}/`) && /\.(log|hint|index|jrna|jrnb)$/.test(p) && !p.includes('/lost/'));
    const file = files[this.fileIndex % files.length]!;
    const before = r.io.readFile(file);
    const damaged = applyDamage(before, this.damage);
    r.io.setFile(file, damaged);
    r.damaged = true;
    (r.damagedFiles ??= new Set()).add(file);
    r.log.push(`  damaged ${file} (${before.length} bytes)`);
    let recovery: 'strict' | 'salvage' = 'strict';
    try {
      await open(r, m.model, r.io);
    } catch (e) {
      if (!isDamageError(e)) {
        fail(r, `open after damage to ${file} failed without naming file and offset: ${String(e)}`);
      }
      recovery = 'salvage';
      try {
        await open(r, m.model, r.io, 'salvage');
      } catch (e2) {
        if (!(e2 instanceof LogkvError) || e2.file === undefined) fail(r, `salvage open after damage to ${file} failed without naming the file: ${String(e2)}`);
        r.dead = true;
        return;
      }
    }
    const rep = r.store.openReport;
    const bad = onlyWrittenValues(r.store, m.model);
    if (bad) fail(r, `after damage to ${file}: ${bad}`);
    // Damage in a segment open deferred (deferred-load.ts) is reported by the load after open, naming file and offset.
    await r.store.whenLoaded().catch(() => undefined);
    const foundAfterOpen = (r.backgroundErrors ?? []).some((e) => isDamageError(e) && r.damagedFiles!.has(e.file!));
    const lossReported = rep.damage.length > 0 || recovery === 'salvage' || foundAfterOpen;
    for (const d of rep.damage) if (!d.file || d.offset === undefined) fail(r, `damage reported without file and offset: ${JSON.stringify(d)}`);
    const segments = files.filter((f) => f.endsWith('.log')).sort();
    if (!lossReported && file === segments.at(-1) && cleanCut(file, before, damaged)) {
      // A cut at a batch boundary of the newest segment reads as a crash before those batches: a prefix.
      return expectPrefix(r, { model: Object.assign(m.model, { durable: 0 }) }, `a clean cut of ${file}`);
    }
    if (!lossReported) {
      const d = differs(r.store, m.model, m.model.current());
      // A record damaged behind a valid hint is caught by get's own CRC check instead: a CORRUPT read, never a wrong value.
      if (d && !/"corrupt"/.test(d.split('\n')[0]!)) fail(r, `damage to ${file} was not reported and the state differs: ${d}\nreport ${JSON.stringify(rep)}`);
      if (d) r.dead = true;
      return;
    }
    m.model.rebase(recoveredState(r.store, m.model));
    r.dead = true;
  }
  toString = () => `damage file #${this.fileIndex}: ${JSON.stringify(this.damage)}`;
}

const commands = [
  writeOp.map((op) => new WriteCmd([op])),
  writeOp.map((op) => new WriteCmd([op])),
  writeOp.map((op) => new WriteCmd([op])),
  fc.array(writeOp, { minLength: 2, maxLength: 8 }).map((ops) => new WriteCmd(ops)),
  fc.tuple(fc.array(writeOp, { minLength: 2, maxLength: 8 }), fc.nat(40), fc.integer({ min: 1, max: 2 ** 31 - 1 })).map(([ops, at, seed]) => new CrashMidBurstCmd(ops, at, seed)),
  fc.integer({ min: 1, max: 2500 }).map((ms) => new ClockCmd(ms)),
  fc.constant(new FlushCmd()),
  fc.array(writeOp, { maxLength: 4 }).map((ops) => new CompactCmd(ops)),
  fc.array(writeOp, { maxLength: 4 }).map((ops) => new CompactCmd(ops)),
  fc.array(writeOp, { maxLength: 3 }).map((ops) => new SnapshotCmd(ops)),
  fc.constant(new ReopenCmd()),
  fc.integer({ min: 1, max: 2 ** 31 - 1 }).map((seed) => new CrashCmd(seed)),
  fc.tuple(writeOp, fc.integer({ min: 1, max: 2 ** 31 - 1 })).map(([op, seed]) => new FsyncFailsCmd(op, seed)),
  fc.tuple(writeOp, fc.option(fc.nat(3000), { nil: undefined })).map(([op, room]) => new NoSpaceCmd(op, room)),
  fc.tuple(fc.nat(), damageArb).map(([i, d]) => new CorruptCmd(i, d)),
];

for (const durability of ['sync', 'none'] as const) {
  t.test(`LogStore model, durability ${durability}`, async (t) => {
    const property = fc.asyncProperty(commandsArb(commands, 30), async (cmds) => {
      const clock: Clock = { now: 1_000_000 };
      const model = new LogModel(clock);
      const real = { durability, failed: false, dead: false, log: [] } as unknown as Real;
      await open(real, model, new MemoryFileIO());
      await fc.asyncModelRun(() => ({ model: { model }, real }), cmds);
      if (!real.dead) await real.store.close().catch(() => undefined);
      const background = (real.backgroundErrors ?? []).filter((e) => !isIoFailure(e) && !(real.damaged && isDamageError(e)));
      if (background.length > 0) throw new Mismatch(`the cleaner failed in the background: ${background.map(String).join('; ')}\nsteps:\n${real.log.join('\n')}`);
    });
    await checkProperty(t, `LogStore model (${durability})`, property, { runs: durability === 'sync' ? 120 : 60, file: 'test/crash/log-model.test.ts' }, 0.5);
  });
}
