// The plan as a person reads it before saying yes: one numbered line per
// change, naming the file, the bytes, the offsets that go, and where they
// are kept; then what is left alone.

import path from 'node:path';
import { Op } from '../../src/formats/limits.js';
import { showKey } from '../format-value.js';
import type { Action, RecoveredBatch, RepairPlan } from './plan.js';
import { keptPath } from './apply.js';

function describe(plan: RepairPlan, lostDir: string, a: Action): string {
  const rel = (f: string) => path.relative(plan.dir, f);
  const lost = (f: string, suffix = '') => rel(keptPath(plan, lostDir, f, suffix));
  switch (a.kind) {
    case 'cut': {
      const fill = a.keep && a.keep.to < a.size ? ` (the ${a.size - a.keep.to} bytes of zero fill after them are not kept)` : '';
      const kept = a.keep ? `bytes ${a.keep.from}..${a.keep.to} go to ${lost(a.file, `.at-${a.at}`)}${fill}` : 'nothing but zero fill after it';
      const offsets = a.droppedOffsets ? `; drops the valid batches after it (offsets ${a.droppedOffsets.from}..${a.droppedOffsets.to - 1})` : '';
      return `cut ${rel(a.file)} at byte ${a.at} (of ${a.size}): ${a.damage.code} ${a.damage.reason} at byte ${a.damage.offset}; ${kept}${offsets}; ${a.why}`;
    }
    case 'rewrite': {
      const ranges = a.damage.map((d) => `${d.offset}..${d.offset + d.length} (${d.reason})`).join(', ');
      const records = a.recovered.reduce((n, b) => n + b.records.length, 0);
      const remade = a.recovered.reduce((n, b) => n + b.records.filter((r) => r.fromHint).length, 0);
      const recovered = records > 0 ? `, plus ${records} record${records === 1 ? '' : 's'} the engine serves recovered from the damaged bytes${remade > 0 ? ` (${remade} delete${remade === 1 ? '' : 's'} made again from the hint)` : ''}` : '';
      const gone = a.lost.length > 0 ? `; loses the newest value of ${a.lost.map((l) => `${l.key} (offset ${l.offset})`).join(', ')}, whose own records are damaged` : '';
      return `rewrite ${rel(a.file)} from its ${a.batchCount} valid batches${recovered} (${a.size} -> ${a.newSize} bytes), leaving out damaged bytes ${ranges}${gone}; the original goes to ${lost(a.file)}; ${a.why}`;
    }
    case 'move':
      return `move ${rel(a.file)} to ${lost(a.file)}: ${a.why}`;
    case 'hint':
      return `write ${rel(a.file)} from its segment (${a.why})${a.replaces ? `; the old one goes to ${lost(a.file)}` : ''}`;
    case 'recover-manifest':
      return `recover the manifest: ${a.why}; ${a.files.map((f) => `${rel(f)} is copied to ${lost(f)}`).join(', ') || 'its files are kept as they are'}`;
    case 'manifest': {
      const dropped = [...a.droppedSegments.map((s) => `segment ${s}`), ...a.droppedSnapshots.map((s) => `snapshot ${s}`)];
      return `manifest: list ${a.segments.length} segment${a.segments.length === 1 ? '' : 's'} (${a.why})${dropped.length ? `; drops ${dropped.join(', ')}` : ''}`;
    }
  }
}

export function renderPlan(plan: RepairPlan, lostDir: string): string[] {
  const n = plan.actions.length;
  const lines = [`repair ${plan.dir} (--${plan.mode}): ${n === 0 ? 'nothing to change' : `${n} change${n === 1 ? '' : 's'}`}`];
  plan.actions.forEach((a, i) => lines.push(`  ${i + 1}. ${describe(plan, lostDir, a)}`));
  for (const u of plan.untouched) lines.push(`  left alone: ${path.relative(plan.dir, u.file)}: ${u.why}`);
  for (const r of plan.risks) lines.push(`  risk: ${path.relative(plan.dir, r.file)} bytes ${r.range.from}..${r.range.to}: ${r.why}`);
  if (n > 0) lines.push(`Nothing is deleted: what leaves the store is kept in ${path.relative(plan.dir, lostDir)}/, with report.txt.`);
  return lines;
}

export function planJson(plan: RepairPlan, lostDir: string): Record<string, unknown> {
  return {
    path: plan.dir,
    mode: plan.mode,
    lostDir,
    changes: plan.actions.map((a) => ({ ...(a.kind === 'rewrite' ? { ...a, recovered: a.recovered.map(recoveredJson) } : a), text: describe(plan, lostDir, a) })),
    segments: plan.segments.map((s) => s.stem),
    untouched: plan.untouched,
    risks: plan.risks,
  };
}

/** A recovered batch for JSON: keys as text (or hex), values by size, not as Buffer objects. */
function recoveredJson(b: RecoveredBatch): Record<string, unknown> {
  return {
    at: b.at,
    timestampMs: b.timestampMs,
    records: b.records.map((r) => ({ op: r.op === Op.Delete ? 'delete' : 'put', key: showKey(r.key), valueSize: r.value.length, offset: r.offset, fromHint: r.fromHint })),
  };
}
