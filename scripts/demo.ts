// `make demo`: a JournalStore written, closed and reopened; then a log
// segment written with the format layer, read back, and kvtool dump and
// verify run on it, clean and then damaged. The LogStore engine does not
// exist yet, so the log part drives the writers and readers of src/formats
// directly, as the engine will.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeBatch, encodeSegmentHeader, type LogBatch } from '../src/formats/log-segment-writer.js';
import { scanSegment } from '../src/formats/log-segment-reader.js';
import { Op, ValueEncoding } from '../src/formats/limits.js';
import { JournalStore } from '../src/journal/journal-store.js';

const KVTOOL = fileURLToPath(new URL('../cli/kvtool.js', import.meta.url));
const SEGMENT = '00000000000000000000.log';
const PREALLOCATED = 64 * 1024;

const text = (s: string): Buffer => Buffer.from(s, 'utf8');
const heading = (s: string): void => console.log(`\n=== ${s} ===`);

function kvtool(...args: string[]): number {
  console.log(`$ kvtool ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [KVTOOL, ...args], { encoding: 'utf8' });
  if (r.error) throw r.error;
  process.stdout.write(r.stdout);
  process.stdout.write(r.stderr);
  console.log(`(exit code ${r.status})`);
  return r.status ?? -1;
}

function expect(what: string, ok: boolean): void {
  if (!ok) throw new Error(`demo: expected ${what}`);
}

const now = Date.now();
const batches: LogBatch[] = [
  {
    baseOffset: 0,
    timestampMs: now,
    records: [
      { op: Op.Put, offsetDelta: 0, key: text('user:1'), value: text('Ada Lovelace') },
      { op: Op.Put, offsetDelta: 1, key: text('user:2'), value: text('Grace Hopper') },
    ],
  },
  {
    baseOffset: 2,
    timestampMs: now + 1,
    records: [
      { op: Op.Put, offsetDelta: 0, key: text('greeting'), value: text('grüß dich, wörld ✓') },
      { op: Op.Put, offsetDelta: 1, key: text('session:42'), value: text('token-7f3a'), expireAtMs: now + 3_600_000 },
    ],
  },
  { baseOffset: 4, timestampMs: now + 2, records: [{ op: Op.Delete, offsetDelta: 0, key: text('user:2'), value: new Uint8Array(0) }] },
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-demo-'));
try {
  console.log('logkv demo');
  console.log('JournalStore (bounded, for small state) is built. The LogStore engine is not built yet: the log');
  console.log('part of this demo uses the format layer (src/formats writers and readers) directly, the way the');
  console.log('engine will, and the kvtool CLI built on the same readers.');

  heading('1. JournalStore: set, close, reopen');
  const journalBase = path.join(tmp, 'settings');
  const settings = await JournalStore.open(journalBase, { bufferSize: 64 * 1024 });
  console.log(`opened ${journalBase}.jrna/.jrnb: ${settings.openReport.events.map((e) => e.message).join('; ')}`);
  await settings.set('theme', 'dark');
  await settings.setMany({ 'feature.search': true, retries: 3, limits: { rps: 250.5, burst: 2n ** 60n } });
  console.log(`set theme (previous: ${String(await settings.set('theme', 'light'))})`);
  await settings.close();
  const reopened = await JournalStore.open(journalBase);
  console.log(`reopened: dataLoss=${reopened.openReport.dataLoss}, ${reopened.size()} keys`);
  for (const [k, v] of reopened.entries()) console.log(`  ${k} = ${JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x))}`);
  expect('the journal state back after a reopen', reopened.get('theme') === 'light' && reopened.size() === 4);
  await reopened.close();
  expect('kvtool to dump the journal file', kvtool('dump', `${journalBase}.jrna`) === 0);

  heading('2. Write a segment with the format writers');
  const store = path.join(tmp, 'store');
  fs.mkdirSync(store);
  const parts = [encodeSegmentHeader({ baseOffset: 0, valueEncoding: ValueEncoding.Utf8, createdMs: now }), ...batches.map(encodeBatch)];
  const written = Buffer.concat(parts);
  // Preallocated as the engine will: the log ends in zero fill, read as "end of log".
  const file = Buffer.alloc(PREALLOCATED);
  written.copy(file);
  fs.writeFileSync(path.join(store, SEGMENT), file);
  console.log(`store directory: ${store}`);
  console.log(`${SEGMENT}: 28-byte header + ${batches.length} batches = ${written.length} bytes, zero-filled to ${PREALLOCATED} bytes`);
  console.log('batches: 2 puts | a UTF-8 put and a put with an expiry | a delete');

  heading('3. "Reopen": read the segment back with scanSegment');
  const scan = scanSegment(fs.readFileSync(path.join(store, SEGMENT)), {
    onBatch: (b) => {
      console.log(`batch at byte ${b.position} (${b.size} bytes): offsets ${b.baseOffset}..${b.baseOffset + b.lastOffsetDelta}`);
      for (const r of b.records) {
        const key = Buffer.from(r.key).toString('utf8');
        const what = r.op === Op.Delete ? 'delete' : `put = ${JSON.stringify(Buffer.from(r.value).toString('utf8'))}`;
        console.log(`  offset ${r.offset}: ${JSON.stringify(key)} ${what}${r.expireAtMs === undefined ? '' : ` (expires at ${r.expireAtMs})`}`);
      }
    },
  });
  console.log(
    `found ${scan.recordCount} records in ${scan.batchCount} batches; nextOffset=${scan.nextOffset} end=${scan.end} ` +
      `validUpTo=${scan.validUpTo} zeroFill=${scan.zeroFill} damage=${scan.damage.length}`,
  );
  expect('a clean read ending in zero fill', scan.end === 'zero-fill' && scan.damage.length === 0 && scan.nextOffset === 5);

  heading('4. kvtool dump on the directory');
  expect('dump to succeed', kvtool('dump', store) === 0);

  heading('5. kvtool verify on the directory');
  expect('verify to pass (exit 0)', kvtool('verify', store) === 0);

  heading('6. Damage a copy: flip one byte inside the last batch');
  const damaged = path.join(tmp, 'damaged');
  fs.mkdirSync(damaged);
  const copy = Buffer.from(file);
  const lastBatchAt = written.length - parts.at(-1)!.length;
  const flipAt = written.length - 2; // a byte of the last record's key
  copy[flipAt]! ^= 0x01;
  fs.writeFileSync(path.join(damaged, SEGMENT), copy);
  console.log(`copy: ${damaged}`);
  console.log(`flipped bit 0 of byte ${flipAt} (the last batch spans bytes ${lastBatchAt}..${written.length})`);
  expect('verify to report the damage (exit 1)', kvtool('verify', damaged) === 1);
  console.log('');
  expect('dump to show the damaged range and go on', kvtool('dump', damaged) === 0);

  heading('done');
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`removed ${tmp}`);
}
