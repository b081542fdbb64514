// The suite catches a broken engine: the same checks that pass on the real
// engine over the honest fault-injecting file system fail when a broken
// behaviour is swapped in underneath it:
// - an fsync that acknowledges without syncing (a lying disk cache, or an
//   engine that resolves before its fsync);
// - an engine that retries a failed fsync and carries on (the fsyncgate
//   mistake: the retry succeeds, the pages it should have written are gone).
// Each is run through the crash-at-every-step machinery and the model's
// prefix oracle (test/support/log-model.ts).

import t from 'tap';
import type { FileHandle, FileIO, OpenMode } from '../../src/io/file-io.js';
import { LogStore } from '../../src/log/log-store.js';
import { type Clock, LogModel, matchPrefix } from '../support/log-model.js';
import { runOps } from '../support/log-driver.js';
import { capture, VARIANTS } from '../support/crash-points.js';
import { MemoryFileIO, overriding } from '../support/memory-file-io.js';

/** A FileIO over `inner` whose file handles' sync is replaced. */
function withSync(inner: MemoryFileIO, sync: (h: FileHandle) => Promise<void>): FileIO {
  return overriding(inner, {
    open: (path: string, mode: OpenMode) => {
      const h = inner.open(path, mode);
      return { ...h, path: h.path, read: h.read, write: h.write, size: h.size, truncate: h.truncate, close: h.close, sync: () => sync(h) };
    },
  });
}

/** Runs a write workload on `io` (backed by `disk`), crashing before every step; returns how many images broke the contract. */
async function violations(disk: MemoryFileIO, io: FileIO, arm?: (n: number) => void): Promise<{ images: number; broken: number; example?: string }> {
  const clock: Clock = { now: 1_000_000 };
  const model = new LogModel(clock);
  const cap = capture(disk, () => ({ durable: model.durable, history: model.history.length }), () => true, [VARIANTS[0]!]);
  const store = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', segmentSize: 4096, now: () => clock.now });
  for (let i = 0; i < 12; i++) {
    arm?.(i);
    const outcome = await runOps(store, model, 'sync', [{ kind: 'put', key: `k${i % 3}`, value: `${i}:${'v'.repeat(400)}` }]);
    if (outcome[0]!.error) break;
  }
  cap.stop();
  let broken = 0;
  let example: string | undefined;
  for (const point of cap.points) {
    for (const image of point.images) {
      model.durable = point.marks.durable;
      let r: LogStore<string>;
      try {
        r = await LogStore.open<string>('/db', { io: image.io, valueEncoding: 'utf8', segmentSize: 4096, now: () => clock.now });
      } catch (e) {
        // A crash is not corruption: an image that does not open breaks the contract too.
        broken++;
        example ??= `step ${point.step.n} (${point.step.kind} ${point.step.path}): open failed: ${String(e)}`;
        continue;
      }
      const found = matchPrefix(r, model, point.marks.history);
      if ('error' in found) {
        broken++;
        example ??= `step ${point.step.n} (${point.step.kind} ${point.step.path}): ${found.error.split('\n')[0]}`;
      }
      await r.close();
    }
  }
  return { images: cap.points.length, broken, ...(example ? { example } : {}) };
}

t.test('the honest engine on the honest file system: no image breaks the contract', async (t) => {
  const disk = new MemoryFileIO();
  const r = await violations(disk, disk);
  t.ok(r.images > 50, `${r.images} crash points`);
  t.equal(r.broken, 0, 'every image holds every acknowledged write');
});

t.test('caught: an fsync that acknowledges without syncing', async (t) => {
  const disk = new MemoryFileIO();
  const lying = withSync(disk, async () => undefined);
  const r = await violations(disk, lying);
  t.ok(r.broken > 0, `the suite flags ${r.broken} of ${r.images} crash points: ${r.example}`);
});

t.test('caught: retrying a failed fsync and carrying on (fsyncgate)', async (t) => {
  const disk = new MemoryFileIO();
  // The broken engine: a failed fsync is retried, and the retry's success is believed.
  const retrying = withSync(disk, async (h) => {
    try {
      await h.sync();
    } catch {
      await h.sync();
    }
  });
  const r = await violations(disk, retrying, (i) => {
    if (i === 5) disk.failSyncs = 1;
  });
  t.ok(r.broken > 0, `the suite flags ${r.broken} of ${r.images} crash points: ${r.example}`);

  // The same fault without the broken retry: the store refuses, and nothing acknowledged is lost.
  const honest = new MemoryFileIO();
  const ok = await violations(honest, honest, (i) => {
    if (i === 5) honest.failSyncs = 1;
  });
  t.equal(ok.broken, 0, 'the real engine refuses after the failed fsync and loses nothing acknowledged');
});
