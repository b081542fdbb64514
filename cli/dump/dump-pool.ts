// kvtool dump --jobs N: the files of a store dumped by N threads at once,
// their lines written in listing order, so the output is byte for byte the
// one a single thread writes. This thread is one of the N: it starts N - 1
// workers (dump-worker.ts) and dumps files itself while they start (a
// worker takes ~150-200 ms to start and load the readers here, a sixth of
// a 1M-key store's dump).
//
// Every thread takes the next file itself, from a counter in shared
// memory: this thread is busy for the whole of a file and can hand nothing
// out meanwhile (handing files out from here left a worker idle ~half of a
// dump, measured). Files are taken in listing order, so the file being
// written is always one being dumped or done; the lines of files after it
// wait in memory, and no thread takes another file while more than
// BUFFERED_LIMIT bytes wait to be written.

import { Worker } from 'node:worker_threads';
import { loaderFlags } from '../../src/io/worker-flags.js';
import type { Output } from '../output.js';
import type { FileRef } from '../paths.js';
import { type DumpShape, FileDumper, worstCode } from './dump-file.js';

/** What a worker is started with (workerData). */
export interface DumpWork {
  shape: DumpShape;
  files: readonly FileRef[];
  /** SHARED_WORDS Int32 words: the next file to take, KiB sent and not yet written. */
  shared: SharedArrayBuffer;
}

export const NEXT = 0;
export const BUFFERED_KIB = 1;
export const SHARED_WORDS = 2;

/** Lines sent and not yet written, at most about this much before threads wait to take another file. */
export const BUFFERED_LIMIT_KIB = 256 * 1024;

/** What a thread hands over of file `index`, in order: lines, errors for stderr, then its exit code (or a failure: a bug). */
export type DumpPiece =
  | { index: number; text: Uint8Array }
  | { index: number; lines: string[] }
  | { index: number; error: string }
  | { index: number; code: number }
  | { index: number; failure: string };

/** The KiB a piece counts for in BUFFERED_KIB (lines: a rough 64 bytes each). */
export function pieceKiB(p: DumpPiece): number {
  return 'text' in p ? Math.ceil(p.text.length / 1024) : 'lines' in p ? Math.ceil(p.lines.length / 16) : 0;
}

/** The next file a thread may take, or undefined when none is left; -1 while too much waits to be written. */
export function takeFile(shared: Int32Array, count: number): number | undefined {
  if (Atomics.load(shared, BUFFERED_KIB) > BUFFERED_LIMIT_KIB) return Atomics.load(shared, NEXT) >= count ? undefined : -1;
  const index = Atomics.add(shared, NEXT, 1);
  return index < count ? index : undefined;
}

/** An Output that hands every piece of file `index()` to `send`; lines are sent in runs. */
export function pieceOutput(index: () => number, send: (piece: DumpPiece) => void): Output & { flushLines(): void } {
  let lines: string[] = [];
  const flushLines = (): void => {
    if (lines.length === 0) return;
    send({ index: index(), lines });
    lines = [];
  };
  return {
    line(text) {
      lines.push(text);
      if (lines.length >= 4096) flushLines();
    },
    bytes(data) {
      flushLines();
      send({ index: index(), text: Uint8Array.from(data) });
    },
    text(data) {
      flushLines();
      send({ index: index(), text: data });
    },
    error(text) {
      flushLines();
      send({ index: index(), error: text });
    },
    flush: flushLines,
    flushLines,
  };
}

/** Dumps `files` in up to `jobs` threads, this one included, to `out`; the dump's exit code. */
export async function dumpInWorkers(files: readonly FileRef[], shape: DumpShape, out: Output, jobs: number, onProgress?: (done: number, total: number) => void): Promise<number> {
  const total = files.reduce((n, f) => n + f.size, 0);
  const sharedBuffer = new SharedArrayBuffer(SHARED_WORDS * 4);
  const shared = new Int32Array(sharedBuffer);
  const waiting: DumpPiece[][] = files.map(() => []);
  const finished: boolean[] = files.map(() => false);
  let code = 0;
  let head = 0;
  let done = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  /** Writes a piece; every piece counts in BUFFERED_KIB from when it is sent until it is written. */
  const write = (p: DumpPiece): void => {
    if ('text' in p) out.text(p.text);
    else if ('lines' in p) for (const line of p.lines) out.line(line);
    else if ('error' in p) out.error(p.error);
    Atomics.sub(shared, BUFFERED_KIB, pieceKiB(p));
  };
  const take = (p: DumpPiece): void => {
    if ('failure' in p) {
      failure ??= new Error(`kvtool dump: dumping ${files[p.index]!.path} failed in a worker: ${p.failure}`);
      poke();
      return;
    }
    if ('code' in p) {
      code = worstCode(code, p.code);
      finished[p.index] = true;
    } else if (p.index === head) write(p);
    else waiting[p.index]!.push(p);
    // The file being written is done: on to the next, writing what waited of it.
    while (head < files.length && finished[head]) {
      done += files[head]!.size;
      onProgress?.(done, total);
      head++;
      if (head === files.length) break;
      for (const w of waiting[head]!) write(w);
      waiting[head] = [];
    }
    poke();
  };

  onProgress?.(0, total);
  const url = new URL('./dump-worker.js', import.meta.url);
  const workers: Worker[] = [];
  const workerCount = Math.max(0, Math.min(jobs - 1, files.length - 1));
  for (let i = 0; i < workerCount; i++) {
    const worker = new Worker(url, { execArgv: loaderFlags(), workerData: { shape, files, shared: sharedBuffer } satisfies DumpWork });
    workers.push(worker);
    worker.on('message', take);
    worker.on('error', (e) => {
      failure ??= e;
      poke();
    });
  }

  // This thread's share, a file at a time, letting the workers' pieces in between.
  let mine = 0;
  const localOut = pieceOutput(
    () => mine,
    (p) => {
      Atomics.add(shared, BUFFERED_KIB, pieceKiB(p));
      take(p);
    },
  );
  const local = new FileDumper(shape, localOut);
  const nextEvent = (): Promise<void> =>
    new Promise<void>((resolve) => {
      wake = resolve;
    });
  try {
    for (;;) {
      if (failure !== undefined) throw failure;
      const index = takeFile(shared, files.length);
      if (index === undefined) break;
      if (index < 0) {
        await nextEvent();
        continue;
      }
      mine = index;
      const fileCode = local.dump(files[index]!);
      local.flush();
      localOut.flushLines();
      take({ index, code: fileCode });
      // Pieces that came in meanwhile.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    while (head < files.length) {
      if (failure !== undefined) throw failure;
      await nextEvent();
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return code;
}
