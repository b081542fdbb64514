// Segment index files for test stores, made from their hints and segments
// as the engine makes them (formats/segment_index.ksy: one slot per hint
// entry, the header naming the segment's last batch). The engine writes
// them beside every hint; tests that damage or remove one use these to
// know what it held, and a store's own index gets the same bytes again.

import fs from 'node:fs';
import path from 'node:path';
import { checkHint } from '../../src/formats/hint-reader.js';
import { readSegment } from '../../src/formats/log-segment-reader.js';
import { indexFromHint } from '../../src/log/segment-hint.js';
import { indexPath } from '../../src/log/segment-names.js';

/** The index a hint's entries make, for a segment whose last batch is at `lastBatchPosition` (0: none). */
export function indexOfHint(hint: Uint8Array, lastBatchPosition = 0): Buffer {
  return indexFromHint(checkHint(hint), lastBatchPosition);
}

/** The index of the segment `<stem>.log` of `dir` made from its hint. */
export function indexOfSegment(dir: string, stem: string): Buffer {
  const last = readSegment(fs.readFileSync(path.join(dir, `${stem}.log`))).batches.at(-1);
  return indexOfHint(fs.readFileSync(path.join(dir, `${stem}.hint`)), last?.position ?? 0);
}

/** Writes `<stem>.index` beside every `<stem>.hint` of `dir` (the engine's own bytes, for a store it wrote); returns their paths. */
export function writeIndexes(dir: string): string[] {
  const written: string[] = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.hint')).sort()) {
    const stem = name.slice(0, -'.hint'.length);
    const file = indexPath(dir, stem);
    fs.writeFileSync(file, indexOfSegment(dir, stem));
    written.push(file);
  }
  return written;
}
