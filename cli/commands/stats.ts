// `kvtool stats PATH`: keys, live and dead bytes per segment, garbage
// ratio, offsets, snapshots, and the manifest journal's fill against its
// high-water mark. A single file gets the figures of its kind. Read-only,
// takes no lock.

import { LogkvError } from '../../src/errors.js';
import { checkHint } from '../../src/formats/hint-reader.js';
import { scanSnapshot } from '../../src/formats/snapshot-reader.js';
import { forEachIndexSlot } from '../../src/formats/segment-index-reader.js';
import { readStoreIdentity, storeIdText } from '../../src/formats/store-identity-reader.js';
import { readJournalFile } from '../../src/journal/journal-recovery.js';
import { nodeFileIO } from '../../src/io/file-io.js';
import type { Context } from '../context.js';
import { type FileRef, listFiles, type LogkvFile, withFile } from '../paths.js';
import { progress } from '../progress.js';
import { journalStats, liveBySegment, segmentStats, storeStats } from '../stats/collect.js';
import { journalLine, renderStoreText, segmentLine } from '../stats/render.js';
import { notAStoreError } from '../store/layout.js';
import { loadSegmentFile } from '../store/segments.js';
import { EXIT } from './exit-codes.js';

export interface StatsArgs {
  path: string;
  json: boolean;
  highWaterMark: number;
}

export function runStats(args: StatsArgs, ctx: Context): number {
  const listing = listFiles(args.path);
  const print = (doc: unknown, lines: string[]): number => {
    if (args.json) ctx.out.line(JSON.stringify(doc));
    else for (const l of lines) ctx.out.line(l);
    return EXIT.OK;
  };
  if (listing.isDirectory) {
    const bar = progress(ctx.term, ctx.quiet, 'stats');
    let stats;
    try {
      stats = storeStats(args.path, { now: Date.now(), highWaterMark: args.highWaterMark, onProgress: (d, t) => bar.update(d, t) });
    } finally {
      bar.finish();
    }
    if (!stats) throw notAStoreError(args.path);
    return print(stats, renderStoreText(stats));
  }
  const ref = listing.files[0]!;
  return withFile(ref, (read) => {
    if (read.kind === undefined) throw new LogkvError('BAD_MAGIC', `${ref.path} is not a logkv file`, { file: ref.path, offset: 0, reason: 'magic' });
    return fileStats(ref, read, args, print);
  });
}

function fileStats(ref: FileRef, read: LogkvFile, args: StatsArgs, print: (doc: unknown, lines: string[]) => number): number {
  const { source, size } = read;
  switch (read.kind) {
    case 'segment': {
      const seg = loadSegmentFile(ref.path, { stem: ref.name, baseOffset: 0, generation: 0 });
      if (seg.error) throw seg.error;
      seg.name.baseOffset = seg.scan!.header.baseOffset;
      const { live, keys, expired } = liveBySegment([seg], Date.now());
      const s = segmentStats(seg, live[0]!, keys[0]!);
      return print({ ...s, expired, records: seg.scan!.recordCount, batches: seg.scan!.batchCount }, [
        `${segmentLine(s)} expired: ${expired} batches: ${seg.scan!.batchCount} records: ${seg.scan!.recordCount}`,
      ]);
    }
    case 'journal': {
      const j = journalStats(readJournalFile(nodeFileIO, ref.path), true, args.highWaterMark);
      return print(j, [journalLine(j)]);
    }
    case 'hint': {
      const h = checkHint(source, ref.path);
      const doc = { file: ref.path, size, segmentBaseOffset: h.segmentBaseOffset, segmentNextOffset: h.segmentNextOffset, coveredLength: h.coveredLength, entries: h.entryCount, tombstones: h.tombstones };
      return print(doc, [
        `hint: ${doc.file} size: ${doc.size} segmentBaseOffset: ${doc.segmentBaseOffset} segmentNextOffset: ${doc.segmentNextOffset} coveredLength: ${doc.coveredLength} entries: ${doc.entries} tombstones: ${doc.tombstones}`,
      ]);
    }
    case 'index': {
      // Slots that share the hash of the slot before them: a lookup of either key reads both records.
      let shared = 0;
      let previous = -1;
      const h = forEachIndexSlot(source, (slot) => {
        if (slot.hash === previous) shared++;
        previous = slot.hash;
      }, ref.path);
      const doc = { file: ref.path, size, segmentBaseOffset: h.segmentBaseOffset, segmentNextOffset: h.segmentNextOffset, coveredLength: h.coveredLength, slots: h.slotCount, sharedHashes: shared };
      return print(doc, [
        `index: ${doc.file} size: ${doc.size} segmentBaseOffset: ${doc.segmentBaseOffset} segmentNextOffset: ${doc.segmentNextOffset} coveredLength: ${doc.coveredLength} slots: ${doc.slots} sharedHashes: ${shared}`,
      ]);
    }
    case 'snapshot': {
      let valueBytes = 0;
      const header = scanSnapshot(source, (e) => (valueBytes += e.key.length + e.value.length), ref.path);
      const doc = { file: ref.path, size, nextOffset: header.nextOffset, entries: header.entryCount, created: header.createdMs, keyAndValueBytes: valueBytes };
      return print(doc, [
        `snapshot: ${doc.file} nextOffset: ${doc.nextOffset} entries: ${doc.entries} size: ${doc.size} created: ${doc.created} keyAndValueBytes: ${valueBytes}`,
      ]);
    }
    case 'identity': {
      const id = readStoreIdentity(read.source, ref.path);
      const doc = { file: ref.path, size, storeId: storeIdText(id.storeId), created: id.createdMs };
      return print(doc, [`identity: ${doc.file} storeId: ${doc.storeId} created: ${doc.created}`]);
    }
  }
}
