// The ordered index: the live keys of the LogStore in unsigned byte order,
// beside the hash key directory, for keys()/entries() and abstract-level
// iterators (ranges, reverse, limit, seek).
//
// It holds entry ids, not key copies, and reads keys through `keyOf(id)`.
//
// Structure: a B+tree of ids with an insert buffer in front of it.
// - insert() appends the id to an unsorted buffer: no compare, no keyOf call.
//   The next operation that reads or removes first sorts the buffer by key
//   (radix sort on 4-byte prefixes, then on the next 4 bytes within ties) and
//   builds it into packed leaves (empty tree, or a buffer at least 1/8 of the
//   tree) or inserts it in key order. So a bulk load, or a reopen that feeds
//   1M ids from hint files, costs a few ns per key until the first ordered read.
// - Leaves are one Int32Array each: ids in the first half, and in the second
//   the first 4 bytes of each id's key as a big-endian number (its "prefix",
//   sign bit flipped so that signed int32 order is unsigned byte order).
//   Compares look at prefixes first and call keyOf only when they are equal:
//   with keys that differ in their first 4 bytes a seek or an insert calls
//   keyOf about once, a remove and a scan never. Inner nodes hold copies of
//   separator keys (one per leaf, made at a split), so descending never calls
//   keyOf. Leaves are linked both ways for scans.
//
// Measured against `sorted-btree` (a comparator over keyOf: ~40 keyOf calls
// per insert, 6x slower inserts, 3x slower scans) and a two-run design
// (sorted Int32Array + sorted pending run: half the memory, but 2x slower
// inserts and O(n) merges): see the figures in the commit that added this.
//
// Contract with the key directory: whenever a method of this class runs,
// keyOf(id) returns the right key for every id in the index (buffered ones
// included), except the one id a remove() or move() names, whose key is passed
// in. A view that keyOf returns is only read before the next keyOf call.

export interface RangeOptions {
  gt?: Uint8Array;
  gte?: Uint8Array;
  lt?: Uint8Array;
  lte?: Uint8Array;
  reverse?: boolean;
  /** At most this many ids. Undefined, negative or not finite: no limit (abstract-level uses -1). */
  limit?: number;
}

/** Ids per leaf, by default. */
const LEAF_SIZE = 256;
/** Children per inner node, by default. */
const INNER_SIZE = 64;
/** A flush of at most this many ids into a tree 8 times larger inserts them one by one. */
const SMALL_FLUSH = 32;
/** An insert buffer longer than this is dropped after a flush rather than kept for reuse. */
const SMALL_BUFFER = 4096;
/** Iterators registered as positioned; past this many the index detaches them all (bounds what abandoned iterators keep alive). */
const MAX_ATTACHED = 1024;

class Leaf {
  n = 0;
  /** [0, L): ids; [L, 2L): prefixes of their keys (L: the index's leaf size). */
  readonly a: Int32Array;
  next: Leaf | null = null;
  prev: Leaf | null = null;
  constructor(size: number) {
    this.a = new Int32Array(2 * size);
  }
}

class Inner {
  /** kids[i] holds keys k with seps[i] <= k < seps[i+1]; seps[0] is unused. */
  readonly kids: Node[] = [];
  readonly seps: Uint8Array[] = [];
  readonly pres: number[] = [];
}

type Node = Leaf | Inner;

const EMPTY = new Uint8Array(0);

/** Unsigned byte order: negative if a < b, 0 if equal, positive if a > b. */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const la = a.length;
  const lb = b.length;
  const n = la < lb ? la : lb;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return la - lb;
}

/** Compares a with the first bl bytes of b. */
function compareLen(a: Uint8Array, b: Uint8Array, bl: number): number {
  const la = a.length;
  const n = la < bl ? la : bl;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return la - bl;
}

/**
 * The first 4 bytes of the key (zero-padded) as a big-endian u32, sign bit
 * flipped: a <= b implies prefix(a) <= prefix(b) in signed int32 order.
 */
function prefixOf(k: Uint8Array, kl: number): number {
  if (kl >= 4) return ((k[0]! << 24) | (k[1]! << 16) | (k[2]! << 8) | k[3]!) ^ 0x80000000;
  let p = 0;
  if (kl > 0) p = k[0]! << 24;
  if (kl > 1) p |= k[1]! << 16;
  if (kl > 2) p |= k[2]! << 8;
  return p ^ 0x80000000;
}

function compareBufs(a: KeyBuf, b: KeyBuf): number {
  const la = a.len;
  const lb = b.len;
  const x = a.b;
  const y = b.b;
  const n = la < lb ? la : lb;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    if (d !== 0) return d;
  }
  return la - lb;
}

const NONE: number[] = [];

function throwRefused(refused: number[]): void {
  if (refused.length === 0) return;
  const some = refused.slice(0, 10).join(', ') + (refused.length > 10 ? ', ...' : '');
  throw new Error(`OrderedIndex.insert: the keys of ids ${some} were already in the index (${refused.length} refused; every other insert applied)`);
}

/** Thrown inside the tree when an inserted key is there already (before anything changed). */
class DuplicateKey extends Error {}

/** Bytes [d, d+4) of the key, zero-padded, big-endian, sign bit flipped (prefixOf at depth d). */
function prefixAt(k: Uint8Array, kl: number, d: number): number {
  if (kl >= d + 4) return ((k[d]! << 24) | (k[d + 1]! << 16) | (k[d + 2]! << 8) | k[d + 3]!) ^ 0x80000000;
  let p = 0;
  if (kl > d) p = k[d]! << 24;
  if (kl > d + 1) p |= k[d + 1]! << 16;
  if (kl > d + 2) p |= k[d + 2]! << 8;
  return p ^ 0x80000000;
}

