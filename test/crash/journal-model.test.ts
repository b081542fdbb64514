// Model-based test of JournalStore over the fault-injecting file system
// (beside test/journal/journal-model.test.ts, which covers the plain
// operations): set, setMany, remove, clear, reopen, power loss with torn
// pages (prefix, zeroed, garbage) and names before data, fsync failing with
// EIO, writes failing with ENOSPC, and damage to either file. Oracle:
// - every acknowledged write survives a crash ('sync'), or everything up
//   to the last sync()/close ('none'): the state is one the history passed
//   through at or after that point (items 1, 2);
// - after a failed fsync or write the store refuses writes until reopened;
// - after damage: no loss reported means the state is the model's (or, for
//   a cut at a frame boundary of the unsealed tail, the prefix it leaves);
//   loss reported means a state the history passed through (items 3, 4).

import fc from 'fast-check';
import t from 'tap';
import { LogkvError } from '../../src/errors.js';
import { type JournalValue, scanJournal } from '../../src/formats/index.js';
import { type Durability, JournalStore } from '../../src/journal/journal-store.js';
import { journalValue } from '../formats/arbitraries.js';
import { applyDamage, damageArb, type FileDamage } from '../support/damage.js';
import { MemoryFileIO, seededRandom } from '../support/memory-file-io.js';
import { checkProperty, commandsArb } from '../support/property.js';

const BASE = '/db/state';

interface Model {
  /** Canonical states after each write; states[durable] and later may be what a crash leaves. */
  states: string[];
  durable: number;
  live: Map<string, JournalValue>;
}

interface Real {
  io: MemoryFileIO;
  store: JournalStore;
  durability: Durability;
  failed: boolean;
  log: string[];
}

const canon = (entries: Iterable<[string, JournalValue]>): string =>
  JSON.stringify(
    [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `0x${Buffer.from(v).toString('hex')}` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : Object.is(v, -0) ? '-0' : v),
  );

function fail(r: Real, what: string): never {
  throw new Error(`${what}\nsteps:\n${r.log.join('\n')}`);
}

async function open(r: Real, io: MemoryFileIO): Promise<void> {
  r.io = io;
  r.store = await JournalStore.open(BASE, { io, bufferSize: 4096, durability: r.durability });
  r.failed = false;
}

/** After a crash: a state from the durable one on; the history goes on from it. */
function expectFromDurable(m: Model, r: Real, what: string): void {
  const state = canon(r.store.entries());
  const p = m.states.lastIndexOf(state);
  if (p < m.durable) fail(r, `${what}: ${state} is not a state from the last durable one (#${m.durable} of ${m.states.length}) on`);
  m.states.length = p + 1;
  m.durable = p;
  m.live = new Map(r.store.entries());
}

type Write = { kind: 'set'; key: string; value: JournalValue } | { kind: 'many'; entries: Array<[string, JournalValue]> } | { kind: 'remove'; key: string } | { kind: 'clear' };

function applyTo(live: Map<string, JournalValue>, w: Write): Map<string, JournalValue> {
  const next = new Map(live);
  const put = (k: string, v: JournalValue) => (v === null ? next.delete(k) : next.set(k, v));
  if (w.kind === 'set') put(w.key, w.value);
  else if (w.kind === 'many') for (const [k, v] of w.entries) put(k, v);
  else if (w.kind === 'remove') next.delete(w.key);
  else next.clear();
  return next;
}

function perform(s: JournalStore, w: Write): Promise<unknown> {
  if (w.kind === 'set') return s.set(w.key, w.value);
  if (w.kind === 'many') return s.setMany(w.entries);
  if (w.kind === 'remove') return s.remove(w.key);
  return s.clear();
}

/** Runs one write against store and model; returns the error when it failed with IO or FULL. */
async function write(m: Model, r: Real, w: Write): Promise<unknown> {
  const next = applyTo(m.live, w);
  m.states.push(canon(next));
  try {
    await perform(r.store, w);
  } catch (e) {
    if (e instanceof LogkvError && e.code === 'FULL') {
      m.states.pop();
      return e;
    }
    if (e instanceof LogkvError && (e.code === 'IO' || e.code === 'NO_SPACE')) return e;
    fail(r, `${JSON.stringify(w, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))} failed: ${String(e)}`);
  }
  m.live = next;
  if (r.durability === 'sync') m.durable = m.states.length - 1;
  if (canon(r.store.entries()) !== canon(m.live)) fail(r, 'the state differs from the model after a write');
  return undefined;
}

