// Model-based test of JournalStore (after bd-resilient-kv's fuzz target):
// random inserts, removes, setMany, clears, reopens, reopens after a crash
// that drops unsynced bytes (or keeps a torn prefix of them), and reopens
// after corrupting a file. Oracle: when open reports no data loss the state
// equals the model (for a crash in 'none' mode: a state the history passed
// through); when it reports loss, the state kept is one the history passed
// through, never a mix and never a value that was not written.

import t from 'tap';
import fc from 'fast-check';
import type { JournalValue } from '../../src/formats/index.js';
import { JournalStore, type Durability } from '../../src/journal/journal-store.js';
import { MemoryFileIO } from '../support/memory-file-io.js';
import { cleanCut } from '../support/damage.js';
import { checkProperty, commandsArb } from '../support/property.js';
import { hex, journalValue } from '../formats/arbitraries.js';

interface Model {
  state: Map<string, JournalValue>;
  /**
   * Every state the store has passed through, as canonical strings. Older
   * frames stay in the files after a crash, so a later corruption may go
   * back to any of them (reported as loss): the history is never cut.
   */
  history: string[];
  durability: Durability;
}

interface Real {
  io: MemoryFileIO;
  store: JournalStore;
  log: string[];
}

const BASE = '/db/state';

function canonValue(v: JournalValue): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return { n: Object.is(v, -0) ? '-0' : String(v) };
  if (typeof v === 'bigint') return { i: v.toString() };
  if (v instanceof Uint8Array) return { b: hex(v) };
  if (Array.isArray(v)) return v.map(canonValue);
  return Object.entries(v).map(([k, x]) => [k, canonValue(x)]);
}

const canon = (entries: Iterable<[string, JournalValue]>): string =>
  JSON.stringify([...entries].map(([k, v]) => [k, canonValue(v)]).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)));

function record(m: Model): void {
  m.history.push(canon(m.state));
}

async function open(r: Real, m: Model) {
  r.store = await JournalStore.open(BASE, { io: r.io, bufferSize: 4096, durability: m.durability });
  return r.store.openReport;
}

/** After a crash or a loss, the model continues from what the store recovered. */
function resume(m: Model, r: Real): void {
  m.state = new Map(r.store.entries());
  record(m);
}

function check(cond: boolean, r: Real, what: string): void {
  if (!cond) throw new Error(`${what}\nsteps:\n${r.log.join('\n')}`);
}

const key = fc.constantFrom('a', 'b', 'c', 'ключ', '\u0000k', 'long-key-'.repeat(5));

class SetCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly key: string, readonly value: JournalValue) {}
  check = () => true;
  async run(m: Model, r: Real) {
    r.log.push(this.toString());
    try {
      await r.store.set(this.key, this.value);
    } catch (e) {
      check((e as { code?: string }).code === 'FULL', r, `set failed: ${String(e)}`);
      check(canon(r.store.entries()) === canon(m.state), r, 'a FULL write changed the state');
      return;
    }
    if (this.value === null) m.state.delete(this.key);
    else m.state.set(this.key, this.value);
    record(m);
    check(canon(r.store.entries()) === canon(m.state), r, 'state differs after set');
  }
  toString = () => `set(${JSON.stringify(this.key)}, ${JSON.stringify(canonValue(this.value))})`;
}

class SetManyCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly entries: Array<[string, JournalValue]>) {}
  check = () => true;
  async run(m: Model, r: Real) {
    r.log.push(this.toString());
    try {
      await r.store.setMany(this.entries);
    } catch (e) {
      check((e as { code?: string }).code === 'FULL', r, `setMany failed: ${String(e)}`);
      check(canon(r.store.entries()) === canon(m.state), r, 'a FULL setMany changed the state');
      return;
    }
    for (const [k, v] of this.entries) {
      if (v === null) m.state.delete(k);
      else m.state.set(k, v);
    }
    record(m);
    check(canon(r.store.entries()) === canon(m.state), r, 'state differs after setMany');
  }
  toString = () => `setMany(${this.entries.length} entries)`;
}

class RemoveCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly key: string) {}
  check = () => true;
  async run(m: Model, r: Real) {
    r.log.push(this.toString());
    const prev = await r.store.remove(this.key);
    check(canon(prev === undefined ? [] : [['x', prev]]) === canon(m.state.has(this.key) ? [['x', m.state.get(this.key)!]] : []), r, 'remove returned the wrong value');
    if (m.state.delete(this.key)) record(m);
  }
  toString = () => `remove(${JSON.stringify(this.key)})`;
}

class ClearCommand implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    r.log.push('clear()');
    await r.store.clear();
    m.state.clear();
    record(m);
    check(r.store.isEmpty(), r, 'not empty after clear');
  }
  toString = () => 'clear()';
}

