// One worker of kvtool dump --jobs (dump-pool.ts): takes files from the
// shared counter until none is left, handing back each file's lines as
// they are made and then the file's exit code.

import { parentPort, workerData } from 'node:worker_threads';
import { FileDumper } from './dump-file.js';
import { BUFFERED_KIB, type DumpPiece, type DumpWork, pieceKiB, pieceOutput, takeFile } from './dump-pool.js';

const work = workerData as DumpWork;
const shared = new Int32Array(work.shared);
let index = 0;
const send = (p: DumpPiece): void => {
  Atomics.add(shared, BUFFERED_KIB, pieceKiB(p));
  // A chunk of lines has a buffer of its own (json-lines.ts): moved, not copied. Small ones may share node's pool: copied.
  if ('text' in p && p.text.buffer.byteLength >= 64 * 1024 && p.text.buffer instanceof ArrayBuffer) parentPort!.postMessage(p, [p.text.buffer]);
  else parentPort!.postMessage(p);
};
const out = pieceOutput(() => index, send);
const dumper = new FileDumper(work.shape, out);

for (;;) {
  const next = takeFile(shared, work.files.length);
  if (next === undefined) break;
  if (next < 0) {
    // Too much waits to be written: let the main thread write some.
    Atomics.wait(shared, BUFFERED_KIB, Atomics.load(shared, BUFFERED_KIB), 20);
    continue;
  }
  index = next;
  try {
    const code = dumper.dump(work.files[index]!);
    dumper.flush();
    out.flushLines();
    send({ index, code });
  } catch (e) {
    send({ index, failure: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    break;
  }
}
