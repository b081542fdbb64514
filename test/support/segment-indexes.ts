// Segment index files for test stores, made from their hints as the engine
// makes them (formats/segment_index.ksy: one slot per hint entry): the
// engine's writing of `<stem>.index` lands separately, and the tools and
// the cross-language check need stores that hold indexes now. A store
// whose engine already wrote them gets the same bytes again.

import fs from 'node:fs';
import path from 'node:path';
import { readHint } from '../../src/formats/hint-reader.js';
import { encodeSegmentIndex } from '../../src/formats/segment-index-writer.js';
import { hashKey } from '../../src/log/key-directory.js';
import { indexPath } from '../../src/log/segment-names.js';

/** The index a hint's entries make. */
export function indexOfHint(hint: Uint8Array): Buffer {
  const h = readHint(hint);
  return encodeSegmentIndex(h, h.entries.map((e) => ({ hash: hashKey(e.key), position: e.position, size: e.size })));
}

/** Writes `<stem>.index` beside every `<stem>.hint` of `dir`; returns their paths. */
export function writeIndexes(dir: string): string[] {
  const written: string[] = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.hint')).sort()) {
    const file = indexPath(dir, name.slice(0, -'.hint'.length));
    fs.writeFileSync(file, indexOfHint(fs.readFileSync(path.join(dir, name))));
    written.push(file);
  }
  return written;
}
