// KeyDirectory: model-based property against a Map (sets, deletes, lookups,
// growth from tiny tables, explicit and automatic compaction with onMove
// followed), forced collisions (equal home buckets and equal full hashes)
// with deletes from the middle of chains, the per-key memory figure at 1M
// keys, and refused input leaving the directory unchanged.

import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import { LogkvError } from '../../src/errors.js';
import { type FrozenDirectory, hashKey, KeyDirectory } from '../../src/log/key-directory.js';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

interface Fields {
  segment: number;
  position: number;
  size: number;
  offset: number;
  expireAtMs: number | undefined;
}

function fieldsOf(d: KeyDirectory, id: number): Fields {
  return {
    segment: d.segmentOf(id),
    position: d.positionOf(id),
    size: d.sizeOf(id),
    offset: d.offsetOf(id),
    expireAtMs: d.expireAtOf(id),
  };
}

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const fields: fc.Arbitrary<Fields> = fc.record({
  segment: fc.oneof(fc.nat(20), u32),
  position: u32,
  size: u32,
  offset: fc.oneof(fc.nat(1000), fc.maxSafeNat()),
  expireAtMs: fc.option(fc.oneof(fc.integer({ min: -(2 ** 50), max: 2 ** 50 }), fc.double({ noNaN: true, noDefaultInfinity: true })), {
    nil: undefined,
  }),
});

/** Counter `i` written big-endian into the last 4 of 16 bytes (first 12 fixed). */
function counterKey(i: number, into = new Uint8Array(16)): Uint8Array {
  into[12] = i >>> 24;
  into[13] = (i >>> 16) & 0xff;
  into[14] = (i >>> 8) & 0xff;
  into[15] = i & 0xff;
  return into;
}

type Op =
  | { op: 'set'; k: number; f: Fields }
  | { op: 'delete'; k: number }
  | { op: 'lookup'; k: number }
  | { op: 'compact' };

/** A pool of distinct keys: the empty key, short and long ones, sometimes a 65535-byte one. */
const keyPool = fc
  .tuple(
    fc.uniqueArray(fc.oneof({ arbitrary: fc.uint8Array({ minLength: 1, maxLength: 4 }), weight: 3 }, fc.uint8Array({ minLength: 5, maxLength: 300 })), {
      minLength: 1,
      maxLength: 14,
      selector: hex,
    }),
    fc.nat(10),
    fc.integer({ min: 0, max: 255 }),
  )
  .map(([keys, big, fill]) => {
    const pool = [new Uint8Array(0), ...keys];
    // One case in eleven carries a key at the length limit.
    if (big === 0) pool.push(new Uint8Array(0xffff).fill(fill));
    return pool;
  });

const ops = (n: number): fc.Arbitrary<Op[]> =>
  fc.array(
    fc.oneof(
      { arbitrary: fc.record({ op: fc.constant('set' as const), k: fc.nat(n - 1), f: fields }), weight: 6 },
      { arbitrary: fc.record({ op: fc.constant('delete' as const), k: fc.nat(n - 1) }), weight: 3 },
      { arbitrary: fc.record({ op: fc.constant('lookup' as const), k: fc.nat(n - 1) }), weight: 2 },
      { arbitrary: fc.constant({ op: 'compact' as const }), weight: 1 },
    ),
    { maxLength: 80 },
  );

