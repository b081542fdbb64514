// Deciding what a JournalStore's two files hold, without writing anything:
// which file is current, what state its frames give, and what was lost.
// JournalStore.open carries out the plan (and writes nothing when told to
// fail on data loss).

import { LogkvError } from '../errors.js';
import { scanJournal, type JournalScan } from '../formats/journal-reader.js';
import type { JournalValue } from '../formats/journal-value.js';
import { FrameOp, MIN_JOURNAL_FILE_SIZE } from '../formats/limits.js';
import { firstNonZero } from '../formats/damage.js';
import type { FileIO } from '../io/file-io.js';

export type JournalFileState =
  | { kind: 'missing' }
  /** All zero at a journal's size at least: created, never written (a fresh spare file). */
  | { kind: 'uninitialized' }
  /** Shorter than any journal file, zeros only (a file cut short, or one being created). */
  | { kind: 'short'; length: number }
  | { kind: 'invalid'; error: LogkvError }
  | { kind: 'valid'; scan: JournalScan };

export interface JournalFileRead {
  path: string;
  bytes: Buffer | undefined;
  state: JournalFileState;
}

export type DataLoss = 'none' | 'partial' | 'total';

export interface RecoveryEvent {
  /** lost-generation: the chosen file was superseded by a newer generation the other file no longer holds. */
  kind: 'created' | 'torn-tail' | 'corrupt' | 'unreadable' | 'tie' | 'lost-generation';
  file: string;
  offset?: number;
  bytes?: number;
  message: string;
}

export interface RecoveryPlan {
  /** The current file, or none (new store, or total loss). */
  active: (JournalFileRead & { state: { kind: 'valid'; scan: JournalScan } }) | undefined;
  /** The other file (the spare). */
  spare: JournalFileRead;
  state: Map<string, JournalValue>;
  dataLoss: DataLoss;
  events: RecoveryEvent[];
  /** Files to copy aside before anything overwrites them. */
  quarantine: JournalFileRead[];
  /** A torn tail of the active file to cut, from `validUpTo`. */
  cutTail: boolean;
  /** The active file's committed frames are damaged: rewrite the state as a new generation. */
  rewrite: boolean;
}

export function readJournalFile(io: FileIO, path: string): JournalFileRead {
  if (!io.exists(path)) return { path, bytes: undefined, state: { kind: 'missing' } };
  const bytes = io.readFile(path);
  if (firstNonZero(bytes, 0) < 0) {
    return { path, bytes, state: bytes.length >= MIN_JOURNAL_FILE_SIZE ? { kind: 'uninitialized' } : { kind: 'short', length: bytes.length } };
  }
  try {
    return { path, bytes, state: { kind: 'valid', scan: scanJournal(bytes, path) } };
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
    return { path, bytes, state: { kind: 'invalid', error: e } };
  }
}

function isValid(f: JournalFileRead): f is JournalFileRead & { state: { kind: 'valid'; scan: JournalScan } } {
  return f.state.kind === 'valid';
}

/** Replays the frames of a scan into the state they describe. */
export function replay(scan: JournalScan): Map<string, JournalValue> {
  const state = new Map<string, JournalValue>();
  for (const f of scan.frames) {
    if (f.op === FrameOp.Clear) state.clear();
    for (const e of f.entries) {
      if (e.value === null) state.delete(e.key);
      else state.set(e.key, e.value);
    }
  }
  return state;
}

