// The store's own metadata, kept in a JournalStore (MANIFEST.jrna/.jrnb):
// which segment files and snapshots are live, the recovery point, the value
// encoding and the cleaner's progress. Every change of the file set is one
// journal frame, so a crash leaves the old set or the new one; files on disk
// that the manifest does not list are leftovers of an interrupted step
// (a roll, a compaction, a snapshot) and open removes them.
//
// Keys: `segment:<stem>` and `snapshot:<file>` for files, plus a few scalars.
// One key per file, so a roll and a compaction never rewrite each other's
// lists, and each change is a single setMany.

import { join } from 'node:path';
import { JournalStore, type ManifestJournalOptions } from '../journal/journal-store.js';
import { type DataLoss, type JournalFileRead, planRecovery, readJournalFile, type RecoveryEvent } from '../journal/journal-recovery.js';
import type { JournalValue } from '../formats/journal-value.js';
import type { FileIO } from '../io/file-io.js';
import { parseSegmentFileName, type SegmentName, sortSegmentNames } from './segment-names.js';
import type { ValueEncodingName } from './value-codec.js';

const SEGMENT = 'segment:';
const SNAPSHOT = 'snapshot:';
/** Each file of the manifest; 2 of them. Room for thousands of segments. */
const MANIFEST_FILE_SIZE = 256 * 1024;

export const MANIFEST_BASE = 'MANIFEST';

export interface SnapshotRecord {
  file: string;
  /** Every offset below this is in the snapshot. */
  nextOffset: number;
}

export interface CleanerProgress {
  runs: number;
  lastRunMs: number;
  bytesBefore: number;
  bytesAfter: number;
}

/** The reads a manifest makes of its journal's state (a JournalStore, or a state read without opening one). */
interface ManifestState {
  get(key: string): JournalValue | undefined;
  entries(): Iterable<[string, JournalValue]>;
}

/** What a manifest's journal says of its health, as JournalStore's open report or its recovery plan says it. */
export interface ManifestHealth {
  dataLoss: DataLoss;
  events: readonly RecoveryEvent[];
}

/**
 * The manifest as read, without writing anything: open decides from it
 * before it changes any file, and a read-only open (or kvtool) goes by it
 * alone. Manifest adds the writes.
 */
export class ManifestView {
  readonly #state: ManifestState;
  /** True when the journal existed and opened without loss: its file list can be trusted to delete by. */
  readonly trusted: boolean;
  readonly existed: boolean;
  readonly report: ManifestHealth;
  /** Both journal files as read, when this view read them: Manifest.open goes on from them instead of reading them again. */
  readonly files: readonly [JournalFileRead, JournalFileRead] | undefined;

  protected constructor(state: ManifestState, existed: boolean, report: ManifestHealth, files?: readonly [JournalFileRead, JournalFileRead]) {
    this.#state = state;
    this.existed = existed;
    this.report = report;
    this.trusted = existed && report.dataLoss === 'none';
    this.files = files;
  }

  /** The manifest of the store in `dir` as its files hold it: both journal files read and judged as JournalStore.open would, nothing written. */
  static read(io: FileIO, dir: string): ManifestView {
    const [a, b] = manifestPaths(dir);
    const existed = io.exists(a) || io.exists(b);
    const files = [readJournalFile(io, a), readJournalFile(io, b)] as const;
    const plan = planRecovery(...files);
    return new ManifestView(plan.state, existed, plan, files);
  }

  /** A view of a journal state read elsewhere (kvtool's reading of the files). */
  static of(state: ReadonlyMap<string, JournalValue>, health: ManifestHealth): ManifestView {
    return new ManifestView(state as Map<string, JournalValue>, true, health);
  }

  /** Whether `fileName` belongs to the manifest itself. */
  static owns(fileName: string): boolean {
    return fileName.startsWith(`${MANIFEST_BASE}.jrn`);
  }

  segments(): SegmentName[] {
    const names: SegmentName[] = [];
    for (const [key] of this.#state.entries()) {
      if (!key.startsWith(SEGMENT)) continue;
      const name = parseSegmentFileName(`${key.slice(SEGMENT.length)}.log`);
      if (name) names.push(name);
    }
    return sortSegmentNames(names);
  }

