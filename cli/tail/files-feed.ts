// The engine's change feed (src/log/change-feed.ts) over a store's files
// as kvtool sees them from outside: no lock, so it can follow a store that
// another process is writing. The feed asks its source for the live
// segments and for the newest offset it may deliver; here they come from
// the manifest (read as verify reads it) and from the newest segment's
// valid batches, polled every `pollMs`. A write shows once its batch is on
// disk whole and valid (its CRC checked by the feed), which can be just
// before the writer's fsync returns: from outside, that moment cannot be
// seen.

import fs from 'node:fs';
import path from 'node:path';
import { BatchReader, scanSegment } from '../../src/formats/log-segment-reader.js';
import { SEGMENT_HEADER_SIZE } from '../../src/formats/limits.js';
import { nodeFileIO } from '../../src/io/file-io.js';
import { handleSource } from '../../src/io/file-source.js';
import type { FeedSource } from '../../src/log/change-feed.js';
import type { Segment } from '../../src/log/segment-log.js';
import { LogkvError } from '../../src/errors.js';
import { storeLayout } from '../store/layout.js';
import { manifestPaths } from '../store/manifest-view.js';

export class FilesFeedSource implements FeedSource {
  readonly #dir: string;
  readonly #pollMs: number;
  readonly #byStem = new Map<string, Segment>();
  #segments: Segment[] = [];
  #nextId = 0;
  #manifestStamp = '';
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;

  constructor(dir: string, pollMs: number) {
    this.#dir = dir;
    this.#pollMs = pollMs;
    this.#refresh();
  }

  segments(): readonly Segment[] {
    return this.#segments;
  }

  isLive(id: number): boolean {
    return this.#segments.some((s) => s.id === id);
  }

  committed(): number {
    return this.#segments.at(-1)?.nextOffset ?? 0;
  }

  changed(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(() => {
        this.#wake = undefined;
        if (!this.#closed) this.#refresh();
        resolve();
      }, this.#pollMs);
    });
  }

  closed(): boolean {
    return this.#closed;
  }

  /** Ends the feed (its next() returns done) and closes the files. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#wake?.();
    for (const s of this.#byStem.values()) s.handle.close();
    this.#byStem.clear();
  }

  #refresh(): void {
    const stamp = manifestPaths(this.#dir)
      .map((p) => (fs.existsSync(p) ? `${fs.statSync(p).mtimeMs}:${fs.statSync(p).size}` : '-'))
      .join();
    if (stamp !== this.#manifestStamp || this.#segments.length === 0) {
      this.#manifestStamp = stamp;
      this.#relist();
    }
    const newest = this.#segments.at(-1);
    if (newest) advance(newest);
  }

  /** The segments the manifest lists now; the ones seen before keep their objects (the feed holds them). */
  #relist(): void {
    const layout = storeLayout(this.#dir);
    const names = layout.segments.filter((s) => !layout.missing.includes(s));
    const next: Segment[] = [];
    for (const [i, name] of names.entries()) {
      let s = this.#byStem.get(name.stem);
      if (!s) {
        const file = path.join(this.#dir, `${name.stem}.log`);
        let handle;
        try {
          handle = nodeFileIO.open(file, 'read');
        } catch (e) {
          // Gone between the listing and now (the cleaner replaced it): the next poll sees the new list.
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw e;
        }
        const size = handle.size();
        // A sealed segment was trimmed to its last batch when it was sealed; the newest is scanned to find its end.
        s = { id: this.#nextId++, stem: name.stem, baseOffset: name.baseOffset, path: file, handle, tail: size, fileSize: size, nextOffset: name.baseOffset, sealed: true };
        if (i === names.length - 1) {
          scanFrom(s);
          s.sealed = false;
        }
        this.#byStem.set(name.stem, s);
      }
      const sealed = i < names.length - 1;
      // The segment that was the newest until a roll: read on to its end, or the feed would skip its last batches.
      if (sealed && !s.sealed) advance(s);
      s.sealed = sealed;
      next.push(s);
    }
    for (const [stem, s] of this.#byStem) {
      if (!next.includes(s)) {
        s.handle.close();
        this.#byStem.delete(stem);
      }
    }
    this.#segments = next;
  }
}

/** Where the valid batches of a freshly seen newest segment end (read a window at a time). */
function scanFrom(s: Segment): void {
  try {
    const scan = scanSegment(handleSource(s.handle), { file: s.path });
    s.tail = scan.validUpTo;
    s.nextOffset = scan.nextOffset;
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
    // A header not written yet (a segment being created) holds nothing to read.
    s.tail = SEGMENT_HEADER_SIZE;
  }
}

/** Moves the newest segment's tail past the whole, valid batches written since the last poll. */
function advance(s: Segment): void {
  const head = Buffer.alloc(4);
  for (;;) {
    if (s.handle.read(head, s.tail) < 4) return;
    const length = head.readUInt32LE(0);
    if (length === 0) return;
    const bytes = Buffer.allocUnsafe(4 + length);
    if (s.handle.read(bytes, s.tail) < bytes.length) return;
    const step = new BatchReader(bytes).at(0, s.nextOffset);
    // Damage or a batch still being written: read again at the next poll.
    if (step.kind !== 'batch') return;
    s.tail += step.batch.size;
    s.nextOffset = step.batch.baseOffset + step.batch.lastOffsetDelta + 1;
  }
}
