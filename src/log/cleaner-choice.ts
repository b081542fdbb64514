// Which sealed segments a cleaner run rewrites. Kafka's cleaner takes the
// dirtiest log first and skips what is already clean; ours takes, segment
// by segment, those whose share of garbage reaches the run's threshold, so
// a run over a log with one dirty segment in twenty reads and writes about
// that one segment, and its cost follows the garbage it removes rather than
// the size of the log.
//
// Chosen segments that are neighbours in the log form one group: a group's
// outputs stand exactly where its inputs stood (they cover the same offsets,
// never an unchosen segment's), so the log stays in offset order. A small
// segment (under a quarter of the segment size: most often an earlier run's
// output) next to a chosen one is taken along, so outputs merge instead of
// piling up as small files; Kafka's cleaner groups segments by size for the
// same reason. Reading it costs little, by its size.
//
// What this means for what a run may drop (cleaner.ts): a tombstone, or an
// expired put that is its key's newest record, hides older puts of its key.
// It may go only when no older file can hold such a put, that is when every
// segment older than it is rewritten by the same run: in a group that
// starts the log (`startsLog`). Elsewhere it is kept, and a later run that
// reaches back to the log start drops it.

import { BATCH_FRAME_SIZE, BATCH_HEADER_SIZE, SEGMENT_HEADER_SIZE } from '../formats/limits.js';
import type { Segment } from './segment-log.js';
import type { SegmentUsage } from './segment-usage.js';

export interface CleanerGroup {
  /** Neighbouring sealed segments, oldest first. */
  readonly segments: readonly Segment[];
  /** Whether the group starts the log: no segment older than it stays. */
  readonly startsLog: boolean;
  /** For each segment: offsets below this are stood for by an older segment (base segments of a store started from a snapshot: restore.ts). */
  readonly skipBelow: readonly number[];
}

/**
 * Share of a sealed segment's record bytes that no live key needs. Each live
 * record is charged a whole batch frame, as if written alone: an estimate
 * on the side of rewriting less, so a segment above 0 surely holds garbage.
 */
export function garbageShare(segment: Segment, usage: SegmentUsage): number {
  const total = segment.tail - SEGMENT_HEADER_SIZE;
  return total <= 0 ? 0 : 1 - liveEstimate(segment, usage) / total;
}

/** Live bytes of a segment, each live record charged a batch frame (see garbageShare). */
export function liveEstimate(segment: Segment, usage: SegmentUsage): number {
  return usage.liveBytes(segment.id) + usage.liveRecords(segment.id) * (BATCH_FRAME_SIZE + BATCH_HEADER_SIZE);
}

/**
 * The groups a run rewrites: every sealed segment (of `log`, in log order)
 * whose garbage share is above 0 and at least `minShare`. With `minShare`
 * 0 (compact()), a segment that holds tombstones or live records with an
 * expiry is chosen too: the share charges neither, yet a rewrite may drop
 * them (a tombstone that hides nothing any more, a value that expired).
 */
export function chooseGroups(log: readonly Segment[], usage: SegmentUsage, minShare: number, segmentSize: number): CleanerGroup[] {
  const active = log.findIndex((s) => !s.sealed);
  const sealed = active < 0 ? log : log.slice(0, active);
  const chosen = sealed.map((s) => {
    const share = garbageShare(s, usage);
    return (share > 0 && share >= minShare) || (minShare === 0 && (usage.expiringRecords(s.id) > 0 || usage.tombstones(s.id) > 0));
  });
  const small = (i: number) => sealed[i]!.tail < segmentSize / 4;
  for (let i = 1; i < sealed.length; i++) if (chosen[i - 1] && small(i)) chosen[i] = true;
  for (let i = sealed.length - 2; i >= 0; i--) if (chosen[i + 1] && small(i)) chosen[i] = true;

  const groups: CleanerGroup[] = [];
  let current: { segments: Segment[]; startsLog: boolean; skipBelow: number[] } | undefined;
  // Highest next offset of the segments before the one looked at.
  let coveredTo = 0;
  for (const [i, s] of sealed.entries()) {
    if (!chosen[i]) {
      current = undefined;
    } else {
      if (!current) groups.push((current = { segments: [], startsLog: i === 0, skipBelow: [] }));
      current.segments.push(s);
      current.skipBelow.push(coveredTo);
    }
    coveredTo = Math.max(coveredTo, s.nextOffset);
  }
  return groups;
}
