// Carries out a repair plan. Nothing is deleted: every byte that leaves
// the store is in lost/<run>/ before the store changes, next to a report.
// Crash stories, in the order of the steps:
// 1. Keep: ranges to be cut are copied (replaceFile: temp, fsync, rename,
//    fsync dir); files to be moved or replaced get a second name in lost/
//    (a hard link, or a copy where links fail), made durable. Journal
//    files, which the JournalStore rewrites in place, are copied. A crash
//    here changes nothing in the store.
// 2. Manifest: one journal frame sets its segment list (the JournalStore
//    first recovers it if it is damaged). A crash before leaves the old
//    list, after it the new one; files it no longer lists are already in
//    lost/, so the next open deleting them loses nothing.
// 3. In place: cuts (truncate, fsync) and salvage rewrites (the new
//    segment written to a temporary file a piece at a time, fsync, rename
//    over, fsync dir: replaceFileWith), each atomic; a crash between two
//    leaves a store open can recover, and running repair again finishes
//    the job.
// 4. The moved names are unlinked from the store (the bytes stay in lost/).
// 5. Hints are written (writeHint: atomic), last, from the final segments.
// No file is held whole: bytes are copied a chunk at a time, so a segment
// of any size (past the 2 GiB a Buffer holds) is repaired in bounded memory.

import fs from 'node:fs';
import path from 'node:path';
import { SEGMENT_HEADER_SIZE } from '../../src/formats/limits.js';
import { type FileHandle, nodeFileIO, replaceFile, replaceFileWith } from '../../src/io/file-io.js';
import { FILE_WINDOW } from '../../src/io/file-source.js';
import { Manifest } from '../../src/log/manifest.js';
import { writeHint } from '../../src/log/segment-hint.js';
import { encodeBatch } from '../../src/formats/log-segment-writer.js';
import { type Action, asLogBatch, type Range, type RepairPlan } from './plan.js';

export interface RepairResult {
  lostDir: string;
  reportFile: string;
  /** One line per thing done, in order. */
  done: string[];
}

const io = nodeFileIO;

/** lost/repair-YYYYMMDD-HHMMSS (with -2, -3, ... when taken): where this run keeps what it removes. */
export function lostDirFor(dir: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const base = path.join(dir, 'lost', `repair-${stamp}`);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if (!fs.existsSync(candidate)) return candidate;
  }
}

/** Where `file` (inside the store directory) is kept: its path relative to the store, under the run's folder. */
export function keptPath(plan: RepairPlan, lostDir: string, file: string, suffix = ''): string {
  return path.join(lostDir, `${path.relative(plan.dir, file)}${suffix}`);
}

/** `use` of `file` opened for reading; closed once `use` is done. */
async function readingFrom(file: string, use: (src: FileHandle) => Promise<void>): Promise<void> {
  const src = io.open(file, 'read');
  try {
    await use(src);
  } finally {
    src.close();
  }
}

/**
 * Copies bytes [from, to) of `src` to `dst` at `at`, FILE_WINDOW bytes at
 * a time through `chunk`; returns the bytes copied. The plan measured the
 * file under the lock: a file that ends sooner is not padded, it stops
 * the repair.
 */
function copyRange(src: FileHandle, { from, to }: Range, dst: FileHandle, at: number, chunk: Buffer): number {
  for (let p = from; p < to; ) {
    const n = src.read(chunk.subarray(0, Math.min(chunk.length, to - p)), p);
    if (n === 0) throw new Error(`repair: ${src.path} ends at byte ${p}, before the ${to} planned`);
    dst.write(chunk.subarray(0, n), at + p - from);
    p += n;
  }
  return to - from;
}

/** Keeps bytes `range` of `file` as `target` (replaceFile's crash story). */
function keepRange(file: string, range: Range, target: string): Promise<void> {
  return readingFrom(file, (src) =>
    replaceFileWith(io, target, (dst) => {
      copyRange(src, range, dst, 0, Buffer.allocUnsafe(FILE_WINDOW));
    }),
  );
}

