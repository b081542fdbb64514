// sortByKey (key-order.ts): the snapshot's key order, computed from a key
// arena, must be exactly unsigned byte order, shorter keys before longer
// ones that start with them.

import fc from 'fast-check';
import t from 'tap';
import { sortByKey } from '../../src/log/key-order.js';

function arenaOf(keys: Uint8Array[]): { arena: Uint8Array; offsets: Uint32Array } {
  const arena = new Uint8Array(keys.reduce((n, k) => n + 2 + k.length, 0));
  const offsets = new Uint32Array(keys.length);
  let at = 0;
  keys.forEach((k, i) => {
    offsets[i] = at;
    arena[at] = k.length & 0xff;
    arena[at + 1] = k.length >>> 8;
    arena.set(k, at + 2);
    at += 2 + k.length;
  });
  return { arena, offsets };
}

t.test('sortByKey agrees with Buffer.compare on any distinct keys', async (t) => {
  // Small alphabets make shared prefixes, equal first 4 bytes and keys that are prefixes of others common.
  const key = fc.uint8Array({ maxLength: 9 }).map((k) => k.map((b) => b % 3));
  fc.assert(
    fc.property(fc.uniqueArray(key, { selector: (k) => Buffer.from(k).toString('hex'), maxLength: 60 }), (keys) => {
      const { arena, offsets } = arenaOf(keys);
      const got = Array.from(sortByKey(arena, offsets), (i) => Buffer.from(keys[i]!).toString('hex'));
      const want = [...keys].sort((a, b) => Buffer.compare(a, b)).map((k) => Buffer.from(k).toString('hex'));
      return JSON.stringify(got) === JSON.stringify(want);
    }),
    { numRuns: 300 },
  );
  const { arena, offsets } = arenaOf([Buffer.from([0xff, 0xff, 0xff, 0xff, 1]), Buffer.from([]), Buffer.from([0]), Buffer.from([0xff, 0xff, 0xff, 0xff])]);
  t.same(Array.from(sortByKey(arena, offsets)), [1, 2, 3, 0], 'the empty key first, 0xff bytes last, a prefix before its extension');
});

t.test('sortByKey agrees with Buffer.compare on thousands of keys (the radix passes, runs sharing long heads)', async (t) => {
  // Past the insertion-sort cutoff at every depth: heads of 0-12 shared bytes, small alphabets, keys that are prefixes of others.
  const key = fc
    .tuple(fc.constantFrom('', 'user:', 'user:0000', 'user:00000000'), fc.uint8Array({ maxLength: 10 }).map((k) => k.map((b) => b % 4)))
    .map(([head, tail]) => Buffer.concat([Buffer.from(head), tail]));
  fc.assert(
    fc.property(fc.uniqueArray(key, { selector: (k) => k.toString('hex'), minLength: 200, maxLength: 3000, size: 'max' }), (keys) => {
      const { arena, offsets } = arenaOf(keys);
      const got = Array.from(sortByKey(arena, offsets), (i) => keys[i]!.toString('hex'));
      const want = [...keys].sort((a, b) => Buffer.compare(a, b)).map((k) => k.toString('hex'));
      return JSON.stringify(got) === JSON.stringify(want);
    }),
    { numRuns: 30 },
  );
  const many = Array.from({ length: 20000 }, (_, i) => Buffer.from(`key:${String((i * 7919) % 20000).padStart(8, '0')}`));
  const { arena, offsets } = arenaOf(many);
  const sorted = Array.from(sortByKey(arena, offsets), (i) => many[i]!.toString());
  t.same(sorted, [...many].map((k) => k.toString()).sort(), '20,000 keys sharing their first 8 bytes');
});
