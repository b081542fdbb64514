// Real stores made by the engine for the kvtool tests, with the history
// that made them, so a test can say what state a prefix of it gives.

import fs from 'node:fs';
import path from 'node:path';
import { LogStore } from '../../src/log/log-store.js';
import { readSegment } from '../../src/formats/log-segment-reader.js';
import { parseSegmentFileName } from '../../src/log/segment-names.js';

export interface Written {
  offset: number;
  key: string;
  /** undefined: a delete. */
  value: string | undefined;
}

export interface MadeStore {
  dir: string;
  /** One entry per offset, in order (every write here is one batch of one record). */
  history: Written[];
  /** The segment files, in log order. */
  segments: string[];
}

/**
 * A closed utf8 store of several 4 KiB segments: `writes` puts over 40
 * keys, every 7th write a delete of an earlier key.
 */
export async function makeStore(dir: string, writes = 260): Promise<MadeStore> {
  // durability 'none': the tests need the files, not a fsync per write (close flushes).
  // No background cleaner: the tests know which segment holds which offsets.
  const store = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: 4096, durability: 'none', autoCompact: false });
  const history: Written[] = [];
  for (let i = 0; i < writes; i++) {
    if (i % 7 === 6) {
      const key = `key${(i * 3) % 40}`;
      await store.delete(key);
      history.push({ offset: i, key, value: undefined });
    } else {
      const key = `key${i % 40}`;
      const value = `value ${i} ${'x'.repeat(i % 13)}`;
      await store.put(key, value);
      history.push({ offset: i, key, value });
    }
  }
  await store.close();
  return { dir, history, segments: segmentFiles(dir) };
}

export function segmentFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => parseSegmentFileName(n) !== undefined)
    .sort()
    .map((n) => path.join(dir, n));
}

/** The state the writes for which `keep` holds give, as sorted [key, value] pairs. */
export function stateOf(history: readonly Written[], keep: (w: Written) => boolean = () => true): Array<[string, string]> {
  const m = new Map<string, string>();
  for (const w of history) {
    if (!keep(w)) continue;
    if (w.value === undefined) m.delete(w.key);
    else m.set(w.key, w.value);
  }
  return [...m].sort(([a], [b]) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
}

/** Opens the store strictly and reads every entry; the report says whether open had anything to do. */
export async function openAndRead(dir: string): Promise<{ entries: Array<[string, string]>; clean: boolean }> {
  const store = await LogStore.open<string>(dir, { recovery: 'strict' });
  try {
    return { entries: [...store.entries()].map(([k, v]) => [k.toString('utf8'), v]), clean: store.openReport.clean };
  } finally {
    await store.close();
  }
}

/** Batches of a segment file: position, size and offsets. */
export function batchesOf(file: string): Array<{ position: number; size: number; baseOffset: number; lastOffset: number }> {
  return readSegment(fs.readFileSync(file), { resync: true }).batches.map((b) => ({
    position: b.position,
    size: b.size,
    baseOffset: b.baseOffset,
    lastOffset: b.baseOffset + b.lastOffsetDelta,
  }));
}

export function flipByte(file: string, at: number, mask = 0x20): void {
  const bytes = fs.readFileSync(file);
  bytes[at]! ^= mask;
  fs.writeFileSync(file, bytes);
}
