// stats as text lines (one per segment, snapshot and journal file, in the
// dump's `name: value` style) or one JSON document.

import type { JournalStats, SegmentStats, SnapshotStats, StoreStats } from './collect.js';

export const percent = (r: number): string => `${(r * 100).toFixed(1)}%`;

export function segmentLine(s: SegmentStats): string {
  const state = s.unreadable ? ` unreadable: ${s.unreadable}` : s.damaged ? ' damaged: yes (run kvtool verify)' : '';
  return (
    `segment: ${s.file} baseOffset: ${s.baseOffset} nextOffset: ${s.nextOffset} size: ${s.size} data: ${s.data} ` +
    `live: ${s.live} dead: ${s.dead} garbage: ${percent(s.garbageRatio)} keys: ${s.keys} hint: ${s.hint} index: ${s.index}${state}`
  );
}

export function snapshotLine(s: SnapshotStats): string {
  const listed = s.listed ? 'listed' : 'not listed';
  if (s.error) return `snapshot: ${s.file} size: ${s.size} ${listed} error: ${s.error}`;
  return `snapshot: ${s.file} nextOffset: ${s.nextOffset} entries: ${s.entries} size: ${s.size} created: ${s.created} ${listed}`;
}

export function journalLine(j: JournalStats): string {
  const head = `journal: ${j.file} ${j.state}`;
  if (j.state === 'missing') return head;
  if (j.state === 'uninitialized') return `${head} fileSize: ${j.fileSize} used: 0 fill: 0.0% highWaterMark: ${percent(j.highWaterMark)}`;
  if (j.state === 'invalid') return `${head} error: ${j.error}`;
  return (
    `${head} generation: ${j.generation} fileSize: ${j.fileSize} used: ${j.used} fill: ${percent(j.fill!)} ` +
    `highWaterMark: ${percent(j.highWaterMark)} overHighWaterMark: ${j.overHighWaterMark}`
  );
}

export function renderStoreText(s: StoreStats): string[] {
  const offsets = s.firstOffset === undefined ? 'none' : `${s.firstOffset}..${s.nextOffset! - 1}`;
  const lines = [
    `store: ${s.path} valueEncoding: ${s.valueEncoding ?? 'unknown'} manifest: ${s.manifest} segments: ${s.segments.length} ` +
      `keys: ${s.keys} expired: ${s.expired}`,
    `offsets: ${offsets} nextOffset: ${s.nextOffset ?? 0} logStartOffset: ${s.logStartOffset} recoveryPoint: ${s.recoveryPoint ?? 'none'}`,
    ...s.segments.map(segmentLine),
    `total: data: ${s.total.data} live: ${s.total.live} dead: ${s.total.dead} garbage: ${percent(s.total.garbageRatio)}`,
    `snapshots: ${s.snapshots.length}`,
    ...s.snapshots.map(snapshotLine),
    ...s.journals.map(journalLine),
  ];
  return lines;
}
