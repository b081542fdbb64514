// Gets from memory-mapped segments (record-reads.ts, mapped-file.ts) and
// from pread, the fallback where no map can be made: the same values either
// way, a byte flipped after open refused (CORRUPT) either way, no mapping
// left of a file the cleaner removed or of a closed store, nothing mapped by
// a read-only store, and no mapped file ever truncated (the memory file
// system fails loudly where a real process would die of SIGBUS).

import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { readSegment } from '../../src/formats/index.js';
import { mmapAvailable } from '../../src/io/mapped-file.js';
import { LogStore, type LogStoreOptions } from '../../src/log/log-store.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

const SEGMENT = 4096;
const addon = mmapAvailable();

interface Mode {
  name: string;
  dir(t: Test): string;
  options: LogStoreOptions;
  /** Flips one byte of `file` in place, as bit rot in the page cache would. */
  flip(file: string, position: number): void;
  read(file: string): Buffer;
  files(dir: string): string[];
  mapped?: () => boolean;
}

function realMode(mmap: boolean): Mode {
  return {
    name: `real files, ${mmap ? 'mapped' : 'pread'}`,
    dir: (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'logkv-mapped-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      return dir;
    },
    options: { mmap },
    flip: (file, position) => {
      const fd = openSync(file, 'r+');
      const byte = Buffer.alloc(1);
      readSync(fd, byte, 0, 1, position);
      byte[0] = byte[0]! ^ 0x20;
      writeSync(fd, byte, 0, 1, position);
      closeSync(fd);
    },
    read: (file) => readFileSync(file),
    files: (dir) => readdirSync(dir).map((n) => join(dir, n)),
  };
}

function memoryMode(mappable: boolean): Mode {
  const io = new MemoryFileIO();
  io.mappable = mappable;
  return {
    name: `memory file system, ${mappable ? 'mapped' : 'pread'}`,
    dir: () => `/db${Math.random().toString(36).slice(2)}`,
    options: { io },
    flip: (file, position) => {
      const bytes = io.readFile(file);
      bytes[position] = bytes[position]! ^ 0x20;
      io.setFile(file, bytes);
    },
    read: (file) => io.readFile(file),
    files: (dir) => io.readdir(dir).map((n) => `${dir}/${n}`),
  };
}

const modes: Mode[] = [memoryMode(true), memoryMode(false), realMode(false)];
if (addon.available) modes.push(realMode(true));

/** Where the newest record of `key` sits: its file and byte position. */
function recordOf(mode: Mode, dir: string, key: string): { file: string; position: number } {
  let found: { file: string; position: number } | undefined;
  for (const file of mode.files(dir).filter((f) => f.endsWith('.log')).sort()) {
    for (const batch of readSegment(mode.read(file)).batches) {
      for (const r of batch.records) if (Buffer.from(r.key).toString() === key) found = { file, position: r.position };
    }
  }
  if (!found) throw new Error(`no record of ${key}`);
  return found;
}

for (const mode of modes) {
  t.test(`${mode.name}: gets read back what was written, across rolls, reopen and compaction; a flipped byte is CORRUPT`, async (t) => {
    const dir = mode.dir(t);
    const model = new Map<string, Buffer>();
    let s = await LogStore.open<Uint8Array>(dir, { ...mode.options, segmentSize: SEGMENT, autoCompact: false });
    for (let i = 0; i < 300; i++) {
      const key = `k${i % 120}`;
      // One value larger than a segment: its batch runs past the preallocated length.
      const value = Buffer.alloc(i === 150 ? 3 * SEGMENT : 40 + (i % 90), i % 251);
      await s.put(key, value);
      model.set(key, value);
      // Gets between the writes: the active segment is read (mapped) and then trimmed by a roll.
      const back = `k${(i * 7) % Math.min(i + 1, 120)}`;
      t.ok(!model.has(back) || Buffer.from(s.get(back)!).equals(model.get(back)!), `get ${back} while writing`);
    }
    const check = (what: string) => {
      let same = 0;
      for (const [k, v] of model) if (Buffer.from(s.get(k)!).equals(v)) same++;
      t.equal(same, model.size, `${what}: every key reads back`);
    };
    check('before reopen');
    await s.close();
    s = await LogStore.open<Uint8Array>(dir, { ...mode.options, segmentSize: SEGMENT, autoCompact: false });
    check('after reopen');
    await s.compact();
    check('after compaction');

    // Bit rot after the reads above: in a sealed segment and in the active one.
    const sealedKey = 'k3';
    const activeKey = 'k119-new';
    await s.put(activeKey, Buffer.alloc(50, 9));
    for (const key of [sealedKey, activeKey]) {
      const { file, position } = recordOf(mode, dir, key);
      mode.flip(file, position + 20);
      t.throws(() => s.get(key), { code: 'CORRUPT', reason: 'record-crc', file, offset: position }, `${key}: the flipped byte is refused`);
    }
    t.ok(Buffer.from(s.get('k4')!).equals(model.get('k4')!), 'other keys still read');
    await s.close();
  });
}

t.test('real files, mapped: the cleaner and close leave no mapping behind; a read-only store maps nothing', { skip: addon.available ? false : `the mmap addon is not loaded: ${addon.reason}` }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logkv-mapped-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const mappings = () => readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes(dir));
  const tick = () => new Promise((r) => setImmediate(r));
  const s = await LogStore.open<Uint8Array>(dir, { segmentSize: SEGMENT, autoCompact: false });
  for (let i = 0; i < 400; i++) await s.put(`k${i % 50}`, Buffer.alloc(100, i % 256));
  for (let i = 0; i < 50; i++) s.get(`k${i}`);
  t.ok(mappings().length > 1, `gets map the segments they read (${mappings().length} maps)`);
  await s.compact();
  for (let i = 0; i < 50; i++) s.get(`k${i}`);
  await tick();
  t.same(mappings().filter((l) => l.endsWith('(deleted)')), [], 'no removed segment stays mapped (its disk space is freed)');
  await s.close();
  await tick();
  t.same(mappings(), [], 'close unmaps every segment');

  const r = await LogStore.open<Uint8Array>(dir, { readOnly: true });
  for (let i = 0; i < 50; i++) t.equal(r.get(`k${i}`)?.length, 100);
  t.same(mappings(), [], 'a read-only store reads with pread: a writer elsewhere may trim a file under it');
  await r.close();
});

t.test('the memory file system refuses to truncate a mapped file, as a real process would die of SIGBUS', async (t) => {
  const io = new MemoryFileIO();
  const h = io.open('/f', 'create');
  h.write(Buffer.alloc(100, 1), 0);
  const m = h.map!(100)!;
  t.equal(m.length, 100);
  t.throws(() => h.truncate(50), /truncated while memory-mapped/);
  m.unmap();
  h.truncate(50);
  t.equal(io.readFile('/f').length, 50, 'unmapped, it truncates');
  t.throws(() => m.readRecord(0, Buffer.alloc(20)), /released map/, 'a read through a released map is caught');
});
