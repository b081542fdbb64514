// JournalStore against bd-resilient-kv's own test themes: the API, which
// file is chosen on open, switching at the high water mark, both files
// legitimately full, the setMany retry, boundary sizes, unicode and binary
// keys, resizing, persistence, and damaged headers and frames. Plus one test
// for each known flaw of the original, showing it is not here.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import { JournalStore, type JournalStoreOptions, type ManifestJournalOptions } from '../../src/journal/journal-store.js';
import { JOURNAL_HEADER_SIZE, scanJournal } from '../../src/formats/index.js';
import { readJournalFile } from '../../src/journal/journal-recovery.js';
import { nodeFileIO } from '../../src/io/file-io.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

function tempBase(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'logkv-journal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'state');
}

async function withStore(t: Test, base: string, options: JournalStoreOptions = {}) {
  const store = await JournalStore.open(base, options);
  t.teardown(() => store.close());
  return store;
}

const code = (c: string) => ({ name: 'LogkvError', code: c });

t.test('the map API, with null removing a key', async (t) => {
  const base = tempBase(t);
  const s = await withStore(t, base);
  t.equal(s.openReport.dataLoss, 'none');
  t.equal(s.openReport.events[0]?.kind, 'created');
  t.ok(s.isEmpty());
  t.equal(await s.set('a', 1), undefined, 'no previous value');
  t.equal(await s.set('a', 2), 1, 'set returns the previous value');
  await s.set('b', 'text');
  t.ok(s.has('a'));
  t.equal(s.size(), 2);
  t.same(s.keys().sort(), ['a', 'b']);
  t.same(s.values().sort(), [2, 'text']);
  t.same(s.entries(), [['a', 2], ['b', 'text']]);
  t.same(s.toObject(), { a: 2, b: 'text' });
  t.equal(await s.remove('a'), 2, 'remove returns the value');
  t.equal(await s.remove('a'), undefined);
  t.equal(await s.set('b', null), 'text', 'null removes');
  t.notOk(s.has('b'));
  await s.setMany({ x: 1, y: 2, z: null });
  await s.setMany([['w', true]]);
  t.same(s.toObject(), { x: 1, y: 2, w: true });
  await s.clear();
  t.ok(s.isEmpty());
  await t.rejects(s.set('k', undefined as never), code('INVALID_ARGUMENT'));
  await t.rejects(s.set(42 as never, 1), code('INVALID_ARGUMENT'));
});

t.test('every value kind, unicode and binary keys, survive a reopen', async (t) => {
  const base = tempBase(t);
  const values = {
    nil_is_absent: null,
    f: false,
    tr: true,
    int: -42,
    big: 2n ** 62n + 3n,
    negBig: -(2n ** 63n),
    float: 98.6,
    nan: Number.NaN,
    inf: Infinity,
    ninf: -Infinity,
    negZero: -0,
    str: 'héllo wörld 🌍',
    bytes: new Uint8Array([0, 255, 1, 254]),
    arr: [1, 'two', [3, { four: 4 }]],
    obj: { nested: { deep: [null, true] }, 'ключ': 'значение' },
    '': 'empty key',
    'ключ 🔑': 'unicode key',
    '\u0000\u00ff binary-ish': 'control characters in a key',
  };
  const s = await JournalStore.open(base);
  await s.setMany(values);
  await s.close();
  const r = await withStore(t, base);
  t.equal(r.openReport.dataLoss, 'none');
  t.notOk(r.has('nil_is_absent'));
  for (const [k, v] of Object.entries(values)) {
    if (v === null) continue;
    const got = r.get(k);
    if (typeof v === 'number') t.ok(Object.is(got, v), `${k}: ${String(got)} is ${String(v)}`);
    else t.same(got, v, k);
  }
  t.equal(typeof r.get('big'), 'bigint');
});

t.test('values are copied in and out', async (t) => {
  const s = await withStore(t, tempBase(t));
  const obj = { list: [1, 2] };
  await s.set('o', obj);
  obj.list.push(3);
  (s.get('o') as { list: number[] }).list.push(4);
  t.same(s.get('o'), { list: [1, 2] });
});