t.test('model: set/delete/lookup/compact agree with a Map, ids follow onMove', async (t) => {
  fc.assert(
    fc.property(
      keyPool.chain((pool) => fc.tuple(fc.constant(pool), ops(pool.length))),
      fc.constantFrom(0, 1, 2, 8, 64),
      fc.constantFrom(0, 16, 1 << 20),
      ([pool, steps], initialCapacity, autoCompactMinDeadBytes) => {
        const model = new Map<string, Fields>();
        // The id each live key had when set, kept current through onMove.
        const idOf = new Map<string, number>();
        let moves: Array<[number, number]> = [];
        const onMove = (oldId: number, newId: number): void => {
          moves.push([oldId, newId]);
        };
        /** Applies the moves of one operation to idOf, all at once (the first expiry's may go either way). */
        const applyMoves = (compaction: boolean): void => {
          const holder = new Map([...idOf].map(([k, id]) => [id, k]));
          for (const [oldId, newId] of moves) {
            if (compaction) assert.ok(newId < oldId, 'compaction moves go down');
            const k = holder.get(oldId);
            assert.ok(k !== undefined, `onMove of an id nobody holds: ${oldId}`);
            idOf.set(k, newId);
          }
          moves = [];
        };
        const d = new KeyDirectory(initialCapacity, { onMove, autoCompactMinDeadBytes });

        for (const step of steps) {
          if (step.op === 'set') {
            const key = pool[step.k]!;
            const k = hex(key);
            const f = step.f;
            const id = d.set(key, f.segment, f.position, f.size, f.offset, f.expireAtMs);
            applyMoves(false);
            if (idOf.has(k)) assert.equal(id, idOf.get(k), 'an update keeps the id (moved by onMove at most)');
            idOf.set(k, id);
            model.set(k, f);
          } else if (step.op === 'delete') {
            const key = pool[step.k]!;
            const k = hex(key);
            // idOf must drop the key before delete(): an automatic compaction
            // inside delete() reports moves of the other keys only.
            idOf.delete(k);
            assert.equal(d.delete(key), model.delete(k));
            applyMoves(true);
          } else if (step.op === 'lookup') {
            const key = pool[step.k]!;
            const k = hex(key);
            assert.equal(d.lookup(key), idOf.has(k) ? idOf.get(k) : -1);
          } else {
            d.compact();
            applyMoves(true);
          }

          assert.equal(d.size, model.size);
          for (const key of pool) {
            const k = hex(key);
            const id = d.lookup(key);
            const want = model.get(k);
            if (want === undefined) {
              assert.equal(id, -1, `absent key ${k.slice(0, 16)} found`);
              continue;
            }
            assert.equal(id, idOf.get(k), 'lookup gives the id set() gave, moved by onMove');
            assert.ok(d.has(id));
            assert.deepStrictEqual(fieldsOf(d, id), { ...want });
            assert.equal(hex(d.keyOf(id)), k);
          }
          const ids = [...d.ids()];
          assert.deepStrictEqual(
            ids.map((id) => hex(d.keyOf(id))).sort(),
            [...model.keys()].sort(),
            'ids() enumerates exactly the live keys',
          );
          assert.deepStrictEqual([...ids].sort((a, b) => a - b), [...idOf.values()].sort((a, b) => a - b));
        }
      },
    ),
    { numRuns: 300 },
  );
  t.pass('directory agrees with the model');
});

t.test('automatic compaction runs, reclaims the arena and reports every move', async (t) => {
  const moves: Array<[number, number]> = [];
  const d = new KeyDirectory(4, { onMove: (a, b) => moves.push([a, b]), autoCompactMinDeadBytes: 0 });
  const key = (i: number) => new Uint8Array(32).fill(i);
  for (let i = 0; i < 100; i++) d.set(key(i), i, i * 10, i + 1, i * 1000, i % 2 === 0 ? undefined : i);
  const grown = d.memoryBytes();
  // Delete the first 60: the arena passes half dead, a compaction moves ids.
  for (let i = 0; i < 60; i++) assert.equal(d.delete(key(i)), true);
  t.ok(moves.length > 0, 'onMove was called by the automatic compaction');
  t.ok(d.memoryBytes() < grown, `memory went down (${grown} -> ${d.memoryBytes()})`);
  for (let i = 0; i < 100; i++) {
    const id = d.lookup(key(i));
    if (i < 60) assert.equal(id, -1);
    else assert.deepStrictEqual(fieldsOf(d, id), { segment: i, position: i * 10, size: i + 1, offset: i * 1000, expireAtMs: i % 2 === 0 ? undefined : i });
  }
  t.equal(d.size, 40);

  // An explicit compact() packs the entries (no byte between them: the ids are the running sum of
  // the entries' sizes, 16 words for a 32-byte key with an expiry), keeps their order, and its own
  // callback wins.
  const own: Array<[number, number]> = [];
  const order = [...d.ids()].map((id) => hex(d.keyOf(id)));
  moves.length = 0;
  d.compact((a, b) => own.push([a, b]));
  t.same([...d.ids()], Array.from({ length: 40 }, (_, i) => i * 16));
  t.same([...d.ids()].map((id) => hex(d.keyOf(id))), order, 'the same order');
  t.ok(own.length > 0 && own.every(([a, b]) => b < a), 'moves go down');
  t.equal(moves.length, 0, 'the constructor\'s callback is not called');
  for (let i = 60; i < 100; i++) assert.notEqual(d.lookup(key(i)), -1);

  // The default threshold keeps small directories from compacting over a few bytes.
  const quiet = new KeyDirectory(4, { onMove: () => assert.fail('no automatic compaction expected') });
  for (let i = 0; i < 100; i++) quiet.set(key(i), 0, 0, 0, 0, undefined);
  for (let i = 0; i < 99; i++) quiet.delete(key(i));
  t.equal(quiet.size, 1);
  t.equal(quiet.lookup(key(0)), -1);
  t.not(quiet.lookup(key(99)), -1);
});

