// The rows of the results table: which figure of which workload, whether
// more or less is better, and the target where it sets one. The
// ratio to a peer is always "times better than the peer" (> 1: logkv wins):
// logkv / peer for rates, peer / logkv for times, bytes and latencies.

import { type EngineName, PEERS } from './engines.js';
import type { Figures, PhaseName } from './phases.js';

/** `skipped`: the workload could not run here, and why (replication without nats-server). */
export type Cell = number | null | { error: string } | { skipped: string } | 'not available yet';
export type Results = Partial<Record<PhaseName, Partial<Record<EngineName, Figures | { error: string }>>>>;

export interface Row {
  id: string;
  label: string;
  unit: 'ops/s' | 'ms' | 'MB/s' | 'bytes' | 'B/key' | 'ratio';
  better: 'higher' | 'lower';
  values: Partial<Record<EngineName, Cell>>;
  /** logkv's advantage over each peer (> 1 better), where both have a number. */
  ratios: Partial<Record<EngineName, number>>;
  target?: string;
  /** undefined: no target, or no figure to judge. */
  met?: boolean;
  note?: string;
}

interface Spec {
  id: string;
  label: string;
  phase: PhaseName;
  field: string;
  unit: Row['unit'];
  better: Row['better'];
  /** Only these engines run it (default: all four). */
  only?: EngineName[];
  target?: { text: string; met(values: Row['values'], ratios: Row['ratios']): boolean | undefined };
  note?: string;
  /** Shown as "not available yet" when this figure says the feature is missing. */
  missingWhen?: (f: Figures) => boolean;
  /**
   * Judged against another row of the same run (the machine's own cost for
   * the same bytes): met at `atLeast` times it (a rate) or at most `atMost`
   * times it (a time).
   */
  reference?: { id: string; atLeast: number } | { id: string; atMost: number };
}

const num = (c: Cell | undefined): number | undefined => (typeof c === 'number' ? c : undefined);
const bestPeer = (v: Row['values'], better: Row['better']): number | undefined => {
  const xs = PEERS.map((p) => num(v[p])).filter((x): x is number => x !== undefined);
  if (PEERS.length === 0 || xs.length !== PEERS.length) return undefined;
  return better === 'higher' ? Math.max(...xs) : Math.min(...xs);
};