t.test('the high water mark: compaction switches files and bumps the generation', async (t) => {
  const base = tempBase(t);
  const s = await withStore(t, base, { bufferSize: 4096 });
  const start = s.openReport.generation;
  for (let round = 0; round < 40; round++) for (const k of ['key1', 'key2', 'key3']) await s.set(k, `data_round_${round}`);
  t.same(s.toObject(), { key1: 'data_round_39', key2: 'data_round_39', key3: 'data_round_39' });
  t.notOk(s.isHighWaterMarkTriggered(), 'compaction brought the file under the mark');
  t.ok(s.usage() < 0.8);
  await s.close();
  const a = scanJournal(readFileSync(`${base}.jrna`));
  const b = scanJournal(readFileSync(`${base}.jrnb`));
  t.ok(Math.max(a.header.generation, b.header.generation) > start, 'a new generation was written');
  const r = await withStore(t, base);
  t.same(r.toObject(), { key1: 'data_round_39', key2: 'data_round_39', key3: 'data_round_39' });
});

t.test('both files legitimately full: the flag stays set and a write that cannot fit is FULL, changing nothing', async (t) => {
  const base = tempBase(t);
  const s = await withStore(t, base, { bufferSize: 4096 });
  const big = 'x'.repeat(1100);
  await s.setMany({ a: big, b: big, c: big });
  t.ok(s.isHighWaterMarkTriggered(), 'even the compact state is over the mark');
  const before = s.toObject();
  await t.rejects(s.set('d', big), code('FULL'));
  t.same(s.toObject(), before, 'nothing changed in memory');
  await t.rejects(s.setMany({ d: big, e: big }), code('FULL'));
  await s.set('small', 1);
  t.equal(s.get('small'), 1, 'a write that fits still works');
  await s.close();
  const r = await JournalStore.open(base);
  t.same(r.toObject(), { ...before, small: 1 }, 'nothing changed on disk');
  await r.close();
});

t.test('setMany gets one retry after compaction', async (t) => {
  const s = await withStore(t, tempBase(t), { bufferSize: 4096, highWaterMark: 1 });
  // Fill the file with overwrites of one key: lots of dead frames, little live state.
  for (let i = 0; i < 60; i++) await s.set('k', `value-${i}-${'y'.repeat(40)}`);
  const gen = s.openReport.generation;
  const batch: Record<string, string> = {};
  for (let i = 0; i < 8; i++) batch[`n${i}`] = 'z'.repeat(100);
  await s.setMany(batch);
  t.equal(s.size(), 9, 'the batch went in after the compaction freed room');
  t.ok(s.usage() < 0.5);
  t.ok(gen >= 1);
});

t.test('boundary: a frame that exactly fills the file fits, one byte more does not', async (t) => {
  const io = new MemoryFileIO();
  io.mkdir('/db');
  const s = await JournalStore.open('/db/j', { io, bufferSize: 4096, highWaterMark: 1 });
  // Frame for one string entry: 8 prefix + 13 fixed + 2 + key + 1 tag + 4 len + text.
  const frameFor = (text: number) => 8 + 13 + 2 + 1 + 1 + 4 + text;
  const room = 4096 - JOURNAL_HEADER_SIZE - 4;
  await s.set('k', 'v'.repeat(room - frameFor(0)));
  t.equal(s.usage(), (4096 - 4) / 4096, 'the file is full up to its 4-byte end marker');
  await s.close();
  const io2 = new MemoryFileIO();
  io2.mkdir('/db');
  const s2 = await JournalStore.open('/db/j', { io: io2, bufferSize: 4096, highWaterMark: 1 });
  await t.rejects(s2.set('k', 'v'.repeat(room - frameFor(0) + 1)), code('FULL'));
  t.ok(s2.isEmpty());
  await s2.close();
});

