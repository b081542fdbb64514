// The hint of a sealed segment that recovery had to scan (its hint was
// missing or stale), made from that scan and the key directory it filled,
// instead of reading and scanning the segment again in phase two.
//
// While the segment's records go into the directory, each record's place is
// noted here (position, size, offset, key range in the segment's bytes).
// Right after the segment's last record, before any later segment's, the
// newest record of each key in the segment is:
// - a put whose key's directory entry points at exactly that record, or
// - the last delete of a key that has no entry (a later put in the segment
//   would have brought the key back; no later segment was read yet).
// Those are the hint's entries (tombstones included, as writeHint makes
// them), written in hash order like writeHint's.

import { HintBuilder, hintEntrySize } from '../formats/hint-writer.js';
import { EXPIRY_SIZE, Op, RECORD_FIXED_SIZE } from '../formats/limits.js';
import { hashKeyAt, KeyDirectory } from './key-directory.js';

/** What the hint needs to ask of the directory recovery filled. */
export interface DirectoryProbe {
  /** Whether the key's entry points at the record at `position` of segment `segment`. */
  isAt(bytes: Uint8Array, keyAt: number, keyLength: number, segment: number, position: number): boolean;
  /** Whether the key has an entry. */
  has(bytes: Uint8Array, keyAt: number, keyLength: number): boolean;
}

export class ScannedHint {
  #n = 0;
  #position = new Uint32Array(1024);
  #size = new Uint32Array(1024);
  #offset = new Float64Array(1024);
  #tombstone = new Uint8Array(1024);

  /** Notes a record, in file order (the scan's onRecord). */
  add(op: Op, position: number, size: number, offset: number): void {
    const i = this.#n;
    if (i === this.#position.length) this.#grow();
    this.#position[i] = position;
    this.#size[i] = size;
    this.#offset[i] = offset;
    this.#tombstone[i] = op === Op.Delete ? 1 : 0;
    this.#n = i + 1;
  }

  /**
   * The encoded hint of the segment in `bytes` (its directory id `segment`),
   * to be called after its last record went into the directory and before
   * anything else did.
   */
  build(bytes: Uint8Array, segment: number, probe: DirectoryProbe, header: { segmentBaseOffset: number; segmentNextOffset: number; coveredLength: number }): Buffer {
    const n = this.#n;
    const keep = new Uint32Array(n);
    let kept = 0;
    // Deletes newest first, so the first one seen of a key is its last.
    const deleted = new KeyDirectory(0);
    for (let i = n - 1; i >= 0; i--) {
      const p = this.#position[i]!;
      const keyAt = keyAtOf(bytes, p);
      const keyLength = keyLengthOf(bytes, p);
      if (this.#tombstone[i] === 0) {
        if (probe.isAt(bytes, keyAt, keyLength, segment, p)) keep[kept++] = i;
        continue;
      }
      if (probe.has(bytes, keyAt, keyLength)) continue;
      deleted.setAt(bytes, keyAt, keyLength, 0, 0, 0, 0, undefined);
      if (deleted.replacedSegment < 0) keep[kept++] = i;
    }
    const order = byHash(bytes, this.#position, keep.subarray(0, kept));
    let entryBytes = 0;
    for (let j = 0; j < kept; j++) {
      const p = this.#position[order[j]!]!;
      entryBytes += hintEntrySize(keyLengthOf(bytes, p), bytes[p + 5] === 1);
    }
    const hint = new HintBuilder(header, kept, entryBytes);
    for (let j = 0; j < kept; j++) {
      const i = order[j]!;
      const p = this.#position[i]!;
      hint.add(this.#tombstone[i] === 1, bytes, keyAtOf(bytes, p), keyLengthOf(bytes, p), this.#offset[i]!, p, this.#size[i]!, bytes[p + 5] === 1 ? u64(bytes, p + RECORD_FIXED_SIZE) : undefined);
    }
    return hint.finish();
  }

  #grow(): void {
    const cap = this.#position.length * 2;
    const grow = <T extends Uint32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.#position = grow(this.#position, (c) => new Uint32Array(c));
    this.#size = grow(this.#size, (c) => new Uint32Array(c));
    this.#offset = grow(this.#offset, (c) => new Float64Array(c));
    this.#tombstone = grow(this.#tombstone, (c) => new Uint8Array(c));
  }
}

/** Where the key of the record at `p` (checked by the scan) starts. */
function keyAtOf(b: Uint8Array, p: number): number {
  return p + RECORD_FIXED_SIZE + (b[p + 5] === 1 ? EXPIRY_SIZE : 0);
}

function keyLengthOf(b: Uint8Array, p: number): number {
  return b[p + 10]! | (b[p + 11]! << 8);
}

function u64(b: Uint8Array, at: number): number {
  return ((b[at + 4]! | (b[at + 5]! << 8) | (b[at + 6]! << 16)) + b[at + 7]! * 0x1000000) * 0x100000000 + ((b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000);
}

/** `indices` ordered by the hash of their record's key, ascending (LSD radix sort, two 16-bit passes; stable). */
function byHash(bytes: Uint8Array, positions: Uint32Array, indices: Uint32Array): Uint32Array {
  const n = indices.length;
  const hashes = new Uint32Array(n);
  for (let j = 0; j < n; j++) {
    const p = positions[indices[j]!]!;
    hashes[j] = hashKeyAt(bytes, keyAtOf(bytes, p), keyLengthOf(bytes, p));
  }
  let from = Uint32Array.from(indices);
  let fromHash = hashes;
  let to = new Uint32Array(n);
  let toHash = new Uint32Array(n);
  for (const shift of [0, 16]) {
    const count = new Uint32Array(65537);
    for (let j = 0; j < n; j++) count[((fromHash[j]! >>> shift) & 0xffff) + 1]!++;
    for (let d = 0; d < 65536; d++) count[d + 1]! += count[d]!;
    for (let j = 0; j < n; j++) {
      const d = (fromHash[j]! >>> shift) & 0xffff;
      const at = count[d]!++;
      to[at] = from[j]!;
      toHash[at] = fromHash[j]!;
    }
    [from, to] = [to, from];
    [fromHash, toHash] = [toHash, fromHash];
  }
  return from;
}