const SPECS: Spec[] = [
  {
    id: 'bulk-put', label: 'bulk put, 1M keys', phase: 'load', field: 'bulkPutPerSec', unit: 'ops/s', better: 'higher',
    target: { text: '>= 3x lmdb', met: (_v, r) => (r.lmdb === undefined ? undefined : r.lmdb >= 3) },
  },
  {
    id: 'bulk-put-sequential', label: 'bulk put, 1M keys in ascending order', phase: 'loadSequential', field: 'bulkPutPerSec', unit: 'ops/s', better: 'higher',
    target: { text: '>= 1.0x lmdb', met: (_v, r) => (r.lmdb === undefined ? undefined : r.lmdb >= 1) },
    note: 'key i: 12 zero bytes and i big-endian (ids from a counter); every other row uses keys that look random',
  },
  {
    id: 'durable-put', label: 'single durable put', phase: 'durable', field: 'durablePutPerSec', unit: 'ops/s', better: 'higher',
    target: { text: '>= best peer', met: (v) => { const b = bestPeer(v, 'higher'); const l = num(v.logkv); return b === undefined || l === undefined ? undefined : l >= b; } },
  },
  { id: 'durable-put-p50', label: 'single durable put, median latency', phase: 'durable', field: 'durablePutP50Ms', unit: 'ms', better: 'lower' },
  { id: 'durable-put-p99', label: 'single durable put, p99 latency', phase: 'durable', field: 'durablePutP99Ms', unit: 'ms', better: 'lower' },
  {
    id: 'durable-put-pool', label: 'single durable put, logkv default (fdatasync on its sync thread)', phase: 'durable', field: 'durablePutPoolPerSec', unit: 'ops/s', better: 'higher', only: ['logkv'],
    note: 'LogStore without syncOnMainThread: the event loop runs during each sync',
  },
  {
    id: 'roll-ref-sync-p99-9', label: 'reference: the disk alone, one 9 KB write + fdatasync (a 64-put group): p99.9 latency', phase: 'rolls', field: 'rawSyncP999Ms', unit: 'ms', better: 'lower', only: ['logkv'],
    note: 'no engine: writeSync + fdatasyncSync in a loop over preallocated space, just before the put runs below',
  },
  { id: 'roll-ref-sync-max', label: 'reference: the disk alone, one 9 KB write + fdatasync: max latency', phase: 'rolls', field: 'rawSyncMaxMs', unit: 'ms', better: 'lower', only: ['logkv'] },
  { id: 'roll-put-p50-plain', label: '64 durable puts in flight over 2 segment rolls: median latency', phase: 'rolls', field: 'plainP50Ms', unit: 'ms', better: 'lower', only: ['logkv'] },
  { id: 'roll-put-p99-plain', label: '64 durable puts in flight over 2 segment rolls: p99 latency', phase: 'rolls', field: 'plainP99Ms', unit: 'ms', better: 'lower', only: ['logkv'] },
  {
    id: 'roll-put-p99-9-plain', label: '64 durable puts in flight over 2 segment rolls: p99.9 latency', phase: 'rolls', field: 'plainP999Ms', unit: 'ms', better: 'lower', only: ['logkv'],
    target: { text: '<= 5 ms', met: (v) => (num(v.logkv) === undefined ? undefined : num(v.logkv)! <= 5) },
  },
  {
    id: 'roll-put-max-plain', label: '64 durable puts in flight over 2 segment rolls: max latency', phase: 'rolls', field: 'plainMaxMs', unit: 'ms', better: 'lower', only: ['logkv'],
    target: { text: '<= 25 ms', met: (v) => (num(v.logkv) === undefined ? undefined : num(v.logkv)! <= 25) },
    note: 'every put timed; the rate is in results.json (plainPutPerSec)',
  },
  { id: 'roll-put-p50-compact', label: '64 durable puts in flight over 2 segment rolls, compact() mid-run: median latency', phase: 'rolls', field: 'compactP50Ms', unit: 'ms', better: 'lower', only: ['logkv'] },
  { id: 'roll-put-p99-compact', label: '64 durable puts in flight over 2 segment rolls, compact() mid-run: p99 latency', phase: 'rolls', field: 'compactP99Ms', unit: 'ms', better: 'lower', only: ['logkv'] },
  {
    id: 'roll-put-p99-9-compact', label: '64 durable puts in flight over 2 segment rolls, compact() mid-run: p99.9 latency', phase: 'rolls', field: 'compactP999Ms', unit: 'ms', better: 'lower', only: ['logkv'],
    target: { text: '<= 5 ms', met: (v) => (num(v.logkv) === undefined ? undefined : num(v.logkv)! <= 5) },
  },
  {
    id: 'roll-put-max-compact', label: '64 durable puts in flight over 2 segment rolls, compact() mid-run: max latency', phase: 'rolls', field: 'compactMaxMs', unit: 'ms', better: 'lower', only: ['logkv'],
    target: { text: '<= 25 ms', met: (v) => (num(v.logkv) === undefined ? undefined : num(v.logkv)! <= 25) },
    note: 'every put timed; the rate is in results.json (compactPutPerSec); compact() itself took compactMidMs',
  },
  { id: 'roll-put-p50-snapshot', label: '64 durable puts in flight over 2 segment rolls, snapshot() mid-run: median latency', phase: 'rolls', field: 'snapshotP50Ms', unit: 'ms', better: 'lower', only: ['logkv'] },
  { id: 'roll-put-p99-snapshot', label: '64 durable puts in flight over 2 segment rolls, snapshot() mid-run: p99 latency', phase: 'rolls', field: 'snapshotP99Ms', unit: 'ms', better: 'lower', only: ['logkv'] },
  {
    id: 'roll-put-p99-9-snapshot', label: '64 durable puts in flight over 2 segment rolls, snapshot() mid-run: p99.9 latency', phase: 'rolls', field: 'snapshotP999Ms', unit: 'ms', better: 'lower', only: ['logkv'],
    target: { text: '<= 5 ms', met: (v) => (num(v.logkv) === undefined ? undefined : num(v.logkv)! <= 5) },
  },
  {
    id: 'roll-put-max-snapshot', label: '64 durable puts in flight over 2 segment rolls, snapshot() mid-run: max latency', phase: 'rolls', field: 'snapshotMaxMs', unit: 'ms', better: 'lower', only: ['logkv'],
    target: { text: '<= 25 ms', met: (v) => (num(v.logkv) === undefined ? undefined : num(v.logkv)! <= 25) },
    note: 'every put timed; the rate is in results.json (snapshotPutPerSec); snapshot() itself took snapshotMidMs',
  },
  {
    id: 'fdatasync-per-put', label: 'fdatasync calls per single put', phase: 'durable', field: 'fdatasyncPerPut', unit: 'ratio', better: 'lower', only: ['logkv'],
    target: { text: '<= 1', met: (v) => (num(v.logkv) === undefined ? undefined : num(v.logkv)! <= 1) },
    note: 'counted by the store (syncCount)',
  },
  {
    id: 'fdatasync-raw', label: 'raw fdatasync of this disk (128 B into preallocated space)', phase: 'fdatasync', field: 'fdatasyncPerSec', unit: 'ops/s', better: 'higher', only: ['logkv'],
    note: 'the disk, not an engine: writeSync + fdatasyncSync in a loop',
  },
  {
    id: 'fdatasync-raw-append', label: 'raw fdatasync of this disk (after a 128 B append)', phase: 'fdatasync', field: 'fdatasyncAppendPerSec', unit: 'ops/s', better: 'higher', only: ['logkv'],
    note: 'the disk, not an engine',
  },
  {
    id: 'concurrent-put', label: '100 concurrent durable puts', phase: 'durable', field: 'concurrentPutPerSec', unit: 'ops/s', better: 'higher',
    target: { text: '>= 2x best peer', met: (v) => { const b = bestPeer(v, 'higher'); const l = num(v.logkv); return b === undefined || l === undefined ? undefined : l >= 2 * b; } },
  },
  {
    id: 'random-get', label: 'random get over 1M keys', phase: 'load', field: 'getPerSec', unit: 'ops/s', better: 'higher',
    target: { text: '>= 1.5x lmdb getBinaryFast', met: (_v, r) => (r.lmdb === undefined ? undefined : r.lmdb >= 1.5) },
  },
  {
    id: 'hot-get', label: 'skewed get over 1M keys (a hot 20% of keys takes 80% of gets)', phase: 'load', field: 'hotGetPerSec', unit: 'ops/s', better: 'higher',
    target: { text: '>= 1.5x lmdb getBinaryFast', met: (_v, r) => (r.lmdb === undefined ? undefined : r.lmdb >= 1.5) },
  },
  {
    id: 'reopen', label: 'reopen 1M keys until the first get returns', phase: 'reopen', field: 'reopenMs', unit: 'ms', better: 'lower',
    target: { text: '<= classic-level', met: (_v, r) => (r['classic-level'] === undefined ? undefined : r['classic-level'] >= 1) },
    note: 'fresh process each time, page cache warm; median of the runs',
  },
  {
    id: 'reopen-loaded', label: 'reopen 1M keys until every key is in memory', phase: 'reopen', field: 'loadedMs', unit: 'ms', better: 'lower',
    only: ['logkv'],
    note: "logkv only: gets are served from the segment indexes from the first moment; this is when its background load ends",
  },
  {
    id: 'reopen-4x', label: 'reopen 4M keys until the first get returns', phase: 'reopen4x', field: 'reopenMs', unit: 'ms', better: 'lower',
    target: { text: "logkv <= 2x its own 1M figure", met: () => undefined },
    note: 'fresh process each time, page cache warm; median of the runs',
  },
  {
    id: 'open-scan', label: 'open, then 10k keys in key order from a random key', phase: 'reopenScan', field: 'openScanMs', unit: 'ms', better: 'lower',
    note: 'fresh process, 1M-key store, page cache warm: what a range read costs right after open',
  },
  { id: 'scan-after-open', label: 'the 10k-key scan alone, right after open', phase: 'reopenScan', field: 'scanMs', unit: 'ms', better: 'lower' },
  { id: 'overwrite', label: '1M overwrites over 10k keys', phase: 'overwrite', field: 'overwritePerSec', unit: 'ops/s', better: 'higher' },
  { id: 'disk-before', label: 'disk bytes after the overwrites', phase: 'overwrite', field: 'diskBytesBefore', unit: 'bytes', better: 'lower' },
  {
    id: 'disk-after', label: 'disk bytes after compaction (all files)', phase: 'overwrite', field: 'diskBytesAfter', unit: 'bytes', better: 'lower',
    missingWhen: () => true,
    note: "logkv: the log segments, the compacted segment's hint (35 B a key) and the manifest's two 256 KiB journals, after close()",
  },
  {
    id: 'log-after', label: 'log segment bytes after compaction', phase: 'overwrite', field: 'segmentBytesAfter', unit: 'bytes', better: 'lower', only: ['logkv'],
    target: { text: '<= 1.1x live data (10k log records of 132 B)', met: () => undefined },
    missingWhen: () => true,
    note: 'what the cleaner leaves of the log: segment files only, after close() (hint and manifest in the all-files row)',
  },
  {
    id: 'compact-time', label: 'compaction time', phase: 'overwrite', field: 'compactMs', unit: 'ms', better: 'lower', missingWhen: () => true,
    target: {
      text: "logkv <= classic-level's compactRange",
      met: (v) => (num(v.logkv) === undefined || num(v['classic-level']) === undefined ? undefined : num(v.logkv)! <= num(v['classic-level'])!),
    },
  },
  {
    id: 'dirty-one-io', label: 'compact() with 1 dirty segment of 20: bytes the cleaner read + wrote, per byte of that segment', phase: 'dirtySegment', field: 'cleanerIoRatio', unit: 'ratio', better: 'lower', only: ['logkv'],
    target: { text: '<= 2x', met: (v) => (num(v.logkv) === undefined ? undefined : num(v.logkv)! <= 2) },
    note:
      "the process's read and write system calls (/proc/self/io rchar + wchar, worker threads included, counted once the hint writing and file removal it leaves beside the writes are done) during that compact(), less those of a compact() with nothing dirty (the roll it starts with: the next segment's zero fill, the sealed segment's hint); half the dirty segment's keys were written again; bytes in results.json",
  },
  { id: 'dirty-one-io-all', label: 'the same, all of compact() (its roll included)', phase: 'dirtySegment', field: 'dirtyIoRatio', unit: 'ratio', better: 'lower', only: ['logkv'] },
  { id: 'dirty-one-time', label: 'compact() with 1 dirty segment of 20: time', phase: 'dirtySegment', field: 'dirtyCompactMs', unit: 'ms', better: 'lower', only: ['logkv'] },
  {
    id: 'recovery-ref', label: 'reference: plain sequential read of the segments', phase: 'recovery', field: 'plainReadMBps', unit: 'MB/s', better: 'higher', only: ['logkv'],
    note: '1 MiB reads into one buffer, nothing parsed; it and the recovery below each start from an empty page cache (dropped as root; results.json coldCache says whether it was)',
  },
  {
    id: 'recovery', label: 'recovery without hints (open, full scan)', phase: 'recovery', field: 'recoveryMBps', unit: 'MB/s', better: 'higher', only: ['logkv'],
    reference: { id: 'recovery-ref', atLeast: 0.5 },
    note: "segment bytes / time of LogStore.open() and the first get: open reads every segment whole (batch CRCs, every field) and serves gets from that scan; the keys go into the directory and the sealed segments' hints are written after open (next row)",
  },
  {
    id: 'recovery-loaded', label: 'recovery without hints: until every key is in memory', phase: 'recovery', field: 'recoveryLoadedMs', unit: 'ms', better: 'lower', only: ['logkv'],
    note: 'open, the first get, then the background load of the key directory (whenLoaded())',
  },
  {
    id: 'scan', label: 'segment reader alone (bytes in memory)', phase: 'recovery', field: 'scanMBps', unit: 'MB/s', better: 'higher', only: ['logkv'],
    note: 'scanSegment() over the segments already read into memory: batch CRCs (native), every field, and each record CRC (JS: a native call costs more for 132 bytes)',
  },
  {
    id: 'verify-ref', label: "reference: plain sequential read of the store's files", phase: 'verify', field: 'plainReadMBps', unit: 'MB/s', better: 'higher', only: ['logkv'],
    note: 'the files verify checks, 1 MiB reads into one buffer, nothing parsed; it and verify each start from an empty page cache (as for recovery)',
  },
  {
    id: 'verify', label: 'kvtool verify', phase: 'verify', field: 'verifyMBps', unit: 'MB/s', better: 'higher', only: ['logkv'],
    reference: { id: 'verify-ref', atLeast: 0.5 },
    note: "the verify command in process over the 1M-key store, --jobs as its default (the cores; node's start-up not counted)",
  },
  {
    id: 'dump-json', label: 'kvtool dump --json of the store (MB/s of segment bytes)', phase: 'verify', field: 'dumpJsonMBps', unit: 'MB/s', better: 'higher', only: ['logkv'],
    target: { text: '>= 100 MB/s', met: (v) => (num(v.logkv) === undefined ? undefined : num(v.logkv)! >= 100) },
    note: 'the command as a user runs it (its own process, start-up included), output to /dev/null; hints and journals are dumped too',
  },
  {
    id: 'snapshot-ref-write', label: "reference: plain sequential write + fdatasync of the snapshot's bytes", phase: 'snapshot', field: 'plainWriteMBps', unit: 'MB/s', better: 'higher', only: ['logkv'],
    note: '1 MiB writes of non-zero bytes to a new file in the store directory, one fdatasync',
  },
  { id: 'snapshot-ref-sha', label: 'reference: SHA-256 of the snapshot file', phase: 'snapshot', field: 'sha256MBps', unit: 'MB/s', better: 'higher', only: ['logkv'], note: 'node:crypto over the file in memory' },
  {
    id: 'snapshot-write', label: 'snapshot write', phase: 'snapshot', field: 'snapshotWriteMBps', unit: 'MB/s', better: 'higher', only: ['logkv'],
    missingWhen: (f) => f.snapshotAvailable === false, reference: { id: 'snapshot-ref-write', atLeast: 0.5 },
  },
  {
    id: 'snapshot-restore', label: 'snapshot restore', phase: 'snapshot', field: 'snapshotRestoreMBps', unit: 'MB/s', better: 'higher', only: ['logkv'],
    missingWhen: (f) => f.snapshotAvailable === false, reference: { id: 'snapshot-ref-write', atLeast: 0.5 },
  },
  {
    id: 'heap-per-key', label: 'heap per key after loading 1M keys', phase: 'load', field: 'heapPerKey', unit: 'B/key', better: 'lower',
    target: { text: 'logkv <= 100 B beyond the 16 key bytes', met: (v) => (num(v.logkv) === undefined ? undefined : num(v.logkv)! - 16 <= 100) },
    note: 'V8 heap + external memory after GC, minus the same before the store was opened; native caches of the peers are not in it (see RSS)',
  },
  { id: 'rss-per-key', label: 'RSS per key after loading 1M keys', phase: 'load', field: 'rssPerKey', unit: 'B/key', better: 'lower', note: 'resident set after GC minus before opening; lmdb counts its mapped pages' },
  { id: 'peak-rss-per-key', label: 'peak RSS per key while loading 1M keys', phase: 'load', field: 'peakRssPerKey', unit: 'B/key', better: 'lower' },
  {
    id: 'heap-per-key-4x', label: 'heap per key after loading 4M keys', phase: 'load4x', field: 'heapPerKey', unit: 'B/key', better: 'lower',
    target: { text: 'logkv <= 40 B beyond the 16 key bytes', met: (v) => (num(v.logkv) === undefined ? undefined : num(v.logkv)! - 16 <= 40) },
    note: 'V8 heap + external memory after GC, as at 1M',
  },
  { id: 'rss-per-key-4x', label: 'RSS per key after loading 4M keys', phase: 'load4x', field: 'rssPerKey', unit: 'B/key', better: 'lower' },
  {
    id: 'repl-put-plain', label: 'replication: reference: durable puts, 64 in flight, no mirror', phase: 'replication', field: 'plainPutPerSec', unit: 'ops/s', better: 'higher', only: ['logkv'],
    note: "LogStore's default durable mode (fdatasync on the store's sync thread), a store beside the mirrored one, in rounds taking turns with it; the best round",
  },
  {
    id: 'repl-put-mirrored', label: 'replication: durable puts, 64 in flight, mirrored into an R3 stream', phase: 'replication', field: 'mirroredPutPerSec', unit: 'ops/s', better: 'higher', only: ['logkv'],
    reference: { id: 'repl-put-plain', atLeast: 0.9 },
    note: "the leader's put rate while mirror() publishes (256 in flight) to a 3-node nats-server cluster on loopback that shares the same 2 cores; the best round",
  },
  {
    id: 'repl-put-through', label: 'replication: the same, until the stream acknowledged every write', phase: 'replication', field: 'mirroredThroughPerSec', unit: 'ops/s', better: 'higher', only: ['logkv'],
    note: "writes / time from the round's first put to the stream's acknowledgement of its last (onPublished): what the mirror keeps up with",
  },
  { id: 'repl-lag-p50', label: 'replication: mirror lag at a steady 5k writes/s, median', phase: 'replication', field: 'lagP50Ms', unit: 'ms', better: 'lower', only: ['logkv'] },
  {
    id: 'repl-lag-p99', label: 'replication: mirror lag at a steady 5k writes/s, p99', phase: 'replication', field: 'lagP99Ms', unit: 'ms', better: 'lower', only: ['logkv'],
    target: { text: '< 100 ms', met: (v) => (num(v.logkv) === undefined ? undefined : num(v.logkv)! < 100) },
    note: "every write timed from its put() resolving (durable on the leader) to the stream's acknowledgement; the rate reached and the max are in results.json",
  },
  {
    id: 'repl-follower-apply', label: 'replication: follower applying the stream from an empty directory', phase: 'replication', field: 'followerApplyPerSec', unit: 'ops/s', better: 'higher', only: ['logkv'],
    note: 'every write of the rows above (results.json: followerWrites), from follow() to caughtUp()',
  },
  {
    id: 'repl-catchup-ref', label: 'replication: reference: restore() of a local 1M-key snapshot + a plain read of the stream tail', phase: 'replicationCatchUp', field: 'catchUpReferenceMs', unit: 'ms', better: 'lower', only: ['logkv'],
    note: 'the snapshot file on the local disk; the tail (1% of the keys written again) read by an ordered consumer, nothing parsed',
  },
  {
    id: 'repl-catchup', label: 'replication: a new follower of a 1M-key store catching up (snapshot object + stream tail)', phase: 'replicationCatchUp', field: 'catchUpMs', unit: 'ms', better: 'lower', only: ['logkv'],
    reference: { id: 'repl-catchup-ref', atMost: 2 },
    note: 'follow() into an empty directory until caughtUp(): the snapshot object downloaded from the R3 object store, checked, restored, then the tail applied',
  },
  { id: 'journal-set', label: 'JournalStore set (durable, default 1 MiB files)', phase: 'journal', field: 'journalSetPerSec', unit: 'ops/s', better: 'higher', only: ['logkv'], note: '100 keys, 100 B values; no peer runs this' },
  { id: 'journal-get', label: 'JournalStore get (default 1 MiB files)', phase: 'journal', field: 'journalGetPerSec', unit: 'ops/s', better: 'higher', only: ['logkv'], note: '100 keys; no peer runs this' },
];