  snapshots(): SnapshotRecord[] {
    const out: SnapshotRecord[] = [];
    for (const [key, value] of this.#state.entries()) {
      if (!key.startsWith(SNAPSHOT)) continue;
      const nextOffset = typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) ? value['nextOffset'] : undefined;
      out.push({ file: key.slice(SNAPSHOT.length), nextOffset: typeof nextOffset === 'number' ? nextOffset : 0 });
    }
    return out.sort((a, b) => a.nextOffset - b.nextOffset);
  }

  get valueEncoding(): ValueEncodingName | undefined {
    const v = this.#state.get('valueEncoding');
    return v === 'binary' || v === 'utf8' || v === 'json' ? v : undefined;
  }

  /** Timestamp of the newest batch in sealed segments, kept at each roll (snapshot headers use it). */
  get lastTimestampMs(): number {
    return this.#number('lastTimestampMs') ?? 0;
  }

  /**
   * The oldest offset whose history the log still holds: 0, unless the
   * store began from a snapshot (restore, or an open that had to start from
   * one), whose state stands for everything below its offset.
   */
  get logStartOffset(): number {
    return this.#number('logStartOffset') ?? 0;
  }

  /** The highest generation in a segment file name so far (cleaner runs, base segments): the next one must be higher. */
  get generation(): number {
    return this.#number('generation') ?? 0;
  }

  /**
   * The store id of the leader whose writes this store applies as a
   * follower (logkv/replication), recorded before the first of them.
   */
  get leader(): string | undefined {
    const v = this.#state.get('leader');
    return typeof v === 'string' ? v : undefined;
  }

  /** Base offset of the active segment as of the last roll: every segment below it is sealed. */
  get recoveryPoint(): number | undefined {
    return this.#number('recoveryPoint');
  }

  #number(key: string): number | undefined {
    const v = this.#state.get(key);
    return typeof v === 'number' ? v : undefined;
  }
}

export function manifestPaths(dir: string): [string, string] {
  const base = join(dir, MANIFEST_BASE);
  return [`${base}.jrna`, `${base}.jrnb`];
}

/** The manifest open for writing: every change of the file set is one journal frame. */
export class Manifest extends ManifestView {
  readonly #journal: JournalStore;
  /** Copies of damaged manifest files and cut tails the journal's recovery kept (in `lostDir`). */
  readonly keptAside: readonly string[];

  private constructor(journal: JournalStore, existed: boolean) {
    super(journal, existed, journal.openReport);
    this.#journal = journal;
    this.keptAside = journal.openReport.keptAside;
  }

  /**
   * Opens (creating when missing) the manifest journal of `dir`, carrying
   * out its recovery: a torn tail cut, damaged files copied into `lostDir`
   * (the store's lost/, so a healed manifest leaves nothing beside it that
   * kvtool verify would keep reporting).
   *
   * The caller holds the store's LOCK (every writer of a store does), which
   * covers the manifest too: the journal takes no lock file of its own.
   * Under that lock the files cannot have changed since `view` read them,
   * so they are not read again.
   */
  static async open(io: FileIO, dir: string, now: () => number, lostDir = join(dir, 'lost'), view?: ManifestView): Promise<Manifest> {
    const base = join(dir, MANIFEST_BASE);
    const existed = io.exists(`${base}.jrna`) || io.exists(`${base}.jrnb`);
    const options: ManifestJournalOptions = { io, bufferSize: MANIFEST_FILE_SIZE, durability: 'sync', now, keepAsideDir: lostDir, lock: false, read: view?.files };
    const journal = await JournalStore.open(base, options);
    return new Manifest(journal, existed);
  }

