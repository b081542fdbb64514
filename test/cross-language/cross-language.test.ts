// Cross-language conformance: Python parsers generated from the same
// formats/*.ksy (generated/, kaitai-struct-compiler 0.10 under Debian's
// python3-kaitaistruct 0.10) read every valid fixture and every file a
// store writes (segments sealed, compacted and active with zero fill,
// hints, segment indexes, manifest journals, a JournalStore with every
// value kind), and
// agree with the JavaScript parsers field for field: every seq field and
// value instance, every byte. Files a parser refuses must be refused by
// both. Skipped, with the reason, when /usr/bin/python3 has no kaitaistruct.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { allFixtures } from '../../scripts/make-fixtures.js';
import { Hint, Journal, LogSegment, SegmentIndex, Snapshot, StoreIdentity, streamOver } from '../../src/formats/kaitai.js';
import { JournalStore } from '../../src/journal/journal-store.js';
import { LogStore } from '../../src/log/log-store.js';
import { writeIndexes } from '../support/segment-indexes.js';

const here = import.meta.dirname;
const root = join(here, '..', '..');
const PYTHON = '/usr/bin/python3';

type Kind = 'segment' | 'hint' | 'index' | 'journal' | 'snapshot' | 'identity';
const MAGIC: Record<string, Kind> = { LKVL: 'segment', LKVH: 'hint', LKVX: 'index', LKVJ: 'journal', LKVS: 'snapshot', LKVI: 'identity' };

/** The kind of the files in each folder of fixtures/. */
const FIXTURE_KIND: Record<string, Kind> = { log: 'segment', hint: 'hint', index: 'index', snapshot: 'snapshot', journal: 'journal', identity: 'identity' };

const norm = (name: string) => name.replace(/_/g, '').toLowerCase();

/** The same tree dump_fields.py prints, from a JavaScript-parsed object. */
function walk(x: unknown): unknown {
  if (x instanceof Uint8Array) return { hex: Buffer.from(x).toString('hex') };
  if (Array.isArray(x)) return x.map(walk);
  if (typeof x === 'number') {
    if (Number.isNaN(x)) return { special: 'NaN' };
    if (x === Infinity || x === -Infinity) return { special: x > 0 ? 'Infinity' : '-Infinity' };
    if (Object.is(x, -0)) return { special: '-0' };
    return x;
  }
  if (x === null || typeof x !== 'object') return x;
  if (!('_io' in x)) throw new Error(`cannot walk ${String(x)}`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) if (!k.startsWith('_') && v !== undefined) out[norm(k)] = walk(v);
  for (let p = Object.getPrototypeOf(x) as object | null; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(p))) {
      if (d.get && !k.startsWith('_')) out[norm(k)] = walk((x as Record<string, unknown>)[k]);
    }
  }
  return out;
}

/** JSON with keys sorted at every level, so both sides compare as text. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x !== null && typeof x === 'object') {
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(x);
}

function parseJs(kind: Kind, bytes: Buffer): { fields: unknown } | { error: string } {
  const io = streamOver(bytes);
  try {
    const parsers: Record<Kind, () => unknown> = {
      segment: () => new LogSegment(io),
      hint: () => new Hint(io),
      index: () => new SegmentIndex(io),
      journal: () => new Journal(io),
      identity: () => new StoreIdentity(io),
      snapshot: () => new Snapshot(io),
    };
    const parsed = parsers[kind]();
    return { fields: walk(parsed) };
  } catch (e) {
    return { error: e instanceof Error ? e.name : String(e) };
  }
}

function pythonStatus(): { ok: true; version: string } | { ok: false; reason: string } {
  const r = spawnSync(PYTHON, ['-c', 'import kaitaistruct; print(kaitaistruct.__version__)'], { encoding: 'utf8' });
  if (r.error) return { ok: false, reason: `${PYTHON} cannot run (${r.error.message}); make test installs python3 and python3-kaitaistruct when it runs as root` };
  if (r.status !== 0) return { ok: false, reason: `${PYTHON} has no kaitaistruct module; make test installs Debian's python3-kaitaistruct when it runs as root` };
  return { ok: true, version: r.stdout.trim() };
}

/** Every file under `dir` that is (or is named as) one of ours, with its kind. */
function storeFiles(dir: string): Array<{ path: string; kind: Kind }> {
  const out: Array<{ path: string; kind: Kind }> = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      out.push(...storeFiles(path));
      continue;
    }
    const magic = readFileSync(path).subarray(0, 4).toString('latin1');
    const kind = MAGIC[magic] ?? (/\.jrn[ab]$/.test(name) ? 'journal' : /\.log$/.test(name) ? 'segment' : undefined);
    if (kind) out.push({ path, kind });
  }
  return out;
}

