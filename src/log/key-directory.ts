// The LogStore's in-memory key directory: key -> where the key's latest
// record lives (segment, position, size), its log offset and its expiry.
//
// DESIGN.md, "Speed the engine is built for": a JS Map of small objects costs
// several hundred bytes per key; the target is at most 100 bytes of heap per
// key beyond the key's own bytes at 1M keys. So this is an open-addressing
// hash table over typed arrays, laid out for few cache misses per get (at 1M
// keys every structure is far bigger than the cache; a dependent miss costs
// ~120 ns here, so misses, not instructions, are what a get pays for):
//
// - Table: power-of-two buckets of 3 u32 words [entry id + 1 (0 = empty),
//   hash, key arena offset], linear probing, load kept <= 0.75. The hash in
//   the bucket skips other keys without touching them; the offset lets the
//   key compare go straight to the arena. Deletion is backward-shift, so
//   there are no tombstones and probe chains stay exact.
// - Arena: one growable Uint8Array holding each key as [u16 LE length][bytes]
//   (the empty key is a 2-byte entry). An update of a live key keeps its
//   bytes; a delete leaves them dead, reclaimed by compact(), which runs by
//   itself once dead bytes pass half the arena.
// - Entries: 16-byte records of 4 u32 words, what a get reads: key arena
//   offset (DEAD for a dead entry), segment (the free-list link when dead),
//   position, size. 16 divides a cache line, so a record never straddles
//   one, and a get touches three lines: bucket, key bytes, record.
//   lookup() also reads the record's copy of the key offset, so the record's
//   miss overlaps the arena's: a get waits for two misses in a row.
//   Beside them, indexed by id: log offsets (Float64Array; snapshots and
//   clear() read them, gets do not) and expiries (Float64Array, NaN
//   for none), made only when the first key with an expiry is set: a store
//   without TTLs pays nothing for them, one with TTLs one more miss a get.
//   Measured, 1M random gets of 16-byte keys reading segment, position, size
//   and expiry: a struct of arrays (one typed array a field) ~650 ns a get;
//   40-byte records with [id, hash] buckets ~490 ns; 32-byte records that
//   also held offset and expiry ~370 ns. Moving those two out (issue 16,
//   memory) took the heap + external figure after a 1M-key bulk load from
//   83.7 to 75.7 bytes a key, and at 4M from 88.7 to 78.5.
// - Growth is by 1.5x for records and arena and by doubling for the table,
//   sized from the live count, so for short keys the per-key figure stays
//   under 100 bytes at any count, not only at the 1M the target names (worst
//   case just after a growth, 16-byte keys: 36 records and offsets + 32
//   table + 11 arena length prefix and slack; arena slack grows with the
//   key length).
// - Deleted entry ids go on a free list for reuse.
//
// Hash: murmur3 (x86, 32-bit) reading 4 bytes at a time. On 16-byte keys,
// Node 20 on this machine, keys in cache: murmur3 10.0 ns, xxhash32 12.8 ns,
// FNV-1a 13.9 ns (byte at a time), FNV-1a + a final mix 14.1 ns. murmur3's
// finaliser gives well-mixed bits throughout.
//
// The table indexes by the hash's top bits (h >>> (32 - log2 buckets)), so
// bucket order is hash order at every table size: keys that arrive in
// ascending hash order fill the table front to back, as do the rebuilds of
// a growing table. Hints are written in that order (forEachKeyByHash), so
// an open that loads them touches table, arena and records sequentially
// instead of taking a cache (and TLB) miss per key: measured, 1M 16-byte
// keys into a reserved directory, ~150 ms of CPU in hash order against
// ~300 ms in file order (load average 7 on the 2 cores).
// The hash is unseeded (deterministic): a store that takes keys from an
// adversary could be fed colliding keys; that costs time, never correctness.
//
// Measured ad hoc (not in the suite; Node 20, this machine, 1M 16-byte keys,
// a counter in the last 4 bytes), against a Map<string, {5 fields}> keyed by
// the key's latin1 string:
//   memoryBytes(): 79.3 MB = 63.3 bytes/key beyond the key bytes (heap +
//     array buffers after GC agree: 79.1 B/key in all; the Map: 125 B/key);
//   1M set: ~250 ms (Map ~520-900 ms);
//   1M random lookup + reading the 4 fields: ~350 ms (Map.get ~800 ms).
// Entirely in cache (10k keys) a get costs ~50 ns; at 1M it is cache misses.