/** Sorts ids by q (signed order) in place, stably: insertion sort when short, else LSD radix sort (4 passes of 8 bits). */
export function radixSort(ids: Int32Array, q: Int32Array): void {
  const n = ids.length;
  if (n < 2) return;
  if (n < 48) {
    for (let i = 1; i < n; i++) {
      const p = q[i]!;
      const id = ids[i]!;
      let j = i - 1;
      while (j >= 0 && q[j]! > p) {
        q[j + 1] = q[j]!;
        ids[j + 1] = ids[j]!;
        j--;
      }
      q[j + 1] = p;
      ids[j + 1] = id;
    }
    return;
  }
  let srcI: Int32Array = ids;
  let srcP: Int32Array = q;
  let dstI: Int32Array = new Int32Array(n);
  let dstP: Int32Array = new Int32Array(n);
  const count = new Int32Array(257);
  for (let shift = 0; shift < 32; shift += 8) {
    count.fill(0);
    // Signed order: on the top byte, 0x80..0xff (negative) come before 0x00..0x7f.
    const flip = shift === 24 ? 0x80 : 0;
    for (let i = 0; i < n; i++) count[(((srcP[i]! >>> shift) & 0xff) ^ flip) + 1]!++;
    for (let b = 1; b <= 256; b++) count[b]! += count[b - 1]!;
    for (let i = 0; i < n; i++) {
      const p = srcP[i]!;
      const at = count[((p >>> shift) & 0xff) ^ flip]!++;
      dstI[at] = srcI[i]!;
      dstP[at] = p;
    }
    const ti = srcI;
    const tp = srcP;
    srcI = dstI;
    srcP = dstP;
    dstI = ti;
    dstP = tp;
  }
  // Four passes: the sorted data is back in ids and q.
}

/** Pushes (start, end, depth) for each run of 2 or more equal q within [from, to). */
export function pushRuns(work: number[], q: Int32Array, from: number, to: number, depth: number): void {
  for (let i = from; i < to; ) {
    let j = i + 1;
    while (j < to && q[j - from] === q[i - from]) j++;
    if (j - i > 1) work.push(i, j, depth);
    i = j;
  }
}

function checkId(id: number): void {
  if ((id | 0) !== id || id < 0) throw new Error(`OrderedIndex: id ${id} is not an integer in [0, 2^31)`);
}

/** A growable byte buffer holding one key: bytes [0, len). */
class KeyBuf {
  b = new Uint8Array(32);
  len = 0;
  p = 0;
  set(k: Uint8Array): void {
    const n = k.length;
    if (n > this.b.length) this.b = new Uint8Array(Math.max(n, this.b.length * 2));
    const b = this.b;
    if (n <= 64) for (let i = 0; i < n; i++) b[i] = k[i]!;
    else b.set(k);
    this.len = n;
    this.p = prefixOf(b, n);
  }
}

/** Node sizes; for tests (small nodes make deep trees from few keys) and tuning. */
export interface OrderedIndexOptions {
  /** Ids per leaf, >= 2 (default 256). */
  leafSize?: number;
  /** Children per inner node, >= 3 (default 64). */
  innerSize?: number;
}

export class OrderedIndex {
  private readonly keyOf: (id: number) => Uint8Array;
  /** Leaf size L, and where prefixes start in a leaf's array. */
  private readonly L: number;
  /** A leaf under this many ids is merged with a sibling or refilled from it. */
  private readonly leafMin: number;
  private readonly inner: number;
  private readonly innerMin: number;
  private root: Node;
  /** Levels above the leaves. */
  private height = 0;
  private count = 0;
  /** The search key of the running operation (a copy: keyOf views may not outlive the next keyOf call). */
  private readonly sk = new KeyBuf();
  /** Results of locate(). */
  private fLeaf: Leaf;
  private fPos = 0;
  /** Inserted ids not yet in the tree, in insertion order: [0, pendN). */
  private pending = new Int32Array(0);
  private pendN = 0;
  /** During remove() and move(): the id they name, whose key is knownKey (the directory may have dropped it). */
  private knownId = -1;
  private knownKey: Uint8Array = EMPTY;
  /** Iterators that hold a position in the tree; every mutation detaches them first. */
  private attached: RangeIterator[] = [];

  /** keyOf(id) returns the key bytes of entry id (a view; do not keep it). */
  constructor(keyOf: (id: number) => Uint8Array, options: OrderedIndexOptions = {}) {
    this.keyOf = keyOf;
    const L = options.leafSize ?? LEAF_SIZE;
    const I = options.innerSize ?? INNER_SIZE;
    if (!Number.isInteger(L) || L < 2 || !Number.isInteger(I) || I < 3) throw new Error('OrderedIndex: leafSize >= 2 and innerSize >= 3');
    this.L = L;
    this.leafMin = Math.max(1, L >>> 2);
    this.inner = I;
    this.innerMin = Math.max(2, I >>> 2);
    this.root = this.fLeaf = new Leaf(L);
  }

  /** Ids in the index, buffered inserts included (a refused duplicate counts until the flush that refuses it). */
  get size(): number {
    return this.count + this.pendN;
  }

