// Crash at every I/O step, enumerated rather than sampled: while a scenario
// runs on a MemoryFileIO, an image of the disk is taken before each step
// (or each step in a window), in every way a crash can leave it, together
// with how much of the history was acknowledged at that moment. Images
// share buffers copy-on-write, so one run yields them all.

import type { CrashOptions, MemoryFileIO, Step } from './memory-file-io.js';

export interface Variant {
  name: string;
  options: CrashOptions;
}

/** Every way one crash point can leave the disk. */
export const VARIANTS: readonly Variant[] = [
  { name: 'power loss, unsynced writes dropped', options: { keep: 'none' } },
  { name: 'power loss, unsynced writes landed', options: { keep: 'all' } },
  { name: 'power loss, newest write torn (prefix)', options: { keep: 'all', tear: 'prefix' } },
  { name: 'power loss, newest write torn (last page zeroed)', options: { keep: 'all', tear: 'zero' } },
  { name: 'power loss, newest write torn (last page garbage)', options: { keep: 'all', tear: 'garbage' } },
  { name: 'names reached the disk before data', options: { keep: 'none', names: 'current' } },
  { name: 'process killed (page cache survives)', options: { keep: 'all', names: 'current' } },
];

export interface CrashPoint<Marks> {
  step: Step;
  /** What the test knew at that moment (acknowledged prefix, history length). */
  marks: Marks;
  images: Array<{ variant: Variant; io: MemoryFileIO }>;
}

/**
 * Takes images before every step of `io` for which `inWindow` says yes
 * (default: every step), until the returned stop function is called.
 */
export function capture<Marks>(io: MemoryFileIO, marks: () => Marks, inWindow: (step: Step) => boolean = () => true, variants: readonly Variant[] = VARIANTS) {
  const points: Array<CrashPoint<Marks>> = [];
  io.beforeStep = (step) => {
    if (!inWindow(step)) return;
    points.push({ step, marks: marks(), images: variants.map((variant) => ({ variant, io: io.crash(variant.options) })) });
  };
  return {
    points,
    stop: () => {
      io.beforeStep = undefined;
    },
  };
}

export function describeStep(s: Step): string {
  const where = s.kind === 'write' ? ` ${s.length} bytes at ${s.position}` : s.kind === 'truncate' ? ` to ${s.length}` : s.kind === 'rename' ? ` -> ${s.to}` : '';
  return `step ${s.n}: ${s.kind} ${s.path}${where}`;
}
