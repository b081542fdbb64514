// The plan as a person reads it before saying yes: one numbered line per
// change, naming the file, the bytes, the offsets that go, and where they
// are kept; then what is left alone.

import path from 'node:path';
import type { Action, RepairPlan } from './plan.js';
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
      return `rewrite ${rel(a.file)} from its ${a.batches.length} valid batches (${a.size} -> ${a.newSize} bytes), leaving out damaged bytes ${ranges}; the original goes to ${lost(a.file)}; ${a.why}`;
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
  if (n > 0) lines.push(`Nothing is deleted: what leaves the store is kept in ${path.relative(plan.dir, lostDir)}/, with report.txt.`);
  return lines;
}

export function planJson(plan: RepairPlan, lostDir: string): Record<string, unknown> {
  return {
    path: plan.dir,
    mode: plan.mode,
    lostDir,
    changes: plan.actions.map((a) => ({ ...a, text: describe(plan, lostDir, a) })),
    segments: plan.segments.map((s) => s.stem),
    untouched: plan.untouched,
  };
}