abstract class Cmd implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    r.log.push(this.toString());
    await this.go(m, r);
  }
  abstract go(m: Model, r: Real): Promise<void>;
  abstract toString(): string;
}

class WriteCmd extends Cmd {
  constructor(readonly w: Write) {
    super();
  }
  async go(m: Model, r: Real) {
    if (r.failed) {
      const e = await perform(r.store, this.w).then(() => undefined, (err: unknown) => err);
      if (!(e instanceof LogkvError && (e.code === 'IO' || e.code === 'NO_SPACE'))) fail(r, `a write after a failure was not refused with IO: ${String(e ?? 'it succeeded')}`);
      return;
    }
    const e = await write(m, r, this.w);
    if (e && ((e as LogkvError).code === 'IO' || (e as LogkvError).code === 'NO_SPACE')) fail(r, `a write failed with IO with no fault armed: ${String(e)}`);
  }
  toString = () => `write ${this.w.kind}`;
}

class SyncCmd extends Cmd {
  async go(m: Model, r: Real) {
    const e = await r.store.sync().then(() => undefined, (err: unknown) => err);
    if (r.failed) {
      if (!(e instanceof LogkvError && (e.code === 'IO' || e.code === 'NO_SPACE'))) fail(r, `sync() after a failure ${e ? `threw ${String(e)}` : 'resolved'}: it must refuse with IO`);
      return;
    }
    if (e) fail(r, `sync() failed: ${String(e)}`);
    m.durable = m.states.length - 1;
  }
  toString = () => 'sync()';
}

class ReopenCmd extends Cmd {
  async go(m: Model, r: Real) {
    const wasFailed = r.failed;
    await r.store.close().catch(() => undefined);
    await open(r, r.io);
    if (wasFailed) return expectFromDurable(m, r, 'reopen after a failure');
    m.durable = m.states.length - 1;
    if (r.store.openReport.dataLoss !== 'none') fail(r, `a clean reopen reported ${r.store.openReport.dataLoss}`);
    if (canon(r.store.entries()) !== canon(m.live)) fail(r, 'the state differs after a clean reopen');
  }
  toString = () => 'close(); reopen()';
}

class CrashCmd extends Cmd {
  constructor(readonly seed: number) {
    super();
  }
  async go(m: Model, r: Real) {
    await open(r, r.io.crash({ random: seededRandom(this.seed), tearModes: ['prefix', 'zero', 'garbage'], names: this.seed % 3 === 0 ? 'current' : 'durable' }));
    expectFromDurable(m, r, 'after a crash');
  }
  toString = () => `power loss (seed ${this.seed})`;
}

class FaultCmd extends Cmd {
  constructor(readonly fault: 'EIO' | 'ENOSPC', readonly w: Write, readonly seed: number) {
    super();
  }
  async go(m: Model, r: Real) {
    if (r.failed) return;
    if (this.fault === 'EIO') r.io.failSyncs = 1;
    else r.io.failWrites = 1;
    let e = await write(m, r, this.w);
    // In 'none' mode the write itself syncs nothing: the failure is met by sync().
    if (!e && this.fault === 'EIO' && r.io.failSyncs > 0) e = await r.store.sync().then(() => undefined, (err: unknown) => err);
    const hit = this.fault === 'EIO' ? r.io.failSyncs === 0 : r.io.failWrites === 0;
    r.io.failSyncs = 0;
    r.io.failWrites = 0;
    if (!hit) return;
    // A full disk says so (NO_SPACE); any other failed write or fsync is IO.
    const code = this.fault === 'ENOSPC' ? 'NO_SPACE' : 'IO';
    if (!(e instanceof LogkvError && e.code === code)) fail(r, `${this.fault} was not reported as ${code}: ${String(e ?? 'it succeeded')}`);
    r.failed = true;
    const again = await r.store.set('after', 1).then(() => undefined, (err: unknown) => err);
    if (!(again instanceof LogkvError && again.code === code)) fail(r, `after ${this.fault} a write was not refused with ${code}: ${String(again ?? 'it succeeded')}`);
    for (let i = 1; i <= 2; i++) {
      const synced = await r.store.sync().then(() => undefined, (err: unknown) => err);
      if (!(synced instanceof LogkvError && synced.code === code)) fail(r, `sync() #${i} after ${this.fault} ${synced ? `threw ${String(synced)}` : 'resolved'}: it must refuse with ${code}`);
    }
    await open(r, r.io.crash({ random: seededRandom(this.seed), tearModes: ['prefix', 'zero', 'garbage'] }));
    expectFromDurable(m, r, `power loss after ${this.fault}`);
  }
  toString = () => `${this.fault} under ${this.w.kind}, then power loss (seed ${this.seed})`;
}

