// A progress bar for long operations, on stderr and only when stderr is a
// terminal: piped or redirected, kvtool prints nothing but its output.
// `--quiet` turns it off too. Drawn at most every 100 ms, plus the first
// and the last frame, so a short operation still shows one.

import { CLEAR_LINE, type Terminal } from './terminal.js';

export interface Progress {
  /** Work done so far and in all, in bytes (or items). */
  update(done: number, total: number): void;
  /** Draws the last frame (100%) and clears the line. */
  finish(): void;
}

export type ProgressUnit = 'bytes' | 'items';

const FRAME_MS = 100;
const QUIET: Progress = { update() {}, finish() {} };

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** One frame: `label [#####.....]  50% 1.0 MiB/2.0 MiB`, fitted to the terminal's width. */
export function renderBar(label: string, done: number, total: number, columns: number, unit: ProgressUnit): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  const amounts = unit === 'bytes' ? `${formatBytes(done)}/${formatBytes(total)}` : `${done}/${total}`;
  const width = Math.max(10, Math.min(40, columns - label.length - pct.length - amounts.length - 6));
  const filled = Math.round(fraction * width);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct} ${amounts}`;
}

/** A bar labelled `label`; does nothing when stderr is not a terminal or with --quiet. */
export function progress(term: Terminal, quiet: boolean, label: string, unit: ProgressUnit = 'bytes'): Progress {
  if (quiet || !term.status.isTTY) return QUIET;
  let done = 0;
  let total = 0;
  let last = -Infinity;
  let finished = false;
  const draw = (force: boolean): void => {
    const now = term.now();
    if (!force && now - last < FRAME_MS) return;
    last = now;
    term.status.write(`\r${renderBar(label, done, total, term.status.columns, unit)}`);
  };
  return {
    update(d, t) {
      const first = last === -Infinity;
      done = d;
      total = t;
      draw(first);
    },
    finish() {
      if (finished || last === -Infinity) return;
      finished = true;
      done = total;
      draw(true);
      term.status.write(CLEAR_LINE);
    },
  };
}

/**
 * For an operation that reports no progress of its own (the engine's
 * compact, snapshot, restore): the label and the time it has taken,
 * redrawn every 100 ms, on a terminal only.
 */
export function spinner(term: Terminal, quiet: boolean, label: string): { stop(): void } {
  if (quiet || !term.status.isTTY) return { stop() {} };
  const started = term.now();
  const frames = ['|', '/', '-', '\\'];
  let i = 0;
  const draw = (): void => term.status.write(`\r${label} ${frames[i++ % frames.length]} ${((term.now() - started) / 1000).toFixed(1)} s`);
  draw();
  const timer = setInterval(draw, FRAME_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      term.status.write(CLEAR_LINE);
    },
  };
}