t.test('reopening with a different buffer size keeps the data; shrinking too far is FULL and changes nothing', async (t) => {
  const base = tempBase(t);
  let s = await JournalStore.open(base, { bufferSize: 8192 });
  for (let i = 0; i < 20; i++) await s.set(`k${i}`, 'v'.repeat(100));
  const state = s.toObject();
  await s.close();
  s = await JournalStore.open(base, { bufferSize: 65536 });
  t.same(s.toObject(), state, 'grown');
  await s.close();
  t.equal(readFileSync(s.openReport.activeFile).length, 65536);
  s = await JournalStore.open(base, { bufferSize: 4096 });
  t.same(s.toObject(), state, 'shrunk, the state fits');
  await s.close();
  for (let i = 20; i < 40; i++) {
    s = await JournalStore.open(base);
    await s.set(`k${i}`, 'v'.repeat(40)).catch(() => undefined);
    await s.close();
  }
  s = await JournalStore.open(base, { bufferSize: 65536 });
  for (let i = 0; i < 60; i++) await s.set(`big${i}`, 'w'.repeat(100));
  const all = s.toObject();
  await s.close();
  const before = [readFileSync(`${base}.jrna`), readFileSync(`${base}.jrnb`)];
  await t.rejects(JournalStore.open(base, { bufferSize: 4096 }), code('FULL'));
  t.ok(readFileSync(`${base}.jrna`).equals(before[0]!) && readFileSync(`${base}.jrnb`).equals(before[1]!), 'files untouched');
  s = await JournalStore.open(base);
  t.same(s.toObject(), all);
  await s.close();
});

t.test('options are validated with typed errors', async (t) => {
  const base = tempBase(t);
  for (const highWaterMark of [0, -0.5, 1.01, Number.NaN]) {
    await t.rejects(JournalStore.open(base, { highWaterMark }), code('INVALID_ARGUMENT'), `highWaterMark ${highWaterMark}`);
  }
  await t.rejects(JournalStore.open(base, { bufferSize: 100 }), code('INVALID_ARGUMENT'));
  t.notOk(existsSync(`${base}.jrna`), 'a rejected open creates nothing');
  const s = await withStore(t, base, { highWaterMark: 1 });
  t.equal(s.openReport.dataLoss, 'none');
});

t.test('a second open of the same store is LOCKED; a closed store is CLOSED', async (t) => {
  const base = tempBase(t);
  const s = await JournalStore.open(base);
  await t.rejects(JournalStore.open(base), code('LOCKED'));
  await s.close();
  t.throws(() => s.get('a'), code('CLOSED'));
  await t.rejects(s.set('a', 1), code('CLOSED'));
  const again = await JournalStore.open(base);
  await again.close();
});

t.test('which file is chosen on open', async (t) => {
  t.test('the higher generation wins, whichever name it has', async (t) => {
    const base = tempBase(t);
    const s = await JournalStore.open(base, { bufferSize: 4096 });
    const newest = () => {
      const gen = (p: string) => scanJournal(readFileSync(p)).header.generation;
      return gen(`${base}.jrna`) > gen(`${base}.jrnb`) ? `${base}.jrna` : `${base}.jrnb`;
    };
    const seen = new Set<string>();
    for (let i = 0; seen.size < 2; i++) {
      await s.set('k', i);
      if (existsSync(`${base}.jrnb`) && readFileSync(`${base}.jrnb`).some((b) => b !== 0)) seen.add(newest());
      else seen.add(`${base}.jrna`);
      if (seen.size === 2) {
        await s.close();
        const r = await withStore(t, base);
        t.equal(r.openReport.activeFile, `${base}.jrnb`, 'the newer .jrnb is chosen over .jrna');
        t.equal(r.get('k'), i);
        await r.close();
      }
    }
  });
  t.test('an empty newer file beats an older file with data', async (t) => {
    const base = tempBase(t);
    const s = await JournalStore.open(base, { bufferSize: 4096 });
    for (let i = 0; i < 200; i++) await s.set('k', i);
    await s.clear();
    await s.close();
    const r = await withStore(t, base);
    t.ok(r.isEmpty(), 'the cleared state is current');
  });
  t.test('a tie in generation is reported and the undamaged file is used', async (t) => {
    const base = tempBase(t);
    const s = await JournalStore.open(base);
    await s.set('k', 'v');
    await s.close();
    writeFileSync(`${base}.jrnb`, readFileSync(`${base}.jrna`));
    const r = await withStore(t, base);
    t.equal(r.get('k'), 'v');
    t.ok(r.openReport.events.some((e) => e.kind === 'tie'));
  });
});