import { constants as bufferConstants } from 'node:buffer';
import { LogkvError } from '../errors.js';

export interface KeyDirectoryOptions {
  /**
   * Called for each live entry whose id changes when the directory compacts
   * (compact() without its own callback, and the automatic compaction that a
   * delete() can trigger). See compact() for the order guarantees.
   */
  onMove?: (oldId: number, newId: number) => void;
  /**
   * Automatic compaction waits until at least this many arena bytes are dead
   * (as well as more than half the arena), so small directories are not
   * rebuilt over a few bytes. Default 64 KiB; 0 compacts as soon as dead
   * bytes pass half the arena.
   */
  autoCompactMinDeadBytes?: number;
}

// Entry record: 16 bytes, 4 u32 words (what a get reads). The log offset
// and the expiry are in arrays of their own, indexed by id.
const RECORD_WORDS = 4;
const W_KEY_OFF = 0; // DEAD for a dead entry
const W_SEGMENT = 1; // free-list link for a dead entry
const W_POSITION = 2;
const W_SIZE = 3;

// Bucket: 3 u32 words.
const B_ID = 0; // id + 1, 0 = empty
const B_HASH = 1;
const B_KEY_OFF = 2;

/** Arena bytes before a key's bytes: its u16 LE length. */
const LEN_BYTES = 2;

const DEAD = 0xffffffff;
const NO_FREE = 0xffffffff;
const U32_MAX = 0xffffffff;
const MAX_KEY_LENGTH = 0xffff;
/** Ids are stored as id + 1 in a u32; kept far below that. */
const MAX_ENTRIES = 2 ** 30;
/** Arena offsets are u32 and below DEAD. */
const MAX_ARENA = Math.min(U32_MAX, bufferConstants.MAX_LENGTH);
const MIN_CAPACITY = 8;
const MIN_ARENA = 256;
const DEFAULT_CAPACITY = 1024;
const DEFAULT_AUTO_COMPACT_MIN = 64 * 1024;
/** Keys up to this long are copied into the arena byte by byte. */
const SHORT_KEY = 32;

/** murmur3_x86_32 of `k`, seed 0x9747b28c, unsigned. */
export function hashKey(k: Uint8Array): number {
  return hashRange(k, 0, k.length);
}

/** hashKey() of the key k[start, start + n). */
export function hashKeyAt(k: Uint8Array, start: number, n: number): number {
  return hashRange(k, start, n);
}

