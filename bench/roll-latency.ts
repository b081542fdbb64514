// Put latency across segment rolls (issue 17): 64 durable puts in flight
// while the log rolls at least twice, and the same with a compaction or a
// snapshot started mid-run. Every put's latency is kept, so the max and
// p99.9 are of all of them, not of samples. logkv only: the peers have no
// segment roll; their durable latency is in the durable rows.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { LogStore } from '../src/log/log-store.js';
import type { EngineName } from './engines.js';
import type { Figures } from './phases.js';
import { keyAt, type Sizes, valueAt } from './workload.js';

const IN_FLIGHT = 64;
const FULL_SEGMENT = 64 * 1024 * 1024;
/** Log bytes per put: the record (16 + 16-byte key + 100-byte value) and its share of a batch frame. */
const BYTES_PER_PUT = 140;

type MidRun = 'compact' | 'snapshot' | undefined;

export async function rolls(engine: EngineName, dir: string, sizes: Sizes): Promise<Figures> {
  if (engine !== 'logkv') throw new Error('the roll phase measures logkv only');
  // Smaller segments at smaller scales, so a quick run still rolls twice.
  const segmentSize = Math.max(1 << 20, Math.round(FULL_SEGMENT * sizes.scale));
  const puts = Math.ceil((2.3 * segmentSize) / BYTES_PER_PUT);
  const figures: Figures = { rollSegmentBytes: segmentSize, rollPuts: puts, ...rawSyncLatency(dir, Math.max(2000, Math.round(20_000 * sizes.scale))) };
  for (const mid of [undefined, 'compact', 'snapshot'] as const) {
    const f = await putsOverRolls(join(dir, mid ?? 'plain'), segmentSize, puts, mid);
    for (const [k, v] of Object.entries(f)) figures[`${mid ?? 'plain'}${k}`] = v;
  }
  return figures;
}

async function putsOverRolls(dir: string, segmentSize: number, puts: number, mid: MidRun): Promise<Figures> {
  const store = await LogStore.open<Uint8Array>(dir, { durability: 'sync', segmentSize, autoCompact: false });
  const latency = new Float64Array(puts);
  let next = 0;
  let midMs: number | undefined;
  let midRun: Promise<void> | undefined;
  // Past the first roll (at ~43% of the puts): there is a sealed segment to compact, and writes go on around it.
  const midAt = Math.floor(puts * 0.55);
  const t0 = performance.now();
  const writer = async () => {
    while (next < puts) {
      const i = next++;
      if (i === midAt && mid) {
        const started = performance.now();
        midRun = (mid === 'compact' ? store.compact() : store.snapshot()).then(() => {
          midMs = performance.now() - started;
        });
      }
      // Every key is written twice: the first half's records become garbage for the cleaner.
      const k = i % Math.ceil(puts / 2);
      const s = performance.now();
      await store.put(keyAt(k), valueAt(i));
      latency[i] = performance.now() - s;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, writer));
  const wallMs = performance.now() - t0;
  const overlapped = midMs !== undefined ? 'finished while puts ran' : 'still running when the puts ended';
  await midRun;
  await store.close();
  latency.sort();
  const at = (p: number) => latency[Math.min(puts - 1, Math.floor(p * puts))]!;
  return {
    PutPerSec: (puts / wallMs) * 1000,
    P50Ms: at(0.5),
    P99Ms: at(0.99),
    P999Ms: at(0.999),
    MaxMs: latency[puts - 1]!,
    ...(mid ? { MidMs: midMs ?? null, MidOverlap: overlapped } : {}),
  };
}

/**
 * The disk's own tail, the reference for the rows above: a 64-put group is
 * one write of about 9 KB and one fdatasync, so no put can do better than
 * this loop's percentiles (and a put that arrives during a sync waits for
 * two). Measured in the same run, on the same file system.
 */
function rawSyncLatency(dir: string, syncs: number): Figures {
  fs.mkdirSync(dir, { recursive: true });
  const path = join(dir, 'raw-fdatasync');
  const size = 64 * 1024 * 1024;
  const fd = fs.openSync(path, 'w+');
  try {
    const zeros = Buffer.alloc(1024 * 1024);
    for (let at = 0; at < size; at += zeros.length) fs.writeSync(fd, zeros, 0, zeros.length, at);
    fs.fdatasyncSync(fd);
    const group = Buffer.alloc(IN_FLIGHT * BYTES_PER_PUT, 7);
    const latency = new Float64Array(syncs);
    let position = 0;
    for (let i = 0; i < syncs; i++) {
      const s = performance.now();
      fs.writeSync(fd, group, 0, group.length, position);
      fs.fdatasyncSync(fd);
      latency[i] = performance.now() - s;
      position = (position + group.length) % (size - group.length);
    }
    latency.sort();
    return { rawSyncP50Ms: latency[Math.floor(0.5 * syncs)]!, rawSyncP999Ms: latency[Math.floor(0.999 * syncs)]!, rawSyncMaxMs: latency[syncs - 1]! };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(path);
  }
}
