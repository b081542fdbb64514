// Damage to a file's bytes, as the corruption tests inflict it: a flipped
// bit, a zeroed range, a range of garbage, or truncation, anywhere. `at`
// is taken modulo the file's length, so one arbitrary value fits every file.

import fc from 'fast-check';
import { readSegment, scanJournal } from '../../src/formats/index.js';
import { seededRandom } from './memory-file-io.js';

export type FileDamage =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'zero'; at: number; length: number }
  | { kind: 'garbage'; at: number; length: number; seed: number }
  | { kind: 'truncate'; at: number };

export const damageArb: fc.Arbitrary<FileDamage> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('zero' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 600 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('garbage' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }), seed: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
);

/** Where the damage lands in a file of `size` bytes: [from, to) changed, or cut at `from`. */
export function damageRange(size: number, d: FileDamage): { from: number; to: number } {
  if (size === 0) return { from: 0, to: 0 };
  const at = d.at % size;
  if (d.kind === 'flip') return { from: at, to: at + 1 };
  if (d.kind === 'truncate') return { from: at, to: size };
  return { from: at, to: Math.min(size, at + d.length) };
}

/** A damaged copy of `bytes`. The damage always changes something (garbage equal to the bytes is redrawn). */
export function applyDamage(bytes: Buffer, d: FileDamage): Buffer {
  const out = Buffer.from(bytes);
  if (bytes.length === 0) return out;
  const { from, to } = damageRange(bytes.length, d);
  switch (d.kind) {
    case 'flip':
      out[from]! ^= 1 << d.bit;
      return out;
    case 'zero':
      return out.fill(0, from, to);
    case 'garbage': {
      const random = seededRandom(d.seed);
      do for (let i = from; i < to; i++) out[i] = Math.floor(random() * 256);
      while (out.subarray(from, to).equals(bytes.subarray(from, to)));
      return out;
    }
    case 'truncate':
      return out.subarray(0, from);
  }
}

/** Whether the damage changed any byte (zeroing zeros does not). */
export function changesBytes(bytes: Buffer, d: FileDamage): boolean {
  return !applyDamage(bytes, d).equals(bytes);
}

/** The damage leaves the file a clean shorter log or journal: records lost at a boundary, nothing to see. */
export function cleanCut(path: string, original: Buffer, damaged: Buffer): { kept: number; total: number } | undefined {
  try {
    if (path.endsWith('.log')) {
      const before = readSegment(original);
      const after = readSegment(damaged);
      if (after.damage.length > 0 || after.batches.length >= before.batches.length) return undefined;
      const same = after.batches.every((b, i) => b.position === before.batches[i]!.position && b.crc === before.batches[i]!.crc);
      return same ? { kept: after.batches.length, total: before.batches.length } : undefined;
    }
    if (/\.jrn[ab]$/.test(path)) {
      const before = scanJournal(original);
      const after = scanJournal(damaged);
      if (after.damage || after.frames.length >= before.frames.length) return undefined;
      return { kept: after.frames.length, total: before.frames.length };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

