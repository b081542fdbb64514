// The ordered index against a model: a plain sorted array of keys. Keys come
// from a small alphabet (0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff), up to 7 bytes
// (now and then after 64 bytes of 0x80), so the empty key, keys that are prefixes of each other and keys equal in
// their first 4 bytes (the index's stored prefix) all come up often. Node
// sizes are drawn small so that a few hundred keys make a tree several levels
// deep, with splits, merges and refills.
//
// keyOf hands out views of one shared buffer that the next call overwrites,
// and throws for an id not in the directory: the index must neither keep a
// view nor ask for a key it was told is gone.

import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import { compareKeys, OrderedIndex, type RangeOptions } from '../../src/log/ordered-index.js';

const RUNS = { numRuns: 200 };
// fast-check's default size ('small') caps generated arrays at 10 elements
// whatever maxLength says; the op sequences here use size 'max' to reach
// trees several levels deep.

const hex = (k: Uint8Array): string => Buffer.from(k).toString('hex');

/** The key directory stand-in: id -> key, keyOf through one reused buffer. */
class Directory {
  readonly keys = new Map<number, Uint8Array>();
  private readonly shared = new ArrayBuffer(256);
  private nextId = 0;
  keyOfCalls = 0;
  readonly keyOf = (id: number): Uint8Array => {
    const k = this.keys.get(id);
    if (k === undefined) throw new Error(`keyOf(${id}): no such id`);
    this.keyOfCalls++;
    const view = new Uint8Array(this.shared, 0, k.length);
    view.set(k);
    return view;
  };
  add(key: Uint8Array): number {
    const id = this.nextId++;
    this.keys.set(id, key);
    return id;
  }
  newId(): number {
    return this.nextId++;
  }
}

/** The model: live keys in order, with their ids. */
class Model {
  entries: { key: Uint8Array; id: number }[] = [];
  find(key: Uint8Array): number {
    return this.entries.findIndex((e) => compareKeys(e.key, key) === 0);
  }
  insert(key: Uint8Array, id: number): void {
    this.entries.push({ key, id });
    this.entries.sort((a, b) => compareKeys(a.key, b.key));
  }
  /** Ids in range, in the model. */
  range(o: RangeOptions): number[] {
    let out = this.entries.filter((e) => inRange(e.key, o));
    if (o.reverse) out = out.reverse();
    const limit = o.limit === undefined || o.limit < 0 ? Infinity : o.limit;
    return out.slice(0, limit).map((e) => e.id);
  }
}

function inRange(k: Uint8Array, o: RangeOptions): boolean {
  if (o.gt !== undefined && !(compareKeys(k, o.gt) > 0)) return false;
  if (o.gte !== undefined && !(compareKeys(k, o.gte) >= 0)) return false;
  if (o.lt !== undefined && !(compareKeys(k, o.lt) < 0)) return false;
  if (o.lte !== undefined && !(compareKeys(k, o.lte) <= 0)) return false;
  return true;
}

const ALPHABET = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];
const shortKey = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 7 }).map((b) => Uint8Array.from(b));
/** Now and then a long key (past 64 bytes): the same 64-byte head, a short tail. */
const longKey = shortKey.map((tail) => Uint8Array.from([...new Uint8Array(64).fill(0x80), ...tail]));
const keyArb = fc.oneof({ weight: 9, arbitrary: shortKey }, { weight: 1, arbitrary: longKey });
const sizes = fc.record({ leafSize: fc.integer({ min: 2, max: 16 }), innerSize: fc.integer({ min: 3, max: 8 }) });
const rangeArb: fc.Arbitrary<RangeOptions> = fc.record(
  {
    gt: keyArb,
    gte: keyArb,
    lt: keyArb,
    lte: keyArb,
    reverse: fc.boolean(),
    limit: fc.oneof(fc.integer({ min: -1, max: 12 }), fc.constant(Infinity)),
  },
  { requiredKeys: [] },
);