/** Keys whose hashes share their top `bits` bits: one home bucket in any table of up to 2^bits buckets. */
function sameBucketKeys(count: number, bits: number): Uint8Array[] {
  const byBucket = new Map<number, number[]>();
  const probe = new Uint8Array(16);
  for (let i = 0; ; i++) {
    const b = hashKey(counterKey(i, probe)) >>> (32 - bits);
    let list = byBucket.get(b);
    if (list === undefined) byBucket.set(b, (list = []));
    list.push(i);
    if (list.length === count) return list.map((j) => counterKey(j));
  }
}

/** Keys whose hashes start with `bits` one bits: their home is the last bucket of any table of up to 2^bits, so their probe run wraps to the start. */
function lastBucketKeys(count: number, bits: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const probe = new Uint8Array(16);
  const top = 2 ** bits - 1;
  for (let i = 0; out.length < count; i++) if (hashKey(counterKey(i, probe)) >>> (32 - bits) === top) out.push(counterKey(i));
  return out;
}

t.test('growth: every key stays findable while the old table drains into the new, across updates and deletes', async (t) => {
  // Long probe runs (one home bucket), runs that wrap past the table's end, and plain keys.
  const pool = [...sameBucketKeys(30, 10), ...lastBucketKeys(30, 8), ...Array.from({ length: 240 }, (_, i) => counterKey(0x5000000 + i))];
  type Step = [number, 'set' | 'delete' | 'lookup'];
  fc.assert(
    fc.property(
      fc.constantFrom(0, 8, 100),
      fc.array(fc.tuple(fc.nat(pool.length - 1), fc.constantFrom<Step[1]>('set', 'set', 'set', 'delete', 'lookup')), { minLength: 300, maxLength: 1500, size: 'max' }),
      (cap, steps) => {
        const d = new KeyDirectory(cap);
        const model = new Map<number, number>();
        const valueOf = (k: number): number | undefined => {
          const id = d.lookup(pool[k]!);
          return id === -1 ? undefined : d.segmentOf(id);
        };
        steps.forEach(([k, op], n) => {
          if (op === 'set') {
            d.set(pool[k]!, n, k, 1, n, undefined);
            model.set(k, n);
          } else if (op === 'delete') {
            assert.equal(d.delete(pool[k]!), model.delete(k), `delete of key ${k} at step ${n}`);
          }
          assert.equal(valueOf(k), model.get(k), `key ${k} after step ${n}`);
          if (n % 10 === 0 || n === steps.length - 1) {
            assert.equal(d.size, model.size);
            for (let i = 0; i < pool.length; i++) assert.equal(valueOf(i), model.get(i), `key ${i} after step ${n}`);
          }
        });
      },
    ),
    { numRuns: 150 },
  );
  t.pass('no key lost or duplicated while tables drain');
});

/**
 * Pairs of distinct keys with equal 32-bit hashes (birthday search). Keys that
 * differ in one aligned 4-byte word never collide under murmur3 (each step is
 * a bijection of that word), so two words vary here.
 */
function fullCollisions(pairs: number): Array<[Uint8Array, Uint8Array]> {
  const twoWords = (i: number, into = new Uint8Array(16)): Uint8Array => {
    counterKey(i, into);
    const w = Math.imul(i, 0x9e3779b1);
    into[8] = w >>> 24;
    into[9] = (w >>> 16) & 0xff;
    into[10] = (w >>> 8) & 0xff;
    into[11] = w & 0xff;
    return into;
  };
  const seen = new Map<number, number>();
  const out: Array<[Uint8Array, Uint8Array]> = [];
  const probe = new Uint8Array(16);
  for (let i = 0; out.length < pairs; i++) {
    const h = hashKey(twoWords(i, probe));
    const j = seen.get(h);
    if (j !== undefined) out.push([twoWords(j), twoWords(i)]);
    else seen.set(h, i);
  }
  return out;
}