class CorruptCmd extends Cmd {
  constructor(readonly file: 0 | 1, readonly damage: FileDamage) {
    super();
  }
  async go(m: Model, r: Real) {
    const wasFailed = r.failed;
    await r.store.close().catch(() => undefined);
    if (!wasFailed) m.durable = m.states.length - 1;
    const path = `${BASE}.${this.file === 0 ? 'jrna' : 'jrnb'}`;
    const before = r.io.readFile(path);
    const after = applyDamage(before, this.damage);
    r.io.setFile(path, after);
    await open(r, r.io);
    const state = canon(r.store.entries());
    const rep = r.store.openReport;
    if (rep.dataLoss === 'none' && !wasFailed && state !== canon(m.live) && !cleanCut(before, after)) {
      fail(r, `damage to ${path} was not reported and the state differs: ${state}`);
    }
    if (!m.states.includes(state)) fail(r, `after damage to ${path} the state is none the history passed through: ${state}`);
    for (const e of rep.events) if (!e.file) fail(r, `a loss reported without its file: ${JSON.stringify(e)}`);
    // The history goes on from what was kept; older states stay possible (old frames are still in the files).
    m.states.push(state);
    m.durable = m.states.length - 1;
    m.live = new Map(r.store.entries());
  }
  toString = () => `damage ${this.file === 0 ? 'jrna' : 'jrnb'}: ${JSON.stringify(this.damage)}`;
}

/** The damaged journal reads clean but with fewer frames: a cut at a frame boundary, invisible by construction. */
function cleanCut(before: Buffer, after: Buffer): boolean {
  try {
    const a = scanJournal(before);
    const b = scanJournal(after);
    return b.damage === undefined && b.frames.length < a.frames.length && b.header.generation === a.header.generation;
  } catch {
    return false;
  }
}

const key = fc.constantFrom('a', 'b', 'c', 'ключ', 'long-key-'.repeat(4));
const writeArb: fc.Arbitrary<Write> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), key, value: fc.oneof(journalValue, fc.constant('y'.repeat(700))) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('many' as const), entries: fc.array(fc.tuple(key, fc.oneof(journalValue, fc.constant(null))), { minLength: 1, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), key }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);
const seed = fc.integer({ min: 1, max: 2 ** 31 - 1 });

const commands = [
  writeArb.map((w) => new WriteCmd(w)),
  writeArb.map((w) => new WriteCmd(w)),
  writeArb.map((w) => new WriteCmd(w)),
  fc.constant(new SyncCmd()),
  fc.constant(new ReopenCmd()),
  seed.map((s) => new CrashCmd(s)),
  fc.tuple(fc.constantFrom<'EIO' | 'ENOSPC'>('EIO', 'ENOSPC'), writeArb, seed).map(([f, w, s]) => new FaultCmd(f, w, s)),
  fc.tuple(fc.constantFrom<0 | 1>(0, 1), damageArb).map(([f, d]) => new CorruptCmd(f, d)),
];

for (const durability of ['sync', 'none'] as const) {
  t.test(`JournalStore model with faults, durability ${durability}`, async (t) => {
    const property = fc.asyncProperty(commandsArb(commands, 40), async (cmds) => {
      const io = new MemoryFileIO();
      io.mkdir('/db');
      const real = { durability, failed: false, log: [] } as unknown as Real;
      await open(real, io);
      const model: Model = { states: [canon([])], durable: 0, live: new Map() };
      await fc.asyncModelRun(() => ({ model, real }), cmds);
      await real.store.close().catch(() => undefined);
    });
    await checkProperty(t, `JournalStore model (${durability})`, property, { runs: 150, file: 'test/crash/journal-model.test.ts' }, 0.5);
  });
}