/** The table, from the figures of every workload. */
export function buildRows(results: Results): Row[] {
  const rows = SPECS.map((s) => {
    const values: Row['values'] = {};
    const engines: readonly EngineName[] = s.only ?? ['logkv', ...PEERS];
    for (const e of engines) {
      const f = results[s.phase]?.[e];
      if (f === undefined) continue;
      if ('error' in f && typeof f.error === 'string') {
        values[e] = { error: f.error };
        continue;
      }
      const figures = f as Figures;
      if (typeof figures.skipped === 'string') {
        values[e] = { skipped: figures.skipped };
        continue;
      }
      const v = figures[s.field];
      if (e === 'logkv' && (v === null || v === undefined) && s.missingWhen?.(figures)) values[e] = 'not available yet';
      else values[e] = typeof v === 'number' ? v : null;
    }
    const ratios: Row['ratios'] = {};
    const mine = num(values.logkv);
    for (const p of PEERS) {
      const theirs = num(values[p]);
      // A memory delta can come out at or below zero (noise, GC): no ratio of those.
      if (mine === undefined || theirs === undefined || !(mine > 0) || !(theirs > 0)) continue;
      ratios[p] = s.better === 'higher' ? mine / theirs : theirs / mine;
    }
    const row: Row = { id: s.id, label: s.label, unit: s.unit, better: s.better, values, ratios };
    if (s.target) {
      row.target = s.target.text;
      const met = s.target.met(values, ratios);
      if (met !== undefined) row.met = met;
    }
    if (s.note) row.note = s.note;
    return row;
  });
  judgeAgainstReferences(rows);
  return rows;
}