/** A store of each kind written through the engines, as the crash suite's workloads do. */
async function writeStores(dir: string): Promise<void> {
  let now = 1_700_000_000_000;
  const log = await LogStore.open<string>(join(dir, 'log'), { valueEncoding: 'utf8', segmentSize: 4096, autoCompact: false, tombstoneRetentionMs: 0, now: () => now });
  for (let i = 0; i < 60; i++) {
    now += 7;
    if (i % 9 === 4) await log.delete(`k${i % 6}`);
    else if (i % 7 === 3) await log.batch([{ type: 'put', key: `b${i}`, value: 'batch', ttlMs: 50_000 }, { type: 'del', key: `k${(i + 1) % 6}` }]);
    else await log.put(`k${i % 6}`, `${i}:${'v'.repeat((i * 113) % 500)}`, i % 5 === 0 ? { expireAt: now + 1000 } : {});
  }
  await log.incr('n', 42);
  await log.lock('lock', 'w1', 5000);
  await log.put(new Uint8Array([0, 255, 7]), 'binary key');
  await log.compact();
  await log.put('after', 'compaction');
  await log.close();
  // Beside every hint, the index the engine makes from it (test/support/segment-indexes.ts).
  writeIndexes(join(dir, 'log'));
  // Left open: the active segment keeps its zero fill, as after a kill.
  const open = await LogStore.open<unknown>(join(dir, 'open'), { valueEncoding: 'json', segmentSize: 8192 });
  for (let i = 0; i < 20; i++) await open.put(`j${i}`, { i, list: [i, 'x'] });
  mkdirSync(join(dir, 'journal'));
  const journal = await JournalStore.open(join(dir, 'journal', 'state'), { bufferSize: 4096 });
  for (let i = 0; i < 30; i++) {
    await journal.setMany([
      ['null', null],
      ['bools', [true, false]],
      ['ints', [i, -i, 2n ** 62n, -(2n ** 63n)]],
      ['floats', [1.5, NaN, -Infinity, -0, 1e300]],
      ['text', `ключ ${i}`],
      ['bytes', new Uint8Array([i, 0, 255])],
      ['object', { nested: { deep: [i, 'x'.repeat(i * 5)] } }],
    ]);
  }
  await journal.close();
  await open.close();
}

t.test('the generated Python is what formats/*.ksy compile to today (make formats)', async (t) => {
  const r = spawnSync(process.execPath, [join(here, 'build-python.mjs'), '--check'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stdout + r.stderr);
});

const python = pythonStatus();
t.test('Python parsers agree with the JavaScript parsers field for field', { skip: python.ok ? false : python.reason }, async (t) => {
  // Damaged index fixtures too: fixed-size slots parse the same whatever their CRCs say, and a torn or foreign file is refused by both.
  const fixtures = allFixtures()
    .filter((f) => f.file.startsWith('index/') || !(f.expected.kind === 'error' || (f.expected.kind === 'log' && f.expected.damage.length > 0) || (f.expected.kind === 'journal' && f.expected.damage)))
    .map((f) => ({ path: join(root, 'fixtures', f.file), kind: FIXTURE_KIND[f.file.split('/')[0]!]! }));
  const dir = mkdtempSync(join(tmpdir(), 'logkv-xlang-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await writeStores(dir);
  const written = storeFiles(dir);
  const jobs = [...fixtures, ...written];
  const r = spawnSync(PYTHON, [join(here, 'dump_fields.py')], { input: JSON.stringify(jobs), encoding: 'utf8', maxBuffer: 1 << 30 });
  t.equal(r.status, 0, `dump_fields.py ran: ${r.stderr}`);
  const py = new Map(
    r.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { path: string; fields?: unknown; error?: string })
      .map((x) => [x.path, x]),
  );
  let agreed = 0;
  let instancesSeen = false;
  let refusedByBoth = 0;
  const kinds = new Map<string, number>();
  for (const job of jobs) {
    const js = parseJs(job.kind, readFileSync(job.path));
    const p = py.get(job.path);
    const name = job.path.startsWith(dir) ? `written ${job.path.slice(dir.length + 1)}` : `fixture ${job.path.slice(root.length + 1)}`;
    if (!p) {
      t.fail(`${name}: no answer from Python`);
      continue;
    }
    if ('error' in js || p.error) {
      t.ok('error' in js && p.error, `${name}: both refuse it (JS ${'error' in js ? js.error : 'parsed'}, Python ${p.error ?? 'parsed'})`);
      refusedByBoth++;
      continue;
    }
    const a = canonical(js.fields);
    const b = canonical(p.fields);
    if (job.kind === 'segment' && /"records"/.test(a)) instancesSeen ||= /"iscompacted":(true|false)/.test(a) && /"hasexpiry":(true|false)/.test(a);
    if (a === b) agreed++;
    else t.equal(b, a, `${name}: Python and JavaScript read the same fields`);
    kinds.set(job.kind, (kinds.get(job.kind) ?? 0) + 1);
  }
  t.ok(instancesSeen, 'value instances (is_compacted, has_expiry) are compared too');
  t.ok(written.some((w) => /-\d+\.log$/.test(w.path)), 'the written files include a compacted segment');
  t.ok(written.some((w) => w.kind === 'identity'), 'and a store\'s IDENTITY');
  t.ok(written.filter((w) => w.kind === 'index').length >= 2, 'and segment indexes');
  t.ok(fixtures.filter((f) => f.kind === 'index').length >= 10, 'and the index fixtures, damaged ones included');
  t.ok(fixtures.length >= 10 && written.length >= 10, `${fixtures.length} fixtures and ${written.length} written files`);
  t.equal(agreed + refusedByBoth, jobs.length, `${agreed} files agree field for field, ${refusedByBoth} refused by both`);
  t.comment(`cross-language: Python (kaitaistruct ${python.ok ? python.version : '?'}) and JavaScript agree on ${agreed} files (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}); ${refusedByBoth} refused by both`);
});
