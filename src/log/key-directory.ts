// The LogStore's in-memory key directory: key -> where the key's latest
// record lives (segment, position, size), its log offset and its expiry.
//
// DESIGN-read-path.md, issue 16: at most 40 bytes of memory per key beyond
// the key's own bytes at 4M keys, and a get that waits for as few dependent
// cache misses as it can (at 1M keys every structure is far bigger than the
// cache; a dependent miss costs ~120 ns here, so misses, not instructions,
// are what a get pays for). So this is an open-addressing hash table over
// typed arrays whose entries keep everything of a key in one place:
//
// - Entries: each key's place and bytes in one run of u32 words: segment,
//   position, size, log offset (two words), the expiry (two words, only
//   once some key has one), a meta word (flags in its low half, the key's
//   length in its high half, so the two length bytes sit right before the
//   key's bytes: [u16 LE length][bytes], as key-order.ts reads keys), then
//   the key, padded to a word. 40 bytes for a 16-byte key. A get reads the
//   bucket, then the entry: the key it compares and the place it returns
//   are on the same line or the next, so it waits for two misses in a row.
//   (The layout before this one kept 16-byte records, log offsets and the
//   key arena apart, with the key's arena offset in its bucket as well so
//   that the record's miss overlapped the arena's: two misses too, but 74
//   bytes a key at 4M keys.)
// - An entry's id is its word address: chunk << 18 | word. Entries live in
//   chunks of 1 MiB (the first one grows to that size from small), never
//   across two, so growing the directory copies nothing once past the first
//   megabyte and holds at most one chunk it does not use: a single array
//   grown 1.5x at a time held 25% more than it used at 4M keys.
// - Buckets: 2 u32 words [id + 1 (0 = empty), hash], linear probing, load
//   up to 0.8, grown 1.5x, a few buckets at a time (below). A key's home bucket is floor(hash * buckets /
//   2^32), so bucket order is hash order at any table size (not only powers
//   of two): keys that arrive in ascending hash order fill the table front
//   to back, as do the rebuilds of a growing table. Hints are written in
//   that order (forEachKeyByHash), so an open that loads them touches table
//   and entries sequentially instead of taking a cache (and TLB) miss per
//   key. Deletion is backward-shift, so there are no tombstones and probe
//   chains stay exact.
// - Growth is incremental, so that no single write pays for the whole table
//   (rebuilding 600k buckets took 28 ms, a stall of every put in flight,
//   and it is linear in keys). Past the load limit a table 1.5x the size
//   becomes the one inserts go to, and the old one drains into it a few
//   buckets per insert (GROWTH_STEP), whole probe runs at a time: a run is
//   bounded by empty buckets, so taking it out whole breaks no other key's
//   probe sequence, and the old table only ever loses keys. Until it is
//   empty a key is in exactly one of the two, and a lookup that misses in
//   the new one looks in the old. The new table has 0.4x the old one's
//   buckets of inserts to go before it must grow in turn, and the drain
//   finishes within 1/GROWTH_STEP of the old one's buckets (memory for
//   both tables is held until then).
// - freeze() (a snapshot's view of one moment) copies nothing: it shares
//   the chunks, and a chunk is copied (1 MiB, ~0.1 ms) the first time a
//   write would change an entry in it while shared. Copying every chunk at
//   once held every put for 15 ms at 550k keys (28 ms at 1M).
// - A delete marks its entry dead; compact() (run by itself once dead words
//   pass half of all entry words) packs the live entries into fresh chunks,
//   and ids change: `onMove` says how.
//
// Hash: murmur3 (x86, 32-bit) reading 4 bytes at a time. On 16-byte keys,
// Node 20 on this machine, keys in cache: murmur3 10.0 ns, xxhash32 12.8 ns,
// FNV-1a 13.9 ns (byte at a time), FNV-1a + a final mix 14.1 ns. murmur3's
// finaliser gives well-mixed bits throughout. The hash is unseeded
// (deterministic): a store that takes keys from an adversary could be fed
// colliding keys; that costs time, never correctness.

import { LogkvError } from '../errors.js';

export interface KeyDirectoryOptions {
  /**
   * Called for each live entry whose id changes when the directory compacts
   * (compact() without its own callback, the automatic compaction that a
   * delete() can trigger, and the one set() makes when the first expiry
   * arrives). See compact() for the order guarantees.
   */
  onMove?: (oldId: number, newId: number) => void;
  /**
   * Automatic compaction waits until at least this many entry bytes are
   * dead (as well as more than half of them), so small directories are not
   * rebuilt over a few bytes. Default 64 KiB; 0 compacts as soon as dead
   * bytes pass half.
   */
  autoCompactMinDeadBytes?: number;
}

// Entry words (see the comment at the top).
const E_SEGMENT = 0;
const E_POSITION = 1;
const E_SIZE = 2;
const E_OFFSET_LO = 3;
const E_OFFSET_HI = 4;
/** The expiry (an f64, NaN for none), in directories that have held one. */
const E_EXPIRE = 5;
/** Words before the meta word, without expiries and with them. */
const PLACE_WORDS = 5;
const EXPIRE_WORDS = 2;
/** In the meta word's low half. */
const DEAD = 1;