t.test('freeze: the frozen view keeps its moment through every later change', async (t) => {
  type Change = [number, 'update' | 'insert' | 'delete' | 'relocate' | 'expiry' | 'compact'];
  // Past one 1 MiB chunk of entries, so that views span several.
  const N = 40_000;
  const keys = Array.from({ length: 2 * N }, (_, i) => counterKey(0x6000000 + i));
  /** Everything the view shows: each live entry's key and place, in the view's order. */
  const viewOf = async (f: FrozenDirectory): Promise<string[]> => {
    const arena = await f.arena(() => undefined);
    const out: string[] = [];
    for (let id = f.next(-1); id >= 0; id = f.next(id)) {
      const at = f.keyOffsetOf(id);
      const key = hex(arena.subarray(at, at + (arena[at - 2]! | (arena[at - 1]! << 8))));
      out.push(`${key} ${f.segmentOf(id)} ${f.positionOf(id)} ${f.sizeOf(id)} ${f.offsetOf(id)} ${f.expireAtOf(id)}`);
    }
    return out;
  };
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 30_000, max: N })),
      fc.boolean(),
      fc.array(fc.tuple(fc.nat(2 * N - 1), fc.constantFrom<Change[1]>('update', 'insert', 'delete', 'relocate', 'expiry', 'compact')), { minLength: 1, maxLength: 400 }),
      async (n, withExpiry, changes) => {
        const d = new KeyDirectory(8, { autoCompactMinDeadBytes: 0 });
        for (let i = 0; i < n; i++) d.set(keys[i]!, 1, i, 10 + i, i, withExpiry && i % 3 === 0 ? 1e12 + i : undefined);
        for (let i = 0; i < n; i += 7) d.delete(keys[i]!);
        const frozen = d.freeze();
        const before = await viewOf(frozen);
        assert.equal(before.length, frozen.count);
        for (const [k, change] of changes) {
          const key = keys[k]!;
          if (change === 'update') d.set(key, 2, k, 99, 5000 + k, undefined);
          else if (change === 'insert') d.set(keys[(k % N) + N]!, 3, k, 77, 9000 + k, undefined);
          else if (change === 'delete') d.delete(key);
          else if (change === 'relocate') {
            const id = d.lookup(key);
            if (id >= 0) d.relocate(id, 4, k + 1);
          } else if (change === 'expiry') d.set(key, 5, k, 55, 7000 + k, 2e12);
          else d.compact();
        }
        assert.deepStrictEqual(await viewOf(frozen), before, 'the frozen view is unchanged');
      },
    ),
    { numRuns: 25 },
  );
  t.pass('frozen views hold');
});

t.test('collisions: deletes from the middle of long chains keep every other key findable', async (t) => {
  const chain = sameBucketKeys(40, 12);
  const others = Array.from({ length: 40 }, (_, i) => counterKey(0x7000000 + i));
  const all = [...chain, ...others];
  fc.assert(
    fc.property(
      fc.constantFrom(0, 8, 64),
      fc.shuffledSubarray(all.map((_, i) => i)),
      fc.shuffledSubarray(all.map((_, i) => i)),
      (cap, insertOrder, deleteOrder) => {
        const d = new KeyDirectory(cap, { autoCompactMinDeadBytes: 0 });
        const live = new Set<number>();
        for (const i of insertOrder) {
          d.set(all[i]!, i, i, i, i, undefined);
          live.add(i);
        }
        const check = (): void => {
          assert.equal(d.size, live.size);
          for (let i = 0; i < all.length; i++) {
            const id = d.lookup(all[i]!);
            if (live.has(i)) assert.equal(id !== -1 && d.segmentOf(id), i, `key ${i} lost`);
            else assert.equal(id, -1, `deleted key ${i} found`);
          }
        };
        check();
        for (const i of deleteOrder) {
          assert.equal(d.delete(all[i]!), live.delete(i));
          check();
        }
        // Reinsert what was deleted into the holes the deletes left.
        for (const i of deleteOrder) {
          d.set(all[i]!, i, i, i, i, undefined);
          live.add(i);
        }
        check();
      },
    ),
    { numRuns: 200 },
  );
  t.pass('chains stay correct');
});

