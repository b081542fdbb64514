// Stores on the real file system whose hints and indexes are gone, for the
// tests of the hint-less open (hintless-open, recovery-threads): how they
// are made, and the check that a damaged batch in one of their segments is
// refused by a strict open (nothing written) and skipped by a salvage one.

import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { LogkvError } from '../../src/errors.js';
import { readSegment } from '../../src/formats/index.js';
import { LogStore } from '../../src/log/log-store.js';

/** A directory of its own, removed when `t` ends. */
export function scratchDir(t: Test, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface HintlessShape {
  segmentSize: number;
  writes: number;
  /** Keys the writes cycle through. */
  keys: number;
  /** Every this-many-th put is given an expiry (far in the future); none when not given. */
  expiryEvery?: number;
}

/** A store of many segments (keys overwritten and deleted across them), closed, then every hint and index removed; its live keys and values. */
export async function hintlessStore(dir: string, shape: HintlessShape): Promise<Map<string, string>> {
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: shape.segmentSize, autoCompact: false });
  const model = new Map<string, string>();
  for (let i = 0; i < shape.writes; i++) {
    const key = `key-${i % shape.keys}`;
    if (i % 17 === 0) {
      await s.delete(key);
      model.delete(key);
    } else {
      const value = `value-${i}-${'x'.repeat(i % 40)}`;
      await s.put(key, value, shape.expiryEvery !== undefined && i % shape.expiryEvery === 0 ? { expireAt: 4_000_000_000_000 } : undefined);
      model.set(key, value);
    }
  }
  await s.close();
  for (const n of readdirSync(dir)) if (n.endsWith('.hint') || n.endsWith('.index')) unlinkSync(join(dir, n));
  return model;
}

/** The segment files in `dir`, oldest first. */
export const segmentLogs = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.log')).sort();

/**
 * Flips a byte in the third batch of segment `victim`, then: a strict open
 * refuses with CORRUPT naming the segment and byte and writes nothing; a
 * salvage open reports the batch skipped. Returns the salvage-opened store
 * (the caller closes it).
 */
export async function damagedBatchRefusedThenSkipped(t: Test, dir: string, victim: string, segmentSize: number): Promise<LogStore<string>> {
  const bytes = readFileSync(victim);
  const batch = readSegment(bytes).batches[2]!;
  bytes[batch.position + Math.floor(batch.size / 2)]! ^= 0x20;
  writeFileSync(victim, bytes);
  const before = readdirSync(dir).sort();
  const refused = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(refused instanceof LogkvError && refused.code === 'CORRUPT', 'strict: CORRUPT');
  t.match((refused as LogkvError).message, `${victim} is damaged at byte ${batch.position}`);
  t.same(readdirSync(dir).sort(), before, 'nothing written');
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize, recovery: 'salvage' });
  t.match(s.openReport.damage, [{ file: victim, offset: batch.position, action: 'skipped' }]);
  return s;
}