t.test('damage is reported and kept aside, never silently recreated', async (t) => {
  t.test('a torn tail is cut at the last good frame, reported with its offset, and kept', async (t) => {
    const base = tempBase(t);
    const s = await JournalStore.open(base);
    await s.set('a', 1);
    await s.set('b', 2);
    await s.close();
    const file = readFileSync(`${base}.jrna`);
    const scan = scanJournal(file);
    const last = scan.frames.at(-1)!;
    file.fill(0, last.position + 5, last.position + last.size); // the last frame torn
    writeFileSync(`${base}.jrna`, file);
    const r = await withStore(t, base);
    t.equal(r.openReport.dataLoss, 'partial');
    const ev = r.openReport.events.find((e) => e.kind === 'torn-tail')!;
    t.equal(ev.offset, last.position);
    t.same(r.toObject(), { a: 1 });
    t.equal(r.openReport.keptAside.length, 1);
    t.ok(readFileSync(r.openReport.keptAside[0]!).subarray(0, 5).equals(file.subarray(last.position, last.position + 5)), 'cut bytes kept');
    await r.set('c', 3);
    await r.close();
    const again = await withStore(t, base);
    t.equal(again.openReport.dataLoss, 'none', 'the cut file is clean afterwards');
    t.same(again.toObject(), { a: 1, c: 3 });
  });
  t.test('failOnDataLoss refuses to open and writes nothing', async (t) => {
    const base = tempBase(t);
    const s = await JournalStore.open(base);
    await s.set('a', 1);
    await s.close();
    const file = readFileSync(`${base}.jrna`);
    file[JOURNAL_HEADER_SIZE + 20]! ^= 0x40;
    writeFileSync(`${base}.jrna`, file);
    await t.rejects(JournalStore.open(base, { failOnDataLoss: true }), code('CORRUPT'));
    t.ok(readFileSync(`${base}.jrna`).equals(file), 'unchanged');
    t.notOk(existsSync(`${base}.jrna.damaged-1`));
  });
  t.test('corrupt committed frames: the good prefix is kept, the file copied aside, the state rewritten', async (t) => {
    const base = tempBase(t);
    const s = await JournalStore.open(base, { bufferSize: 4096 });
    for (let i = 0; i < 100; i++) await s.set(`k${i % 5}`, i); // forces compactions: committed frames exist
    const expected = s.toObject();
    const active = s.openReport.activeFile;
    await s.close();
    const current = [`${base}.jrna`, `${base}.jrnb`].map((p) => ({ p, scan: scanJournal(readFileSync(p)) })).sort((x, y) => y.scan.header.generation - x.scan.header.generation)[0]!;
    t.ok(current.scan.header.committedLength > 0);
    const bytes = readFileSync(current.p);
    bytes[JOURNAL_HEADER_SIZE + 30]! ^= 1; // inside the committed compact frame
    writeFileSync(current.p, bytes);
    const r = await withStore(t, base);
    t.equal(r.openReport.dataLoss, 'partial');
    const ev = r.openReport.events.find((e) => e.kind === 'corrupt')!;
    t.equal(ev.file, current.p);
    t.equal(ev.offset, JOURNAL_HEADER_SIZE);
    t.ok(r.openReport.keptAside.some((p) => p.startsWith(`${current.p}.damaged-`)));
    t.ok(readFileSync(r.openReport.keptAside[0]!).equals(bytes), 'the damaged file is kept byte for byte');
    for (const [k, v] of r.entries()) t.equal(v, expected[k], 'no value that was not written');
    t.ok(active.length > 0);
  });

  t.test('keepAsideDir: the copies go there, nothing beside the journal files', async (t) => {
    const base = tempBase(t);
    const s = await JournalStore.open(base, { bufferSize: 4096 });
    for (let i = 0; i < 100; i++) await s.set(`k${i % 5}`, i);
    await s.close();
    const current = [`${base}.jrna`, `${base}.jrnb`].map((p) => ({ p, scan: scanJournal(readFileSync(p)) })).sort((x, y) => y.scan.header.generation - x.scan.header.generation)[0]!;
    const bytes = readFileSync(current.p);
    bytes[JOURNAL_HEADER_SIZE + 30]! ^= 1;
    writeFileSync(current.p, bytes);
    const aside = `${base}-lost`;
    const r = await JournalStore.open(base, { keepAsideDir: aside });
    t.teardown(() => r.close());
    t.equal(r.openReport.keptAside.length, 1);
    t.equal(dirname(r.openReport.keptAside[0]!), aside, 'kept in the given folder');
    t.ok(readFileSync(r.openReport.keptAside[0]!).equals(bytes), 'byte for byte');
    t.same(readdirSync(dirname(base)).filter((n) => n.includes('.damaged-')), [], 'nothing beside the journal files');
  });
});