/** A second name for `file` in lost/, or a copy where the file system will not link. */
async function keepWhole(file: string, target: string, copy: boolean): Promise<void> {
  io.mkdir(path.dirname(target));
  if (!copy) {
    try {
      fs.linkSync(file, target);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw e;
    }
  }
  await keepRange(file, { from: 0, to: fs.statSync(file).size }, target);
}

export interface ApplyOptions {
  lostDir: string;
  now: () => number;
  /** The report's opening lines (the plan as shown). */
  planLines: string[];
  onProgress?: (done: number, total: number) => void;
}

export async function applyRepair(plan: RepairPlan, options: ApplyOptions): Promise<RepairResult> {
  const { lostDir } = options;
  const reportFile = path.join(lostDir, 'report.txt');
  const done: string[] = [];
  const rel = (f: string) => path.relative(plan.dir, f);
  const writeReport = (state: string) =>
    replaceFile(io, reportFile, Buffer.from([`kvtool repair ${plan.dir} (--${plan.mode}), ${new Date(options.now()).toISOString()}: ${state}`, '', ...options.planLines, '', 'done:', ...done, ''].join('\n')));
  io.mkdir(lostDir);
  await writeReport('started');
  const steps = plan.actions.length * 2 + 2;
  let step = 0;
  const tick = () => options.onProgress?.(++step, steps);

  // 1. Keep.
  for (const a of plan.actions) {
    await keep(plan, lostDir, a, done, rel);
    tick();
  }
  await io.syncDir(lostDir);

  // 2. Manifest.
  const recover = plan.actions.find((a) => a.kind === 'recover-manifest');
  const list = plan.actions.find((a): a is Extract<Action, { kind: 'manifest' }> => a.kind === 'manifest');
  if (recover || list) {
    // The journal keeps its copies of damaged manifest files in this run's folder, with the rest.
    const manifest = await Manifest.open(io, plan.dir, options.now, lostDir);
    try {
      if (recover) done.push(`manifest recovered by the JournalStore: ${manifest.report.events.map((e) => e.message).join('; ') || 'clean'}`);
      for (const kept of manifest.keptAside) done.push(`kept ${rel(kept)} (the JournalStore's copy of a damaged manifest file or its cut tail)`);
      if (list) {
        // One frame: the segment list and the snapshot list together.
        await manifest.reset(plan.valueEncoding, list.segments, { snapshots: list.snapshots });
        done.push(`manifest now lists ${list.segments.length} segment${list.segments.length === 1 ? '' : 's'} and ${list.snapshots.length} snapshot${list.snapshots.length === 1 ? '' : 's'}`);
      }
    } finally {
      await manifest.close();
    }
  }
  tick();

  // 3. In place.
  for (const a of plan.actions) {
    if (a.kind === 'cut') {
      const h = io.open(a.file, 'update');
      try {
        h.truncate(a.at);
        await h.sync();
      } finally {
        h.close();
      }
      done.push(`cut ${rel(a.file)} at byte ${a.at} (was ${a.size} bytes)`);
    } else if (a.kind === 'rewrite') {
      await rewrite(a);
      const records = a.recovered.reduce((n, b) => n + b.records.length, 0);
      const kept = records > 0 ? ` and ${records} record${records === 1 ? '' : 's'} recovered from the damaged bytes` : '';
      done.push(`rewrote ${rel(a.file)} from its ${a.batchCount} valid batches${kept} (${a.size} -> ${a.newSize} bytes)`);
      for (const l of a.lost) done.push(`lost: key ${l.key} (offset ${l.offset}): its newest record in ${rel(a.file)} is damaged`);
    }
    tick();
  }

  // 4. Unlink the moved names.
  const dirs = new Set<string>();
  for (const a of plan.actions) {
    if (a.kind !== 'move') continue;
    io.unlink(a.file);
    dirs.add(path.dirname(a.file));
    done.push(`moved ${rel(a.file)} to ${rel(keptPath(plan, lostDir, a.file))}`);
  }
  for (const d of dirs) await io.syncDir(d);

  // 5. Hints, from the final segments.
  for (const a of plan.actions) {
    if (a.kind !== 'hint') continue;
    const file = path.join(plan.dir, `${a.segment.stem}.log`);
    // writeHint reads the segment once and checks it against the plan: the plan's next offset saves a second read of a segment of any size.
    const written = await writeHint(io, plan.dir, { path: file, stem: a.segment.stem, baseOffset: a.segment.baseOffset, nextOffset: a.nextOffset });
    if (!written) throw new Error(`repair: ${rel(file)} does not read back whole with next offset ${a.nextOffset}, as planned: its hint is not written`);
    done.push(`wrote ${rel(a.file)} from its segment`);
  }
  tick();
  await writeReport('finished');
  return { lostDir, reportFile, done };
}

