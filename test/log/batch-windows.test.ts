// BatchWindows (batch-windows.ts): the cleaner reads sealed segments 1 MiB
// at a time. Batches that straddle a window, batches bigger than a window,
// and damage past the first window must read as BatchReader over the whole
// file reads them, positions included.

import t from 'tap';
import { BatchReader, type BatchStep } from '../../src/formats/log-segment-reader.js';
import { SEGMENT_HEADER_SIZE } from '../../src/formats/limits.js';
import { LogStore } from '../../src/log/log-store.js';
import { BatchWindows } from '../../src/log/batch-windows.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

const SEG = '/db/00000000000000000000.log';

/** Every step from the start of the segment until the end or the first damage. */
function walk(read: (position: number, minOffset: number) => BatchStep, tail: number): string[] {
  const seen: string[] = [];
  let position = SEGMENT_HEADER_SIZE;
  let minOffset = 0;
  while (position < tail) {
    const step = read(position, minOffset);
    if (step.kind === 'end') break;
    if (step.kind === 'damage') {
      seen.push(`damage ${step.damage.reason} at ${step.damage.offset}`);
      break;
    }
    const b = step.batch;
    seen.push(`batch at ${b.position} (${b.size} B): ${b.records.map((r) => `${r.offset}@${r.position}:${Buffer.from(r.value).subarray(0, 8).toString()}`).join(' ')}`);
    position += b.size;
    minOffset = b.baseOffset + b.lastOffsetDelta + 1;
  }
  return seen;
}

async function segmentWithBigBatches(): Promise<{ io: MemoryFileIO; tail: number }> {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', segmentSize: 16 * 1024 * 1024, autoCompact: false });
  // Sizes chosen so batches end all over the windows: some straddle a 1 MiB boundary, one is 2.5 MiB on its own.
  const sizes = [300_000, 700_000, 90_000, 2_500_000, 400_000, 1_000, 650_000, 1_200_000, 5_000];
  for (const [i, n] of sizes.entries()) await s.put(`k${i}`, `${String(i).padStart(8, '0')}${'x'.repeat(n)}`);
  await s.close();
  return { io, tail: io.readFile(SEG).length };
}

t.test('batches across and beyond windows read as from the whole file', async (t) => {
  const { io, tail } = await segmentWithBigBatches();
  const whole = new BatchReader(io.readFile(SEG));
  const expected = walk((p, m) => whole.at(p, m), tail);
  t.equal(expected.length, 9, 'nine batches');
  const windows = new BatchWindows(io.open(SEG, 'read'), tail);
  t.same(walk((p, m) => windows.at(p, m), tail), expected);
});

t.test('damage past the first window is reported at its file position', async (t) => {
  const { io, tail } = await segmentWithBigBatches();
  const whole = new BatchReader(io.readFile(SEG));
  const batches = walk((p, m) => whole.at(p, m), tail);
  // A byte inside the sixth batch (past 3 MiB).
  const sixth = Number(/^batch at (\d+)/.exec(batches[5]!)![1]);
  const h = io.open(SEG, 'update');
  const b = Buffer.alloc(1);
  h.read(b, sixth + 40);
  b[0]! ^= 0x20;
  h.write(b, sixth + 40);
  h.close();
  const damaged = new BatchReader(io.readFile(SEG));
  const expected = walk((p, m) => damaged.at(p, m), tail);
  t.equal(expected.at(-1), `damage batch-crc at ${sixth}`, 'the whole-file reader sees the damage there');
  const windows = new BatchWindows(io.open(SEG, 'read'), tail);
  t.same(walk((p, m) => windows.at(p, m), tail), expected, 'so do the windows');
});