t.test('flaws of the original that must not exist here', async (t) => {
  t.test('no silent rollback: when the newer file is unreadable, the loss is reported', async (t) => {
    const base = tempBase(t);
    const s = await JournalStore.open(base, { bufferSize: 4096 });
    for (let i = 0; i < 200; i++) await s.set('k', i); // several switches
    const active = s.openReport.activeFile;
    await s.close();
    const r0 = await JournalStore.open(base);
    const newest = r0.openReport.activeFile;
    await r0.close();
    const bytes = readFileSync(newest);
    bytes[10]! ^= 0xff; // the header of the newest file
    writeFileSync(newest, bytes);
    const r = await withStore(t, base);
    t.not(r.openReport.dataLoss, 'none', 'falling back to the older file is reported');
    t.ok(r.openReport.events.some((e) => e.kind === 'unreadable' && e.file === newest));
    t.ok(r.openReport.keptAside.length > 0);
    t.not(r.get('k'), 199, 'the older file holds older data: exactly what must not pass silently');
    t.ok(active);
  });
  t.test('checksums: a flipped bit in a value is never returned as data', async (t) => {
    const base = tempBase(t);
    const s = await JournalStore.open(base);
    await s.set('secret', 'AAAAAAAA');
    await s.close();
    const bytes = readFileSync(`${base}.jrna`);
    const at = bytes.indexOf(Buffer.from('AAAAAAAA'));
    bytes[at]! ^= 0x02; // 'A' -> 'C'
    writeFileSync(`${base}.jrna`, bytes);
    const r = await withStore(t, base);
    t.not(r.get('secret'), 'CAAAAAAA');
    t.equal(r.get('secret'), undefined);
    t.equal(r.openReport.dataLoss, 'partial');
  });
  t.test('the commit marker never reaches the disk before its data: a crash at every step of a switch loses nothing', async (t) => {
    // Count the syncs of a run, then crash before each one in turn.
    const run = async (io: MemoryFileIO) => {
      const s = await JournalStore.open('/db/j', { io, bufferSize: 4096 });
      for (let i = 0; i < 150; i++) await s.set(`k${i % 3}`, `value ${i}`);
      return s;
    };
    const probe = new MemoryFileIO();
    probe.mkdir('/db');
    await (await run(probe)).close();
    const total = probe.stats.syncs + probe.stats.dirSyncs;
    t.ok(total > 150, `${total} sync points`);
    for (let crashAt = 0; crashAt < total; crashAt += 7) {
      const io = new MemoryFileIO();
      io.mkdir('/db');
      let acked = new Map<string, string>();
      // A write that failed may or may not have reached the disk: the state
      // after the crash is the acknowledged one, or that plus the failed write.
      let withFailed = acked;
      io.beforeSync = (n) => {
        if (n === crashAt) throw new Error('crash');
      };
      const s = await JournalStore.open('/db/j', { io, bufferSize: 4096 }).catch(() => undefined);
      if (s) {
        for (let i = 0; i < 150; i++) {
          const next = new Map(acked).set(`k${i % 3}`, `value ${i}`);
          try {
            await s.set(`k${i % 3}`, `value ${i}`);
            acked = next;
          } catch {
            withFailed = next;
            break;
          }
        }
      }
      const r = await JournalStore.open('/db/j', { io: io.crash(), bufferSize: 4096 });
      const state = JSON.stringify(r.entries().sort());
      const allowed = [acked, withFailed].map((m) => JSON.stringify([...m].sort()));
      t.ok(allowed.includes(state), `crash before sync ${crashAt}: ${state} is one of ${allowed.join(' or ')}`);
      await r.close();
    }
  });
});

t.test('a failed fsync is not acknowledged and the store refuses writes until reopened', async (t) => {
  const io = new MemoryFileIO();
  io.mkdir('/db');
  const s = await JournalStore.open('/db/j', { io });
  await s.set('a', 1);
  io.failSyncs = 1;
  await t.rejects(s.set('b', 2), code('IO'));
  t.notOk(s.has('b'), 'not applied');
  await t.rejects(s.set('c', 3), code('IO'));
  await s.close();
  const r = await JournalStore.open('/db/j', { io: io.crash() });
  t.equal(r.get('a'), 1);
  t.notOk(r.has('b'));
  await r.close();
});