t.test('collisions: keys with equal 32-bit hashes are told apart by their bytes', async (t) => {
  const pairs = fullCollisions(3);
  const d = new KeyDirectory(2);
  for (const [a, b] of pairs) {
    t.equal(hashKey(a), hashKey(b));
    t.not(hex(a), hex(b));
    d.set(a, 1, 0, 0, 0, undefined);
    d.set(b, 2, 0, 0, 0, undefined);
  }
  for (const [a, b] of pairs) {
    t.equal(d.segmentOf(d.lookup(a)), 1);
    t.equal(d.segmentOf(d.lookup(b)), 2);
  }
  for (const [a, b] of pairs) {
    t.equal(d.delete(a), true);
    t.equal(d.lookup(a), -1);
    t.equal(d.segmentOf(d.lookup(b)), 2);
    t.equal(d.delete(a), false);
  }
  t.equal(d.size, pairs.length);
});

t.test('memory: at most 40 bytes per key beyond the key bytes at 1M 16-byte keys (issue 16)', async (t) => {
  const N = 1_000_000;
  const d = new KeyDirectory();
  const key = new Uint8Array(16).fill(0xab);
  const started = performance.now();
  for (let i = 0; i < N; i++) d.set(counterKey(i, key), i & 7, i, 100, i, undefined);
  const ms = performance.now() - started;
  t.equal(d.size, N);
  const perKey = d.memoryBytes() / N - 16;
  t.comment(`${d.memoryBytes()} bytes for ${N} keys: ${perKey.toFixed(1)} bytes/key beyond the 16 key bytes (inserted in ${ms.toFixed(0)} ms)`);
  t.ok(perKey <= 40, `${perKey.toFixed(1)} bytes/key <= 40`);
  for (let i = 0; i < N; i += 9973) {
    const id = d.lookup(counterKey(i, key));
    assert.equal(d.positionOf(id), i);
  }
  t.equal(d.lookup(counterKey(N, key)), -1);
});

t.test('the empty key and a key at the 65535-byte limit', async (t) => {
  const d = new KeyDirectory(0);
  const big = new Uint8Array(0xffff).map((_, i) => i * 31);
  const empty = new Uint8Array(0);
  const a = d.set(empty, 1, 2, 3, 4, 5);
  const b = d.set(big, 6, 7, 8, 9, undefined);
  t.equal(d.lookup(empty), a);
  t.equal(d.lookup(Buffer.alloc(0)), a);
  t.equal(d.lookup(big), b);
  t.equal(d.keyOf(a).length, 0);
  t.equal(Buffer.compare(d.keyOf(b), big), 0);
  const nearly = big.slice();
  nearly[0xfffe] = nearly[0xfffe]! ^ 1;
  t.equal(d.lookup(nearly), -1, 'a key differing in its last byte is another key');
  t.same(fieldsOf(d, a), { segment: 1, position: 2, size: 3, offset: 4, expireAtMs: 5 });
  t.equal(d.delete(empty), true);
  t.equal(d.lookup(empty), -1);
  t.equal(d.lookup(big), b);
  t.equal(d.size, 1);
});

