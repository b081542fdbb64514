// IndexedSegment.find: the lookups an open answers from a segment's index
// file before the key directory holds its keys. Every hash in the file must
// be found with all its slots in position order, absent hashes must not be,
// and a lookup reads a few blocks, not one per search step.

import t from 'tap';
import fc from 'fast-check';
import { encodeSegmentIndex, type IndexSlot } from '../../src/formats/segment-index-writer.js';
import { readIndexHeader } from '../../src/formats/segment-index-reader.js';
import { INDEX_HEADER_SIZE } from '../../src/formats/limits.js';
import { IndexedSegment } from '../../src/log/segment-index.js';
import type { FileHandle } from '../../src/io/file-io.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

/** The index of `slots` in a file, and a count of the reads find makes of it. */
function indexOf(slots: IndexSlot[]) {
  const io = new MemoryFileIO();
  const bytes = encodeSegmentIndex({ segmentBaseOffset: 0, segmentNextOffset: slots.length, coveredLength: 1 << 30, lastBatchPosition: 64 }, slots);
  io.setFile('/x.index', bytes);
  let reads = 0;
  const open = io.open.bind(io);
  io.open = (path, mode) => {
    const h = open(path, mode);
    const counted: FileHandle = Object.create(h) as FileHandle;
    counted.read = (buf, position) => {
      reads++;
      return h.read(buf, position);
    };
    return counted;
  };
  const index = new IndexedSegment(io, '/x.index', readIndexHeader(bytes.subarray(0, INDEX_HEADER_SIZE)));
  return {
    index,
    /** The positions find visits for `hash` (all of them: visit never stops it). */
    positions(hash: number): number[] {
      const out: number[] = [];
      index.find(hash, (position) => {
        out.push(position);
        return false;
      });
      return out;
    },
    reads: () => reads,
  };
}

function expected(slots: IndexSlot[], hash: number): number[] {
  return slots
    .filter((s) => s.hash === hash)
    .map((s) => s.position)
    .sort((a, b) => a - b);
}

t.test('every hash is found with all its slots, in position order; absent hashes are not', async (t) => {
  // Hashes bunched (duplicates, runs across block boundaries, skewed spread) as well as uniform.
  const hashes = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0xfffff000, max: 0xffffffff }));
  await fc.assert(
    fc.property(fc.array(hashes, { minLength: 1, maxLength: 3000 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 20 }), (hs, probes) => {
      const slots = hs.map((hash, i) => ({ hash, position: 64 + i * 40, size: 40, offset: i }));
      const f = indexOf(slots);
      for (const hash of [...new Set(hs)].slice(0, 300)) {
        if (JSON.stringify(f.positions(hash)) !== JSON.stringify(expected(slots, hash))) return false;
      }
      for (const hash of probes) {
        if (JSON.stringify(f.positions(hash)) !== JSON.stringify(expected(slots, hash))) return false;
      }
      return true;
    }),
    { numRuns: 60 },
  );
});

t.test('a lookup in a 200k-slot index of spread hashes reads a few blocks', async (t) => {
  const n = 200_000;
  const slots: IndexSlot[] = [];
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    slots.push({ hash: Math.imul(x ^ (x >>> 15), 2246822507) >>> 0, position: 64 + i * 40, size: 40, offset: i });
  }
  const f = indexOf(slots);
  let worst = 0;
  let total = 0;
  let missed = 0;
  for (let i = 0; i < 2000; i++) {
    const s = slots[(i * 7919) % n]!;
    const before = f.reads();
    if (!f.positions(s.hash).includes(s.position)) missed++;
    const reads = f.reads() - before;
    worst = Math.max(worst, reads);
    total += reads;
  }
  t.equal(missed, 0, 'every key looked up is found');
  // Measured: 2.5 reads a lookup, at most 6. With a read per search step (before the block
  // bounds) it was 5.6, at most 19: steps went back and forth between neighbouring blocks.
  t.ok(total / 2000 <= 3.5, `${(total / 2000).toFixed(2)} reads a lookup on average`);
  t.ok(worst <= 6, `at most ${worst} reads a lookup`);
});
