// replaceFile (src/io/file-io.ts): a file replaced atomically, and, for a
// file written beside the log's durable writes, written a piece at a time,
// each synced before the next, so the disk's queue never holds the whole
// file at once. A crash at any step leaves the old file or the new one.

import t from 'tap';
import { replaceFile, SYNC_PIECE_BYTES } from '../../src/io/file-io.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

const MiB = 1024 * 1024;

function contents(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4096) b.writeUInt32LE((i / 4096 + seed) >>> 0, i);
  return b;
}

t.test('syncEvery: each piece is written, then synced, before the next; then the rename and the folder sync', async (t) => {
  const io = new MemoryFileIO();
  io.mkdir('/d');
  const data = contents(2.5 * MiB, 1);
  await replaceFile(io, '/d/f', data, { syncEvery: MiB });
  const steps = io.trace.filter((s) => s.path.startsWith('/d')).map((s) => (s.kind === 'write' ? `write ${s.position}` : s.kind));
  t.same(steps, ['create', `write 0`, 'sync', `write ${MiB}`, 'sync', `write ${2 * MiB}`, 'sync', 'rename', 'syncDir']);
  t.ok(io.readFile('/d/f').equals(data));
  t.equal(SYNC_PIECE_BYTES, MiB, 'hints and indexes go out a MiB at a time');
});

t.test('without syncEvery the file is written whole and synced once; a file of one piece is the same either way', async (t) => {
  for (const options of [{}, { syncEvery: 4 * MiB }]) {
    const io = new MemoryFileIO();
    io.mkdir('/d');
    await replaceFile(io, '/d/f', contents(3 * MiB, 2), options);
    t.same(
      io.trace.filter((s) => s.path.startsWith('/d')).map((s) => s.kind),
      ['create', 'write', 'sync', 'rename', 'syncDir'],
      JSON.stringify(options),
    );
  }
});

t.test('a crash at any step of a piecewise replace leaves the old file or the new one, never a mix', async (t) => {
  const old = contents(1.5 * MiB, 3);
  const next = contents(3.2 * MiB, 4);
  const setup = async () => {
    const io = new MemoryFileIO();
    io.mkdir('/d');
    await io.syncDir('/');
    await replaceFile(io, '/d/f', old);
    return io;
  };
  const probe = await setup();
  const from = probe.trace.length;
  await replaceFile(probe, '/d/f', next, { syncEvery: MiB });
  const stepsOfReplace = probe.trace.length - from;
  t.ok(stepsOfReplace >= 10, `${stepsOfReplace} steps`);
  const seen = new Set<string>();
  for (let at = 0; at <= stepsOfReplace; at++) {
    const io = await setup();
    const start = io.trace.length;
    io.beforeStep = (step) => {
      if (step.n - start >= at) throw new Error('crash');
    };
    await replaceFile(io, '/d/f', next, { syncEvery: MiB }).catch(() => undefined);
    io.beforeStep = undefined;
    for (const crash of [{}, { keep: 'all' as const }, { random: () => 0.5 }]) {
      const got = io.crash(crash).readFile('/d/f');
      const which = got.equals(old) ? 'old' : got.equals(next) ? 'new' : 'neither';
      if (which === 'neither') t.fail(`crash before step ${at} (${JSON.stringify(crash)}): ${got.length} bytes, neither file`);
      seen.add(which);
    }
  }
  t.same([...seen].sort(), ['new', 'old'], 'crashes early keep the old file, late the new one');
});
