// The default kvtool repair never loses what the engine can still serve
// (issue 20): a byte flipped anywhere in a sealed segment, a strict open
// asked for every key, the default `repair --yes`, and every key the
// strict open answered (a value, or absent) answers the same afterwards.
// Batches here hold several records, with overwrites and deletes across
// segments, so a damaged batch holds records the engine serves from the
// segment's hint, deletes among them.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { LogkvError } from '../../src/errors.js';
import { readSegment } from '../../src/formats/log-segment-reader.js';
import { LogStore } from '../../src/log/log-store.js';
import { kvtool } from './run-kvtool.js';
import { batchesOf } from './stores.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-repair-serves-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const KEYS = Array.from({ length: 200 }, (_, i) => `k${i}`);
type Answer = string | undefined | 'CORRUPT';

/** A closed store of small segments: batches of 1 to 5 puts and deletes over a few keys, so keys are overwritten and deleted across segments. */
async function build(dir: string): Promise<void> {
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: 4096, autoCompact: false });
  let n = 0;
  for (let round = 0; round < 150; round++) {
    const size = 1 + (round % 5);
    const ops = Array.from({ length: size }, (_, i) => {
      const key = KEYS[(round * 7 + i * 5) % KEYS.length]!;
      n++;
      return n % 6 === 0 ? ({ type: 'del', key } as const) : ({ type: 'put', key, value: `v${n}-${'x'.repeat(n % 13)}` } as const);
    });
    await s.batch(ops);
  }
  await s.close();
}

async function answers(dir: string): Promise<Map<string, Answer>> {
  const s = await LogStore.open<string>(dir, { autoCompact: false });
  const out = new Map<string, Answer>();
  for (const k of KEYS) {
    try {
      out.set(k, s.get(k));
    } catch (e) {
      if (!(e instanceof LogkvError && e.code === 'CORRUPT')) throw e;
      out.set(k, 'CORRUPT');
    }
  }
  await s.close();
  return out;
}

const base = path.join(tmp, 'base');
await build(base);
const segments = fs
  .readdirSync(base)
  .filter((f) => f.endsWith('.log'))
  .sort()
  .map((f) => path.join(base, f));
const sealed = segments.slice(0, -1);

/**
 * Positions to flip: every byte of three batches of several records that
 * hold a record the engine serves (the newest of its key in the whole
 * log: the hard case), the segment header, and a stride over every sealed
 * segment.
 */
function positions(): Array<[string, number]> {
  const newest = new Map<string, [string, number]>();
  for (const seg of segments) {
    for (const b of readSegment(fs.readFileSync(seg), { resync: true }).batches) for (const r of b.records) newest.set(Buffer.from(r.key).toString(), [seg, r.position]);
  }
  const served = [...newest.values()];
  const out: Array<[string, number]> = [];
  const live = sealed.flatMap((seg) =>
    batchesOf(seg)
      .filter((b) => b.lastOffset > b.baseOffset && served.some(([f, p]) => f === seg && p >= b.position && p < b.position + b.size))
      .map((b) => [seg, b] as const),
  );
  for (const [seg, b] of live.slice(0, 3)) for (let at = b.position; at < b.position + b.size; at++) out.push([seg, at]);
  for (let at = 0; at < 28; at += 3) out.push([sealed[1]!, at]);
  for (const f of sealed) {
    const size = fs.statSync(f).size;
    for (let at = 29; at < size; at += 131) out.push([f, at]);
  }
  return out;
}

t.test('a byte flipped anywhere in a sealed segment: what the strict open served survives the default repair', async (t) => {
  t.ok(sealed.length >= 3, `${sealed.length} sealed segments`);
  t.ok(positions().length > 300, 'three whole batches that hold served records, and more');
  const strict = await answers(base);
  const points = positions();
  let served = 0;
  let refusedBefore = 0;
  let recovered = 0;
  let i = 0;
  for (const [file, at] of points) {
    const dir = path.join(tmp, `p${i++}`);
    fs.cpSync(base, dir, { recursive: true });
    const target = path.join(dir, path.basename(file));
    const bytes = fs.readFileSync(target);
    bytes[at]! ^= 0x20;
    fs.writeFileSync(target, bytes);
    const before = await answers(dir);
    const r = await kvtool('repair', '--yes', dir);
    const where = `${path.basename(file)} byte ${at}`;
    if (r.status !== 0) {
      t.fail(`${where}: repair exit ${r.status}\n${r.stdout}\n${r.stderr}`);
      continue;
    }
    if (r.lines.some((l) => l.includes('recovered from the damaged bytes'))) recovered++;
    const after = await answers(dir);
    const changed = KEYS.filter((k) => before.get(k) !== 'CORRUPT' && after.get(k) !== before.get(k));
    if (changed.length > 0) t.fail(`${where}: ${changed.map((k) => `${k} ${String(before.get(k))} -> ${String(after.get(k))}`).join(', ')}`);
    for (const k of KEYS) {
      if (before.get(k) === 'CORRUPT') refusedBefore++;
      else served++;
      // What the strict open served is what the store held before the damage too (the flip never changes a served value).
      if (before.get(k) !== 'CORRUPT' && before.get(k) !== strict.get(k)) t.fail(`${where}: the damaged store served ${k} = ${String(before.get(k))}`);
    }
    t.equal((await kvtool('verify', '--quiet', dir)).status, 0, `${where}: verify clean after repair`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  t.ok(recovered > 0, `${recovered} of ${points.length} repairs recovered records from damaged bytes`);
  t.comment(`${points.length} flips; ${served} answers the strict open gave kept; ${refusedBefore} refused (CORRUPT) before repair`);
});

t.test('without a hint, the default repair stops and explains; --salvage goes on', async (t) => {
  const dir = path.join(tmp, 'nohint');
  fs.cpSync(base, dir, { recursive: true });
  const seg = path.join(dir, path.basename(sealed[1]!));
  fs.unlinkSync(seg.replace(/\.log$/, '.hint'));
  const batch = batchesOf(seg)[2]!;
  const bytes = fs.readFileSync(seg);
  bytes[batch.position + 12]! ^= 0x20;
  fs.writeFileSync(seg, bytes);
  const listing = fs.readdirSync(dir).sort();
  const stopped = await kvtool('repair', '--yes', dir);
  t.equal(stopped.status, 1, 'stopped');
  t.ok(stopped.lines.some((l) => l.startsWith(`  risk: ${path.basename(seg)} bytes ${batch.position}..`)), 'names the range at risk');
  t.match(stopped.errors.join('\n'), /stopped, nothing changed: 1 damaged range that no hint accounts for .*--salvage.*--truncate-tail/);
  t.same(fs.readdirSync(dir).sort(), listing, 'nothing changed');
  t.same(fs.readFileSync(seg), bytes);
  const went = await kvtool('repair', '--yes', '--salvage', dir);
  t.equal(went.status, 0, went.stdout + went.stderr);
  t.equal((await kvtool('verify', dir)).status, 0);
});
