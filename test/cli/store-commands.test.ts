// kvtool verify (store checks), stats, get, put and del against real
// stores made by the engine; figures checked against ones computed here
// from the writes that made the store, not from a reader.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { scanJournal } from '../../src/formats/journal-reader.js';
import { LogStore } from '../../src/log/log-store.js';
import { kvtool, kvtoolIn } from './run-kvtool.js';
import { indexOfHint, writeIndexes } from '../support/segment-indexes.js';
import { makeStore, openAndRead, segmentFiles, stateOf, type Written } from './stores.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-kvtool-store-test-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => path.join(tmp, `s${n++}`);
const pct = (dead: number, data: number): string => `${((data > 0 ? dead / data : 0) * 100).toFixed(1)}%`;

/** Per segment: data, live bytes and live keys, from the history and the segments' base offsets (their names). */
function expectedSegments(history: readonly Written[], files: string[]) {
  const bases = files.map((f) => Number(path.basename(f, '.log')));
  const segmentOf = (offset: number) => bases.filter((b) => b <= offset).length - 1;
  const newest = new Map<string, Written>();
  for (const w of history) newest.set(w.key, w);
  const recordSize = (w: Written) => 16 + Buffer.byteLength(w.key) + Buffer.byteLength(w.value ?? '');
  return files.map((file, i) => {
    const live = [...newest.values()].filter((w) => w.value !== undefined && segmentOf(w.offset) === i);
    const data = history.filter((w) => segmentOf(w.offset) === i).reduce((s, w) => s + 8 + 26 + recordSize(w), 0);
    const liveBytes = live.reduce((s, w) => s + recordSize(w), 0);
    const next = i + 1 < bases.length ? bases[i + 1]! : history.length;
    return { file, base: bases[i]!, next, data, live: liveBytes, keys: live.length };
  });
}