export function planRecovery(a: JournalFileRead, b: JournalFileRead): RecoveryPlan {
  const events: RecoveryEvent[] = [];
  const quarantine: JournalFileRead[] = [];
  let dataLoss: DataLoss = 'none';
  const valid = [a, b].filter(isValid);

  if (valid.length === 0) {
    const unreadable = [a, b].filter((f) => f.state.kind === 'invalid');
    for (const f of unreadable) {
      const error = (f.state as { error: LogkvError }).error;
      events.push({ kind: 'unreadable', file: f.path, offset: error.offset, message: error.message });
      quarantine.push(f);
    }
    // A store is made by writing its first file whole (header last), then
    // its spare. Both files there and neither valid: it was made, and what
    // it held is gone (zeroed or cut to nothing). One file only: a crash
    // while it was being made, before anything was written to it.
    const blank = [a, b].filter((f) => f.state.kind === 'uninitialized' || f.state.kind === 'short');
    if (unreadable.length === 0 && blank.length === 2) {
      for (const f of blank) events.push({ kind: 'unreadable', file: f.path, offset: 0, message: `${f.path} holds no journal (${describeBlank(f)}), nor does the other file: the store's contents are gone` });
    }
    if (unreadable.length > 0 || blank.length === 2) dataLoss = 'total';
    else events.push({ kind: 'created', file: a.path, message: 'new journal store' });
    return { active: undefined, spare: b, state: new Map(), dataLoss, events, quarantine, cutTail: false, rewrite: false };
  }

  const active = valid.length === 1 ? valid[0]! : pickNewest(valid[0]!, valid[1]!, events);
  const spare = active === a ? b : a;
  if (spare.state.kind === 'invalid') {
    // Its generation is unknown: it may have been the newer file. Say so.
    const error = spare.state.error;
    events.push({
      kind: 'unreadable',
      file: spare.path,
      offset: error.offset,
      message: `${error.message}; if it held a newer generation than ${active.path}, its changes are lost`,
    });
    quarantine.push(spare);
    dataLoss = 'partial';
  }

  if (spare.state.kind === 'short') {
    // Never a fresh spare (those are made at full size): a file cut short, which may have been the newer one.
    events.push({ kind: 'unreadable', file: spare.path, offset: 0, message: `${spare.path} is cut short (${describeBlank(spare)}); if it held a newer generation than ${active.path}, its changes are lost` });
    dataLoss = 'partial';
  }

  const scan = active.state.scan;
  let cutTail = false;
  let rewrite = false;
  if (scan.header.superseded) {
    // The chosen file says a newer generation was made durable in the other, which holds none now
    // (zeroed, cut, missing, unreadable or older): what that generation held is lost. Its state is
    // written out as a new generation, so the files agree again and the next open is clean.
    events.push({
      kind: 'lost-generation',
      file: spare.path,
      offset: 0,
      message: `${active.path} (generation ${scan.header.generation}) was superseded by a newer generation in ${spare.path}, which holds none now (${describeSpare(spare)}): the changes made since generation ${scan.header.generation} are lost`,
    });
    dataLoss = 'partial';
    rewrite = true;
  }
  if (scan.damage) {
    const d = scan.damage;
    dataLoss = 'partial';
    if (scan.committedDamaged) {
      events.push({ kind: 'corrupt', file: active.path, offset: d.offset, bytes: d.length, message: `committed frames damaged: ${d.message}` });
      quarantine.push(active);
      rewrite = true;
    } else {
      events.push({ kind: 'torn-tail', file: active.path, offset: d.offset, bytes: d.length, message: `torn tail cut: ${d.message}` });
      cutTail = true;
    }
  }
  return { active, spare, state: replay(scan), dataLoss, events, quarantine, cutTail, rewrite };
}

function describeSpare(f: JournalFileRead): string {
  switch (f.state.kind) {
    case 'missing':
      return 'missing';
    case 'invalid':
      return 'unreadable';
    case 'valid':
      return `generation ${f.state.scan.header.generation}`;
    default:
      return describeBlank(f);
  }
}

function describeBlank(f: JournalFileRead): string {
  return f.state.kind === 'short' ? `${f.state.length} zero bytes` : 'all zero';
}

function pickNewest(
  x: JournalFileRead & { state: { kind: 'valid'; scan: JournalScan } },
  y: JournalFileRead & { state: { kind: 'valid'; scan: JournalScan } },
  events: RecoveryEvent[],
) {
  const gx = x.state.scan.header.generation;
  const gy = y.state.scan.header.generation;
  if (gx !== gy) return gx > gy ? x : y;
  // Two files of one generation never come from our own switches (a copied
  // file, say): prefer the undamaged one, then the longer one, and say so.
  const score = (f: typeof x) => (f.state.scan.damage ? 0 : 1) * 2 ** 40 + f.state.scan.validUpTo;
  const chosen = score(y) > score(x) ? y : x;
  events.push({ kind: 'tie', file: chosen.path, message: `both files have generation ${gx}; using ${chosen.path}` });
  return chosen;
}

/** The generation a new switch writes: above both files'. */
export function nextGeneration(plan: RecoveryPlan): number {
  const gen = (f: JournalFileRead) => (f.state.kind === 'valid' ? f.state.scan.header.generation : 0);
  return Math.max(plan.active ? gen(plan.active) : 0, gen(plan.spare)) + 1;
}