const CHUNK_SHIFT = 18;
const CHUNK_WORDS = 1 << CHUNK_SHIFT;
const WORD_MASK = CHUNK_WORDS - 1;
/** Ids are word addresses below 2^30; byte addresses (FrozenDirectory.keyOffsetOf) below 2^32. */
const MAX_CHUNKS = 4096;
const MIN_CHUNK_WORDS = 64;
/** Words an entry of a 16-byte key takes without expiries: what initialCapacity is counted in. */
const TYPICAL_ENTRY_WORDS = 10;

// Buckets: 2 u32 words.
const B_ID = 0; // id + 1, 0 = empty
const B_HASH = 1;
const MAX_LOAD = 0.8;
const FIT_LOAD = 0.75;
/**
 * Old buckets drained per insert while the table grows: at least 2.5 keep up (see the comment at the top).
 * More keeps the two tables alive together for fewer inserts: with 4, a load that stopped at 4M keys still
 * held the old table's 36 MB (9 bytes a key); with 32 a growth is over within 3% of its table's size in
 * inserts, for ~1-2 us more per insert while it lasts.
 */
const GROWTH_STEP = 32;

const U32_MAX = 0xffffffff;
const TWO_32 = 0x100000000;
const MAX_KEY_LENGTH = 0xffff;
const MIN_CAPACITY = 8;
const DEFAULT_CAPACITY = 1024;
const DEFAULT_AUTO_COMPACT_MIN = 64 * 1024;
/** Keys up to this long are copied byte by byte. */
const SHORT_KEY = 32;

/** Reads and writes an f64 as two u32 words. */
const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);

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


/** Bucket count (>= 8) holding `keys` at a load of at most 0.75. */
function bucketsFor(keys: number): number {
  return Math.max(8, Math.ceil(keys / FIT_LOAD));
}

/** The home bucket of hash `h` in a table of `buckets` buckets: monotonic in h (see the comment at the top). */
function home(h: number, buckets: number): number {
  return Math.floor((h * buckets) / TWO_32);
}

function insertBucket(table: Uint32Array, buckets: number, id: number, h: number): void {
  let i = home(h, buckets);
  while (table[2 * i] !== 0) i = i + 1 === buckets ? 0 : i + 1;
  table[2 * i + B_ID] = id + 1;
  table[2 * i + B_HASH] = h;
}

/**
 * Empties bucket `found`, pulling later members of its probe run back into
 * the hole when the hole lies between their home bucket and where they are
 * (backward-shift deletion: no tombstones).
 */
function removeBucket(table: Uint32Array, buckets: number, found: number): void {
  let i = found;
  let j = i;
  for (;;) {
    j = j + 1 === buckets ? 0 : j + 1;
    const s = table[2 * j + B_ID]!;
    if (s === 0) break;
    const hj = table[2 * j + B_HASH]!;
    const fromHome = j - home(hj, buckets);
    const fromHole = j - i;
    if ((fromHome < 0 ? fromHome + buckets : fromHome) >= (fromHole < 0 ? fromHole + buckets : fromHole)) {
      table[2 * i + B_ID] = s;
      table[2 * i + B_HASH] = hj;
      i = j;
    }
  }
  table[2 * i + B_ID] = 0;
  table[2 * i + B_HASH] = 0;
}

/** Words of an entry whose meta word is `meta`, in a directory with `header` words before the key. */
function entryWords(header: number, meta: number): number {
  return header + (((meta >>> 16) + 3) >>> 2);
}

/** The bucket of the key key[at, at + n) (hash `h`) in `table`, or -1. */
function findIn(table: Uint32Array, buckets: number, chunks: Chunks, header: number, key: Uint8Array, at: number, n: number, h: number): number {
  const words = chunks.words;
  let i = home(h, buckets);
  for (;;) {
    const s = table[2 * i + B_ID]!;
    if (s === 0) return -1;
    if (table[2 * i + B_HASH] === h) {
      const id = s - 1;
      const c = id >>> CHUNK_SHIFT;
      const w = (id & WORD_MASK) + header;
      if (words[c]![w - 1]! >>> 16 === n) {
        const bytes = chunks.bytes[c]!;
        const o = w * 4;
        let j = 0;
        while (j < n && bytes[o + j] === key[at + j]) j++;
        if (j === n) return i;
      }
    }
    i = i + 1 === buckets ? 0 : i + 1;
  }
}

function isU32(x: number): boolean {
  return Number.isInteger(x) && x >= 0 && x <= U32_MAX;
}

function invalid(message: string): LogkvError {
  return new LogkvError('INVALID_ARGUMENT', message);
}

function tooLarge(): LogkvError {
  return new LogkvError('TOO_LARGE', `key directory is full (${MAX_CHUNKS} chunks of ${CHUNK_WORDS * 4} bytes)`);
}