  /**
   * Adds id (its key must not be in the index already). The id is only
   * appended to a buffer here (no key compare, no keyOf call); the buffer is
   * sorted into the tree by the next operation that reads or removes (see
   * flush()). So an id whose key is already in the index is refused there, by
   * an Error thrown from that operation, which still applies every other
   * insert.
   */
  insert(id: number): void {
    checkId(id);
    if (this.pendN === this.pending.length) {
      const grown = new Int32Array(Math.max(64, this.pending.length * 2));
      grown.set(this.pending);
      this.pending = grown;
    }
    this.pending[this.pendN++] = id;
  }

  /** insert() of every id of `ids`, at once; the index takes the array over. */
  insertMany(ids: Int32Array<ArrayBuffer>): void {
    for (let i = 0; i < ids.length; i++) checkId(ids[i]!);
    if (this.pendN === 0) {
      this.pending = ids;
      this.pendN = ids.length;
      return;
    }
    for (let i = 0; i < ids.length; i++) this.insert(ids[i]!);
  }

  /** Inserts one id into the tree now. */
  private insertOne(id: number): void {
    const sk = this.sk;
    sk.set(this.keyAt(id));
    const split = this.insertAt(this.root, this.height, id);
    if (split !== null) {
      const r = new Inner();
      r.kids.push(this.root, split);
      r.seps.push(EMPTY, this.splitSep!);
      r.pres.push(0, this.splitPre);
      this.root = r;
      this.height++;
    }
    this.splitSep = null;
    this.count++;
  }

  /** Removes id, whose key is `key` (passed because the directory may already have dropped it). */
  remove(id: number, key: Uint8Array): void {
    this.knownId = id;
    this.knownKey = key.slice();
    let refused: number[];
    try {
      refused = this.sortBuffer();
      this.detachAll();
      this.sk.set(this.knownKey);
      this.removeAt(this.root, this.height, id);
    } finally {
      this.knownId = -1;
      this.knownKey = EMPTY;
    }
    while (this.height > 0 && (this.root as Inner).kids.length === 1) {
      this.root = (this.root as Inner).kids[0]!;
      this.height--;
    }
    this.count--;
    throwRefused(refused);
  }

  /** An entry's id changed (key directory compaction): same key, new id. */
  move(oldId: number, newId: number, key: Uint8Array): void {
    checkId(newId);
    this.knownId = oldId;
    this.knownKey = key.slice();
    let refused: number[];
    try {
      refused = this.sortBuffer();
      this.detachAll();
      this.sk.set(this.knownKey);
      this.locate(this.sk, false);
    } finally {
      this.knownId = -1;
      this.knownKey = EMPTY;
    }
    const leaf = this.fLeaf;
    const pos = this.fPos;
    if (pos >= leaf.n || leaf.a[pos] !== oldId) throw new Error(`OrderedIndex.move: id ${oldId} is not in the index under that key`);
    leaf.a[pos] = newId;
    throwRefused(refused);
  }

  /**
   * Renumbers every id at once (key directory compaction), in O(n) with no
   * key compares: id becomes map(id). Call it once keyOf answers for the new
   * ids; the order of keys does not change.
   */
  remapIds(map: (oldId: number) => number): void {
    this.detachAll(map);
    const pending = this.pending;
    for (let i = 0; i < this.pendN; i++) {
      const id = map(pending[i]!);
      checkId(id);
      pending[i] = id;
    }
    let leaf: Leaf | null = this.edgeLeaf(false);
    while (leaf !== null) {
      const a = leaf.a;
      for (let i = 0; i < leaf.n; i++) {
        const id = map(a[i]!);
        checkId(id);
        a[i] = id;
      }
      leaf = leaf.next;
    }
  }

  /**
   * Ids in key order within the range (descending with reverse). The iterator
   * is live: each next() returns the id of the first key, in the iteration
   * direction, that lies strictly past the key it returned last (or at the
   * range's start, before the first), is within the range, and is in the index
   * at the time of that next() call. So between steps: a key inserted ahead of
   * the iterator is returned, one inserted behind it is not; a key removed
   * before the iterator reaches it is not returned; a moved id is returned
   * under its new id; no key is returned twice, and none that stays in the
   * index is skipped. Buffered inserts count as in the index (next() flushes
   * the buffer). Once next() has reported done it stays done (unless seek()
   * is called). limit counts the ids returned.
   *
   * An iterator left unfinished should be closed with return() (for...of does
   * this); otherwise the index references it until its tree next changes (and
   * lets go of all such iterators once 1024 are held).
   */
  range(options: RangeOptions = {}): RangeIterator {
    return new RangeIterator(this, options);
  }

  /** First id at or after key (or at or before, with reverse), for seek; undefined if there is none. */
  seek(key: Uint8Array, reverse = false): number | undefined {
    this.flush();
    this.sk.set(key);
    const leaf = this.position(this.sk, true, reverse);
    return leaf === null ? undefined : leaf.a[this.fPos];
  }

  /**
   * Sorts the insert buffer into the tree. Every reading or removing
   * operation does this first (an iterator at its next step); call it
   * yourself to choose when the cost is paid (e.g. right after a bulk load).
   * The buffer is sorted by key (radix sorts on 4 bytes at a time); then it
   * is built into packed leaves with the tree's ids when the tree is empty or
   * under 8 times its size, else inserted in key order. Throws if some inserted
   * key was in the index already (or inserted twice): every other id is in
   * the tree by then, the refused ones are not.
   */
  flush(): void {
    throwRefused(this.sortBuffer());
  }