/** murmur3_x86_32 of k[start, start + n), seed 0x9747b28c, unsigned. */
function hashRange(k: Uint8Array, start: number, n: number): number {
  const end = start + (n & ~3);
  let h = 0x9747b28c | 0;
  let i = start;
  for (; i < end; i += 4) {
    let w = k[i]! | (k[i + 1]! << 8) | (k[i + 2]! << 16) | (k[i + 3]! << 24);
    w = Math.imul(w, 0xcc9e2d51);
    w = (w << 15) | (w >>> 17);
    w = Math.imul(w, 0x1b873593);
    h ^= w;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = n & 3;
  if (rest !== 0) {
    let w = k[i]!;
    if (rest > 1) w |= k[i + 1]! << 8;
    if (rest > 2) w |= k[i + 2]! << 16;
    w = Math.imul(w, 0xcc9e2d51);
    w = (w << 15) | (w >>> 17);
    w = Math.imul(w, 0x1b873593);
    h ^= w;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Smallest power-of-two bucket count (>= 8) holding `keys` at a load <= 0.75. */
function bucketsFor(keys: number): number {
  let t = 8;
  while (t * 3 < keys * 4) t *= 2;
  return t;
}

/** The home bucket of hash `h` in a table of `mask + 1` buckets: its top bits (see the comment at the top). */
function home(h: number, mask: number): number {
  return h >>> Math.clz32(mask);
}

function insertBucket(table: Uint32Array, mask: number, id: number, h: number, keyOff: number): void {
  let i = home(h, mask);
  while (table[3 * i] !== 0) i = (i + 1) & mask;
  const b = 3 * i;
  table[b + B_ID] = id + 1;
  table[b + B_HASH] = h;
  table[b + B_KEY_OFF] = keyOff;
}

function isU32(x: number): boolean {
  return Number.isInteger(x) && x >= 0 && x <= U32_MAX;
}

function invalid(message: string): LogkvError {
  return new LogkvError('INVALID_ARGUMENT', message);
}

/**
 * Key -> record location, over typed arrays. Entry ids are small integers,
 * stable until the key is deleted or the directory compacts (compact(), or a
 * delete() that triggers automatic compaction: pass `onMove` to follow ids).
 * Not safe to mutate while iterating ids().
 */
export class KeyDirectory {
  /**
   * After set(): the segment and size the key pointed at before, when set()
   * updated a live key; replacedSegment is -1 when set() inserted it. Lets a
   * caller that keeps accounts per segment skip a second lookup.
   */
  replacedSegment = -1;
  replacedSize = 0;
  /** Whether the replaced record carried an expiry. */
  replacedExpires = false;
  /** Called with the id moves of compactions that get no callback of their own. */
  onMove: ((oldId: number, newId: number) => void) | undefined;
  readonly #minCapacity: number;
  readonly #autoCompactMin: number;

  /** `#mask + 1` buckets of 3 words. */
  #table: Uint32Array;
  #mask: number;

  /** `#capacity` records of RECORD_WORDS u32s, and as many log offsets. */
  #capacity: number;
  #u32: Uint32Array<ArrayBuffer>;
  #offsets: Float64Array<ArrayBuffer>;
  /** `#capacity` expiries (NaN for none); made when the first key with one is set. */
  #expires: Float64Array<ArrayBuffer> | undefined;
  /** Ids 0..#used-1 have been handed out; the dead among them are on the free list. */
  #used = 0;
  #live = 0;
  #freeHead = NO_FREE;

  #arena: Uint8Array<ArrayBuffer>;
  #arenaUsed = 0;
  #arenaDead = 0;

  /**
   * @param initialCapacity entries to make room for up front (default 1024);
   *   the directory grows past it as needed and never shrinks below it.
   */
  constructor(initialCapacity: number = DEFAULT_CAPACITY, options: KeyDirectoryOptions = {}) {
    if (!Number.isInteger(initialCapacity) || initialCapacity < 0 || initialCapacity > MAX_ENTRIES) {
      throw invalid(`initialCapacity must be an integer 0..${MAX_ENTRIES}, got ${initialCapacity}`);
    }
    const min = options.autoCompactMinDeadBytes ?? DEFAULT_AUTO_COMPACT_MIN;
    if (!Number.isInteger(min) || min < 0) throw invalid(`autoCompactMinDeadBytes must be a non-negative integer, got ${min}`);
    this.onMove = options.onMove;
    this.#autoCompactMin = min;
    const cap = Math.max(MIN_CAPACITY, initialCapacity);
    this.#minCapacity = cap;
    this.#capacity = cap;
    this.#u32 = new Uint32Array(cap * RECORD_WORDS);
    this.#offsets = new Float64Array(cap);
    const t = bucketsFor(cap);
    this.#table = new Uint32Array(3 * t);
    this.#mask = t - 1;
    this.#arena = new Uint8Array(MIN_ARENA);
  }

  /** Number of live keys. */
  get size(): number {
    return this.#live;
  }

  /** Entry id of `key`, or -1. Allocates nothing. */
  lookup(key: Uint8Array): number {
    const b = this.#find(key, 0, key.length, hashKey(key));
    return b < 0 ? -1 : this.#table[b]! - 1;
  }

  /** Entry id of the key bytes[keyAt, keyAt + keyLength), or -1. Allocates nothing. */
  lookupAt(bytes: Uint8Array, keyAt: number, keyLength: number): number {
    const b = this.#find(bytes, keyAt, keyLength, hashRange(bytes, keyAt, keyLength));
    return b < 0 ? -1 : this.#table[b]! - 1;
  }

  /** Word index of the bucket holding the key key[at, at + n) (with hash `h`), or -1. */
  #find(key: Uint8Array, at: number, n: number, h: number): number {
    const table = this.#table;
    const mask = this.#mask;
    const arena = this.#arena;
    const u = this.#u32;
    let i = home(h, mask);
    for (;;) {
      const b = 3 * i;
      const s = table[b + B_ID]!;
      if (s === 0) return -1;
      if (table[b + B_HASH] === h) {
        let o = table[b + B_KEY_OFF]!;
        // The record's copy of the key offset always equals the bucket's: the
        // test is here to start the record's cache miss alongside the arena's
        // (the caller reads the record next), so a get waits for two misses
        // in a row instead of three.
        if (u[(s - 1) * RECORD_WORDS + W_KEY_OFF] === o && (arena[o]! | (arena[o + 1]! << 8)) === n) {
          o += LEN_BYTES;
          let j = 0;
          while (j < n && arena[o + j] === key[at + j]) j++;
          if (j === n) return b;
        }
      }
      i = (i + 1) & mask;
    }
  }

  /**
   * Inserts or updates `key`; returns its entry id. An update keeps the id
   * and the key bytes. Throws INVALID_ARGUMENT (and changes nothing) for a
   * key over 65535 bytes, a segment/position/size that is not a u32, an
   * offset that is not a non-negative safe integer, or an expiry that is not
   * a finite number; TOO_LARGE (changing nothing) if the arena or the entry
   * count would pass its limit.
   */
  set(key: Uint8Array, segment: number, position: number, size: number, offset: number, expireAtMs: number | undefined): number {
    if (!(key instanceof Uint8Array)) throw invalid('key must be a Uint8Array');
    return this.setAt(key, 0, key.length, segment, position, size, offset, expireAtMs);
  }

  /**
   * set() of the key bytes[keyAt, keyAt + keyLength), copied into the arena:
   * recovery feeds keys straight from a hint or segment buffer, without a
   * view per key.
   */
  setAt(
    bytes: Uint8Array,
    keyAt: number,
    keyLength: number,
    segment: number,
    position: number,
    size: number,
    offset: number,
    expireAtMs: number | undefined,
  ): number {
    if (!(bytes instanceof Uint8Array)) throw invalid('key bytes must be a Uint8Array');
    const n = keyLength;
    if (!(Number.isInteger(keyAt) && Number.isInteger(n) && keyAt >= 0 && n >= 0 && keyAt + n <= bytes.length)) {
      throw invalid(`key range ${keyAt}+${n} is not inside its ${bytes.length}-byte buffer`);
    }
    if (n > MAX_KEY_LENGTH) throw invalid(`key is ${n} bytes, over the ${MAX_KEY_LENGTH}-byte limit`);
    if (!isU32(segment)) throw invalid(`segment must be a u32, got ${segment}`);
    if (!isU32(position)) throw invalid(`position must be a u32, got ${position}`);
    if (!isU32(size)) throw invalid(`size must be a u32, got ${size}`);
    if (!Number.isSafeInteger(offset) || offset < 0) throw invalid(`offset must be a non-negative safe integer, got ${offset}`);
    if (expireAtMs !== undefined && !Number.isFinite(expireAtMs)) throw invalid(`expireAtMs must be a finite number or undefined, got ${expireAtMs}`);

    const h = hashRange(bytes, keyAt, n);
    const found = this.#find(bytes, keyAt, n, h);
    let id: number;
    if (found >= 0) {
      id = this.#table[found]! - 1;
      this.replacedSegment = this.#u32[id * RECORD_WORDS + W_SEGMENT]!;
      this.replacedSize = this.#u32[id * RECORD_WORDS + W_SIZE]!;
      this.replacedExpires = this.expireAtOf(id) !== undefined;
    } else {
      this.replacedSegment = -1;
      // Make room first, so a failure leaves everything as it was.
      if (this.#freeHead === NO_FREE && this.#used === this.#capacity) {
        if (this.#capacity >= MAX_ENTRIES) throw new LogkvError('TOO_LARGE', `key directory is full (${MAX_ENTRIES} entries)`);
        this.#resizeRecords(Math.min(MAX_ENTRIES, this.#capacity + (this.#capacity >>> 1)));
      }
      const need = this.#arenaUsed + LEN_BYTES + n;
      if (need > this.#arena.length) this.#growArena(need);
      if ((this.#live + 1) * 4 > (this.#mask + 1) * 3) this.#rebuildTable(2 * (this.#mask + 1), undefined);

      if (this.#freeHead !== NO_FREE) {
        id = this.#freeHead;
        this.#freeHead = this.#u32[id * RECORD_WORDS + W_SEGMENT]!;
      } else {
        id = this.#used++;
      }
      const o = this.#arenaUsed;
      const arena = this.#arena;
      arena[o] = n & 0xff;
      arena[o + 1] = n >>> 8;
      // A loop for short keys: TypedArray#set (and the view it needs) costs more than copying a few bytes.
      if (n <= SHORT_KEY) for (let j = 0; j < n; j++) arena[o + LEN_BYTES + j] = bytes[keyAt + j]!;
      else arena.set(bytes.subarray(keyAt, keyAt + n), o + LEN_BYTES);
      this.#arenaUsed = o + LEN_BYTES + n;
      this.#u32[id * RECORD_WORDS + W_KEY_OFF] = o;
      insertBucket(this.#table, this.#mask, id, h, o);
      this.#live++;
    }
    const r = id * RECORD_WORDS;
    const u = this.#u32;
    u[r + W_SEGMENT] = segment;
    u[r + W_POSITION] = position;
    u[r + W_SIZE] = size;
    this.#offsets[id] = offset;
    if (expireAtMs !== undefined) (this.#expires ??= new Float64Array(this.#capacity).fill(NaN))[id] = expireAtMs;
    else if (this.#expires !== undefined) this.#expires[id] = NaN;
    return id;
  }

  /**
   * Removes `key`; returns true if it was there. May compact the directory
   * (ids change; `onMove` is told) when dead arena bytes pass half the arena.
   */
  delete(key: Uint8Array): boolean {
    const found = this.#find(key, 0, key.length, hashKey(key));
    if (found < 0) return false;
    const table = this.#table;
    const mask = this.#mask;
    const id = table[found]! - 1;

    // Backward-shift deletion: pull later members of the probe run into the
    // hole when the hole lies between their home bucket and where they are.
    let i = found / 3;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const bj = 3 * j;
      const s = table[bj + B_ID]!;
      if (s === 0) break;
      const hj = table[bj + B_HASH]!;
      if (((j - home(hj, mask)) & mask) >= ((j - i) & mask)) {
        const bi = 3 * i;
        table[bi + B_ID] = s;
        table[bi + B_HASH] = hj;
        table[bi + B_KEY_OFF] = table[bj + B_KEY_OFF]!;
        i = j;
      }
    }
    const bi = 3 * i;
    table[bi + B_ID] = 0;
    table[bi + B_HASH] = 0;
    table[bi + B_KEY_OFF] = 0;

    const r = id * RECORD_WORDS;
    const u = this.#u32;
    this.#arenaDead += LEN_BYTES + key.length;
    u[r + W_KEY_OFF] = DEAD;
    u[r + W_SEGMENT] = this.#freeHead;
    this.#freeHead = id;
    this.#live--;

    if (this.#arenaDead > this.#autoCompactMin && this.#arenaDead * 2 > this.#arenaUsed) this.compact(this.onMove);
    return true;
  }

  /**
   * Points a live entry at a new copy of the same record (the log cleaner
   * rewrote it elsewhere): segment and position change, nothing else.
   */
  relocate(id: number, segment: number, position: number): void {
    if (!this.has(id)) throw invalid(`no live entry ${id}`);
    if (!isU32(segment)) throw invalid(`segment must be a u32, got ${segment}`);
    if (!isU32(position)) throw invalid(`position must be a u32, got ${position}`);
    const r = id * RECORD_WORDS;
    this.#u32[r + W_SEGMENT] = segment;
    this.#u32[r + W_POSITION] = position;
  }

  segmentOf(id: number): number {
    return this.#u32[id * RECORD_WORDS + W_SEGMENT]!;
  }

  positionOf(id: number): number {
    return this.#u32[id * RECORD_WORDS + W_POSITION]!;
  }

  sizeOf(id: number): number {
    return this.#u32[id * RECORD_WORDS + W_SIZE]!;
  }

  offsetOf(id: number): number {
    return this.#offsets[id]!;
  }

  expireAtOf(id: number): number | undefined {
    const e = this.#expires?.[id];
    return e === undefined || e !== e ? undefined : e;
  }

  /** The key bytes: a view into the arena, valid until the next set/delete/compact. */
  keyOf(id: number): Uint8Array {
    const o = this.#u32[id * RECORD_WORDS + W_KEY_OFF]!;
    const arena = this.#arena;
    const start = o + LEN_BYTES;
    return arena.subarray(start, start + (arena[o]! | (arena[o + 1]! << 8)));
  }

  /**
   * The entries and key bytes as they are now, copied: two memcpys (about
   * 28 MB, a few ms, at 1M 16-byte keys) for work that must see one moment
   * of the directory while writes go on (a snapshot: snapshots.ts).
   */
  freeze(): FrozenDirectory {
    const used = this.#used;
    return new FrozenDirectory(this.#u32.slice(0, used * RECORD_WORDS), this.#offsets.slice(0, used), this.#expires?.slice(0, used), this.#arena.slice(0, this.#arenaUsed), used);
  }

  /** True if `id` is a live entry id. */
  has(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.#used && this.#u32[id * RECORD_WORDS + W_KEY_OFF] !== DEAD;
  }

  /**
   * Calls `visit` for each live entry, ids ascending, with its key as
   * keys[keyAt, keyAt + keyLength) (the arena: read it during the call only).
   * No view per key. Do not mutate the directory from `visit`.
   */
  forEachKey(visit: (id: number, keys: Uint8Array, keyAt: number, keyLength: number) => void): void {
    const u = this.#u32;
    const arena = this.#arena;
    const used = this.#used;
    for (let id = 0; id < used; id++) {
      const o = u[id * RECORD_WORDS + W_KEY_OFF]!;
      if (o !== DEAD) visit(id, arena, o + LEN_BYTES, arena[o]! | (arena[o + 1]! << 8));
    }
  }

  /**
   * forEachKey() in ascending hash order (equal hashes in table order). A
   * directory loaded in this order fills its table front to back (see the
   * comment at the top). The table is already in that order but for keys
   * that linear probing moved a few buckets on (or past the end, to the
   * start), so an insertion sort of the table's order costs about n steps.
   */
  forEachKeyByHash(visit: (id: number, keys: Uint8Array, keyAt: number, keyLength: number) => void): void {
    const table = this.#table;
    const n = this.#live;
    const ids = new Uint32Array(n);
    const hashes = new Uint32Array(n);
    let k = 0;
    for (let b = 0; b < table.length; b += 3) {
      const s = table[b + B_ID]!;
      if (s === 0) continue;
      const h = table[b + B_HASH]!;
      let j = k++;
      for (; j > 0 && hashes[j - 1]! > h; j--) {
        hashes[j] = hashes[j - 1]!;
        ids[j] = ids[j - 1]!;
      }
      hashes[j] = h;
      ids[j] = s - 1;
    }
    const u = this.#u32;
    const arena = this.#arena;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      const o = u[id * RECORD_WORDS + W_KEY_OFF]!;
      visit(id, arena, o + LEN_BYTES, arena[o]! | (arena[o + 1]! << 8));
    }
  }

  /** Live entry ids, ascending, in one array (ids() yields them one at a time: ~100 ms more at 1M). */
  liveIds(): Int32Array<ArrayBuffer> {
    const u = this.#u32;
    const used = this.#used;
    const out = new Int32Array(this.#live);
    let n = 0;
    for (let id = 0; id < used; id++) if (u[id * RECORD_WORDS + W_KEY_OFF] !== DEAD) out[n++] = id;
    return out;
  }

  /** Live entry ids, ascending. Do not mutate the directory while iterating. */
  *ids(): Generator<number, void, undefined> {
    const u = this.#u32;
    const used = this.#used;
    for (let id = 0; id < used; id++) if (u[id * RECORD_WORDS + W_KEY_OFF] !== DEAD) yield id;
  }

  /**
   * Makes room, in one step, for `entries` more keys holding `keyBytes` key
   * bytes in all, so that loading them grows nothing on the way (recovery
   * knows from each hint how many entries it holds). Growing 1.5x at a time
   * over a million keys copies the records and arena a dozen times and
   * rebuilds the table four times, and each new ArrayBuffer counts as
   * external memory that can trigger a full GC. Over-asking only costs
   * memory until the next compact(), which shrinks what is unused.
   */
  reserve(entries: number, keyBytes: number): void {
    if (!Number.isSafeInteger(entries) || entries < 0) throw invalid(`entries must be a non-negative integer, got ${entries}`);
    if (!Number.isSafeInteger(keyBytes) || keyBytes < 0) throw invalid(`keyBytes must be a non-negative integer, got ${keyBytes}`);
    const records = Math.min(MAX_ENTRIES, this.#used + entries);
    if (records > this.#capacity) this.#resizeRecords(records);
    const arena = this.#arenaUsed + keyBytes + LEN_BYTES * entries;
    if (arena > this.#arena.length) this.#growArena(Math.min(MAX_ARENA, arena), true);
    const buckets = bucketsFor(Math.min(MAX_ENTRIES, this.#live + entries));
    if (buckets > this.#mask + 1) this.#rebuildTable(buckets, undefined);
  }

  /** Bytes held by the typed arrays and the arena (capacity, not just what is used). */
  memoryBytes(): number {
    return this.#table.byteLength + this.#u32.byteLength + this.#offsets.byteLength + (this.#expires?.byteLength ?? 0) + this.#arena.byteLength;
  }

  /**
   * Packs live entries into ids 0..size-1 (keeping their relative order) and
   * their keys into a fresh arena without dead bytes; shrinks the records and
   * the table when at most a quarter is in use. `onMove` (this argument, else
   * the constructor's) is called once for each live entry whose id changed,
   * after the directory is fully rebuilt, in ascending oldId order, with
   * newId < oldId: applying the moves in call order to an id-indexed array in
   * place never overwrites an id still to be moved. Ids not reported keep
   * their value. Views from keyOf() are invalid afterwards.
   */
  compact(onMove: ((oldId: number, newId: number) => void) | undefined = this.onMove): void {
    const used = this.#used;
    const u = this.#u32;
    const liveBytes = this.#arenaUsed - this.#arenaDead;
    const oldArena = this.#arena;
    const arena = new Uint8Array(Math.min(MAX_ARENA, Math.max(MIN_ARENA, liveBytes + (liveBytes >>> 1))));
    const remap = new Int32Array(used);
    let moved = 0;
    let next = 0;
    let pos = 0;
    for (let id = 0; id < used; id++) {
      const r = id * RECORD_WORDS;
      const o = u[r + W_KEY_OFF]!;
      if (o === DEAD) {
        remap[id] = -1;
        continue;
      }
      if (next !== id) {
        u.copyWithin(next * RECORD_WORDS, r, r + RECORD_WORDS);
        this.#offsets[next] = this.#offsets[id]!;
        if (this.#expires !== undefined) this.#expires[next] = this.#expires[id]!;
        moved++;
      }
      const end = o + LEN_BYTES + (oldArena[o]! | (oldArena[o + 1]! << 8));
      arena.set(oldArena.subarray(o, end), pos);
      u[next * RECORD_WORDS + W_KEY_OFF] = pos;
      pos += end - o;
      remap[id] = next++;
    }
    this.#arena = arena;
    this.#arenaUsed = pos;
    this.#arenaDead = 0;
    this.#used = next;
    this.#freeHead = NO_FREE;

    // Shrink when at most a quarter is in use (hysteresis against thrash).
    if (this.#capacity > this.#minCapacity && next * 4 <= this.#capacity) {
      this.#resizeRecords(Math.max(this.#minCapacity, 2 * next));
    }
    const buckets = this.#mask + 1;
    const fit = bucketsFor(Math.max(this.#minCapacity, next));
    this.#rebuildTable(buckets >= 4 * fit ? 2 * fit : buckets, remap);

    if (onMove !== undefined && moved !== 0) {
      for (let id = 0; id < used; id++) {
        const n = remap[id]!;
        if (n >= 0 && n !== id) onMove(id, n);
      }
    }
  }

  /** Reallocates the records to `cap` (>= #used) entries. */
  #resizeRecords(cap: number): void {
    const used = this.#used;
    const u32 = new Uint32Array(cap * RECORD_WORDS);
    u32.set(this.#u32.subarray(0, used * RECORD_WORDS));
    this.#u32 = u32;
    const offsets = new Float64Array(cap);
    offsets.set(this.#offsets.subarray(0, used));
    this.#offsets = offsets;
    if (this.#expires !== undefined) {
      const expires = new Float64Array(cap).fill(NaN);
      expires.set(this.#expires.subarray(0, used));
      this.#expires = expires;
    }
    this.#capacity = cap;
  }

  /**
   * Rebuilds the table with `buckets` buckets (a power of two). With `remap`
   * (after compaction), ids are mapped through it and key offsets re-read
   * from the records; in place when the size stays the same, since positions
   * depend only on hashes.
   */
  #rebuildTable(buckets: number, remap: Int32Array | undefined): void {
    const old = this.#table;
    const u = this.#u32;
    if (remap !== undefined && buckets === this.#mask + 1) {
      for (let b = 0; b < old.length; b += 3) {
        const s = old[b + B_ID]!;
        if (s === 0) continue;
        const id = remap[s - 1]!;
        old[b + B_ID] = id + 1;
        old[b + B_KEY_OFF] = u[id * RECORD_WORDS + W_KEY_OFF]!;
      }
      return;
    }
    const table = new Uint32Array(3 * buckets);
    const mask = buckets - 1;
    for (let b = 0; b < old.length; b += 3) {
      const s = old[b + B_ID]!;
      if (s === 0) continue;
      if (remap === undefined) {
        insertBucket(table, mask, s - 1, old[b + B_HASH]!, old[b + B_KEY_OFF]!);
      } else {
        const id = remap[s - 1]!;
        insertBucket(table, mask, id, old[b + B_HASH]!, u[id * RECORD_WORDS + W_KEY_OFF]!);
      }
    }
    this.#table = table;
    this.#mask = mask;
  }

  /** Grows the arena to hold `need` bytes: to exactly that when `exact`, else by at least 1.5x. */
  #growArena(need: number, exact = false): void {
    if (need > MAX_ARENA) throw new LogkvError('TOO_LARGE', `key arena would pass ${MAX_ARENA} bytes`);
    const cap = exact ? need : Math.min(MAX_ARENA, Math.max(need, this.#arena.length + (this.#arena.length >>> 1)));
    const arena = new Uint8Array(cap);
    arena.set(this.#arena.subarray(0, this.#arenaUsed));
    this.#arena = arena;
  }
}

/** A copy of a KeyDirectory's entries at one moment (KeyDirectory.freeze()). */
export class FrozenDirectory {
  readonly #u32: Uint32Array;
  readonly #offsets: Float64Array;
  readonly #expires: Float64Array | undefined;
  /** Every key as [u16 LE length][bytes], at the offsets keyOffsetOf() gives. */
  readonly arena: Uint8Array<ArrayBuffer>;
  /** Ids below this were handed out; dead ones among them fail isLive(). */
  readonly used: number;

  constructor(records: Uint32Array, offsets: Float64Array, expires: Float64Array | undefined, arena: Uint8Array<ArrayBuffer>, used: number) {
    this.#u32 = records;
    this.#offsets = offsets;
    this.#expires = expires;
    this.arena = arena;
    this.used = used;
  }

  isLive(id: number): boolean {
    return this.#u32[id * RECORD_WORDS + W_KEY_OFF] !== DEAD;
  }

  /** Where the key of `id` starts in `arena` (its length prefix). */
  keyOffsetOf(id: number): number {
    return this.#u32[id * RECORD_WORDS + W_KEY_OFF]!;
  }

  segmentOf(id: number): number {
    return this.#u32[id * RECORD_WORDS + W_SEGMENT]!;
  }

  positionOf(id: number): number {
    return this.#u32[id * RECORD_WORDS + W_POSITION]!;
  }

  sizeOf(id: number): number {
    return this.#u32[id * RECORD_WORDS + W_SIZE]!;
  }

  offsetOf(id: number): number {
    return this.#offsets[id]!;
  }

  expireAtOf(id: number): number | undefined {
    const e = this.#expires?.[id];
    return e === undefined || e !== e ? undefined : e;
  }
}