type Op =
  | { op: 'insert'; key: Uint8Array }
  | { op: 'remove'; pick: number }
  | { op: 'move'; pick: number }
  | { op: 'remap'; shift: number }
  | { op: 'flush' }
  | { op: 'range'; o: RangeOptions }
  | { op: 'seek'; key: Uint8Array; reverse: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: keyArb.map((key) => ({ op: 'insert' as const, key })) },
  { weight: 3, arbitrary: fc.nat().map((pick) => ({ op: 'remove' as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ op: 'move' as const, pick })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 1000 }).map((shift) => ({ op: 'remap' as const, shift })) },
  { weight: 1, arbitrary: fc.constant({ op: 'flush' as const }) },
  { weight: 1, arbitrary: rangeArb.map((o) => ({ op: 'range' as const, o })) },
  { weight: 2, arbitrary: fc.record({ key: keyArb, reverse: fc.boolean() }).map((s) => ({ op: 'seek' as const, ...s })) },
);

/** Applies one mutation to directory, model and index alike (no-op for a read). */
function mutate(op: Op, dir: Directory, model: Model, index: OrderedIndex): void {
  switch (op.op) {
    case 'insert': {
      const at = model.find(op.key);
      if (at >= 0) {
        // Already there: the index takes the id into its buffer and refuses it
        // at the next flush, with every other buffered insert applied.
        const id = dir.add(op.key);
        index.insert(id);
        assert.throws(() => index.flush(), new RegExp(`ids ${id} were already in the index`));
        dir.keys.delete(id);
        assert.equal(index.size, model.entries.length);
        return;
      }
      const id = dir.add(op.key);
      index.insert(id);
      model.insert(op.key, id);
      return;
    }
    case 'remove': {
      if (model.entries.length === 0) {
        assert.throws(() => index.remove(12345, Uint8Array.of(1)), /not in the index/);
        return;
      }
      const e = model.entries[op.pick % model.entries.length]!;
      // The directory drops the key first: the index must not ask for it.
      dir.keys.delete(e.id);
      index.remove(e.id, e.key.slice());
      model.entries.splice(model.entries.indexOf(e), 1);
      return;
    }
    case 'move': {
      if (model.entries.length === 0) return;
      const e = model.entries[op.pick % model.entries.length]!;
      const newId = dir.newId();
      dir.keys.delete(e.id);
      dir.keys.set(newId, e.key);
      index.move(e.id, newId, e.key.slice());
      e.id = newId;
      return;
    }
    case 'remap': {
      // Renumber every id (a compaction of the directory): id -> id + shift.
      const keys = new Map<number, Uint8Array>();
      for (const [id, k] of dir.keys) keys.set(id + op.shift, k);
      dir.keys.clear();
      for (const [id, k] of keys) dir.keys.set(id, k);
      for (let i = 0; i < op.shift; i++) dir.newId();
      index.remapIds((id) => id + op.shift);
      for (const e of model.entries) e.id += op.shift;
      return;
    }
    case 'flush':
      index.flush();
      return;
    default:
      return;
  }
}

t.test('model: random insert/remove/move/remap, then range() and seek() equal the sorted model', async (t) => {
  fc.assert(
    fc.property(sizes, fc.array(opArb, { maxLength: 300, size: 'max' }), fc.array(rangeArb, { maxLength: 8 }), (sz, ops, finalRanges) => {
      const dir = new Directory();
      const model = new Model();
      const index = new OrderedIndex(dir.keyOf, sz);
      for (const op of ops) {
        mutate(op, dir, model, index);
        if (op.op === 'range') assert.deepStrictEqual([...index.range(op.o)], model.range(op.o), `range ${JSON.stringify(op.o)}`);
        if (op.op === 'seek') {
          const want = op.reverse
            ? model.entries.filter((e) => compareKeys(e.key, op.key) <= 0).at(-1)?.id
            : model.entries.find((e) => compareKeys(e.key, op.key) >= 0)?.id;
          assert.equal(index.seek(op.key, op.reverse), want);
        }
        assert.equal(index.size, model.entries.length);
      }
      assert.deepStrictEqual(index.checkInvariants(), model.entries.map((e) => e.id));
      assert.deepStrictEqual([...index.range()], model.range({}));
      assert.deepStrictEqual([...index.range({ reverse: true })], model.range({ reverse: true }));
      for (const o of finalRanges) assert.deepStrictEqual([...index.range(o)], model.range(o), `range ${JSON.stringify(o)}`);
    }),
    RUNS,
  );
  t.pass('range() and seek() equal the model');
});

