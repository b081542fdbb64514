// The segments an open serves from their index files before their keys are
// in the key directory (issue 16: an open that does not read every key
// before its first get). Recovery (recovery.ts) defers the oldest segments
// whose hint and index both check out by their headers; this loads them in
// the background, newest first, in small steps between the event loop's
// other work, while gets that miss the directory search their indexes.
//
// Why newest first, and what that asks of the directory: everything the
// directory holds when a deferred segment is loaded is newer than that
// segment (writes since open, the segments recovery loaded, and the
// deferred segments after it). So an entry goes in only when its key is not
// there yet, and a key deleted by anything newer must not come back from an
// older segment: the key space keeps the keys deleted while any segment is
// still deferred (by the recovered segments, by writes since open, or by a
// tombstone in a deferred segment: key-space.ts, `hidden`), and a deferred
// entry of a hidden key is skipped.
//
// A get that misses the directory searches the deferred segments' indexes,
// newest first, for the key's newest record; what it finds goes into the
// directory at once (the load would put the same entry there later, and
// then skips it), so the rest of the store sees an ordinary entry.
//
// Damage found after open: a slot of an index that fails its check, or a
// record a slot points at that fails its own, stops the searches (the load
// finishes at once and answers from the directory, as an open that loaded
// first would);
// a hint that fails its checks when loaded is replaced by a scan of its
// segment. Either way the segment's hint and index are written again
// (needsRewrite) and the open report counts it.

import { LogkvError } from '../errors.js';
import { damageError } from '../formats/damage.js';
import { type CheckedHint, checkHint, FIRST_HINT_ENTRY, visitHintEntries } from '../formats/hint-reader.js';
import { lastBatchOf, readRecordAt, scanSegment } from '../formats/log-segment-reader.js';
import { HINT_ENTRY_FIXED_SIZE, HINT_HEADER_SIZE, HINT_TRAILER_SIZE, Op } from '../formats/limits.js';
import type { FileIO } from '../io/file-io.js';
import { hashKeyAt } from './key-directory.js';
import { compareKeys } from './ordered-index.js';
import type { IndexedSegment } from './segment-index.js';
import { ScannedIndex } from './scanned-index.js';
import { IndexDamage } from './segment-index.js';
import { scanNewest } from './segment-hint.js';

export interface DeferredSegment {
  /** The segment's id in the log. */
  id: number;
  stem: string;
  /** The segment file, rescanned when its hint turns out damaged. */
  path: string;
  hintPath: string;
  /** Size of the hint file, which sizes the directory before the load. */
  hintSize: number;
  /** Its index file, or the records recovery read from the segment itself (no usable hint or index: scanned-index.ts). */
  index: IndexedSegment | ScannedIndex;
  /** The newest segment: its hint and index describe it only until its next write (recovery.ts). */
  newest: boolean;
}

/** What loading needs of the key space. */
export interface DeferredTarget {
  /** Whether the directory holds the key. */
  has(bytes: Uint8Array, keyAt: number, keyLength: number): boolean;
  /** Whether something newer than the deferred segments deleted the key. */
  isHidden(bytes: Uint8Array, keyAt: number, keyLength: number): boolean;
  /** Notes that the key is deleted as of a segment newer than the ones still to load. */
  hide(bytes: Uint8Array, keyAt: number, keyLength: number): void;
  /** `segment` holds `count` tombstones (told once per segment as it loads). */
  countTombstones(segment: number, count: number): void;
  /**
   * Room for `entries` more keys of `keyBytes` bytes in the directory,
   * before entries come: they come in hash order, which fills a table sized
   * for fewer keys than the run holds into one cluster (key-directory.ts;
   * measured: 500k keys in hash order into a growing table took 42 s, into
   * a reserved one 0.5 s).
   */
  reserve(entries: number, keyBytes: number): void;
  /** reserve() of the hidden keys, before a segment's tombstones come (in hash order too). */
  reserveHidden(keys: number, keyBytes: number): void;
  /** Puts a new entry in the directory (and the space's other structures). */
  insert(bytes: Uint8Array, keyAt: number, keyLength: number, segment: number, position: number, size: number, offset: number, expireAtMs: number | undefined): void;
}

/** A record found through an index: the key's newest, in the newest deferred segment that has it. */
export interface FoundRecord {
  segment: number;
  position: number;
  size: number;
  offset: number;
  tombstone: boolean;
  expireAtMs: number | undefined;
}