t.test('durability interval and none: sync() and close() make writes durable', async (t) => {
  for (const durability of ['interval', 'none'] as const) {
    const io = new MemoryFileIO();
    io.mkdir('/db');
    const s = await JournalStore.open('/db/j', { io, durability, syncIntervalMs: 60_000 });
    await s.set('a', 1);
    const lost = await JournalStore.open('/db/j', { io: io.crash() });
    t.notOk(lost.has('a'), `${durability}: not durable before a sync`);
    await lost.close();
    await s.sync();
    const kept = await JournalStore.open('/db/j', { io: io.crash() });
    t.equal(kept.get('a'), 1, `${durability}: durable after sync()`);
    await kept.close();
    await s.close();
  }
});

t.test('a file cut to nothing or zeroed is a loss, never a fresh store (found by the model test)', async (t) => {
  const make = async () => {
    const io = new MemoryFileIO();
    io.mkdir('/j');
    const s = await JournalStore.open('/j/state', { io, bufferSize: 4096, highWaterMark: 0.5 });
    await s.set('kept', 'value');
    return { io, s };
  };
  {
    // The active file cut to 0 bytes, the spare never written: everything is gone, and open says so.
    const { io, s } = await make();
    await s.close();
    io.setFile('/j/state.jrna', Buffer.alloc(0));
    const r = await JournalStore.open('/j/state', { io });
    t.equal(r.openReport.dataLoss, 'total', 'cut to nothing');
    t.ok(r.openReport.events.some((e) => e.kind === 'unreadable' && e.file === '/j/state.jrna'));
    await r.close();
  }
  {
    const { io, s } = await make();
    await s.close();
    io.setFile('/j/state.jrna', Buffer.alloc(4096));
    const r = await JournalStore.open('/j/state', { io });
    t.equal(r.openReport.dataLoss, 'total', 'zeroed whole');
    await r.close();
  }
  {
    // After a switch both files hold generations; cutting the newer short leaves the older, reported as partial loss.
    const { io, s } = await make();
    for (let i = 0; i < 40; i++) await s.set(`k${i % 4}`, 'x'.repeat(100));
    const active = s.openReport.activeFile;
    await s.close();
    const reopened = await JournalStore.open('/j/state', { io });
    const newer = reopened.openReport.activeFile;
    await reopened.close();
    t.ok(active !== undefined && newer !== undefined);
    io.setFile(newer, Buffer.alloc(100));
    const r = await JournalStore.open('/j/state', { io });
    t.equal(r.openReport.dataLoss, 'partial', 'the newer file cut short');
    t.ok(r.openReport.events.some((e) => e.file === newer && /cut short/.test(e.message)));
    await r.close();
  }
  {
    // One zero file and no other: a crash while the store was being made, before anything was written.
    const io = new MemoryFileIO();
    io.mkdir('/j');
    io.setFile('/j/state.jrna', Buffer.alloc(0));
    const r = await JournalStore.open('/j/state', { io });
    t.equal(r.openReport.dataLoss, 'none');
    t.equal(r.openReport.events[0]?.kind, 'created');
    await r.close();
  }
});

t.test('values are copied in and out, and a view copies only its own bytes', async (t) => {
  const io = new MemoryFileIO();
  io.mkdir('/j');
  const s = await JournalStore.open('/j/state', { io });
  const pool = Buffer.alloc(1 << 20, 7);
  const view = pool.subarray(1000, 1100);
  await s.set('bytes', view);
  await s.set('nested', { list: [1, view, { deep: 'x' }] });
  view[0] = 99;
  const got = s.get('bytes') as Uint8Array;
  t.equal(got.byteLength, 100);
  t.equal(got.buffer.byteLength, 100, 'not the 1 MiB pool behind the view');
  t.equal(got[0], 7, 'a change to the caller buffer after set does not reach the store');
  got[1] = 42;
  t.equal((s.get('bytes') as Uint8Array)[1], 7, 'nor a change to a value after get');
  const nested = s.get('nested') as { list: [number, Uint8Array, { deep: string }] };
  nested.list[2].deep = 'changed';
  t.same((s.get('nested') as typeof nested).list[2], { deep: 'x' });
  await s.close();
});

