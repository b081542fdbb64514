// kvtool repair on a store whose segment is past the 2 GiB a Buffer (and
// readFileSync) can hold: a real store whose segment is grown into a
// sparse file (its batches, then a hole read as zero fill), a byte flipped
// among the batches. Repair must plan and rewrite or cut it reading a
// window at a time, in memory that does not follow the file's size, and
// leave the store serving what it served. Several MiB of batches, so the
// copies of kept bytes take more than one chunk. Reading 2 GiB of sparse
// zeros costs the kernel ~1 s a GiB here: each case reads it a few times.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { readSegment } from '../../src/formats/log-segment-reader.js';
import { nodeFileIO } from '../../src/io/file-io.js';
import { LogStore } from '../../src/log/log-store.js';
import { writeHint } from '../../src/log/segment-hint.js';
import { parseSegmentFileName } from '../../src/log/segment-names.js';
import { openAndRead, segmentFiles } from './stores.js';
import { timedKvtool } from './timed-kvtool.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-repair-large-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const MiB = 2 ** 20;
const BIG = 2 * 2 ** 30 + 16 * MiB;
/** Peak resident memory allowed: kvtool takes ~75 MB on a store of a few KiB, 85-190 MB here (the collector decides); the file is 2064 MB. */
const PEAK_MB = 250;

/**
 * A closed store of two segments, the first sealed with ~4 MiB of batches.
 * One batch in the middle of it holds the only records of keys `only-*`
 * and the delete of `gone`: what the engine serves from there.
 */
async function build(dir: string): Promise<void> {
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: 4 * MiB, durability: 'none', autoCompact: false });
  await s.put('gone', 'deleted in the batch that is damaged');
  for (let i = 0; i < 6000; i++) {
    if (i === 2400) await s.batch([...[0, 1, 2, 3].map((k) => ({ type: 'put', key: `only-${k}`, value: `the only value of only-${k}` }) as const), { type: 'del', key: 'gone' }]);
    await s.batch([0, 1, 2, 3, 4].map((k) => ({ type: 'put', key: `k${(i * 5 + k) % 700}`, value: `${i}-${k} ${'v'.repeat(140)}` }) as const));
  }
  await s.close();
}

/** Grows `file` to BIG bytes: the hole reads as zero fill after its batches. */
function grow(file: string): void {
  fs.truncateSync(file, BIG);
}

const MASK = 0x20;

function flip(file: string, at: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, at);
    b[0]! ^= MASK;
    fs.writeSync(fd, b, 0, 1, at);
  } finally {
    fs.closeSync(fd);
  }
}

/** The only run of repair under the lost/ folder. */
function lostRun(dir: string): string {
  const runs = fs.readdirSync(path.join(dir, 'lost'));
  if (runs.length !== 1) throw new Error(`expected one repair run in lost/, found ${runs.join(', ')}`);
  return path.join(dir, 'lost', runs[0]!);
}

function checkRun(t: Test, r: ReturnType<typeof timedKvtool>, what: string): void {
  t.equal(r.status, 0, `${what}: exit 0\n${r.out}`);
  t.notMatch(r.out, /RangeError|ERR_FS_FILE_TOO_LARGE|greater than 2 GiB|\n\s+at /, `${what}: no stack trace`);
  if (r.peakMb !== undefined) t.ok(r.peakMb < PEAK_MB, `${what}: peak memory ${r.peakMb.toFixed(0)} MB (the segment is ${BIG / MiB} MiB)`);
  t.comment(`${what}: ${r.seconds.toFixed(1)} s, peak ${r.peakMb?.toFixed(0) ?? '?'} MB`);
}