/** Entry chunks being filled: words and bytes views of each, and the words used in each. */
class Chunks {
  readonly words: Array<Uint32Array<ArrayBuffer>> = [];
  readonly bytes: Array<Uint8Array<ArrayBuffer>> = [];
  readonly tops: number[] = [];
  /** Chunks a frozen view (freeze()) may hold: copied before an entry in them changes. */
  readonly shared: boolean[] = [];
  /** The chunk new entries go into; those after it are reserved and empty. */
  current = 0;

  constructor(firstWords: number) {
    this.#add(firstWords);
  }

  #add(words: number): void {
    const w = new Uint32Array(words);
    this.words.push(w);
    this.bytes.push(new Uint8Array(w.buffer));
    this.tops.push(0);
    this.shared.push(false);
  }

  /**
   * Words of chunk `c` to change entries in: a copy of its own when a
   * frozen view may hold it. (Entries allocated after a freeze lie past
   * the view's tops, which it never reads: they need no copy.)
   */
  own(c: number): Uint32Array<ArrayBuffer> {
    if (this.shared[c]) {
      const w = this.words[c]!.slice();
      this.words[c] = w;
      this.bytes[c] = new Uint8Array(w.buffer);
      this.shared[c] = false;
    }
    return this.words[c]!;
  }

  /** Room for an entry of `words` words, made first so that a failure changes nothing; returns its id. */
  allocate(words: number): number {
    let c = this.current;
    if (this.tops[c]! + words > this.words[c]!.length) {
      if (this.words.length === 1 && this.words[0]!.length < CHUNK_WORDS) {
        const w0 = this.words[0]!;
        this.#grow(Math.min(CHUNK_WORDS, Math.max(this.tops[0]! + words, w0.length + (w0.length >>> 1))));
      } else {
        c++;
        if (c === this.words.length) {
          if (c >= MAX_CHUNKS) throw tooLarge();
          this.#add(CHUNK_WORDS);
        }
        this.current = c;
      }
    }
    const id = c * CHUNK_WORDS + this.tops[c]!;
    this.tops[c]! += words;
    return id;
  }

  /** Room for `words` more words of entries without growing on the way (over-asking a little). */
  reserve(words: number): void {
    const c = this.current;
    let free = this.words[c]!.length - this.tops[c]!;
    for (let k = c + 1; k < this.words.length; k++) free += CHUNK_WORDS;
    if (free >= words) return;
    if (this.words.length === 1 && this.tops[0]! + words <= CHUNK_WORDS) {
      this.#grow(this.tops[0]! + words);
      return;
    }
    if (this.words.length === 1 && this.words[0]!.length < CHUNK_WORDS) {
      free += CHUNK_WORDS - this.words[0]!.length;
      this.#grow(CHUNK_WORDS);
    }
    // Each chunk may end in a few words too few for the next entry: one chunk more than the words need.
    const more = Math.ceil((words - free) / CHUNK_WORDS) + 1;
    if (this.words.length + more > MAX_CHUNKS) throw tooLarge();
    for (let k = 0; k < more; k++) this.#add(CHUNK_WORDS);
  }

  #grow(words: number): void {
    const w = new Uint32Array(words);
    w.set(this.words[0]!.subarray(0, this.tops[0]!));
    this.words[0] = w;
    this.bytes[0] = new Uint8Array(w.buffer);
    this.shared[0] = false;
  }

  byteLength(): number {
    let n = 0;
    for (const w of this.words) n += w.byteLength;
    return n;
  }
}