t.test('grow then shrink: every split, merge and refill keeps the tree equal to the model', async (t) => {
  const distinct = fc.uniqueArray(fc.array(fc.nat(255), { minLength: 1, maxLength: 3 }).map((b) => Uint8Array.from(b)), {
    selector: hex,
    maxLength: 400,
    size: 'max',
  });
  fc.assert(
    fc.property(sizes, distinct, fc.boolean(), fc.array(fc.nat(), { maxLength: 400, size: 'max' }), (sz, keys, sorted, picks) => {
      const dir = new Directory();
      const model = new Model();
      const index = new OrderedIndex(dir.keyOf, sz);
      // Sorted inserts leave full leaves behind (the append split), so removals then refill from full siblings.
      if (sorted) keys.sort(compareKeys);
      for (const key of keys) mutate({ op: 'insert', key }, dir, model, index);
      assert.deepStrictEqual(index.checkInvariants(), model.entries.map((e) => e.id));
      let i = 0;
      while (model.entries.length > 0) {
        // Removals cluster: from a random point, a run of neighbours.
        const at = (picks[i++ % Math.max(1, picks.length)] ?? 0) % model.entries.length;
        for (let j = 0; j < 5 && model.entries.length > 0; j++) mutate({ op: 'remove', pick: Math.min(at, model.entries.length - 1) }, dir, model, index);
        if (i % 10 === 0) assert.deepStrictEqual(index.checkInvariants(), model.entries.map((e) => e.id));
      }
      assert.deepStrictEqual(index.checkInvariants(), []);
    }),
    RUNS,
  );
  t.pass('structure stays valid through growth and shrinkage');
});

t.test('every small node size: fill in three orders, one by one or at once; drain from the front, the back and the middle', async (t) => {
  let checks = 0;
  for (let leafSize = 2; leafSize <= 10; leafSize++) {
    for (let innerSize = 3; innerSize <= 6; innerSize++) {
      for (const fill of ['ascending', 'descending', 'shuffled'] as const) {
        for (const drain of ['front', 'back', 'middle'] as const) {
          // One by one (each insert flushed: the tree's own splits) or all at once (a packed build).
          const oneByOne = (leafSize + innerSize) % 2 === 0;
          const dir = new Directory();
          const model = new Model();
          const index = new OrderedIndex(dir.keyOf, { leafSize, innerSize });
          const n = 150;
          let order = Array.from({ length: n }, (_, i) => i);
          if (fill === 'descending') order.reverse();
          if (fill === 'shuffled') order = order.map((i) => (i * 37) % n);
          for (const i of order) {
            mutate({ op: 'insert', key: Uint8Array.of(i >> 4, i & 15) }, dir, model, index);
            if (oneByOne) index.flush();
          }
          while (model.entries.length > 0) {
            const len = model.entries.length;
            mutate({ op: 'remove', pick: drain === 'front' ? 0 : drain === 'back' ? len - 1 : len >> 1 }, dir, model, index);
            assert.deepStrictEqual(index.checkInvariants(), model.entries.map((e) => e.id));
            checks++;
          }
        }
      }
    }
  }
  t.equal(checks, 9 * 4 * 3 * 3 * 150);
});

/**
 * The documented live behaviour, step by step: each next() returns the first
 * key (in the iteration direction) strictly past the last one returned (or
 * from the range start, or at/after a seek target), within the range, among
 * the keys in the index at that moment; limit counts what was returned.
 */
