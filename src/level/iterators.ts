// abstract-level's three iterator kinds over one LogStore cursor. abstract-level
// counts the limit itself (it never calls past it), so the cursor gets only the
// range and direction. Each step is a synchronous read: a key from the ordered
// index and, when asked for, one positioned read of the value.

import { AbstractIterator, AbstractKeyIterator, AbstractValueIterator } from 'abstract-level';
import type { AbstractIteratorOptions, AbstractKeyIteratorOptions, AbstractValueIteratorOptions } from 'abstract-level';
import type { Cursor, RangeQuery } from '../log/log-store.js';
import { toLevelError } from './level-error.js';
import type { LogLevel } from './log-level.js';

/** What abstract-level passes to _iterator/_keys/_values: range options already encoded to buffers. */
export interface PrivateRangeOptions {
  gt?: Buffer;
  gte?: Buffer;
  lt?: Buffer;
  lte?: Buffer;
  reverse: boolean;
  /** -1 for none. */
  limit: number;
  keys?: boolean;
  values?: boolean;
}

export function rangeOf(options: PrivateRangeOptions): RangeQuery {
  const range: RangeQuery = { reverse: options.reverse };
  // abstract-level: gte and lte take precedence over gt and lt (the store would take the tighter).
  // Presence, not truthiness: an empty buffer is a bound too.
  if (options.gte !== undefined) range.gte = options.gte;
  else if (options.gt !== undefined) range.gt = options.gt;
  if (options.lte !== undefined) range.lte = options.lte;
  else if (options.lt !== undefined) range.lt = options.lt;
  return range;
}

type Db = LogLevel<unknown, unknown>;
type Entry = [Buffer | undefined, Buffer | undefined];

/**
 * The work of all three kinds: `step` takes one item from the cursor
 * (undefined at the end). abstract-level's iterator classes do not share a
 * base, so each delegates its private methods here.
 */
class Steps<T> {
  readonly #cursor: Cursor<Buffer>;
  readonly #step: () => T | undefined;

  constructor(cursor: Cursor<Buffer>, step: () => T | undefined) {
    this.#cursor = cursor;
    this.#step = step;
  }

  /** Up to `size` items, fewer at the end of the range. */
  take(size: number): T[] {
    const out: T[] = [];
    try {
      while (out.length < size) {
        const item = this.#step();
        if (item === undefined) break;
        out.push(item);
      }
    } catch (e) {
      throw toLevelError(e);
    }
    return out;
  }

  seek(target: Buffer): void {
    this.#cursor.seek(target);
  }

  close(): void {
    this.#cursor.close();
  }
}

function entrySteps(cursor: Cursor<Buffer>, options: PrivateRangeOptions): Steps<Entry> {
  // Skip the value read when values are not wanted; abstract-level drops unwanted keys itself.
  if (options.values === false) {
    return new Steps(cursor, (): Entry | undefined => {
      const key = cursor.nextKey();
      return key === undefined ? undefined : [key, undefined];
    });
  }
  if (options.keys === false) {
    return new Steps(cursor, (): Entry | undefined => {
      const value = cursor.nextValue();
      return value === undefined ? undefined : [undefined, value];
    });
  }
  return new Steps<Entry>(cursor, () => cursor.next());
}

export class LogIterator extends AbstractIterator<Db, Buffer, Buffer> {
  readonly #steps: Steps<Entry>;

  constructor(db: Db, options: PrivateRangeOptions, cursor: Cursor<Buffer>) {
    super(db, options as unknown as AbstractIteratorOptions<Buffer, Buffer>);
    this.#steps = entrySteps(cursor, options);
  }

  async _next(): Promise<Entry | undefined> {
    return this.#steps.take(1)[0];
  }

  async _nextv(size: number): Promise<Entry[]> {
    return this.#steps.take(size);
  }

  async _all(): Promise<Entry[]> {
    return this.#steps.take(this.limit - this.count);
  }

  _seek(target: Buffer): void {
    this.#steps.seek(target);
  }

  async _close(): Promise<void> {
    this.#steps.close();
  }
}

export class LogKeyIterator extends AbstractKeyIterator<Db, Buffer> {
  readonly #steps: Steps<Buffer>;

  constructor(db: Db, options: PrivateRangeOptions, cursor: Cursor<Buffer>) {
    super(db, options as unknown as AbstractKeyIteratorOptions<Buffer>);
    this.#steps = new Steps(cursor, () => cursor.nextKey());
  }

  async _next(): Promise<Buffer | undefined> {
    return this.#steps.take(1)[0];
  }

  async _nextv(size: number): Promise<Buffer[]> {
    return this.#steps.take(size);
  }

  async _all(): Promise<Buffer[]> {
    return this.#steps.take(this.limit - this.count);
  }

  _seek(target: Buffer): void {
    this.#steps.seek(target);
  }

  async _close(): Promise<void> {
    this.#steps.close();
  }
}

export class LogValueIterator extends AbstractValueIterator<Db, Buffer, Buffer> {
  readonly #steps: Steps<Buffer>;

  constructor(db: Db, options: PrivateRangeOptions, cursor: Cursor<Buffer>) {
    super(db, options as unknown as AbstractValueIteratorOptions<Buffer, Buffer>);
    this.#steps = new Steps(cursor, () => cursor.nextValue());
  }

  async _next(): Promise<Buffer | undefined> {
    return this.#steps.take(1)[0];
  }

  async _nextv(size: number): Promise<Buffer[]> {
    return this.#steps.take(size);
  }

  async _all(): Promise<Buffer[]> {
    return this.#steps.take(this.limit - this.count);
  }

  _seek(target: Buffer): void {
    this.#steps.seek(target);
  }

  async _close(): Promise<void> {
    this.#steps.close();
  }
}