t.test('a sealed segment over 2 GiB with a damaged batch: the default repair rewrites it, keeping what the engine serves', async (t) => {
  const dir = path.join(tmp, 'sealed');
  await build(dir);
  const segments = segmentFiles(dir);
  t.ok(segments.length >= 2, `${segments.length} segments: the first is sealed`);
  const seg = segments[0]!;
  const original = fs.readFileSync(seg);
  const batches = readSegment(original).batches;
  const damaged = batches.find((b) => b.records.some((r) => Buffer.from(r.key).toString() === 'only-0'))!;
  const end = batches.at(-1)!.position + batches.at(-1)!.size;
  t.ok(damaged.position > 1.5 * MiB && end - damaged.position - damaged.size > 1.5 * MiB, 'megabytes of batches on either side of the damaged one');
  const before = await openAndRead(dir);

  grow(seg);
  // The hint of the grown segment, as the engine would write it: it says what the damaged batch held.
  const { stem, baseOffset } = parseSegmentFileName(path.basename(seg))!;
  const nextOffset = batches.at(-1)!.baseOffset + batches.at(-1)!.lastOffsetDelta + 1;
  t.ok(await writeHint(nodeFileIO, dir, { path: seg, stem, baseOffset, nextOffset }), 'hint written over the grown segment');
  // A field of its header: the salvage search then tries every position of the batch, where lengths read from its records claim up to 1 GiB.
  flip(seg, damaged.position + 12);

  const r = timedKvtool('repair', '--yes', dir);
  checkRun(t, r, 'repair');
  t.match(
    r.out,
    `rewrite ${path.basename(seg)} from its ${batches.length - 1} valid batches, plus 5 records the engine serves recovered from the damaged bytes (${BIG} -> ${end} bytes), leaving out damaged bytes ${damaged.position}..${damaged.position + damaged.size} (batch-crc)`,
  );
  const after = fs.readFileSync(seg);
  t.equal(after.length, end, 'the zero fill is gone: the segment ends after its last batch');
  t.ok(after.subarray(0, damaged.position).equals(original.subarray(0, damaged.position)), 'the batches before the damaged one, byte for byte');
  t.ok(after.subarray(damaged.position + damaged.size).equals(original.subarray(damaged.position + damaged.size, end)), 'and the batches after it');
  t.equal(fs.statSync(path.join(lostRun(dir), path.basename(seg))).size, BIG, 'the original is kept in lost/ whole');
  const reopened = await openAndRead(dir);
  t.ok(reopened.clean, 'a strict open finds nothing to do');
  t.strictSame(reopened.entries, before.entries, 'every key answers as before the damage, only-* and the delete of gone included');
});

t.test('the newest segment over 2 GiB, --truncate-tail: cut at the damaged batch, the bytes after it kept in lost/', async (t) => {
  const dir = path.join(tmp, 'newest');
  await build(dir);
  const seg = segmentFiles(dir).at(-1)!;
  const original = fs.readFileSync(seg);
  const batches = readSegment(original).batches;
  const damaged = batches[Math.floor(batches.length / 2)]!;
  const end = batches.at(-1)!.position + batches.at(-1)!.size;
  grow(seg);
  // The high byte of its length: it claims 512 MiB more, which fit in the file, and must not be read whole to be refused.
  flip(seg, damaged.position + 3);

  const r = timedKvtool('repair', '--yes', '--truncate-tail', dir);
  checkRun(t, r, 'repair --truncate-tail');
  t.match(r.out, `cut ${path.basename(seg)} at byte ${damaged.position} (of ${BIG}): CORRUPT batch-crc at byte ${damaged.position}; bytes ${damaged.position}..${end} go to`);
  t.ok(fs.readFileSync(seg).equals(original.subarray(0, damaged.position)), 'the segment keeps the batches before the damage');
  const kept = fs.readFileSync(path.join(lostRun(dir), `${path.basename(seg)}.at-${damaged.position}`));
  const cut = Buffer.from(original.subarray(damaged.position, end));
  cut[3]! ^= MASK;
  t.ok(kept.equals(cut), 'the cut bytes are kept as they were, without the zero fill after them');
  t.ok((await openAndRead(dir)).clean, 'a strict open finds nothing to do');
});