t.test('bad input: INVALID_ARGUMENT and the directory unchanged', async (t) => {
  const d = new KeyDirectory(4);
  const k = (s: string) => Buffer.from(s);
  d.set(k('a'), 1, 10, 100, 1000, undefined);
  d.set(k('b'), 2, 20, 200, 2000, 12345);
  const snapshot = () => ({
    size: d.size,
    memory: d.memoryBytes(),
    entries: [...d.ids()].map((id) => [hex(d.keyOf(id)), id, fieldsOf(d, id)]),
  });
  const before = snapshot();
  const bad: Array<[string, () => unknown]> = [
    ['oversize key', () => d.set(new Uint8Array(0x10000), 0, 0, 0, 0, undefined)],
    ['negative position', () => d.set(k('c'), 0, -1, 0, 0, undefined)],
    ['float position', () => d.set(k('a'), 0, 1.5, 0, 0, undefined)],
    ['position past u32', () => d.set(k('c'), 0, 2 ** 32, 0, 0, undefined)],
    ['NaN segment', () => d.set(k('c'), NaN, 0, 0, 0, undefined)],
    ['segment past u32', () => d.set(k('a'), 2 ** 32, 0, 0, 0, undefined)],
    ['negative size', () => d.set(k('c'), 0, 0, -5, 0, undefined)],
    ['unsafe offset', () => d.set(k('c'), 0, 0, 0, 2 ** 53, undefined)],
    ['negative offset', () => d.set(k('b'), 0, 0, 0, -1, undefined)],
    ['NaN expiry', () => d.set(k('c'), 0, 0, 0, 0, NaN)],
    ['infinite expiry', () => d.set(k('b'), 0, 0, 0, 0, Infinity)],
    ['not bytes', () => d.set('a' as unknown as Uint8Array, 0, 0, 0, 0, undefined)],
    ['key range past its buffer', () => d.setAt(k('abc'), 2, 2, 0, 0, 0, 0, undefined)],
    ['negative key start', () => d.setAt(k('abc'), -1, 1, 0, 0, 0, 0, undefined)],
    ['fractional key length', () => d.setAt(k('abc'), 0, 1.5, 0, 0, 0, 0, undefined)],
    ['setAt of no bytes', () => d.setAt('abc' as unknown as Uint8Array, 0, 1, 0, 0, 0, 0, undefined)],
    ['negative reserve', () => d.reserve(-1, 0)],
    ['fractional reserve', () => d.reserve(1, 0.5)],
  ];
  for (const [what, f] of bad) {
    let caught: unknown;
    try {
      f();
    } catch (e) {
      caught = e;
    }
    t.ok(caught instanceof LogkvError && caught.code === 'INVALID_ARGUMENT', `${what}: INVALID_ARGUMENT (${String(caught)})`);
    t.same(snapshot(), before, `${what}: unchanged`);
  }
  t.equal(d.lookup(new Uint8Array(0x10000)), -1);
  t.throws(() => new KeyDirectory(-1), { code: 'INVALID_ARGUMENT' });
  t.throws(() => new KeyDirectory(1.5), { code: 'INVALID_ARGUMENT' });
  t.throws(() => new KeyDirectory(8, { autoCompactMinDeadBytes: -1 }), { code: 'INVALID_ARGUMENT' });
  // The limits themselves are accepted.
  const id = d.set(new Uint8Array(0xffff), 0xffffffff, 0xffffffff, 0xffffffff, Number.MAX_SAFE_INTEGER, -1);
  t.same(fieldsOf(d, id), { segment: 0xffffffff, position: 0xffffffff, size: 0xffffffff, offset: Number.MAX_SAFE_INTEGER, expireAtMs: -1 });
});

t.test('setAt and lookupAt read the key from a range of a larger buffer, as set and lookup do from the key', async (t) => {
  fc.assert(
    fc.property(keyPool, fc.array(fc.tuple(fc.nat(40), fields), { maxLength: 60 }), fc.nat(7), (pool, writes, pad) => {
      const a = new KeyDirectory(0);
      const b = new KeyDirectory(0);
      for (const [k, f] of writes) {
        const key = pool[k % pool.length]!;
        // The key sits inside other bytes, which must not leak into it.
        const around = new Uint8Array(pad + key.length + 3).fill(0xee);
        around.set(key, pad);
        const ia = a.set(key, f.segment, f.position, f.size, f.offset, f.expireAtMs);
        const ib = b.setAt(around, pad, key.length, f.segment, f.position, f.size, f.offset, f.expireAtMs);
        assert.equal(ib, ia);
        assert.equal(b.lookupAt(around, pad, key.length), ia);
      }
      assert.equal(b.size, a.size);
      for (const key of pool) {
        const id = a.lookup(key);
        assert.equal(b.lookup(key), id);
        if (id >= 0) {
          assert.deepStrictEqual(fieldsOf(b, id), fieldsOf(a, id));
          assert.equal(hex(b.keyOf(id)), hex(key));
        }
      }
    }),
    { numRuns: 300 },
  );
  t.pass('setAt agrees with set');
});