/**
 * Key -> record location, over typed arrays. An entry's id is stable until
 * the key is deleted or the directory compacts (compact(), a delete() that
 * triggers automatic compaction, or the set() of the first key with an
 * expiry: pass `onMove` to follow ids). Ids are integers below 2^30, not
 * dense. Not safe to mutate while iterating ids().
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
  readonly #minBuckets: number;
  readonly #firstChunkWords: number;
  readonly #autoCompactMin: number;
  /** See renumberings. */
  #renumberings = 0;

  /** `#buckets` buckets of 2 words: where inserts go. */
  #table: Uint32Array<ArrayBuffer>;
  #buckets: number;
  /**
   * While the table grows (see the comment at the top): the table being
   * drained into #table, else null; its bucket count, the bucket the drain
   * goes on from (always an empty one or the start of a probe run), and the
   * keys still in it.
   */
  #old: Uint32Array<ArrayBuffer> | null = null;
  #oldBuckets = 0;
  #drainAt = 0;
  #oldLeft = 0;
  #chunks: Chunks;
  /** Words before an entry's key: the place, the expiry once there is one, the meta word. */
  #header = PLACE_WORDS + 1;
  #live = 0;
  /** Words of all entries, dead ones included, and of the dead ones. */
  #entryWords = 0;
  #deadWords = 0;

  /**
   * @param initialCapacity keys to make room for up front (default 1024);
   *   the directory grows past it as needed and its table never shrinks
   *   below it.
   */
  constructor(initialCapacity: number = DEFAULT_CAPACITY, options: KeyDirectoryOptions = {}) {
    if (!Number.isInteger(initialCapacity) || initialCapacity < 0 || initialCapacity > 2 ** 30) {
      throw invalid(`initialCapacity must be an integer 0..${2 ** 30}, got ${initialCapacity}`);
    }
    const min = options.autoCompactMinDeadBytes ?? DEFAULT_AUTO_COMPACT_MIN;
    if (!Number.isInteger(min) || min < 0) throw invalid(`autoCompactMinDeadBytes must be a non-negative integer, got ${min}`);
    this.onMove = options.onMove;
    this.#autoCompactMin = min;
    const cap = Math.max(MIN_CAPACITY, initialCapacity);
    this.#minBuckets = bucketsFor(cap);
    this.#buckets = this.#minBuckets;
    this.#table = new Uint32Array(2 * this.#buckets);
    this.#firstChunkWords = Math.min(CHUNK_WORDS, Math.max(MIN_CHUNK_WORDS, cap * TYPICAL_ENTRY_WORDS));
    this.#chunks = new Chunks(this.#firstChunkWords);
  }

  /** Number of live keys. */
  get size(): number {
    return this.#live;
  }

  /** Entry id of `key`, or -1. Allocates nothing. */
  lookup(key: Uint8Array): number {
    return this.#findId(key, 0, key.length, hashRange(key, 0, key.length));
  }

  /** Entry id of the key bytes[keyAt, keyAt + keyLength), or -1. Allocates nothing. */
  lookupAt(bytes: Uint8Array, keyAt: number, keyLength: number): number {
    return this.#findId(bytes, keyAt, keyLength, hashRange(bytes, keyAt, keyLength));
  }

  /** Entry id of the key key[at, at + n) (with hash `h`), or -1: in the table, else in the one draining into it. */
  #findId(key: Uint8Array, at: number, n: number, h: number): number {
    const b = findIn(this.#table, this.#buckets, this.#chunks, this.#header, key, at, n, h);
    if (b >= 0) return this.#table[2 * b]! - 1;
    const old = this.#old;
    if (old === null) return -1;
    const o = findIn(old, this.#oldBuckets, this.#chunks, this.#header, key, at, n, h);
    return o < 0 ? -1 : old[2 * o]! - 1;
  }

  /**
   * Inserts or updates `key`; returns its entry id. An update keeps the id
   * and the key bytes (unless it brings the directory's first expiry, which
   * moves every entry: onMove). Throws INVALID_ARGUMENT (and changes
   * nothing) for a key over 65535 bytes, a segment/position/size that is not
   * a u32, an offset that is not a non-negative safe integer, or an expiry
   * that is not a finite number; TOO_LARGE (changing nothing) if the
   * entries would pass their limit.
   */
  set(key: Uint8Array, segment: number, position: number, size: number, offset: number, expireAtMs: number | undefined): number {
    if (!(key instanceof Uint8Array)) throw invalid('key must be a Uint8Array');
    return this.setAt(key, 0, key.length, segment, position, size, offset, expireAtMs);
  }

  /**
   * set() of the key bytes[keyAt, keyAt + keyLength), copied: recovery
   * feeds keys straight from a hint or segment buffer, without a view per
   * key.
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

    // The first expiry: every entry takes room for one (a store without TTLs pays nothing for them).
    if (expireAtMs !== undefined && this.#header === PLACE_WORDS + 1) this.#repack(this.onMove, PLACE_WORDS + EXPIRE_WORDS + 1);

    const h = hashRange(bytes, keyAt, n);
    const found = this.#findId(bytes, keyAt, n, h);
    const header = this.#header;
    let id: number;
    if (found >= 0) {
      id = found;
      const e = this.#chunks.words[id >>> CHUNK_SHIFT]!;
      const w = id & WORD_MASK;
      this.replacedSegment = e[w + E_SEGMENT]!;
      this.replacedSize = e[w + E_SIZE]!;
      this.replacedExpires = header > PLACE_WORDS + 1 && e[w + E_EXPIRE + 1] !== NAN_HIGH_WORD;
    } else {
      this.replacedSegment = -1;
      const words = header + ((n + 3) >>> 2);
      // Room first, so a failure leaves everything as it was.
      id = this.#chunks.allocate(words);
      if (this.#live + 1 > this.#buckets * MAX_LOAD) this.#startGrowth(Math.ceil(this.#buckets * 1.5));
      const c = id >>> CHUNK_SHIFT;
      const w = id & WORD_MASK;
      this.#chunks.words[c]![w + header - 1] = n << 16;
      const out = this.#chunks.bytes[c]!;
      const o = (w + header) * 4;
      // A loop for short keys: TypedArray#set (and the view it needs) costs more than copying a few bytes.
      if (n <= SHORT_KEY) for (let j = 0; j < n; j++) out[o + j] = bytes[keyAt + j]!;
      else out.set(bytes.subarray(keyAt, keyAt + n), o);
      insertBucket(this.#table, this.#buckets, id, h);
      if (this.#old !== null) this.#drain(GROWTH_STEP);
      this.#entryWords += words;
      this.#live++;
    }
    const e = this.#chunks.own(id >>> CHUNK_SHIFT);
    const w = id & WORD_MASK;
    e[w + E_SEGMENT] = segment;
    e[w + E_POSITION] = position;
    e[w + E_SIZE] = size;
    const high = Math.floor(offset / TWO_32);
    e[w + E_OFFSET_LO] = offset - high * TWO_32;
    e[w + E_OFFSET_HI] = high;
    if (header > PLACE_WORDS + 1) {
      f64[0] = expireAtMs ?? NaN;
      e[w + E_EXPIRE] = f64Words[0]!;
      e[w + E_EXPIRE + 1] = f64Words[1]!;
    }
    return id;
  }

  /**
   * Removes `key`; returns true if it was there. May compact the directory
   * (ids change; `onMove` is told) when dead entry bytes pass half of all.
   */
  delete(key: Uint8Array): boolean {
    const h = hashRange(key, 0, key.length);
    let id: number;
    const found = findIn(this.#table, this.#buckets, this.#chunks, this.#header, key, 0, key.length, h);
    if (found >= 0) {
      id = this.#table[2 * found]! - 1;
      removeBucket(this.#table, this.#buckets, found);
    } else {
      const old = this.#old;
      if (old === null) return false;
      const o = findIn(old, this.#oldBuckets, this.#chunks, this.#header, key, 0, key.length, h);
      if (o < 0) return false;
      id = old[2 * o]! - 1;
      // Within its own probe run, which the drain has not reached (it takes runs whole).
      removeBucket(old, this.#oldBuckets, o);
      if (--this.#oldLeft === 0) this.#old = null;
    }

    const e = this.#chunks.own(id >>> CHUNK_SHIFT);
    const meta = (id & WORD_MASK) + this.#header - 1;
    e[meta] = e[meta]! | DEAD;
    this.#deadWords += entryWords(this.#header, e[meta]!);
    this.#live--;

    if (this.#deadWords * 4 > this.#autoCompactMin && this.#deadWords * 2 > this.#entryWords) this.compact(this.onMove);
    return true;
  }

  /**
   * Points a live entry (an id lookup() gave) at a new copy of the same
   * record (the log cleaner rewrote it elsewhere): segment and position
   * change, nothing else.
   */
  relocate(id: number, segment: number, position: number): void {
    if (!this.#isEntry(id)) throw invalid(`no live entry ${id}`);
    if (!isU32(segment)) throw invalid(`segment must be a u32, got ${segment}`);
    if (!isU32(position)) throw invalid(`position must be a u32, got ${position}`);
    const e = this.#chunks.own(id >>> CHUNK_SHIFT);
    e[(id & WORD_MASK) + E_SEGMENT] = segment;
    e[(id & WORD_MASK) + E_POSITION] = position;
  }

  segmentOf(id: number): number {
    return this.#chunks.words[id >>> CHUNK_SHIFT]![(id & WORD_MASK) + E_SEGMENT]!;
  }

  positionOf(id: number): number {
    return this.#chunks.words[id >>> CHUNK_SHIFT]![(id & WORD_MASK) + E_POSITION]!;
  }

  sizeOf(id: number): number {
    return this.#chunks.words[id >>> CHUNK_SHIFT]![(id & WORD_MASK) + E_SIZE]!;
  }

  offsetOf(id: number): number {
    const e = this.#chunks.words[id >>> CHUNK_SHIFT]!;
    const w = id & WORD_MASK;
    return e[w + E_OFFSET_HI]! * TWO_32 + e[w + E_OFFSET_LO]!;
  }

  expireAtOf(id: number): number | undefined {
    if (this.#header === PLACE_WORDS + 1) return undefined;
    return expiryIn(this.#chunks.words[id >>> CHUNK_SHIFT]!, id & WORD_MASK);
  }

  /** The key bytes: a view into the entry, valid until the next set/delete/compact. */
  keyOf(id: number): Uint8Array {
    const c = id >>> CHUNK_SHIFT;
    const w = (id & WORD_MASK) + this.#header;
    const n = this.#chunks.words[c]![w - 1]! >>> 16;
    return this.#chunks.bytes[c]!.subarray(w * 4, w * 4 + n);
  }

  /**
   * The entries as they are now, for work that must see one moment of the
   * directory while writes go on (a snapshot: snapshots.ts). Copies
   * nothing now: the chunks are shared, and each is copied when a write
   * first changes an entry in it (see the comment at the top).
   */
  freeze(): FrozenDirectory {
    const ch = this.#chunks;
    const last = ch.current;
    for (let c = 0; c <= last; c++) ch.shared[c] = true;
    return new FrozenDirectory(ch.words.slice(0, last + 1), ch.tops.slice(0, last + 1), this.#header, this.#live);
  }

  /**
   * How many times ids have changed (#repack: a compaction of the entries,
   * the first expiry). An id taken when this was n names the same key's
   * entry for as long as it stays n: entries are never moved or reused
   * otherwise.
   */
  get renumberings(): number {
    return this.#renumberings;
  }

  /**
   * has(id) for an id taken when renumberings was `takenAt`: while no
   * renumbering came since, whether its entry is still live is in the entry
   * itself, with no lookup of its key (the cleaner asks this of every record
   * it moves).
   */
  stillLive(id: number, takenAt: number): boolean {
    return takenAt === this.#renumberings ? this.#isEntry(id) : this.has(id);
  }

  /** True if `id` is a live entry id. */
  has(id: number): boolean {
    if (!this.#isEntry(id)) return false;
    // An id inside some entry can look like one: only the key it would hold, found, names it.
    const c = id >>> CHUNK_SHIFT;
    const w = (id & WORD_MASK) + this.#header;
    const n = this.#chunks.words[c]![w - 1]! >>> 16;
    return this.lookupAt(this.#chunks.bytes[c]!, w * 4, n) === id;
  }

  /** Whether `id` is where a live entry could start: inside a chunk's entries, not dead, its key inside them too. */
  #isEntry(id: number): boolean {
    if (!Number.isInteger(id) || id < 0 || id >= MAX_CHUNKS * CHUNK_WORDS) return false;
    const c = id >>> CHUNK_SHIFT;
    const w = id & WORD_MASK;
    const top = this.#chunks.tops[c];
    if (top === undefined || w + this.#header > top) return false;
    const meta = this.#chunks.words[c]![w + this.#header - 1]!;
    return (meta & DEAD) === 0 && w + entryWords(this.#header, meta) <= top;
  }

  /** Calls `visit(id)` for each live entry, ids ascending. */
  #forEachLive(visit: (id: number, c: number, w: number) => void): void {
    const ch = this.#chunks;
    const header = this.#header;
    for (let c = 0; c <= ch.current; c++) {
      const e = ch.words[c]!;
      const top = ch.tops[c]!;
      for (let w = 0; w < top; ) {
        const meta = e[w + header - 1]!;
        if ((meta & DEAD) === 0) visit(c * CHUNK_WORDS + w, c, w);
        w += entryWords(header, meta);
      }
    }
  }

  /**
   * Calls `visit` for each live entry, ids ascending, with its key as
   * keys[keyAt, keyAt + keyLength) (the entry's chunk: read it during the
   * call only). No view per key. Do not mutate the directory from `visit`.
   */
  forEachKey(visit: (id: number, keys: Uint8Array, keyAt: number, keyLength: number) => void): void {
    const ch = this.#chunks;
    const header = this.#header;
    this.#forEachLive((id, c, w) => visit(id, ch.bytes[c]!, (w + header) * 4, ch.words[c]![w + header - 1]! >>> 16));
  }

  /**
   * forEachKey() in ascending hash order (equal hashes in table order). A
   * directory loaded in this order fills its table front to back (see the
   * comment at the top). The table is already in that order but for keys
   * that linear probing moved a few buckets on (or past the end, to the
   * start), so an insertion sort of the table's order costs about n steps.
   */
  forEachKeyByHash(visit: (id: number, keys: Uint8Array, keyAt: number, keyLength: number) => void): void {
    this.#settle();
    const table = this.#table;
    const n = this.#live;
    const ids = new Uint32Array(n);
    const hashes = new Uint32Array(n);
    let k = 0;
    for (let b = 0; b < table.length; b += 2) {
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
    const ch = this.#chunks;
    const header = this.#header;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      const c = id >>> CHUNK_SHIFT;
      const w = (id & WORD_MASK) + header;
      visit(id, ch.bytes[c]!, w * 4, ch.words[c]![w - 1]! >>> 16);
    }
  }

  /** Live entry ids, ascending, in one array (ids() yields them one at a time: ~100 ms more at 1M). */
  liveIds(): Int32Array<ArrayBuffer> {
    const out = new Int32Array(this.#live);
    let n = 0;
    this.#forEachLive((id) => {
      out[n++] = id;
    });
    return out;
  }

  /** Live entry ids, ascending. Do not mutate the directory while iterating. */
  *ids(): Generator<number, void, undefined> {
    yield* this.liveIds();
  }

  /**
   * Makes room, in one step, for `entries` more keys holding `keyBytes` key
   * bytes in all, so that loading them grows nothing on the way (recovery
   * knows from each hint how many entries it holds). Growing 1.5x at a time
   * over a million keys rebuilds the table several times, and each new
   * ArrayBuffer counts as external memory that can trigger a full GC.
   * Over-asking (the padding of each key to a word is counted at its most)
   * only costs memory until the next compact(), which drops what is unused.
   */
  reserve(entries: number, keyBytes: number): void {
    if (!Number.isSafeInteger(entries) || entries < 0) throw invalid(`entries must be a non-negative integer, got ${entries}`);
    if (!Number.isSafeInteger(keyBytes) || keyBytes < 0) throw invalid(`keyBytes must be a non-negative integer, got ${keyBytes}`);
    this.#chunks.reserve(entries * this.#header + Math.ceil((keyBytes + 3 * entries) / 4));
    const buckets = bucketsFor(this.#live + entries);
    if (buckets > this.#buckets) this.#rebuildTable(buckets);
  }

  /** Bytes held by the table and the entry chunks (capacity, not just what is used). */
  memoryBytes(): number {
    return this.#table.byteLength + (this.#old?.byteLength ?? 0) + this.#chunks.byteLength();
  }

  /**
   * Packs the live entries into fresh chunks (keeping their order) and
   * shrinks the table when at most a quarter of it is in use. `onMove`
   * (this argument, else the constructor's) is called once for each live
   * entry whose id changed, after the directory is fully rebuilt, in
   * ascending oldId order, with newId < oldId: applying the moves in call
   * order to an id-indexed array in place never overwrites an id still to
   * be moved. (The repack the first expiry makes moves ids either way: its
   * moves are to be applied as one mapping.) Ids not reported keep their
   * value. Views from keyOf() are invalid afterwards.
   */
  compact(onMove: ((oldId: number, newId: number) => void) | undefined = this.onMove): void {
    this.#repack(onMove, this.#header);
    const fit = bucketsFor(Math.max(this.#live, 1));
    if (this.#buckets >= 4 * fit && this.#buckets > this.#minBuckets) this.#rebuildTable(Math.max(this.#minBuckets, 2 * fit));
  }

  /** Copies the live entries, in order, into fresh chunks with `header` words before each key; the table follows. */
  #repack(onMove: ((oldId: number, newId: number) => void) | undefined, header: number): void {
    this.#renumberings++;
    const old = this.#chunks;
    const oldHeader = this.#header;
    // The ids in the table are rewritten below: one table.
    this.#settle();
    const liveWords = this.#entryWords - this.#deadWords + this.#live * (header - oldHeader);
    // One chunk when everything fits (with room to grow), else full chunks: either way an entry's new
    // address is at most its old one (packed in the same order into chunks no smaller).
    // The old entries' first words are overwritten below: a frozen view keeps its own copy.
    for (let c = 0; c <= old.current; c++) old.own(c);
    const fresh = new Chunks(liveWords < CHUNK_WORDS ? Math.min(CHUNK_WORDS, Math.max(this.#firstChunkWords, liveWords + (liveWords >>> 1))) : CHUNK_WORDS);
    const movedFrom: number[] = [];
    const movedTo: number[] = [];
    this.#forEachLive((id, c, w) => {
      const e = old.words[c]!;
      const meta = e[w + oldHeader - 1]!;
      const keyWords = ((meta >>> 16) + 3) >>> 2;
      const to = fresh.allocate(header + keyWords);
      const f = fresh.words[to >>> CHUNK_SHIFT]!;
      const t = to & WORD_MASK;
      f.set(e.subarray(w, w + PLACE_WORDS), t);
      if (header > PLACE_WORDS + 1) {
        if (oldHeader > PLACE_WORDS + 1) f.set(e.subarray(w + E_EXPIRE, w + E_EXPIRE + EXPIRE_WORDS), t + E_EXPIRE);
        else {
          f[t + E_EXPIRE] = NAN_LOW_WORD;
          f[t + E_EXPIRE + 1] = NAN_HIGH_WORD;
        }
      }
      f[t + header - 1] = meta;
      f.set(e.subarray(w + oldHeader, w + oldHeader + keyWords), t + header);
      // The old entry is dropped: its first word now says where it went, for the table below.
      e[w + E_SEGMENT] = to;
      if (to !== id) {
        movedFrom.push(id);
        movedTo.push(to);
      }
    });
    const table = this.#table;
    for (let b = 0; b < table.length; b += 2) {
      const s = table[b + B_ID]!;
      if (s !== 0) table[b + B_ID] = old.words[(s - 1) >>> CHUNK_SHIFT]![((s - 1) & WORD_MASK) + E_SEGMENT]! + 1;
    }
    this.#chunks = fresh;
    this.#header = header;
    this.#entryWords = liveWords;
    this.#deadWords = 0;
    if (onMove !== undefined) for (let k = 0; k < movedFrom.length; k++) onMove(movedFrom[k]!, movedTo[k]!);
  }

  /**
   * Makes a table of `buckets` buckets the one inserts go to, the current
   * one draining into it from then on (see the comment at the top). A growth
   * still under way is finished first (it cannot be when #drain keeps up).
   */
  #startGrowth(buckets: number): void {
    this.#settle();
    const table = new Uint32Array(2 * buckets);
    const old = this.#table;
    // The drain starts at an empty bucket: no probe run crosses it. (At a load of at most 0.8 there is one.)
    let start = 0;
    while (old[2 * start + B_ID] !== 0) start++;
    this.#old = old;
    this.#oldBuckets = this.#buckets;
    this.#oldLeft = this.#live;
    this.#drainAt = start;
    this.#table = table;
    this.#buckets = buckets;
    if (this.#oldLeft === 0) this.#old = null;
  }

  /**
   * Moves the keys of about `budget` buckets of the old table into the new
   * one, going on past the budget to the end of a probe run (so the old
   * table never holds part of a run: see the comment at the top).
   */
  #drain(budget: number): void {
    const old = this.#old!;
    const oldBuckets = this.#oldBuckets;
    const table = this.#table;
    const buckets = this.#buckets;
    let i = this.#drainAt;
    let left = this.#oldLeft;
    while (left > 0 && (budget > 0 || old[2 * i + B_ID] !== 0)) {
      const s = old[2 * i + B_ID]!;
      if (s !== 0) {
        insertBucket(table, buckets, s - 1, old[2 * i + B_HASH]!);
        old[2 * i + B_ID] = 0;
        old[2 * i + B_HASH] = 0;
        left--;
      }
      i = i + 1 === oldBuckets ? 0 : i + 1;
      budget--;
    }
    this.#drainAt = i;
    this.#oldLeft = left;
    if (left === 0) this.#old = null;
  }

  /** Finishes a growth under way, if any: one table again. */
  #settle(): void {
    if (this.#old !== null) this.#drain(Infinity);
  }

  /** Rebuilds the table with `buckets` buckets, in bucket (hash) order so the new one fills front to back. */
  #rebuildTable(buckets: number): void {
    this.#settle();
    const old = this.#table;
    const table = new Uint32Array(2 * buckets);
    for (let b = 0; b < old.length; b += 2) {
      const s = old[b + B_ID]!;
      if (s !== 0) insertBucket(table, buckets, s - 1, old[b + B_HASH]!);
    }
    this.#table = table;
    this.#buckets = buckets;
  }
}

// The words of NaN as an f64: an entry without an expiry.
f64[0] = NaN;
const NAN_LOW_WORD = f64Words[0]!;
const NAN_HIGH_WORD = f64Words[1]!;

function expiryIn(e: Uint32Array, w: number): number | undefined {
  f64Words[0] = e[w + E_EXPIRE]!;
  f64Words[1] = e[w + E_EXPIRE + 1]!;
  const x = f64[0]!;
  return x !== x ? undefined : x;
}

/** A KeyDirectory's entries at one moment (KeyDirectory.freeze()): chunks the directory no longer changes. */
export class FrozenDirectory {
  /** Live entries. */
  readonly count: number;
  readonly #chunks: ReadonlyArray<Uint32Array<ArrayBuffer>>;
  readonly #tops: readonly number[];
  readonly #header: number;

  constructor(chunks: ReadonlyArray<Uint32Array<ArrayBuffer>>, tops: readonly number[], header: number, count: number) {
    this.#chunks = chunks;
    this.#tops = tops;
    this.#header = header;
    this.count = count;
  }

  /**
   * The entries' bytes in one buffer, each chunk at its id's byte address:
   * every key as [u16 LE length][bytes] at keyOffsetOf() (key-order.ts
   * sorts them elsewhere). Copied a chunk (up to 1 MiB) at a time, awaiting
   * `between()` after each, so that writes go on meanwhile.
   */
  async arena(between: () => Promise<void> | undefined): Promise<Uint8Array<ArrayBuffer>> {
    const last = this.#chunks.length - 1;
    const words = new Uint32Array(last === 0 ? this.#tops[0]! : last * CHUNK_WORDS + this.#tops[last]!);
    for (let c = 0; c <= last; c++) {
      words.set(this.#chunks[c]!.subarray(0, this.#tops[c]!), c * CHUNK_WORDS);
      await between();
    }
    return new Uint8Array(words.buffer);
  }

  /** The first live entry after `id` (-1: the first of all), or -1 when there is none. */
  next(id: number): number {
    const header = this.#header;
    let at = id < 0 ? 0 : id + entryWords(header, this.#chunks[id >>> CHUNK_SHIFT]![(id & WORD_MASK) + header - 1]!);
    for (;;) {
      const c = at >>> CHUNK_SHIFT;
      if (c >= this.#tops.length) return -1;
      const w = at & WORD_MASK;
      if (w >= this.#tops[c]!) {
        at = (c + 1) * CHUNK_WORDS;
        continue;
      }
      const meta = this.#chunks[c]![w + header - 1]!;
      if ((meta & DEAD) === 0) return at;
      at += entryWords(header, meta);
    }
  }

  /** Where the key of `id` starts in arena() (its length prefix). */
  keyOffsetOf(id: number): number {
    return (id + this.#header - 1) * 4 + 2;
  }

  segmentOf(id: number): number {
    return this.#chunks[id >>> CHUNK_SHIFT]![(id & WORD_MASK) + E_SEGMENT]!;
  }

  positionOf(id: number): number {
    return this.#chunks[id >>> CHUNK_SHIFT]![(id & WORD_MASK) + E_POSITION]!;
  }

  sizeOf(id: number): number {
    return this.#chunks[id >>> CHUNK_SHIFT]![(id & WORD_MASK) + E_SIZE]!;
  }

  offsetOf(id: number): number {
    const e = this.#chunks[id >>> CHUNK_SHIFT]!;
    const w = id & WORD_MASK;
    return e[w + E_OFFSET_HI]! * TWO_32 + e[w + E_OFFSET_LO]!;
  }

  expireAtOf(id: number): number | undefined {
    return this.#header === PLACE_WORDS + 1 ? undefined : expiryIn(this.#chunks[id >>> CHUNK_SHIFT]!, id & WORD_MASK);
  }
}