t.test('stats: per-segment figures, totals and journal fill of an engine store', async (t) => {
  const s = await makeStore(fresh());
  writeIndexes(s.dir);
  const r = await kvtoolIn({ tty: true }, 'stats', s.dir);
  t.equal(r.status, 0, r.stderr);
  t.match(r.status_line, /\rstats \[#{40}\] 100% /, 'a progress bar on a terminal');
  t.equal((await kvtoolIn({ tty: true }, 'stats', '--quiet', s.dir)).status_line, '', '--quiet: none');
  const want = expectedSegments(s.history, s.segments);
  const keys = stateOf(s.history).length;
  t.equal(r.lines[0], `store: ${s.dir} valueEncoding: utf8 manifest: trusted segments: ${want.length} keys: ${keys} expired: 0`);
  t.equal(r.lines[1], `offsets: 0..${s.history.length - 1} nextOffset: ${s.history.length} logStartOffset: 0 recoveryPoint: ${want.at(-1)!.base}`);
  want.forEach((w, i) => {
    const size = fs.statSync(w.file).size;
    t.equal(size, 28 + w.data, 'a closed store keeps no zero fill');
    t.equal(
      r.lines[2 + i],
      `segment: ${w.file} baseOffset: ${w.base} nextOffset: ${w.next} size: ${size} data: ${w.data} live: ${w.live} dead: ${w.data - w.live} ` +
        `garbage: ${pct(w.data - w.live, w.data)} keys: ${w.keys} hint: ${i === want.length - 1 ? 'newest index: newest' : 'used index: used'}`,
    );
  });
  const data = want.reduce((a, w) => a + w.data, 0);
  const live = want.reduce((a, w) => a + w.live, 0);
  t.equal(r.lines[2 + want.length], `total: data: ${data} live: ${live} dead: ${data - live} garbage: ${pct(data - live, data)}`);
  t.equal(r.lines[3 + want.length], 'snapshots: 0');
  const used = scanJournal(fs.readFileSync(path.join(s.dir, 'MANIFEST.jrna'))).validUpTo;
  t.strictSame(r.lines.slice(4 + want.length), [
    `journal: ${path.join(s.dir, 'MANIFEST.jrna')} active generation: 1 fileSize: 262144 used: ${used} fill: ${pct(used, 262144)} highWaterMark: 80.0% overHighWaterMark: false`,
    `journal: ${path.join(s.dir, 'MANIFEST.jrnb')} uninitialized fileSize: 262144 used: 0 fill: 0.0% highWaterMark: 80.0%`,
  ]);

  const j = await kvtool('stats', '--json', '--high-water-mark', '0.001', s.dir);
  const doc = JSON.parse(j.stdout) as { keys: number; total: { live: number }; segments: Array<{ live: number; keys: number }>; journals: Array<{ overHighWaterMark?: boolean }> };
  t.equal(doc.keys, keys);
  t.equal(doc.total.live, live);
  t.strictSame(doc.segments.map((x) => x.keys), want.map((w) => w.keys));
  t.equal(doc.journals[0]!.overHighWaterMark, true, 'judged by the given high-water mark');
  t.equal((await kvtool('stats', '--high-water-mark', '2', s.dir)).status, 2);
});

t.test('stats: expired keys, single files, not a store', async (t) => {
  const dir = fresh();
  const store = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
  await store.put('short', 'lived', { ttlMs: 1 });
  await store.put('long', 'lived');
  await store.close();
  await new Promise((r) => setTimeout(r, 5));
  const r = await kvtool('stats', dir);
  t.match(r.lines[0]!, / keys: 1 expired: 1$/);
  const seg = segmentFiles(dir)[0]!;
  const single = await kvtool('stats', seg);
  t.equal(single.status, 0);
  t.match(single.lines[0]!, new RegExp(`^segment: ${seg} baseOffset: 0 nextOffset: 2 .* keys: 1 hint: newest index: newest expired: 1 batches: 2 records: 2$`));
  const journal = await kvtool('stats', '--json', path.join(dir, 'MANIFEST.jrna'));
  t.equal((JSON.parse(journal.stdout) as { state: string }).state, 'active');
  const notStore = fresh();
  fs.mkdirSync(notStore);
  const bad = await kvtool('stats', notStore);
  t.equal(bad.status, 2);
  t.strictSame(bad.errors, [`kvtool stats: ${notStore} is not a logkv store (no IDENTITY file, no logkv manifest); kvtool never creates or changes anything there`]);
});

t.test('verify: an engine store, open or closed, is clean; a sealed segment grown past its hint is not', async (t) => {
  const s = await makeStore(fresh());
  const closed = await kvtool('verify', s.dir);
  t.equal(closed.status, 0, closed.stdout);
  t.equal(closed.lines.at(-2), `${s.dir}: store: ok (segments ${s.segments.length}, snapshots 0, from manifest)`);
  const store = await LogStore.open<string>(s.dir);
  try {
    // Reopened, the newest segment grows as it is written (no zero fill on the write queue: segment-log.ts).
    await store.put('while', 'open');
    const open = await kvtool('verify', s.dir);
    t.equal(open.status, 0, `an open store verifies clean: ${open.stdout}${open.stderr}`);
    t.ok(open.lines.some((l) => l.startsWith(`${s.segments.at(-1)}: segment: ok`)));
  } finally {
    await store.close();
  }
  // A store made by open has its first segment zero-filled to the segment size.
  const made = fresh();
  const created = await LogStore.open<string>(made, { valueEncoding: 'utf8', segmentSize: 1 << 20 });
  try {
    await created.put('while', 'open');
    const open = await kvtool('verify', made);
    t.equal(open.status, 0, `an open store, its newest segment zero-filled, verifies clean: ${open.stdout}${open.stderr}`);
    t.ok(open.lines.some((l) => l.startsWith(`${segmentFiles(made).at(-1)}: segment: ok`) && l.includes('end zero-fill')));
  } finally {
    await created.close();
  }
  fs.appendFileSync(s.segments[0]!, Buffer.alloc(8));
  const grown = await kvtool('verify', '--json', s.dir);
  t.equal(grown.status, 1);
  const hint = (JSON.parse(grown.stdout) as { files: Array<{ file: string; problems: Array<{ reason: string; offset: number; message: string }> }> }).files.find(
    (f) => f.file === s.segments[0]!.replace('.log', '.hint'),
  )!;
  t.strictSame(hint.problems.map((p) => [p.reason, p.offset]), [['hint-length', 24]]);
  t.match(hint.problems[0]!.message, `hint covers ${fs.statSync(s.segments[0]!).size - 8} bytes, the segment has ${fs.statSync(s.segments[0]!).size}`);
  // The same store named by a relative path: its files are listed as path.join() writes them (no ./), and still paired.
  const rel = await kvtool('verify', '--json', `./${path.relative(process.cwd(), s.dir)}`);
  const relHint = (JSON.parse(rel.stdout) as { files: Array<{ file: string; problems: Array<{ reason: string }> }> }).files.find(
    (f) => path.resolve(f.file) === s.segments[0]!.replace('.log', '.hint'),
  )!;
  t.strictSame(relHint.problems.map((p) => p.reason), ['hint-length'], 'as a relative path too');
});

t.test('stats and verify: each sealed segment\'s index, used, missing, damaged or stale, and one without its segment', async (t) => {
  const s = await makeStore(fresh());
  writeIndexes(s.dir);
  const index = (i: number) => s.segments[i]!.replace('.log', '.index');
  t.ok(s.segments.length >= 5, `${s.segments.length} segments`);
  t.equal((await kvtool('verify', s.dir)).status, 0, 'indexes made from their hints verify clean');
  fs.rmSync(index(0));
  const damaged = fs.readFileSync(index(1));
  damaged[damaged.length - 1]! ^= 0x10;
  fs.writeFileSync(index(1), damaged);
  // The index of another segment: every CRC holds, the header describes that other segment.
  fs.copyFileSync(index(3), index(2));
  // A sound index beside a hint that is gone: the engine rescans the segment and writes both again.
  fs.rmSync(s.segments[3]!.replace('.log', '.hint'));
  const orphan = path.join(s.dir, '00000000000000999999.index');
  fs.copyFileSync(index(4), orphan);

  const stats = await kvtool('stats', '--json', s.dir);
  const doc = JSON.parse(stats.stdout) as { segments: Array<{ hint: string; index: string }> };
  t.strictSame(
    doc.segments.map((x) => `${x.hint}/${x.index}`),
    ['used/missing', 'used/invalid', 'used/stale', 'missing/stale', ...doc.segments.slice(4, -1).map(() => 'used/used'), 'newest/newest'],
  );

  // As a relative path too: listed files are path.join()ed, and their companions must still be found.
  const rel = `./${path.relative(process.cwd(), s.dir)}`;
  for (const dir of [s.dir, rel]) {
    const v = await kvtool('verify', '--json', dir);
    t.equal(v.status, 1);
    const files = (JSON.parse(v.stdout) as { files: Array<{ file: string; kind: string; problems: Array<{ code: string; reason: string; offset?: number }> }> }).files;
    const problems = (file: string) => files.find((f) => path.resolve(f.file) === path.resolve(file))!.problems.map((p) => [p.code, p.reason, p.offset]);
    t.strictSame(problems(index(1)), [['CORRUPT', 'slots-crc', 44]], `${dir}: the damaged index, by its own check`);
    t.strictSame(problems(index(2)), [
      ['INDEX_MISMATCH', 'index-base-offset', 8],
      ['INDEX_MISMATCH', 'index-next-offset', 16],
      ['INDEX_MISMATCH', 'index-length', 24],
    ], `${dir}: the index of another segment`);
    t.strictSame(problems(index(3)), [['INDEX_MISMATCH', 'index-hint', undefined]], `${dir}: an index without its hint`);
    t.strictSame(problems(orphan), [['ORPHAN', 'no-segment', undefined]], `${dir}: an index without its segment`);
    t.ok(files.find((f) => f.kind === 'store')!.problems.some((p) => p.code === 'UNLISTED'), `${dir}: the orphan is not in the manifest`);
  }

  // A hint beside an index that matches it, both describing a segment grown since: the index is stale too.
  fs.writeFileSync(index(4), indexOfHint(fs.readFileSync(s.segments[4]!.replace('.log', '.hint'))));
  fs.appendFileSync(s.segments[4]!, Buffer.alloc(8));
  const grown = await kvtool('verify', '--json', s.dir);
  const files = (JSON.parse(grown.stdout) as { files: Array<{ file: string; problems: Array<{ reason: string }> }> }).files;
  t.strictSame(files.find((f) => f.file === index(4))!.problems.map((p) => p.reason), ['index-length']);
});

t.test('get, put, del through the store value encodings', async (t) => {
  const utf8 = fresh();
  await (await LogStore.open(utf8, { valueEncoding: 'utf8' })).close();
  t.equal((await kvtool('put', utf8, 'greeting', 'grüß dich')).status, 0);
  const got = await kvtool('get', utf8, 'greeting');
  t.strictSame([got.status, got.lines], [0, ['grüß dich']]);
  const j = JSON.parse((await kvtool('get', '--json', utf8, 'greeting')).stdout) as Record<string, unknown>;
  t.strictSame([j.key, j.found, j.value, j.offset], ['greeting', true, 'grüß dich', 0]);
  t.equal((await kvtool('del', utf8, 'greeting')).status, 0);
  const gone = await kvtool('get', utf8, 'greeting');
  t.strictSame([gone.status, gone.lines, gone.errors], [1, [], ['kvtool get: key "greeting" deleted (at offset 1)']]);
  const delAgain = await kvtool('del', utf8, 'greeting');
  t.strictSame([delAgain.status, delAgain.errors], [1, ['kvtool del: key "greeting" not found; nothing written']]);
  const absent = await kvtool('get', utf8, 'never');
  t.strictSame([absent.status, absent.errors], [1, ['kvtool get: key "never" not found']]);
  t.equal((await kvtool('put', '--ttl', '1', utf8, 'brief', 'x')).status, 0);
  await new Promise((r) => setTimeout(r, 5));
  t.match((await kvtool('get', utf8, 'brief')).errors[0]!, /^kvtool get: key "brief" expired at \d+$/);

  const json = fresh();
  await (await LogStore.open(json, { valueEncoding: 'json' })).close();
  t.equal((await kvtool('put', json, 'cfg', '{"retries":3,"tags":["a"]}')).status, 0);
  t.strictSame((await kvtool('get', json, 'cfg')).lines, ['{"retries":3,"tags":["a"]}']);
  const notJson = await kvtool('put', json, 'cfg', 'plain words');
  t.equal(notJson.status, 2);
  t.match(notJson.errors[0]!, /^kvtool put: this store holds JSON values, and VALUE is not JSON/);
  const store = await LogStore.open<unknown>(json);
  t.strictSame(store.get('cfg'), { retries: 3, tags: ['a'] }, 'the engine reads what kvtool wrote');
  await store.close();

  const binary = fresh();
  await (await LogStore.open(binary)).close();
  t.equal((await kvtool('put', '--key-hex', '--value-hex', binary, '00ff', 'deadbeef')).status, 0);
  t.strictSame((await kvtool('get', '--key-hex', binary, '0x00ff')).lines, ['0xdeadbeef']);
  const raw = await kvtool('get', '--raw', '--key-hex', binary, '00ff');
  t.strictSame(raw.raw, Buffer.from('deadbeef', 'hex'), '--raw writes the stored bytes');
  t.equal((await kvtool('put', '--value-hex', utf8, 'k', 'zz')).status, 2, '--value-hex is for binary stores');
  t.equal((await kvtool('put', '--key-hex', binary, 'xyz', 'v')).status, 2, 'a key that is not hex');
});

t.test('put and del need a store and its lock; get does not take it', async (t) => {
  const notStore = fresh();
  fs.mkdirSync(notStore);
  const r = await kvtool('put', notStore, 'k', 'v');
  t.equal(r.status, 2);
  t.strictSame(r.errors, [`kvtool put: ${notStore} is not a logkv store (no IDENTITY file, no logkv manifest); kvtool never creates or changes anything there`]);
  t.strictSame(fs.readdirSync(notStore), [], 'nothing created');

  const dir = fresh();
  const store = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
  try {
    await store.put('k', 'from the engine');
    const got = await kvtool('get', dir, 'k');
    t.strictSame([got.status, got.lines], [0, ['from the engine']], 'get reads a store that is open');
    const put = await kvtool('put', dir, 'k', 'v');
    t.equal(put.status, 4);
    t.strictSame(put.errors, [
      `kvtool put: LOCKED: ${dir}/LOCK is already open in this process (a write command needs the store to itself: close the process that has it open, or use an inspection command)`,
    ]);
    const del = await kvtool('del', '--debug', dir, 'k');
    t.equal(del.status, 4);
    t.ok(del.errors.length === 2 && /\n\s+at /.test(del.errors[1]!), '--debug adds the stack');
  } finally {
    await store.close();
  }
});

t.test('compact, snapshot and restore through the engine', async (t) => {
  const s = await makeStore(fresh());
  const before = await kvtool('stats', '--json', s.dir);
  const dataBefore = (JSON.parse(before.stdout) as { total: { data: number } }).total.data;
  const c = await kvtoolIn({ tty: true }, 'compact', s.dir);
  t.equal(c.status, 0, c.stderr);
  t.match(c.status_line, /^\rcompact [|/\\-] [\d.]+ s/, 'on a terminal a spinner shows the time taken');
  t.ok(c.status_line.endsWith('\r\x1b[K'), 'and is cleared');
  t.match(c.lines[0]!, new RegExp(`^compact: ${s.segments.length} sealed segments -> \\d+, \\d+ -> \\d+ bytes \\(.* freed, [\\d.]+%\\), records kept \\d+, dropped \\d+, \\d+ without garbage left as they were, \\d+ ms$`));
  const after = JSON.parse((await kvtool('stats', '--json', s.dir)).stdout) as { total: { data: number; dead: number } };
  t.ok(after.total.data < dataBefore, `fewer bytes of batches (${dataBefore} -> ${after.total.data})`);
  t.equal((await kvtool('verify', s.dir)).status, 0, 'verify: clean after compact');
  t.strictSame((await openAndRead(s.dir)).entries, stateOf(s.history), 'compact kept the state');
  const again = JSON.parse((await kvtool('compact', '--json', s.dir)).stdout) as { segmentsBefore: number; recordsDropped: number };
  t.equal(again.recordsDropped, 0, 'a second compact drops nothing');

  const snap = await kvtool('snapshot', '--json', s.dir);
  t.equal(snap.status, 0);
  const info = JSON.parse(snap.stdout) as { path: string; nextOffset: number; entries: number };
  t.equal(info.nextOffset, s.history.length);
  t.equal(info.entries, stateOf(s.history).length);
  t.equal((await kvtool('verify', s.dir)).status, 0, 'verify: clean with the snapshot');
  t.match((await kvtool('stats', s.dir)).lines.find((l) => l.startsWith('snapshot: '))!, `snapshot: ${info.path} nextOffset: ${info.nextOffset} entries: ${info.entries} `);

  const target = fresh();
  const r = await kvtool('restore', info.path, target);
  t.equal(r.status, 0, r.stderr);
  t.strictSame(r.lines, [`restore: ${target} from ${info.path}: ${info.entries} entries in ${fs.readdirSync(target).filter((f) => f.endsWith('.log')).length} segments, the log goes on at offset ${info.nextOffset}`]);
  t.equal((await kvtool('verify', target)).status, 0, 'the restored store verifies');
  t.strictSame((await openAndRead(target)).entries, stateOf(s.history), 'and holds the state');
  const full = await kvtool('restore', info.path, target);
  t.strictSame([full.status, full.errors], [2, [`kvtool restore: INVALID_ARGUMENT: ${target} is not empty; restore builds a new store`]]);

  const damaged = path.join(tmp, 'damaged.snap');
  const bytes = fs.readFileSync(info.path);
  bytes[60]! ^= 1;
  fs.writeFileSync(damaged, bytes);
  const into = fresh();
  const bad = await kvtool('restore', damaged, into);
  t.equal(bad.status, 1, 'a damaged snapshot is refused');
  t.match(bad.errors[0]!, /^kvtool restore: CORRUPT: /);
  t.notOk(fs.existsSync(into) && fs.readdirSync(into).length > 0, 'nothing written');

  const store = await LogStore.open(s.dir);
  try {
    t.equal((await kvtool('compact', s.dir)).status, 4, 'compact needs the lock');
    t.equal((await kvtool('snapshot', s.dir)).status, 4, 'snapshot too');
  } finally {
    await store.close();
  }
});

t.test('tail: every write in offset order, as it was written', async (t) => {
  const s = await makeStore(fresh());
  const r = await kvtool('tail', '--json', '--values', 'full', s.dir);
  t.equal(r.status, 0, r.stderr);
  const changes = r.lines.map((l) => JSON.parse(l) as { offset: number; op: string; key: string; value?: string });
  t.strictSame(
    changes.map((c) => [c.offset, c.op, c.key, c.value]),
    s.history.map((w) => [w.offset, w.value === undefined ? 'delete' : 'put', w.key, w.value]),
  );
  const text = await kvtool('tail', '--from', String(s.history.length - 2), s.dir);
  const last = s.history.slice(-2);
  t.strictSame(
    text.lines.map((l) => l.replace(/ timestamp: \d+/, '')),
    last.map((w) => `offset: ${w.offset} op: ${w.value === undefined ? 'delete' : 'put'} key: "${w.key}"${w.value === undefined ? '' : ` value: "${w.value}"`}`),
  );
  t.strictSame((await kvtool('tail', '--limit', '3', s.dir)).lines.length, 3, '--limit');
  t.strictSame((await kvtool('tail', '--from', '100000', s.dir)).lines, [], 'past the end: nothing');

  const snap = JSON.parse((await kvtool('snapshot', '--json', s.dir)).stdout) as { path: string };
  const restored = fresh();
  t.equal((await kvtool('restore', snap.path, restored)).status, 0);
  const old = await kvtool('tail', '--from', '0', restored);
  t.strictSame([old.status, old.errors], [2, [`kvtool tail: OUT_OF_RANGE: offset 0 is older than the oldest this store holds the history of (${s.history.length}): it began from a snapshot at ${s.history.length}`]]);
});

t.test('a name means the same place for open() and kvtool: a bare name is a store under LOGKV_DIR, ./name a path', async (t) => {
  const root = fresh();
  fs.mkdirSync(root);
  const cwd = process.cwd();
  const env = process.env.LOGKV_DIR;
  process.chdir(root);
  process.env.LOGKV_DIR = path.join(root, 'stores');
  t.teardown(() => {
    process.chdir(cwd);
    if (env === undefined) delete process.env.LOGKV_DIR;
    else process.env.LOGKV_DIR = env;
  });
  const byName = await LogStore.open<string>('orders', { valueEncoding: 'utf8' });
  await byName.put('k', 'under LOGKV_DIR');
  await byName.close();
  t.ok(fs.existsSync(path.join(root, 'stores', 'orders', 'IDENTITY')), 'open(\'orders\') made $LOGKV_DIR/orders');
  t.strictSame((await kvtool('get', 'orders', 'k')).lines, ['under LOGKV_DIR'], 'kvtool get orders reads that store');
  t.equal((await kvtool('put', 'orders', 'k2', 'v2')).status, 0);
  t.equal((await kvtool('verify', 'orders')).status, 0);

  const here = await LogStore.open<string>('./local', { valueEncoding: 'utf8' });
  await here.put('k', 'in the current directory');
  await here.close();
  t.strictSame((await kvtool('get', './local', 'k')).lines, ['in the current directory'], './local is the path');
  const bare = await kvtool('verify', 'local');
  t.equal(bare.status, 2);
  t.match(bare.errors.join('\n'), /a bare name is a store under LOGKV_DIR .* write \.\/local/, 'a bare name only found here gets a hint');
  t.notOk(fs.existsSync(path.join(root, 'stores', 'local')), 'and nothing is made under LOGKV_DIR');
  const snap = JSON.parse((await kvtool('snapshot', '--json', 'orders')).stdout) as { path: string };
  t.equal((await kvtool('restore', snap.path, 'copy')).status, 0);
  t.ok(fs.existsSync(path.join(root, 'stores', 'copy', 'IDENTITY')), 'restore DIR follows the same rule');
});

t.test('verify accepts a compacted segment that stands for offsets past its last record', async (t) => {
  // Found while building replication: a restore whose snapshot's newest offset was a delete, and a
  // cleaner run whose last input ended in dropped records, wrote hints with the run's next offset.
  const dir = fresh();
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: 4096, autoCompact: false });
  for (let i = 0; i < 200; i++) await s.put(`k${i % 40}`, `v${i}`);
  await s.delete('k3');
  const snap = await s.snapshot();
  // Dead records last in the sealed log: the output's last record is below the offset it stands for.
  await s.put('k5', 'later');
  await s.compact();
  await s.close();
  const checked = await kvtool('verify', dir);
  t.equal(checked.status, 0, `verify after compact: ${checked.stdout}${checked.stderr}`);
  const restored = fresh();
  t.equal((await kvtool('restore', snap.path, restored)).status, 0);
  const again = await kvtool('verify', restored);
  t.equal(again.status, 0, `verify after restore: ${again.stdout}${again.stderr}`);
});