t.test('after a switch the older file says superseded, so the newer one zeroed, cut or gone is a loss, not a fresh spare', async (t) => {
  const header = (io: MemoryFileIO, path: string) => scanJournal(io.readFile(path)).header;
  const make = async () => {
    const io = new MemoryFileIO();
    io.mkdir('/j');
    const s = await JournalStore.open('/j/state', { io, bufferSize: 4096, highWaterMark: 0.5 });
    await s.set('old', 1);
    t.equal(header(io, '/j/state.jrna').superseded, false, 'before any switch nothing is superseded');
    for (let i = 0; i < 40; i++) await s.set(`k${i % 4}`, 'x'.repeat(100));
    await s.set('newest', 'only in the newer generation');
    const active = s.openReport.activeFile;
    await s.close();
    const reopened = await JournalStore.open('/j/state', { io, bufferSize: 4096 });
    const newer = reopened.openReport.activeFile;
    const want = canonEntries(reopened.entries());
    await reopened.close();
    const older = newer === '/j/state.jrna' ? '/j/state.jrnb' : '/j/state.jrna';
    t.ok(active !== undefined && newer !== undefined);
    return { io, newer, older, want };
  };
  {
    const { io, newer, older, want } = await make();
    t.equal(header(io, older).superseded, true, 'the older file is flagged');
    t.equal(header(io, newer).superseded, false, 'the newer is not');
    const r = await JournalStore.open('/j/state', { io });
    t.equal(r.openReport.dataLoss, 'none', 'both files whole: no loss');
    t.equal(canonEntries(r.entries()), want);
    await r.close();
  }
  for (const harm of ['zeroed', 'deleted', 'cut short'] as const) {
    const { io, newer, older } = await make();
    if (harm === 'zeroed') io.setFile(newer, Buffer.alloc(4096));
    else if (harm === 'deleted') io.unlink(newer);
    else io.setFile(newer, Buffer.alloc(100));
    const r = await JournalStore.open('/j/state', { io });
    t.equal(r.openReport.dataLoss, 'partial', `${harm}: the loss is reported`);
    t.ok(
      r.openReport.events.some((e) => e.file === newer && (harm === 'cut short' ? /cut short|superseded/ : /superseded/).test(e.message)),
      `${harm}: naming the file that held the newer generation`,
    );
    t.equal(r.openReport.activeFile === older || r.openReport.activeFile === newer, true);
    t.equal(r.get('old'), 1, `${harm}: the older generation's state is what is left`);
    t.equal(r.has('newest'), false, `${harm}: (the newer write is gone, and said to be)`);
    await r.set('after', true);
    await r.close();
    const again = await JournalStore.open('/j/state', { io });
    t.equal(again.openReport.dataLoss, 'none', `${harm}: the files agree again after that open`);
    t.equal(again.get('after'), true);
    await again.close();
  }
});

function canonEntries(entries: Iterable<[string, unknown]>): string {
  return JSON.stringify([...entries].sort(([a], [b]) => (a < b ? -1 : 1)));
}

t.test('files read ahead: taken only under the caller\'s lock, and only the store\'s own', async (t) => {
  const base = tempBase(t);
  const first = await JournalStore.open(base);
  await first.set('k', 1);
  await first.close();
  const read = [readJournalFile(nodeFileIO, `${base}.jrna`), readJournalFile(nodeFileIO, `${base}.jrnb`)] as const;
  const ahead = (o: ManifestJournalOptions) => JournalStore.open(base, o);
  await t.rejects(ahead({ read }), code('INVALID_ARGUMENT'), 'without lock: false the files may have changed since');
  await t.rejects(ahead({ read: [read[1], read[0]], lock: false }), code('INVALID_ARGUMENT'), 'a and b swapped');
  const again = await ahead({ read, lock: false });
  t.equal(again.get('k'), 1);
  t.notOk(existsSync(`${base}.lock`), 'no lock file of its own');
  await again.set('k', 2);
  await again.close();
  const third = await withStore(t, base);
  t.equal(third.get('k'), 2);
});