export interface DeferredLoadOptions {
  io: FileIO;
  /** The record at `position` of segment `segment`, CRC-checked (SegmentLog.readRecordView). */
  readRecord(segment: number, position: number, size: number): Uint8Array;
  /** A hint or index found damaged after open, to be counted in the open report. */
  onRebuild(kind: 'hint' | 'index', file: string): void;
  /** Damage in the newest segment before its last batch, found by the check open left for later. */
  onDamage(error: LogkvError): void;
  /**
   * That check made by the log (SegmentLog.checkBatches: a window at a time,
   * and kept for its cleaner); false when it fails, and the check here then
   * says where and what.
   */
  checkBatches?(segment: number, length: number, minOffset: number): boolean;
  /**
   * Takes that check of the newest segment (`check` makes it and reports
   * what it finds) to run later, once the keys are in and no cleaner run
   * is under way (log-store.ts); without this, the load makes it as it
   * loads the segment. Why later: a compact() right after open loads the
   * segment at its roll and rewrites it at once, reading and checking the
   * batches holding what it keeps; a check of the whole segment first
   * (~66 MB, half the run's time) would then be spent on records about to
   * be dropped.
   */
  checkLater?(segment: number, check: () => void): void;
}

/** Entries loaded per step: a few ms of work (a 1M-key hint loads in ~100 steps). */
const ENTRIES_PER_STEP = 10_000;

export class DeferredLoad {
  readonly #segments: DeferredSegment[];
  readonly #o: DeferredLoadOptions;
  readonly #target: DeferredTarget;
  /** Segments [0, #pending) are not fully loaded; #pending - 1 is the one loading. */
  #pending: number;
  /** The loading segment's checked hint and the position of its next entry. */
  #hint: CheckedHint | undefined;
  #at = FIRST_HINT_ENTRY;
  /** The loading segment's next entry, when it is one recovery scanned (scanned-index.ts). */
  #scannedAt: number | undefined;
  /** Indexes are searched until one turns out damaged. */
  #searchable = true;
  /** The directory was sized for every deferred entry (the first step does it). */
  #reserved = false;
  /** Segments whose hint and index are to be written again (damage found). */
  readonly needsRewrite: number[] = [];

  constructor(segments: DeferredSegment[], target: DeferredTarget, options: DeferredLoadOptions) {
    this.#segments = segments;
    this.#pending = segments.length;
    this.#target = target;
    this.#o = options;
  }

  get done(): boolean {
    return this.#pending === 0;
  }