/** A row with a reference: its target is a multiple of the reference row's figure from the same run, and the note says the ratio. */
function judgeAgainstReferences(rows: Row[]): void {
  for (const s of SPECS) {
    const reference = s.reference;
    if (!reference) continue;
    const row = rows.find((r) => r.id === s.id)!;
    const ref = rows.find((r) => r.id === reference.id)!;
    const what = ref.label.replace(/^(replication: )?reference: /, '');
    row.target = 'atLeast' in reference ? `>= ${reference.atLeast}x ${what}` : `<= ${reference.atMost}x ${what}`;
    const mine = num(row.values.logkv);
    const theirs = num(ref.values.logkv);
    if (mine === undefined || theirs === undefined || !(theirs > 0)) continue;
    row.met = 'atLeast' in reference ? mine >= reference.atLeast * theirs : mine <= reference.atMost * theirs;
    const ratio = `${(mine / theirs).toFixed(2)}x the reference (${theirs.toFixed(0)} ${ref.unit})`;
    row.note = row.note ? `${row.note}; ${ratio}` : ratio;
  }
}

/** Judges the compaction target from its own figures (live bytes come from the workload). */
/** Reopen at 4x the keys is judged against logkv's own figure at 1x: open time should not grow with the keys. */
export function judgeReopen(rows: Row[]): void {
  const at1 = num(rows.find((r) => r.id === 'reopen')?.values.logkv);
  const row = rows.find((r) => r.id === 'reopen-4x');
  const at4 = num(row?.values.logkv);
  if (!row || at1 === undefined || at4 === undefined) return;
  row.met = at4 <= 2 * at1;
  row.note = `${row.note}; logkv ${(at4 / at1).toFixed(2)}x its 1M figure`;
}

export function judgeCompaction(rows: Row[], results: Results): void {
  const row = rows.find((r) => r.id === 'log-after');
  const f = results.overwrite?.logkv;
  if (!row || !f || 'error' in f) return;
  const after = (f as Figures).diskBytesAfter;
  const before = (f as Figures).diskBytesBefore;
  const live = (f as Figures).liveBytes;
  const log = (f as Figures).segmentBytesAfter;
  if (typeof log === 'number' && typeof live === 'number') {
    row.met = log <= 1.1 * live;
    row.note = `${row.note}; ${(log / live).toFixed(3)}x live data, all files ${typeof after === 'number' ? (after / live).toFixed(2) : '?'}x`;
  }
  // A compaction that reclaimed nothing is not fast, it did no work: no ratio for its time.
  const time = rows.find((r) => r.id === 'compact-time');
  if (time && typeof after === 'number' && typeof before === 'number' && after >= before) {
    time.ratios = {};
    time.note = `logkv's compact() reclaimed nothing in this run (${before} bytes before and after), so its time is not compared`;
  }
}