  /** Records a whole file set at once: a new or restored store, or one whose manifest had to be rebuilt. */
  async reset(
    valueEncoding: ValueEncodingName,
    segments: ReadonlyArray<Pick<SegmentName, 'stem' | 'baseOffset'>>,
    extra: { snapshots?: readonly SnapshotRecord[]; logStartOffset?: number; lastTimestampMs?: number; generation?: number; leader?: string } = {},
  ): Promise<void> {
    const entries: Array<[string, JournalValue]> = [];
    for (const key of this.#journal.keys()) if (key.startsWith(SEGMENT) || key.startsWith(SNAPSHOT)) entries.push([key, null]);
    for (const s of segments) entries.push([SEGMENT + s.stem, { baseOffset: s.baseOffset }]);
    for (const s of extra.snapshots ?? []) entries.push([SNAPSHOT + s.file, { nextOffset: s.nextOffset }]);
    entries.push(['format', 1], ['valueEncoding', valueEncoding]);
    if (extra.logStartOffset !== undefined) entries.push(['logStartOffset', extra.logStartOffset]);
    if (extra.lastTimestampMs !== undefined) entries.push(['lastTimestampMs', extra.lastTimestampMs]);
    if (extra.generation !== undefined) entries.push(['generation', extra.generation]);
    if (extra.leader !== undefined) entries.push(['leader', extra.leader]);
    await this.#journal.setMany(entries);
  }

  /** A new active segment, with the recovery point moved to it (every segment before it is sealed). */
  async addSegment(segment: Pick<SegmentName, 'stem' | 'baseOffset'>, lastTimestampMs: number): Promise<void> {
    await this.#journal.setMany([
      [SEGMENT + segment.stem, { baseOffset: segment.baseOffset }],
      ['recoveryPoint', segment.baseOffset],
      ['lastTimestampMs', lastTimestampMs],
    ]);
  }

  /**
   * The cleaner's switch (`progress`), or the start from a snapshot
   * (`logStartOffset`): `removed` go, `added` come, in one frame.
   * `generation` is the one in the added files' names.
   */
  async replaceSegments(
    removed: ReadonlyArray<Pick<SegmentName, 'stem'>>,
    added: ReadonlyArray<Pick<SegmentName, 'stem' | 'baseOffset'>>,
    change: { generation: number; progress?: CleanerProgress; logStartOffset?: number },
  ): Promise<void> {
    const entries: Array<[string, JournalValue]> = removed.map((s) => [SEGMENT + s.stem, null]);
    for (const s of added) entries.push([SEGMENT + s.stem, { baseOffset: s.baseOffset }]);
    entries.push(['generation', change.generation]);
    if (change.progress) entries.push(['cleaner', { ...change.progress }]);
    if (change.logStartOffset !== undefined) entries.push(['logStartOffset', change.logStartOffset]);
    await this.#journal.setMany(entries);
  }

  /** Records the leader a follower copies (see `leader`); one frame, before any of its writes is applied. */
  async setLeader(storeId: string): Promise<void> {
    await this.#journal.setMany([['leader', storeId]]);
  }

  /** A promoted follower's: it copies no leader any more (its own writes follow). */
  async forgetLeader(): Promise<void> {
    await this.#journal.setMany([['leader', null]]);
  }

  async addSnapshot(record: SnapshotRecord, removed: readonly string[]): Promise<void> {
    const entries: Array<[string, JournalValue]> = removed.map((f) => [SNAPSHOT + f, null]);
    entries.push([SNAPSHOT + record.file, { nextOffset: record.nextOffset }]);
    await this.#journal.setMany(entries);
  }

  async close(): Promise<void> {
    await this.#journal.close();
  }
}

/** What a manifest lists, as `listedFiles` reads it from a journal state. */
export interface ListedFiles {
  segments: SegmentName[];
  snapshots: SnapshotRecord[];
  valueEncoding: ValueEncodingName | undefined;
}

/**
 * The file set a manifest's journal state lists, read the way the engine
 * reads it, for a caller that reads the journal files without opening them
 * as a JournalStore (kvtool inspecting a store that another process has
 * open for writing takes no lock and writes nothing).
 */
export function listedFiles(state: ReadonlyMap<string, JournalValue>): ListedFiles {
  const view = ManifestView.of(state, { dataLoss: 'none', events: [] });
  return { segments: view.segments(), snapshots: view.snapshots(), valueEncoding: view.valueEncoding };
}