async function keep(plan: RepairPlan, lostDir: string, a: Action, done: string[], rel: (f: string) => string): Promise<void> {
  switch (a.kind) {
    case 'cut':
      if (a.keep) {
        const target = keptPath(plan, lostDir, a.file, `.at-${a.at}`);
        io.mkdir(path.dirname(target));
        await keepRange(a.file, a.keep, target);
        done.push(`kept bytes ${a.keep.from}..${a.keep.to} of ${rel(a.file)} in ${rel(target)}`);
      }
      return;
    case 'rewrite': {
      const target = keptPath(plan, lostDir, a.file);
      await keepWhole(a.file, target, false);
      done.push(`kept ${rel(a.file)} as it was in ${rel(target)}`);
      for (const d of a.damage) {
        if (!d.keep) continue;
        const range = keptPath(plan, lostDir, a.file, `.at-${d.offset}`);
        await keepRange(a.file, d.keep, range);
        done.push(`kept damaged bytes ${d.keep.from}..${d.keep.to} of ${rel(a.file)} in ${rel(range)}`);
      }
      return;
    }
    case 'move':
      await keepWhole(a.file, keptPath(plan, lostDir, a.file), false);
      return;
    case 'hint':
      if (a.replaces) {
        const target = keptPath(plan, lostDir, a.file);
        await keepWhole(a.file, target, false);
        done.push(`kept the old ${rel(a.file)} in ${rel(target)}`);
      }
      return;
    case 'recover-manifest':
      for (const f of a.files) {
        const target = keptPath(plan, lostDir, f);
        await keepWhole(f, target, true);
        done.push(`copied ${rel(f)} to ${rel(target)}`);
      }
      return;
    case 'manifest':
      return;
  }
}

/**
 * Writes the salvage rewrite of a segment over it, a piece at a time: the
 * header, each run of valid batches copied as it is and each recovered
 * batch where its damaged range was (file order is offset order). The old
 * file stays open and whole until the new one is renamed over it.
 */
function rewrite(a: Extract<Action, { kind: 'rewrite' }>): Promise<void> {
  return readingFrom(a.file, (src) =>
    replaceFileWith(io, a.file, (out) => {
      const chunk = Buffer.allocUnsafe(FILE_WINDOW);
      const header = { from: 0, to: SEGMENT_HEADER_SIZE };
      const pieces = [
        ...a.kept.map((r) => ({ at: r.from, write: (to: number) => copyRange(src, r, out, to, chunk) })),
        ...a.recovered.map((b) => ({ at: b.at, write: (to: number) => writeAll(out, to, encodeBatch(asLogBatch(b))) })),
      ].sort((x, y) => x.at - y.at);
      let at = a.header ? writeAll(out, 0, a.header) : copyRange(src, header, out, 0, chunk);
      for (const piece of pieces) at += piece.write(at);
      if (at !== a.newSize) throw new Error(`repair: the rewrite of ${a.file} came to ${at} bytes, not the ${a.newSize} planned`);
    }),
  );
}

/** Writes `bytes` at `at`; returns how many. */
function writeAll(h: FileHandle, at: number, bytes: Uint8Array): number {
  h.write(bytes, at);
  return bytes.length;
}
