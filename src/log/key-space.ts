// The key directory (hash, for gets) and the ordered index (for ranges),
// kept in step. The directory may compact itself inside delete(), renumbering
// entries; the index is renumbered once afterwards (remapIds), because moving
// ids one at a time would meet ids the directory has already reused.

import { KeyDirectory } from './key-directory.js';
import { OrderedIndex, type RangeIterator, type RangeOptions } from './ordered-index.js';

export class KeySpace {
  readonly directory: KeyDirectory;
  readonly #order: OrderedIndex;
  #moves: Map<number, number> | undefined;

  constructor() {
    this.directory = new KeyDirectory(1024, { onMove: (from, to) => (this.#moves ??= new Map()).set(from, to) });
    this.#order = new OrderedIndex((id) => this.directory.keyOf(id));
  }

  set(key: Uint8Array, segment: number, position: number, size: number, offset: number, expireAtMs: number | undefined): void {
    const isNew = this.directory.lookup(key) < 0;
    const id = this.directory.set(key, segment, position, size, offset, expireAtMs);
    if (isNew) this.#order.insert(id);
  }

  delete(key: Uint8Array): void {
    const id = this.directory.lookup(key);
    if (id < 0) return;
    this.#order.remove(id, key);
    this.directory.delete(key);
    const moves = this.#moves;
    if (moves) {
      this.#moves = undefined;
      this.#order.remapIds((old) => moves.get(old) ?? old);
    }
  }

  /** Entry ids in key order within the range (an iterator that can also seek). */
  range(options: Omit<RangeOptions, 'limit'>): RangeIterator {
    return this.#order.range(options);
  }
}

/** The smallest key greater than every key starting with `prefix`, or undefined (no upper bound). */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}