  /** Whether segment `id` is deferred and not fully loaded. */
  isPending(id: number): boolean {
    for (let i = 0; i < this.#pending; i++) if (this.#segments[i]!.id === id) return true;
    return false;
  }

  /**
   * The newest record of `key` in the deferred segments not fully loaded,
   * or undefined (none has it, or it is hidden). Undefined too once the
   * indexes cannot be trusted: the caller finishes the load (complete())
   * and asks the directory.
   */
  find(key: Uint8Array): FoundRecord | undefined {
    if (this.#pending === 0 || !this.#searchable) return undefined;
    if (this.#target.isHidden(key, 0, key.length)) return undefined;
    const hash = hashKeyAt(key, 0, key.length);
    for (let i = this.#pending - 1; i >= 0; i--) {
      const s = this.#segments[i]!;
      let found: FoundRecord | undefined;
      try {
        s.index.find(hash, (position, size, offset) => {
          const bytes = this.#readRecord(s.id, position, size);
          if (bytes === undefined) return true;
          const r = readRecordAt(bytes, 0, size, { crcChecked: true });
          if (!r) throw new LogkvError('CORRUPT', `${s.path}: record at byte ${position} does not fill its ${size} bytes`, { file: s.path, offset: position, reason: 'record-layout' });
          if (compareKeys(r.key, key) !== 0) return false;
          found = { segment: s.id, position, size, offset, tombstone: r.op === Op.Delete, expireAtMs: r.expireAtMs };
          return true;
        });
      } catch (e) {
        if (!(e instanceof IndexDamage)) throw e;
        this.#indexDamaged(s);
        return undefined;
      }
      if (!this.#searchable) return undefined;
      if (found) return found;
    }
    return undefined;
  }

  /** Whether searches still answer (no index has turned out damaged). */
  get searchable(): boolean {
    return this.#searchable;
  }

  /**
   * Loads up to `entries` more entries, all of one segment (a step never
   * reads two hints); returns whether every segment is loaded.
   */
  step(entries = ENTRIES_PER_STEP): boolean {
    if (this.#pending === 0) return true;
    if (!this.#reserved) this.#reserveAll();
    const s = this.#segments[this.#pending - 1]!;
    if (s.index instanceof ScannedIndex) {
      this.#loadScanned(s, s.index, entries);
      return this.#pending === 0;
    }
    this.#hint ??= this.#checkedHint(s);
    if (!this.#hint) {
      this.#loadByScan(s);
      this.#finishSegment(s);
    } else {
      const end = this.#hint.source.size - HINT_TRAILER_SIZE;
      this.#at = visitHintEntries(this.#hint, this.#at, entries, (tombstone, b, keyAt, keyLength, offset, position, size, expireAtMs) => {
        this.#add(tombstone, b, keyAt, keyLength, s.id, position, size, offset, expireAtMs);
      });
      if (this.#at >= end) this.#finishSegment(s);
    }
    return this.#pending === 0;
  }

  /** Loads everything left, now. */
  complete(): void {
    while (!this.step(Infinity));
  }

  /** Loads the segment `id` and every newer deferred one (a roll is about to rewrite its hint). */
  loadThrough(id: number): void {
    while (this.isPending(id)) this.step();
  }

  /** Stops: closes the index files (close, or a failed open). */
  close(): void {
    for (const s of this.#segments) s.index.close();
  }

  #add(tombstone: boolean, b: Uint8Array, keyAt: number, keyLength: number, segment: number, position: number, size: number, offset: number, expireAtMs: number | undefined): void {
    const t = this.#target;
    if (t.has(b, keyAt, keyLength) || t.isHidden(b, keyAt, keyLength)) return;
    if (tombstone) t.hide(b, keyAt, keyLength);
    else t.insert(b, keyAt, keyLength, segment, position, size, offset, expireAtMs);
  }

  /** The hint of `s`, checked whole; undefined when it fails (the segment is scanned instead). */
  #checkedHint(s: DeferredSegment): CheckedHint | undefined {
    if (s.newest) {
      if (this.#o.checkLater) this.#o.checkLater(s.id, () => this.#checkBatches(s));
      else this.#checkBatches(s);
    }
    try {
      const hint = checkHint(this.#o.io.readFile(s.hintPath), s.hintPath);
      const h = s.index.header;
      if (hint.segmentBaseOffset === h.segmentBaseOffset && hint.segmentNextOffset === h.segmentNextOffset && hint.coveredLength === h.coveredLength) {
        this.#at = FIRST_HINT_ENTRY;
        this.#tombstonesAhead(s, hint.tombstones, hint.keyBytes, hint.entryCount);
        return hint;
      }
    } catch (e) {
      if (!(e instanceof LogkvError)) throw e;
    }
    this.#o.onRebuild('hint', s.hintPath);
    this.#rewrite(s);
    return undefined;
  }

  /** Before a segment's entries come: room for its `tombstones` among the hidden keys (their key bytes estimated from the segment's average), and the count in its accounts. */
  #tombstonesAhead(s: DeferredSegment, tombstones: number, keyBytes: number, entries: number): void {
    if (tombstones === 0) return;
    this.#target.reserveHidden(tombstones, Math.ceil((keyBytes / entries) * tombstones));
    this.#target.countTombstones(s.id, tombstones);
  }

  /** A step through a segment recovery scanned: its entries come from memory, checked by that scan. */
  #loadScanned(s: DeferredSegment, scanned: ScannedIndex, entries: number): void {
    if (this.#scannedAt === undefined) {
      this.#scannedAt = 0;
      this.#tombstonesAhead(s, scanned.tombstones, scanned.keyBytes, scanned.entries);
    }
    this.#scannedAt = scanned.visit(this.#scannedAt, entries, (tombstone, b, keyAt, keyLength, offset, position, size, expireAtMs) => {
      this.#add(tombstone, b, keyAt, keyLength, s.id, position, size, offset, expireAtMs);
    });
    if (this.#scannedAt >= scanned.entries) {
      this.#scannedAt = undefined;
      this.#finishSegment(s);
    }
  }

  /**
   * Loads `s` from its own records (its hint failed): the newest record of
   * each key, as the hint would give them. Damage the scan stops at (its
   * header, a batch) is reported, as an open that scanned it would report
   * it: the records after it are not loaded, and the hint that could have
   * named them failed its check.
   */
  #loadByScan(s: DeferredSegment): void {
    let found: ReturnType<typeof scanNewest>;
    try {
      found = scanNewest(this.#o.io.readFile(s.path).subarray(0, s.index.header.coveredLength), s.path);
    } catch (e) {
      if (!(e instanceof LogkvError)) throw e;
      this.#o.onDamage(afterOpen(e, s.path));
      return;
    }
    const { newest, scan } = found;
    const d = scan.damage[0];
    if (d) this.#o.onDamage(afterOpen(damageError(d, s.path), s.path));
    // In id order, not hash order: no reservation needed.
    let tombstones = 0;
    newest.forEachKey((id, keys, keyAt, keyLength) => {
      const tombstone = newest.segmentOf(id) === 1;
      if (tombstone) tombstones++;
      this.#add(tombstone, keys, keyAt, keyLength, s.id, newest.positionOf(id), newest.sizeOf(id), newest.offsetOf(id), newest.expireAtOf(id));
    });
    this.#target.countTombstones(s.id, tombstones);
  }

  /**
   * Sizes the directory once for every entry the deferred segments hold (the
   * index headers' counts; key bytes from the hint files' sizes, which also
   * count expiries: a little over). One growth per segment instead would
   * copy the records and rebuild the table each time (~60 ms at 1M keys).
   */
  #reserveAll(): void {
    this.#reserved = true;
    let entries = 0;
    let keyBytes = 0;
    for (let i = 0; i < this.#pending; i++) {
      const s = this.#segments[i]!;
      const n = s.index.header.slotCount;
      entries += n;
      keyBytes += s.index instanceof ScannedIndex ? s.index.keyBytes : Math.max(0, s.hintSize - HINT_HEADER_SIZE - HINT_TRAILER_SIZE - n * HINT_ENTRY_FIXED_SIZE);
    }
    this.#target.reserve(entries, keyBytes);
  }

  /**
   * What open checks of a newest segment it reads (every batch's CRC, the
   * chain of lengths landing on its end) and left for later on a deferred
   * one: damage is reported, and each record is still checked when read.
   */
  #checkBatches(s: DeferredSegment): void {
    const length = s.index.header.coveredLength;
    if (this.#o.checkBatches?.(s.id, length, s.index.header.segmentBaseOffset) === true) return;
    const bytes = this.#o.io.readFile(s.path).subarray(0, length);
    if (bytes.length === length && lastBatchOf(bytes, s.index.header.segmentBaseOffset) !== undefined) return;
    // Rare: the full scan says where and what.
    const d = scanSegment(bytes, { file: s.path, recordCrcs: false }).damage[0];
    this.#o.onDamage(
      new LogkvError(
        'CORRUPT',
        `${s.path} is damaged at byte ${d?.offset ?? length} (${d?.reason ?? 'truncated'}; found after open); run kvtool verify and kvtool repair`,
        { file: s.path, offset: d?.offset ?? length, reason: d?.reason ?? 'truncated' },
      ),
    );
  }