class ReopenCommand implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    r.log.push('reopen()');
    await r.store.close();
    const report = await open(r, m);
    check(report.dataLoss === 'none', r, `clean reopen reported ${report.dataLoss}: ${JSON.stringify(report.events)}`);
    check(canon(r.store.entries()) === canon(m.state), r, 'state differs after a clean reopen');
  }
  toString = () => 'reopen()';
}

class CrashCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly seed: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    r.log.push(this.toString());
    let x = this.seed || 1;
    const random = () => ((x = (x * 48271) % 2147483647) / 2147483647);
    r.io = r.io.crash({ random }); // the old store is abandoned, as by a killed process
    const report = await open(r, m);
    const state = canon(r.store.entries());
    if (m.durability === 'sync') {
      check(report.dataLoss === 'none' && state === canon(m.state), r, `a crash lost acknowledged durable writes (${report.dataLoss})`);
    } else {
      check(m.history.includes(state), r, `after a crash the state is not one the history passed through: ${state}`);
    }
    resume(m, r);
  }
  toString = () => `reopenWithoutSync(seed ${this.seed})`;
}

type Damage = { kind: 'flip'; at: number; bit: number } | { kind: 'truncate'; at: number } | { kind: 'zero'; at: number; length: number };

class CorruptCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly file: 0 | 1, readonly damage: Damage) {}
  check = () => true;
  async run(m: Model, r: Real) {
    r.log.push(this.toString());
    await r.store.close();
    const path = `${BASE}.${this.file === 0 ? 'jrna' : 'jrnb'}`;
    const original = r.io.readFile(path);
    const bytes = Buffer.from(original);
    const at = this.damage.at % bytes.length;
    if (this.damage.kind === 'flip') bytes[at]! ^= 1 << this.damage.bit;
    if (this.damage.kind === 'zero') bytes.fill(0, at, Math.min(bytes.length, at + this.damage.length));
    const damaged = this.damage.kind === 'truncate' ? bytes.subarray(0, at) : bytes;
    r.io.setFile(path, damaged);
    const report = await open(r, m);
    const state = canon(r.store.entries());
    // Zeros from a frame boundary to the end of the file read as frames never
    // written, as a crash leaves them: nothing can tell the two apart, so the
    // state is one the history passed through (the log's own clean cut).
    if (report.dataLoss === 'none' && cleanCut(path, original, damaged)) check(m.history.includes(state), r, `a clean cut kept a state the history never passed through: ${state}`);
    else if (report.dataLoss === 'none') check(state === canon(m.state), r, `no loss reported but the state differs: ${state}`);
    else if (report.dataLoss === 'total') check(r.store.isEmpty(), r, 'total loss but not empty');
    else check(m.history.includes(state), r, `partial loss kept a state the history never passed through: ${state}`);
    resume(m, r);
  }
  toString = () => `reopenWithCorruption(${this.file === 0 ? 'jrna' : 'jrnb'}, ${JSON.stringify(this.damage)})`;
}

const commands = [
  fc.tuple(key, journalValue).map(([k, v]) => new SetCommand(k, v)),
  fc.tuple(key, fc.constant('y'.repeat(900))).map(([k, v]) => new SetCommand(k, v)),
  fc.array(fc.tuple(key, fc.oneof(journalValue, fc.constant(null))), { minLength: 1, maxLength: 5 }).map((e) => new SetManyCommand(e)),
  key.map((k) => new RemoveCommand(k)),
  fc.constant(new ClearCommand()),
  fc.constant(new ReopenCommand()),
  fc.integer({ min: 1, max: 2 ** 31 - 2 }).map((s) => new CrashCommand(s)),
  fc
    .tuple(
      fc.constantFrom<0 | 1>(0, 1),
      fc.oneof(
        fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
        fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
        fc.record({ kind: fc.constant('zero' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 200 }) }),
      ),
    )
    .map(([f, d]) => new CorruptCommand(f, d)),
];

for (const durability of ['sync', 'none'] as const) {
  t.test(`model-based: durability ${durability}`, async (t) => {
    const property = fc.asyncProperty(commandsArb(commands, 40), async (cmds) => {
      const io = new MemoryFileIO();
      io.mkdir('/db');
      const model: Model = { state: new Map(), history: [], durability };
      const real = { io, log: [] } as unknown as Real;
      await open(real, model);
      resume(model, real);
      await fc.asyncModelRun(() => ({ model, real }), cmds);
      await real.store.close();
    });
    await checkProperty(t, `JournalStore model (${durability})`, property, { runs: 300, file: 'test/journal/journal-model.test.ts' }, 0.5);
  });
}