t.test('iteration interleaved with inserts, removes, moves and seeks follows the documented live order', async (t) => {
  type Step = { kind: 'next' } | { kind: 'mutate'; op: Op } | { kind: 'seek'; key: Uint8Array };
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    { weight: 4, arbitrary: fc.constant({ kind: 'next' as const }) },
    { weight: 4, arbitrary: opArb.filter((o) => o.op !== 'range' && o.op !== 'seek').map((op) => ({ kind: 'mutate' as const, op })) },
    { weight: 1, arbitrary: keyArb.map((key) => ({ kind: 'seek' as const, key })) },
  );
  fc.assert(
    fc.property(sizes, fc.array(keyArb, { maxLength: 80, size: 'max' }), rangeArb, fc.array(stepArb, { maxLength: 200, size: 'max' }), (sz, initial, o, steps) => {
      const dir = new Directory();
      const model = new Model();
      const index = new OrderedIndex(dir.keyOf, sz);
      for (const key of initial) mutate({ op: 'insert', key }, dir, model, index);
      const it = index.range(o);
      const rev = o.reverse === true;
      const before = (a: Uint8Array, b: Uint8Array): boolean => (rev ? compareKeys(a, b) > 0 : compareKeys(a, b) < 0);
      let remaining = o.limit === undefined || o.limit < 0 ? Infinity : o.limit;
      // Where the next key must lie: strictly past `after`, or at/past `at`.
      let after: Uint8Array | undefined;
      let at: Uint8Array | undefined;
      let ended = false;
      const seen = new Set<string>();
      for (const s of steps) {
        if (s.kind === 'mutate') {
          mutate(s.op, dir, model, index);
          continue;
        }
        if (s.kind === 'seek') {
          it.seek(s.key);
          at = s.key;
          after = undefined;
          ended = false;
          seen.clear();
          continue;
        }
        let cands = model.entries.filter((e) => inRange(e.key, o));
        if (rev) cands = cands.reverse();
        const want: { key: Uint8Array; id: number } | undefined = ended || remaining <= 0
          ? undefined
          : cands.find((e) => (after === undefined || before(after, e.key)) && (at === undefined || !before(e.key, at)));
        const r = it.next();
        if (want === undefined) {
          assert.equal(r.done, true);
          ended = true;
          continue;
        }
        assert.equal(r.done, false);
        assert.equal(r.value, want.id);
        // Between seeks a key is never returned twice.
        assert.ok(!seen.has(hex(want.key)), 'no key twice');
        seen.add(hex(want.key));
        after = want.key;
        at = undefined;
        remaining--;
      }
      it.return();
      assert.equal(it.next().done, true);
      index.checkInvariants();
    }),
    RUNS,
  );
  t.pass('live iteration follows the documented order');
});

