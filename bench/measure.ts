// Measuring helpers: tinybench for repeated operations (latency percentiles
// come from its samples), a wall clock for one-shot workloads (a 1M-key load
// is one operation; repeating it inside one process would measure a store
// that is no longer fresh), and memory and disk accounting.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { Bench } from 'tinybench';

export interface Sampled {
  /** Mean, median and p99 of one call, ms. */
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  samples: number;
}

/** Runs `fn` repeatedly for about `timeMs` (and at least `minSamples` times) under tinybench, after a short warmup. */
export async function sample(name: string, fn: () => unknown, timeMs: number, minSamples = 10): Promise<Sampled> {
  const warmup = Math.max(1, minSamples >> 1);
  const bench = new Bench({ time: timeMs, iterations: minSamples, warmupTime: Math.min(200, timeMs / 10), warmupIterations: warmup });
  bench.add(name, fn);
  await bench.run();
  const r = bench.tasks[0]!.result;
  if (r.state === 'errored') throw r.error;
  if (r.state !== 'completed') throw new Error(`${name}: tinybench ended in state ${r.state}`);
  return { meanMs: r.latency.mean, p50Ms: r.latency.p50, p99Ms: r.latency.p99, samples: r.latency.samplesCount };
}

/** Wall time of one call of `fn`, ms. */
export async function timeOnce(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export interface Memory {
  /** V8 heap in use plus memory held outside it by JS objects (typed arrays, Buffers, addons that report it). */
  heap: number;
  rss: number;
}

/** Memory after a full GC (the child runs with --expose-gc). */
export function memoryNow(): Memory {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
}

/** Peak resident set size of this process so far, bytes. */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Bytes of all regular files under `dir`, recursively (apparent size). */
export function diskBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) total += diskBytes(p);
    else if (entry.isFile()) total += fs.statSync(p).size;
  }
  return total;
}