t.test('reserve: loading what was reserved grows nothing', async (t) => {
  const N = 50_000;
  const d = new KeyDirectory(8);
  d.set(Buffer.from('before'), 0, 0, 16, 0, undefined);
  d.reserve(N, 16 * N);
  const memory = d.memoryBytes();
  const key = new Uint8Array(16).fill(0x5a);
  for (let i = 0; i < N; i++) d.set(counterKey(i, key), 1, i, 100, i, undefined);
  t.equal(d.memoryBytes(), memory, 'no growth while loading the reserved entries');
  t.equal(d.size, N + 1);
  for (let i = 0; i < N; i += 997) t.equal(d.positionOf(d.lookup(counterKey(i, key))), i);
  t.equal(d.segmentOf(d.lookup(Buffer.from('before'))), 0, 'what was there before is kept');
  // reserve() counts each key's padding to a word at its most (3 bytes; none for these): past what it
  // over-asked, the directory grows as before.
  let more = 0;
  while (d.memoryBytes() === memory && more < N) d.set(counterKey(N + more++, key), 1, N, 100, N, undefined);
  t.ok(d.memoryBytes() > memory, 'past the reservation it grows as before');
  t.ok(more <= Math.ceil(N / 10), `it grew after ${more} keys past the ${N} reserved`);
  d.reserve(0, 0);
  t.equal(d.size, N + 1 + more);
});

t.test('forEachKeyByHash visits every live key once, in ascending hash order', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 3000 }), fc.nat(40), (n, deletes) => {
      const d = new KeyDirectory(0);
      for (let i = 0; i < n; i++) d.set(counterKey(i), 0, i, 16, i, undefined);
      for (let i = 0; i < Math.min(n, deletes); i++) d.delete(counterKey(i * 7 % n));
      const byId: number[] = [];
      d.forEachKey((id) => byId.push(id));
      const byHash: number[] = [];
      const hashes: number[] = [];
      d.forEachKeyByHash((id, keys, keyAt, keyLength) => {
        byHash.push(id);
        hashes.push(hashKey(keys.subarray(keyAt, keyAt + keyLength)));
        assert.equal(hex(keys.subarray(keyAt, keyAt + keyLength)), hex(d.keyOf(id)));
      });
      assert.deepStrictEqual([...byHash].sort((a, b) => a - b), byId, 'the same ids');
      assert.ok(hashes.every((h, i) => i === 0 || h >= hashes[i - 1]!), 'ascending hashes');
    }),
    { numRuns: 100 },
  );
  t.pass('hash order');
});

t.test('stillLive: an id answers from its entry until a renumbering, then as has() does', async (t) => {
  const d = new KeyDirectory(4, { autoCompactMinDeadBytes: 0 });
  const key = (i: number) => Buffer.from(`key-${i}-${'x'.repeat(i % 23)}`);
  for (let i = 0; i < 2000; i++) d.set(key(i), 1, i * 100, 100, i, undefined);
  const takenAt = d.renumberings;
  const ids = Array.from({ length: 2000 }, (_, i) => d.lookup(key(i)));
  // Deletes and updates in place renumber nothing: a deleted key's id is dead, the others still live.
  for (let i = 0; i < 2000; i += 3) d.delete(key(i));
  for (let i = 1; i < 2000; i += 3) d.set(key(i), 2, i * 100, 100, i + 5000, undefined);
  t.equal(d.renumberings, takenAt, 'no renumbering yet');
  for (let i = 0; i < 2000; i++) assert.equal(d.stillLive(ids[i]!, takenAt), i % 3 !== 0, `key ${i}`);
  // The first expiry repacks every entry with room for one: every id moves.
  d.set(Buffer.from('expiring'), 3, 0, 10, 9999, 1e15);
  t.equal(d.renumberings, takenAt + 1, 'the first expiry renumbered the entries');
  let lookAlikes = 0;
  for (const old of ids) {
    // After the renumbering an old id is judged in full: live only where it now names a live entry.
    assert.equal(d.stillLive(old, takenAt), d.has(old), `old id ${old}`);
    // The entry check alone (what an id taken after the renumbering gets) would take some of them for live entries.
    if (!d.has(old) && d.stillLive(old, d.renumberings)) lookAlikes++;
  }
  t.ok(lookAlikes > 0, `stale ids that look like live entries: ${lookAlikes}; the renumbering count is what tells them apart`);
  t.end();
});