t.test('a key that stays in the index is neither skipped nor repeated, whatever changes around it', async (t) => {
  fc.assert(
    fc.property(sizes, fc.uniqueArray(keyArb, { selector: hex, minLength: 1, maxLength: 60, size: 'max' }), fc.array(opArb, { maxLength: 150, size: 'max' }), fc.boolean(), (sz, stay, ops, reverse) => {
      const dir = new Directory();
      const model = new Model();
      const index = new OrderedIndex(dir.keyOf, sz);
      for (const key of stay) mutate({ op: 'insert', key }, dir, model, index);
      const stayHex = new Set(stay.map(hex));
      const seen: string[] = [];
      const it = index.range({ reverse });
      let k = 0;
      for (;;) {
        const r = it.next();
        if (r.done) break;
        seen.push(hex(dir.keys.get(r.value)!));
        // Mutate between steps, but never remove a key of `stay`.
        for (let j = 0; j < 2 && k < ops.length; j++, k++) {
          const op = ops[k]!;
          if (op.op === 'remove' || op.op === 'move') {
            const others = model.entries.filter((e) => !stayHex.has(hex(e.key)));
            if (op.op === 'move') {
              const e = model.entries[op.pick % model.entries.length]!;
              mutate({ op: 'move', pick: model.entries.indexOf(e) }, dir, model, index);
            } else if (others.length > 0) {
              const e = others[op.pick % others.length]!;
              mutate({ op: 'remove', pick: model.entries.indexOf(e) }, dir, model, index);
            }
          } else mutate(op, dir, model, index);
        }
      }
      assert.equal(new Set(seen).size, seen.length, 'no key twice');
      for (const h of stayHex) assert.ok(seen.includes(h), `key ${h} stayed and was returned`);
      const order = [...seen].sort((a, b) => compareKeys(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')) * (reverse ? -1 : 1));
      assert.deepStrictEqual(seen, order, 'returned in order');
    }),
    RUNS,
  );
  t.pass('no skip, no repeat');
});

t.test('an empty index, and bounds that exclude everything', async (t) => {
  const dir = new Directory();
  const index = new OrderedIndex(dir.keyOf);
  t.equal(index.size, 0);
  t.same([...index.range()], []);
  t.same([...index.range({ reverse: true })], []);
  t.same([...index.range({ gte: Uint8Array.of(1), lt: Uint8Array.of(2) })], []);
  t.equal(index.seek(new Uint8Array(0)), undefined);
  t.equal(index.seek(Uint8Array.of(0xff), true), undefined);
  const it = index.range();
  t.equal(it.next().done, true);
  t.equal(it.next().done, true, 'stays done');

  const ids = [[], [0], [1], [1, 2], [1, 2, 3], [0xff]].map((b) => dir.add(Uint8Array.from(b)));
  for (const id of ids) index.insert(id);
  const k = (...b: number[]): Uint8Array => Uint8Array.from(b);
  const empty: RangeOptions[] = [
    { gt: k(1), lt: k(1) },
    { gte: k(1), lt: k(1) },
    { gt: k(1), lte: k(1) },
    { gt: k(2), lt: k(1) },
    { gte: k(2), lte: k(1, 2, 3) },
    { gt: k(0xff) },
    { lt: k() },
    { gt: k(1, 2, 3), lt: k(1, 2, 3, 0) },
    { limit: 0 },
  ];
  for (const o of empty) {
    t.same([...index.range(o)], [], `nothing for ${JSON.stringify(o)}`);
    t.same([...index.range({ ...o, reverse: true })], [], `nothing in reverse for ${JSON.stringify(o)}`);
  }
  t.same([...index.range({ gte: k(1), lte: k(1) })], [ids[2]], 'a single key');
  t.same([...index.range({ gt: k(), lt: k(0xff) })], ids.slice(1, 5), 'the empty key is the least');
  t.same([...index.range({ gt: k(1), gte: k(1, 2) })], ids.slice(3), 'the tighter of gt and gte');
  t.same([...index.range({ lt: k(1, 2), lte: k(1) })], ids.slice(0, 3), 'the tighter of lt and lte');
  t.same([...index.range({ reverse: true, limit: 2 })], [ids[5], ids[4]]);
  const dup = dir.add(k(1));
  index.insert(dup);
  t.equal(index.size, 7, 'size counts buffered ids');
  t.throws(() => index.flush(), /already in the index/);
  t.equal(index.size, 6, 'the duplicate was refused');
  // A refusal found by remove() or move() is thrown after the remove or move is done.
  const extra = dir.add(k(0x7f));
  index.insert(extra);
  index.insert(dir.add(k(0xff)));
  t.throws(() => index.remove(extra, k(0x7f)), /already in the index/);
  t.same(index.checkInvariants(), ids);
  const again = dir.add(k(1, 2));
  index.insert(again);
  dir.keys.set(77, k(0xff));
  dir.keys.delete(ids[5]!);
  t.throws(() => index.move(ids[5]!, 77, k(0xff)), /already in the index/);
  ids[5] = 77;
  t.same(index.checkInvariants(), ids);
  t.throws(() => index.remove(ids[2]!, k(1, 9)), /not in the index/);
  t.throws(() => index.move(ids[3]!, 99, k(1)), /not in the index/);
  t.throws(() => index.insert(-1), /not an integer/);
  t.throws(() => new OrderedIndex(dir.keyOf, { leafSize: 1 }), /leafSize/);
  index.checkInvariants();
});

t.test('iterator seek: within the range, after exhaustion, and closed iterators stay closed', async (t) => {
  const dir = new Directory();
  const index = new OrderedIndex(dir.keyOf, { leafSize: 2, innerSize: 3 });
  const ids = new Map<number, number>();
  for (let i = 0; i < 20; i++) ids.set(i * 2, dir.add(Uint8Array.of(i * 2)));
  for (const id of ids.values()) index.insert(id);
  const id = (b: number): number => ids.get(b)!;

  const it = index.range({ gte: Uint8Array.of(10), lt: Uint8Array.of(30) });
  t.equal(it.next().value, id(10));
  it.seek(Uint8Array.of(21));
  t.equal(it.next().value, id(22), 'first key at or after the target');
  it.seek(Uint8Array.of(0));
  t.equal(it.next().value, id(10), 'not before the range');
  it.seek(Uint8Array.of(29));
  t.equal(it.next().done, true, 'not past the range');
  it.seek(Uint8Array.of(28));
  t.equal(it.next().value, id(28), 'seek after exhaustion revives the iterator');

  const rev = index.range({ reverse: true, limit: 3 });
  t.equal(rev.next().value, id(38));
  rev.seek(Uint8Array.of(15));
  t.equal(rev.next().value, id(14), 'reverse: at or before the target');
  t.equal(rev.next().value, id(12));
  t.equal(rev.next().done, true, 'limit counts across seeks');

  const closed = index.range();
  closed.next();
  closed.return();
  closed.seek(Uint8Array.of(4));
  t.equal(closed.next().done, true);

  // Many abandoned iterators: the index lets go of them, and they still work.
  const abandoned = Array.from({ length: 3000 }, () => {
    const a = index.range();
    a.next();
    a.next();
    return a;
  });
  index.insert(dir.add(Uint8Array.of(1)));
  const three = dir.add(Uint8Array.of(3));
  index.insert(three);
  t.equal(abandoned[0]!.next().value, three, 'resumes after its last key: sees 3 inserted ahead, not 1 behind');
  t.equal(abandoned[2999]!.next().value, three);
  let n = 0;
  for (const x of index.range()) if (++n === 3) break; // for...of closes it
  t.equal(n, 3);
});

t.test('a flush sorts keys that tie for many bytes: runs of zeros, a shared long head, 0xff tails', async (t) => {
  for (const headLen of [0, 3, 4, 5, 64, 100]) {
    for (const count of [10, 200]) {
      const head = new Uint8Array(headLen).fill(0x61);
      const keys: Uint8Array[] = [];
      for (let i = 0; i < count; i++) {
        // zero-extensions of the head ([], [0], [0,0], ...), then varied tails with 0x00 and 0xff bytes
        const tail = i < 12 ? new Uint8Array(i) : Uint8Array.of(i & 1 ? 0xff : 0, i >> 1, i % 3 ? 0xff : 0);
        keys.push(Uint8Array.from([...head, ...tail]));
      }
      const dir = new Directory();
      const index = new OrderedIndex(dir.keyOf);
      const ids = keys.map((k) => dir.add(k));
      // Insert in a scrambled order, all into the buffer, then one flush.
      for (let i = 0; i < count; i++) index.insert(ids[(i * 7) % count]!);
      const sorted = [...ids].sort((a, b) => compareKeys(dir.keys.get(a)!, dir.keys.get(b)!));
      t.same(index.checkInvariants(), sorted, `head ${headLen}, ${count} keys`);
    }
  }
});

t.test('bulk: ascending, descending and shuffled inserts of 5000 keys with default node sizes', async (t) => {
  for (const [order, each] of [
    ['ascending', true],
    ['descending', true],
    ['shuffled', true],
    ['shuffled', false],
  ] as const) {
    const dir = new Directory();
    const index = new OrderedIndex(dir.keyOf);
    const n = 5000;
    const keys = Array.from({ length: n }, (_, i) => Uint8Array.of(i >> 8, i & 0xff, 7));
    let order_ = keys.map((_, i) => i);
    if (order === 'descending') order_.reverse();
    if (order === 'shuffled') order_ = fc.sample(fc.shuffledSubarray(order_, { minLength: n, maxLength: n }), { numRuns: 1, seed: 7 })[0]!;
    const idOf = new Array<number>(n);
    for (const i of order_) {
      idOf[i] = dir.add(keys[i]!);
      index.insert(idOf[i]!);
      if (each) index.flush();
    }
    t.same(index.checkInvariants(), idOf, `${order}: in order`);
    // A batch of 100 new keys (and one already there) into the 5000: sorted, then inserted one by one.
    const extra = Array.from({ length: 100 }, (_, i) => dir.add(Uint8Array.of(i, 0xff, 1)));
    for (const id of extra) index.insert(id);
    const dup = dir.add(keys[17]!);
    index.insert(dup);
    t.throws(() => index.flush(), new RegExp(`ids ${dup} were already`));
    dir.keys.delete(dup);
    const all = [...idOf, ...extra].sort((a, b) => compareKeys(dir.keys.get(a)!, dir.keys.get(b)!));
    t.same(index.checkInvariants(), all, `${order}: a batch added`);
    for (const id of extra) index.remove(id, dir.keys.get(id)!);
    t.same([...index.range({ gte: Uint8Array.of(3), lt: Uint8Array.of(4), limit: 5 })], idOf.slice(768, 773));
    for (let i = 0; i < n; i += 2) {
      dir.keys.delete(idOf[i]!);
      index.remove(idOf[i]!, keys[i]!);
    }
    t.same(index.checkInvariants(), idOf.filter((_, i) => i % 2 === 1), `${order}: half removed`);
    for (let i = 1; i < n; i += 2) index.remove(idOf[i]!, keys[i]!);
    t.equal(index.size, 0);
    t.same([...index.range()], []);
  }
});