  /** flush(), returning the refused ids instead of throwing. */
  private sortBuffer(): number[] {
    const n = this.pendN;
    if (n === 0) return NONE;
    this.detachAll();
    if (n <= SMALL_FLUSH && this.count >= n << 3) {
      // A few ids into a big tree (writes interleaved with reads): one by one, no sort, no allocation.
      this.pendN = 0;
      let refused = NONE;
      for (let i = 0; i < n; i++) {
        const id = this.pending[i]!;
        try {
          this.insertOne(id);
        } catch (e) {
          if (!(e instanceof DuplicateKey)) throw e;
          if (refused === NONE) refused = [];
          refused.push(id);
        }
      }
      return refused;
    }
    const ids = this.pending.subarray(0, n);
    const pre = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const k = this.keyAt(ids[i]!);
      pre[i] = prefixOf(k, k.length);
    }
    this.sortByKey(ids, pre);
    // The buffer is now consumed whatever happens below (ids is a view of it: a big one is let go, not reused).
    this.pendN = 0;
    if (this.pending.length > SMALL_BUFFER) this.pending = new Int32Array(0);
    const refused: number[] = [];
    if (this.count === 0 || n >= this.count >>> 3) this.rebuild(ids, pre, refused);
    else {
      for (let i = 0; i < n; i++) {
        const id = ids[i]!;
        try {
          this.insertOne(id);
        } catch (e) {
          if (!(e instanceof DuplicateKey)) throw e;
          refused.push(id);
        }
      }
    }
    return refused;
  }

  /**
   * Sorts ids (with their prefixes) by key: by the 4-byte prefix, then each
   * run of equal prefixes by the next 4 bytes, and so on (MSD order, radix
   * sort at each step), so keys sharing a long head (sublevels, "user:...")
   * cost a few passes, not comparison sorts.
   */
  private sortByKey(ids: Int32Array, pre: Int32Array): void {
    radixSort(ids, pre);
    // Work list of runs [start, end) equal in their first `depth` bytes (zero-padded).
    const work: number[] = [];
    pushRuns(work, pre, 0, ids.length, 4);
    while (work.length > 0) {
      const depth = work.pop()!;
      const end = work.pop()!;
      const start = work.pop()!;
      const run = ids.subarray(start, end);
      const q = new Int32Array(end - start);
      let maxLen = 0;
      for (let i = 0; i < q.length; i++) {
        const k = this.keyAt(run[i]!);
        q[i] = prefixAt(k, k.length, depth);
        if (k.length > maxLen) maxLen = k.length;
      }
      if (maxLen <= depth) {
        // Equal up to their ends: the shorter key first (equal lengths: the same key, refused later).
        for (let i = 0; i < q.length; i++) q[i] = this.keyAt(run[i]!).length ^ 0x80000000;
        radixSort(run, q);
      } else {
        radixSort(run, q);
        pushRuns(work, q, start, end, depth + 4);
      }
    }
  }

  /** Rebuilds the tree from its own ids merged with sorted new ones, in packed leaves. Duplicates of keys go to refused. */
  private rebuild(ids: Int32Array, pre: Int32Array, refused: number[]): void {
    const LEAF = this.L;
    const total = this.count + ids.length;
    const allI = new Int32Array(total);
    const allP = new Int32Array(total);
    let o = 0;
    let j = 0;
    const m = ids.length;
    let prevKey: Uint8Array | null = null;
    const take = (id: number, p: number, fromNew: boolean): void => {
      // A new id whose key equals the one placed last is refused (ids from the tree come first among equals).
      if (o > 0 && allP[o - 1] === p) {
        if (prevKey === null) prevKey = this.keyAt(allI[o - 1]!).slice();
        const k = this.keyAt(id);
        if (compareKeys(prevKey, k) === 0) {
          if (fromNew) refused.push(id);
          return;
        }
        prevKey = k.slice();
      } else prevKey = null;
      allI[o] = id;
      allP[o++] = p;
    };
    for (let leaf: Leaf | null = this.count === 0 ? null : this.edgeLeaf(false); leaf !== null; leaf = leaf.next) {
      const a = leaf.a;
      for (let i = 0; i < leaf.n; i++) {
        const p = a[LEAF + i]!;
        const id = a[i]!;
        // New ids that sort before this one go first.
        while (j < m && (pre[j]! < p || (pre[j] === p && this.newBefore(ids[j]!, id)))) {
          take(ids[j]!, pre[j]!, true);
          j++;
        }
        take(id, p, false);
      }
    }
    while (j < m) {
      take(ids[j]!, pre[j]!, true);
      j++;
    }
    this.build(allI.subarray(0, o), allP.subarray(0, o));
  }

  /** Whether the key of new id a sorts strictly before the key of id b (equal keys: b first, so a is refused). */
  private newBefore(a: number, b: number): boolean {
    const ka = this.keyAt(a).slice();
    return compareKeys(ka, this.keyAt(b)) < 0;
  }

  /** Replaces the tree with one built from ids sorted by key (distinct keys), leaves packed full. */
  private build(ids: Int32Array, pre: Int32Array): void {
    const LEAF = this.L;
    const n = ids.length;
    let nodes: Node[] = [];
    let mins: Uint8Array[] = [];
    let mpre: number[] = [];
    let prev: Leaf | null = null;
    for (let i = 0; i < n || i === 0; i += LEAF) {
      const leaf = new Leaf(LEAF);
      const m = Math.min(LEAF, n - i);
      leaf.a.set(ids.subarray(i, i + m));
      leaf.a.set(pre.subarray(i, i + m), LEAF);
      leaf.n = m;
      leaf.prev = prev;
      if (prev !== null) prev.next = leaf;
      prev = leaf;
      nodes.push(leaf);
      mins.push(i === 0 ? EMPTY : this.keyAt(ids[i]!).slice());
      mpre.push(i === 0 ? 0 : pre[i]!);
    }
    let height = 0;
    const I = this.inner;
    while (nodes.length > 1) {
      const up: Node[] = [];
      const upMins: Uint8Array[] = [];
      const upPre: number[] = [];
      for (let i = 0; i < nodes.length; ) {
        let take = Math.min(I, nodes.length - i);
        // Leave no inner node with a single child: the last group borrows one.
        if (nodes.length - i - take === 1) take--;
        const inner = new Inner();
        for (let k = i; k < i + take; k++) {
          inner.kids.push(nodes[k]!);
          inner.seps.push(k === i ? EMPTY : mins[k]!);
          inner.pres.push(k === i ? 0 : mpre[k]!);
        }
        up.push(inner);
        upMins.push(mins[i]!);
        upPre.push(mpre[i]!);
        i += take;
      }
      nodes = up;
      mins = upMins;
      mpre = upPre;
      height++;
    }
    this.root = nodes[0]!;
    this.height = height;
    this.count = n;
  }

  // ---------------------------------------------------------------- internals

  /** @internal Ids of the whole index in order, checking every invariant of the tree (tests). */
  checkInvariants(): number[] {
    this.flush();
    const out: number[] = [];
    const LEAF = this.L;
    const walk = (node: Node, h: number, lo: Uint8Array | null, hi: Uint8Array | null, isRoot: boolean): void => {
      if (h === 0) {
        const leaf = node as Leaf;
        if (!isRoot && leaf.n < 1) throw new Error('empty non-root leaf');
        for (let i = 0; i < leaf.n; i++) {
          const k = this.keyAt(leaf.a[i]!);
          if (leaf.a[LEAF + i] !== prefixOf(k, k.length)) throw new Error('stale prefix');
          if (lo !== null && compareKeys(k, lo) < 0) throw new Error('key below separator');
          if (hi !== null && compareKeys(k, hi) >= 0) throw new Error('key at or above next separator');
          out.push(leaf.a[i]!);
        }
        return;
      }
      const inner = node as Inner;
      const n = inner.kids.length;
      if (n < (isRoot ? 2 : 1) || n > this.inner) throw new Error(`inner node with ${n} children`);
      for (let i = 0; i < n; i++) {
        if (i > 0 && inner.pres[i] !== prefixOf(inner.seps[i]!, inner.seps[i]!.length)) throw new Error('stale separator prefix');
        walk(inner.kids[i]!, h - 1, i === 0 ? lo : inner.seps[i]!, i + 1 < n ? inner.seps[i + 1]! : hi, false);
      }
    };
    walk(this.root, this.height, null, null, true);
    for (let i = 1; i < out.length; i++) {
      const prev = this.keyAt(out[i - 1]!).slice();
      if (compareKeys(prev, this.keyAt(out[i]!)) >= 0) throw new Error('keys out of order');
    }
    // The leaf chain, both ways, gives the same ids.
    const chain: number[] = [];
    let prev: Leaf | null = null;
    for (let leaf: Leaf | null = this.edgeLeaf(false); leaf !== null; leaf = leaf.next) {
      if (leaf.prev !== prev) throw new Error('broken prev link');
      for (let i = 0; i < leaf.n; i++) chain.push(leaf.a[i]!);
      prev = leaf;
    }
    if (prev !== this.edgeLeaf(true)) throw new Error('chain does not end at the rightmost leaf');
    if (chain.join() !== out.join()) throw new Error('leaf chain differs from tree');
    if (out.length !== this.count) throw new Error(`size ${this.count} but ${out.length} ids`);
    return out;
  }

  /** Compares the key in slot i of a leaf with k. */
  private cmpSlot(a: Int32Array, i: number, k: KeyBuf): number {
    const LEAF = this.L;
    const p = a[LEAF + i]!;
    if (p !== k.p) return p < k.p ? -1 : 1;
    return compareLen(this.keyAt(a[i]!), k.b, k.len);
  }

  /** First slot of leaf whose key is >= k (> with strict). */
  private leafSearch(leaf: Leaf, k: KeyBuf, strict: boolean): number {
    const a = leaf.a;
    let lo = 0;
    let hi = leaf.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.cmpSlot(a, mid, k);
      if (c < 0 || (strict && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The child of inner that may hold k. */
  private childIndex(inner: Inner, sk: KeyBuf): number {
    const seps = inner.seps;
    const pres = inner.pres;
    let lo = 1;
    let hi = seps.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = pres[mid]!;
      const c = p !== sk.p ? (p < sk.p ? -1 : 1) : compareLen(seps[mid]!, sk.b, sk.len);
      if (c <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Sets fLeaf/fPos to the first slot >= k (> with strict); fPos may be fLeaf.n. */
  private locate(k: KeyBuf, strict: boolean): void {
    let node = this.root;
    for (let h = this.height; h > 0; h--) {
      const inner = node as Inner;
      node = inner.kids[this.childIndex(inner, k)]!;
    }
    this.fLeaf = node as Leaf;
    this.fPos = this.leafSearch(node as Leaf, k, strict);
  }

  /** @internal The leftmost (or rightmost) leaf. */
  edgeLeaf(right: boolean): Leaf {
    let node = this.root;
    for (let h = this.height; h > 0; h--) {
      const kids = (node as Inner).kids;
      node = kids[right ? kids.length - 1 : 0]!;
    }
    return node as Leaf;
  }

  private splitSep: Uint8Array | null = null;
  private splitPre = 0;

  /** Inserts into the subtree; returns a new right sibling when the node split (separator in splitSep/splitPre). */
  private insertAt(node: Node, h: number, id: number): Node | null {
    if (h === 0) return this.insertLeaf(node as Leaf, id);
    const inner = node as Inner;
    const ci = this.childIndex(inner, this.sk);
    const right = this.insertAt(inner.kids[ci]!, h - 1, id);
    if (right === null) return null;
    inner.kids.splice(ci + 1, 0, right);
    inner.seps.splice(ci + 1, 0, this.splitSep!);
    inner.pres.splice(ci + 1, 0, this.splitPre);
    if (inner.kids.length <= this.inner) return null;
    // Split in half; the middle separator moves up.
    const r = new Inner();
    const half = inner.kids.length >>> 1;
    r.kids.push(...inner.kids.splice(half));
    r.seps.push(...inner.seps.splice(half));
    r.pres.push(...inner.pres.splice(half));
    this.splitSep = r.seps[0]!;
    this.splitPre = r.pres[0]!;
    r.seps[0] = EMPTY;
    r.pres[0] = 0;
    return r;
  }

  private insertLeaf(leaf: Leaf, id: number): Leaf | null {
    const LEAF = this.L;
    const pos = this.leafSearch(leaf, this.sk, false);
    const a = leaf.a;
    if (pos < leaf.n && this.cmpSlot(a, pos, this.sk) === 0) throw new DuplicateKey();
    const p = this.sk.p;
    if (leaf.n < LEAF) {
      insertSlot(a, LEAF, pos, leaf.n, id, p);
      leaf.n++;
      return null;
    }
    const right = new Leaf(LEAF);
    const b = right.a;
    if (pos === LEAF && leaf.next === null) {
      // Appending past the last key (ascending inserts): keep the full leaf full.
      b[0] = id;
      b[LEAF] = p;
      right.n = 1;
    } else if (pos === 0 && leaf.prev === null) {
      // Before the first key (descending inserts): everything moves right, the new key stays.
      b.set(a);
      right.n = LEAF;
      a[0] = id;
      a[LEAF] = p;
      leaf.n = 1;
    } else {
      const half = LEAF >>> 1;
      b.set(a.subarray(half, LEAF), 0);
      b.set(a.subarray(LEAF + half, 2 * LEAF), LEAF);
      right.n = LEAF - half;
      leaf.n = half;
      if (pos <= half) {
        insertSlot(a, LEAF, pos, leaf.n, id, p);
        leaf.n++;
      } else {
        insertSlot(b, LEAF, pos - half, right.n, id, p);
        right.n++;
      }
    }
    right.next = leaf.next;
    right.prev = leaf;
    if (leaf.next !== null) leaf.next.prev = right;
    leaf.next = right;
    this.splitSep = this.keyAt(b[0]!).slice();
    this.splitPre = b[LEAF]!;
    return right;
  }

  /** Removes from the subtree; returns whether the node is now under its minimum. */
  private removeAt(node: Node, h: number, id: number): boolean {
    if (h === 0) {
      const LEAF = this.L;
      const leaf = node as Leaf;
      const pos = this.leafSearch(leaf, this.sk, false);
      const a = leaf.a;
      if (pos >= leaf.n || a[pos] !== id || this.cmpSlot(a, pos, this.sk) !== 0) throw new Error(`OrderedIndex.remove: id ${id} is not in the index under that key`);
      a.copyWithin(pos, pos + 1, leaf.n);
      a.copyWithin(LEAF + pos, LEAF + pos + 1, LEAF + leaf.n);
      leaf.n--;
      return leaf.n < this.leafMin;
    }
    const inner = node as Inner;
    const ci = this.childIndex(inner, this.sk);
    if (!this.removeAt(inner.kids[ci]!, h - 1, id)) return false;
    if (h === 1) this.fixLeaf(inner, ci);
    else this.fixInner(inner, ci);
    return inner.kids.length < this.innerMin;
  }

  /** Leaf kids[ci] of parent is under its minimum: merge it with a sibling or even them out. */
  private fixLeaf(parent: Inner, ci: number): void {
    const LEAF = this.L;
    if (parent.kids.length < 2) return; // the root's only child: collapsed by remove()
    const ri = ci + 1 < parent.kids.length ? ci + 1 : ci;
    const left = parent.kids[ri - 1] as Leaf;
    const right = parent.kids[ri] as Leaf;
    const la = left.a;
    const ra = right.a;
    const total = left.n + right.n;
    if (total <= LEAF) {
      la.set(ra.subarray(0, right.n), left.n);
      la.set(ra.subarray(LEAF, LEAF + right.n), LEAF + left.n);
      left.n = total;
      left.next = right.next;
      if (right.next !== null) right.next.prev = left;
      parent.kids.splice(ri, 1);
      parent.seps.splice(ri, 1);
      parent.pres.splice(ri, 1);
      return;
    }
    const want = total >>> 1;
    if (left.n > want) {
      // Move left's tail to the front of right.
      const k = left.n - want;
      ra.copyWithin(k, 0, right.n);
      ra.copyWithin(LEAF + k, LEAF, LEAF + right.n);
      ra.set(la.subarray(want, left.n), 0);
      ra.set(la.subarray(LEAF + want, LEAF + left.n), LEAF);
      left.n = want;
      right.n += k;
    } else {
      // Move right's head to the end of left.
      const k = want - left.n;
      la.set(ra.subarray(0, k), left.n);
      la.set(ra.subarray(LEAF, LEAF + k), LEAF + left.n);
      ra.copyWithin(0, k, right.n);
      ra.copyWithin(LEAF, LEAF + k, LEAF + right.n);
      left.n = want;
      right.n -= k;
    }
    parent.seps[ri] = this.keyAt(ra[0]!).slice();
    parent.pres[ri] = ra[LEAF]!;
  }

  /** Inner kids[ci] of parent is under its minimum: merge it with a sibling or even them out. */
  private fixInner(parent: Inner, ci: number): void {
    if (parent.kids.length < 2) return;
    const ri = ci + 1 < parent.kids.length ? ci + 1 : ci;
    const left = parent.kids[ri - 1] as Inner;
    const right = parent.kids[ri] as Inner;
    // Concatenate, pulling the parent's separator down between the two.
    const kids = left.kids.concat(right.kids);
    const seps = left.seps.concat([parent.seps[ri]!], right.seps.slice(1));
    const pres = left.pres.concat([parent.pres[ri]!], right.pres.slice(1));
    if (kids.length <= this.inner) {
      left.kids.splice(0, left.kids.length, ...kids);
      left.seps.splice(0, left.seps.length, ...seps);
      left.pres.splice(0, left.pres.length, ...pres);
      parent.kids.splice(ri, 1);
      parent.seps.splice(ri, 1);
      parent.pres.splice(ri, 1);
      return;
    }
    const want = kids.length >>> 1;
    left.kids.splice(0, left.kids.length, ...kids.slice(0, want));
    left.seps.splice(0, left.seps.length, ...seps.slice(0, want));
    left.pres.splice(0, left.pres.length, ...pres.slice(0, want));
    right.kids.splice(0, right.kids.length, ...kids.slice(want));
    right.seps.splice(0, right.seps.length, ...seps.slice(want));
    right.pres.splice(0, right.pres.length, ...pres.slice(want));
    parent.seps[ri] = right.seps[0]!;
    parent.pres[ri] = right.pres[0]!;
    right.seps[0] = EMPTY;
    right.pres[0] = 0;
  }

  // ---------------------------------------------------------------- iterator support

  /** @internal An iterator took a position in the tree. */
  attach(it: RangeIterator): void {
    if (this.attached.length >= MAX_ATTACHED) this.detachAll();
    this.attached.push(it);
  }

  /** @internal An iterator gave up its position (ended or closed). */
  release(it: RangeIterator): void {
    const list = this.attached;
    const i = list.lastIndexOf(it);
    if (i < 0) return;
    list[i] = list[list.length - 1]!;
    list.pop();
  }

  /**
   * Before the tree changes: every positioned iterator saves (a copy of) the
   * key it returned last and will find its place again by that key. keyAt
   * answers for an id a remove() or move() names; with remapIds, map gives
   * the id keyOf now knows.
   */
  private detachAll(map?: (oldId: number) => number): void {
    const list = this.attached;
    if (list.length === 0) return;
    for (const it of list) {
      const last = it.lastId;
      it.detach(this.keyAt(map === undefined ? last : map(last)));
    }
    list.length = 0;
  }

  /** The key of id: keyOf(id), or the key passed for the id a remove()/move() names. A view: compare it or copy it before the next call. */
  private keyAt(id: number): Uint8Array {
    return id === this.knownId ? this.knownKey : this.keyOf(id);
  }

  /** @internal Positions for an iterator: the first slot past (or at, inclusive) key k, scanning forward or in reverse. Returns null at the end. */
  position(k: KeyBuf | null, inclusive: boolean, reverse: boolean): Leaf | null {
    let leaf: Leaf | null;
    let pos: number;
    if (k === null) {
      leaf = this.edgeLeaf(reverse);
      pos = reverse ? leaf.n - 1 : 0;
    } else {
      // forward: first >= k (inclusive) or > k; reverse: last <= k (inclusive) or < k.
      this.locate(k, reverse ? inclusive : !inclusive);
      leaf = this.fLeaf;
      pos = reverse ? this.fPos - 1 : this.fPos;
    }
    if (reverse) {
      if (pos < 0) {
        leaf = leaf.prev;
        pos = leaf === null ? 0 : leaf.n - 1;
      }
    } else if (pos >= leaf.n) {
      leaf = leaf.next;
      pos = 0;
    }
    if (leaf !== null && leaf.n === 0) leaf = null; // the empty root leaf
    this.fPos = pos;
    return leaf;
  }

  /** @internal How many inserted ids wait in the buffer. */
  get buffered(): number {
    return this.pendN;
  }

  /** @internal */
  get foundPos(): number {
    return this.fPos;
  }

  /** @internal Compares the key in slot pos of leaf with k. */
  compareId(leaf: Leaf, pos: number, k: KeyBuf): number {
    return this.cmpSlot(leaf.a, pos, k);
  }
}

/** How an iterator finds its place next time. */
const FROM_START = 0;
const AFTER_KEY = 1;
const AT_KEY = 2;

export class RangeIterator implements IterableIterator<number> {
  private readonly index: OrderedIndex;
  private readonly reverse: boolean;
  private remaining: number;
  /** The bound where the scan starts (lower forward, upper reverse) and where it ends. */
  private readonly start: KeyBuf | null = null;
  private readonly startInclusive: boolean = true;
  private readonly end: KeyBuf | null = null;
  private readonly endInclusive: boolean = true;
  /** An empty range (start past end): nothing to return. */
  private empty = false;
  /** Position, valid while attached. */
  private leaf: Leaf | null = null;
  private pos = 0;
  private isAttached = false;
  private done = false;
  private closed = false;
  private resume = FROM_START;
  /** The key saved at detach() or seek(); made at the first of them. */
  private resumeKey: KeyBuf | null = null;
  /** @internal */
  lastId = -1;

  /** @internal Use OrderedIndex.range(). */
  constructor(index: OrderedIndex, o: RangeOptions) {
    this.index = index;
    this.reverse = o.reverse === true;
    const limit = o.limit;
    this.remaining = limit === undefined || !(limit >= 0) || limit === Infinity ? Infinity : Math.floor(limit);
    // The tighter of gt/gte, and of lt/lte, when both are given.
    const lo = tighter(o.gt, o.gte, 1);
    const hi = tighter(o.lt, o.lte, -1);
    if (lo !== null && hi !== null) {
      const c = compareKeys(lo.key, hi.key);
      if (c > 0 || (c === 0 && (!lo.inclusive || !hi.inclusive))) this.empty = true;
    }
    const s = this.reverse ? hi : lo;
    const e = this.reverse ? lo : hi;
    if (s !== null) {
      this.start = new KeyBuf();
      this.start.set(s.key);
      this.startInclusive = s.inclusive;
    }
    if (e !== null) {
      this.end = new KeyBuf();
      this.end.set(e.key);
      this.endInclusive = e.inclusive;
    }
  }

  [Symbol.iterator](): RangeIterator {
    return this;
  }

  next(): IteratorResult<number, undefined> {
    if (this.done) return { value: undefined, done: true };
    if (this.remaining <= 0 || this.empty) return this.finish();
    if (this.index.buffered > 0) this.index.flush();
    if (!this.isAttached) {
      this.findPlace();
      if (this.done) return { value: undefined, done: true };
    }
    const leaf = this.leaf;
    if (leaf === null) return this.finish();
    const pos = this.pos;
    const end = this.end;
    if (end !== null) {
      const c = this.index.compareId(leaf, pos, end);
      if (this.reverse ? c < 0 || (c === 0 && !this.endInclusive) : c > 0 || (c === 0 && !this.endInclusive)) return this.finish();
    }
    const id = leaf.a[pos]!;
    if (this.reverse) {
      if (pos > 0) this.pos = pos - 1;
      else {
        this.leaf = leaf.prev;
        this.pos = this.leaf === null ? 0 : this.leaf.n - 1;
      }
    } else if (pos + 1 < leaf.n) this.pos = pos + 1;
    else {
      this.leaf = leaf.next;
      this.pos = 0;
    }
    this.lastId = id;
    this.remaining--;
    return { value: id, done: false };
  }

  /** Closes the iterator: next() reports done from now on. */
  return(): IteratorResult<number, undefined> {
    this.closed = true;
    this.finish();
    return { value: undefined, done: true };
  }

  /**
   * Moves the iterator (abstract-level seek): the next id is that of the
   * first key at or after target (at or before it, in reverse) that is also
   * within the range. The limit keeps counting. A closed iterator stays closed.
   */
  seek(target: Uint8Array): void {
    if (this.closed) return;
    (this.resumeKey ??= new KeyBuf()).set(target);
    this.resume = AT_KEY;
    this.done = false;
    this.unplace();
  }

  /** @internal The index is about to change: remember the key returned last (`key`). */
  detach(key: Uint8Array): void {
    (this.resumeKey ??= new KeyBuf()).set(key);
    this.resume = AFTER_KEY;
    this.isAttached = false;
    this.leaf = null;
  }

  private unplace(): void {
    if (this.isAttached) {
      this.index.release(this);
      this.isAttached = false;
    }
    this.leaf = null;
  }

  private finish(): IteratorResult<number, undefined> {
    this.done = true;
    this.unplace();
    return { value: undefined, done: true };
  }

  /** Finds the place to continue from: the start bound, or the key saved at detach or seek, whichever is further in. */
  private findPlace(): void {
    let k: KeyBuf | null = this.start;
    let inclusive = this.startInclusive;
    if (this.resume !== FROM_START) {
      const r = this.resumeKey!;
      const rInclusive = this.resume === AT_KEY;
      if (k === null) {
        k = r;
        inclusive = rInclusive;
      } else {
        let c = compareBufs(k, r);
        if (this.reverse) c = -c;
        // c < 0: the resume key is further in than the start bound.
        if (c < 0) {
          k = r;
          inclusive = rInclusive;
        } else if (c === 0) inclusive = inclusive && rInclusive;
      }
    }
    const leaf = this.index.position(k, inclusive, this.reverse);
    if (leaf === null) {
      this.finish();
      return;
    }
    this.leaf = leaf;
    this.pos = this.index.foundPos;
    this.isAttached = true;
    this.index.attach(this);
  }
}

/** Of an exclusive and an inclusive bound on one side, the one that excludes more (dir 1: lower bounds, -1: upper). */
function tighter(ex: Uint8Array | undefined, inc: Uint8Array | undefined, dir: number): { key: Uint8Array; inclusive: boolean } | null {
  if (ex === undefined) return inc === undefined ? null : { key: inc, inclusive: true };
  if (inc === undefined) return { key: ex, inclusive: false };
  const c = compareKeys(inc, ex) * dir;
  return c > 0 ? { key: inc, inclusive: true } : { key: ex, inclusive: false };
}

function insertSlot(a: Int32Array, LEAF: number, pos: number, n: number, id: number, p: number): void {
  if (pos < n) {
    a.copyWithin(pos + 1, pos, n);
    a.copyWithin(LEAF + pos + 1, LEAF + pos, LEAF + n);
  }
  a[pos] = id;
  a[LEAF + pos] = p;
}