  #finishSegment(s: DeferredSegment): void {
    this.#pending--;
    this.#hint = undefined;
    this.#at = FIRST_HINT_ENTRY;
    s.index.close();
  }

  /**
   * A record a slot points at, or undefined when it fails its CRC: which key
   * it holds is then unknown, and the hint may know what the record said
   * (a tombstone, say, that no get would read once the keys are loaded).
   * The searches stop and the caller loads every key, so the answer is the
   * one a store that loaded first gives: the same before and after the load.
   */
  #readRecord(segment: number, position: number, size: number): Uint8Array | undefined {
    try {
      return this.#o.readRecord(segment, position, size);
    } catch (e) {
      if (!(e instanceof LogkvError && e.code === 'CORRUPT')) throw e;
      this.#searchable = false;
      return undefined;
    }
  }

  #indexDamaged(s: DeferredSegment): void {
    this.#searchable = false;
    this.#o.onRebuild('index', s.index.path);
    this.#rewrite(s);
  }

  #rewrite(s: DeferredSegment): void {
    // The newest segment's files are removed once it is loaded: nothing to rewrite.
    if (!s.newest && !this.needsRewrite.includes(s.id)) this.needsRewrite.push(s.id);
  }
}

/** `e`, damage in `file` that the load after open met, as it reports it: what to run about it said. */
function afterOpen(e: LogkvError, file: string): LogkvError {
  return new LogkvError(e.code, `${e.message} (found after open, its hint damaged too); run kvtool verify and kvtool repair`, { file: e.file ?? file, offset: e.offset ?? 0, reason: e.reason, cause: e });
}
