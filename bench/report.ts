// Renders a run: the Markdown table (README and bench/results/results.md)
// and an SVG bar chart of the ratios, written by hand (a few rects and
// labels on a log scale).

import { type EngineName, PEERS } from './engines.js';
import type { Cell, Row } from './rows.js';

export interface RunInfo {
  date: string;
  scale: number;
  keys: number;
  machine: Record<string, string>;
  versions: Record<string, string>;
  modes: Record<string, Record<string, string>>;
  durationS: number;
}

function sig(x: number, digits = 3): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 10 ** digits) return Math.round(x).toString();
  return Number(x.toPrecision(digits)).toString();
}

export function formatValue(c: Cell | undefined, unit: Row['unit']): string {
  if (c === undefined) return '';
  if (c === null) return 'n/a';
  if (c === 'not available yet') return 'not available yet';
  if (typeof c === 'object') return 'error' in c ? `failed: ${c.error.split('\n')[0]!.slice(0, 80)}` : `skipped: ${c.skipped}`;
  switch (unit) {
    case 'ops/s':
      return c >= 1e6 ? `${sig(c / 1e6)}M/s` : c >= 1e3 ? `${sig(c / 1e3)}k/s` : `${sig(c)}/s`;
    case 'ms':
      return `${sig(c)} ms`;
    case 'MB/s':
      return `${sig(c)} MB/s`;
    case 'bytes':
      return c >= 1e6 ? `${sig(c / 1e6)} MB` : c >= 1e3 ? `${sig(c / 1e3)} kB` : `${c} B`;
    case 'B/key':
      return `${sig(c)} B`;
    case 'ratio':
      return sig(c);
  }
}

export function formatRatio(r: number | undefined): string {
  return r === undefined ? '' : `${sig(r, 2)}x`;
}

const COLUMNS: EngineName[] = ['logkv', ...PEERS];

export function markdown(rows: Row[], info: RunInfo): string {
  const out: string[] = [];
  out.push(`# logkv benchmark, ${info.date}`, '');
  out.push(`Scale ${info.scale} (${info.keys.toLocaleString('en-US')} keys), 16-byte keys, 100-byte values; ${Math.round(info.durationS)} s in all.`);
  out.push('Ratios are "times better than the peer" (above 1: logkv is ahead), from figures measured in this same run.', '');
  out.push(`| workload | ${COLUMNS.join(' | ')} | ${PEERS.map((p) => `vs ${p}`).join(' | ')} | target | met |`);
  out.push(`| --- | ${COLUMNS.map(() => '---:').join(' | ')} | ${PEERS.map(() => '---:').join(' | ')} | --- | --- |`);
  for (const r of rows) {
    const cells = COLUMNS.map((e) => formatValue(r.values[e], r.unit));
    const ratios = PEERS.map((p) => formatRatio(r.ratios[p]));
    const met = r.met === undefined ? (r.target ? 'not judged' : '') : r.met ? 'yes' : '**no**';
    out.push(`| ${r.label} | ${cells.join(' | ')} | ${ratios.join(' | ')} | ${r.target ?? ''} | ${met} |`);
  }
  out.push('', '## Machine', '');
  for (const [k, v] of Object.entries(info.machine)) out.push(`- ${k}: ${v}`);
  out.push('', '## Versions', '');
  for (const [k, v] of Object.entries(info.versions)) out.push(`- ${k} ${v}`);
  out.push('', '## Modes (each engine in its best mode for the workload)', '');
  for (const [engine, modes] of Object.entries(info.modes)) {
    out.push(`- **${engine}**`);
    for (const [w, m] of Object.entries(modes)) out.push(`  - ${w}: ${m}`);
  }
  const notes = rows.filter((r) => r.note);
  if (notes.length > 0) {
    out.push('', '## Notes', '');
    for (const r of notes) out.push(`- ${r.label}: ${r.note}`);
  }
  return `${out.join('\n')}\n`;
}

const COLOURS: Record<string, string> = { lmdb: '#4e79a7', 'classic-level': '#f28e2b', 'better-sqlite3': '#59a14f' };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Horizontal bars of log2(ratio) per workload and peer, 1x in the middle. */
export function svgChart(rows: Row[], info: RunInfo): string {
  const shown = rows.filter((r) => PEERS.some((p) => r.ratios[p] !== undefined));
  const labelW = 330;
  const plotW = 520;
  const bar = 11;
  const groupH = PEERS.length * bar + 12;
  const top = 58;
  const width = labelW + plotW + 80;
  const height = top + shown.length * groupH + 40;
  const maxLog = 5; // 32x either way; longer bars are clipped and labelled
  const mid = labelW + plotW / 2;
  const x = (r: number) => mid + (Math.max(-maxLog, Math.min(maxLog, Math.log2(r))) / maxLog) * (plotW / 2);
  const s: string[] = [];
  s.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  s.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  s.push(`<text x="10" y="18" font-size="14" font-weight="bold">logkv vs peers: times better (log scale; right of 1x: logkv ahead)</text>`);
  s.push(`<text x="10" y="34" fill="#555">${esc(`${info.date}, scale ${info.scale}, ${info.keys} keys, ${info.machine.cpu ?? ''}`)}</text>`);
  let lx = 10;
  for (const p of PEERS) {
    s.push(`<rect x="${lx}" y="42" width="10" height="10" fill="${COLOURS[p]}"/><text x="${lx + 14}" y="51">vs ${p}</text>`);
    lx += 130;
  }
  for (let k = -maxLog; k <= maxLog; k++) {
    const gx = mid + (k / maxLog) * (plotW / 2);
    const label = k >= 0 ? `${2 ** k}x` : `1/${2 ** -k}`;
    s.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${height - 30}" stroke="${k === 0 ? '#000' : '#ddd'}" stroke-width="${k === 0 ? 1.5 : 1}"/>`);
    s.push(`<text x="${gx}" y="${height - 16}" text-anchor="middle" fill="#555">${label}</text>`);
  }
  shown.forEach((r, i) => {
    const gy = top + i * groupH;
    s.push(`<text x="${labelW - 8}" y="${gy + groupH / 2}" text-anchor="end" dominant-baseline="middle">${esc(r.label)}</text>`);
    PEERS.forEach((p, j) => {
      const ratio = r.ratios[p];
      if (ratio === undefined) return;
      const y = gy + j * bar + 4;
      const x1 = Math.min(mid, x(ratio));
      const w = Math.max(1, Math.abs(x(ratio) - mid));
      s.push(`<rect x="${x1}" y="${y}" width="${w}" height="${bar - 2}" fill="${COLOURS[p]}"><title>${esc(`${r.label} vs ${p}: ${formatRatio(ratio)}`)}</title></rect>`);
      // The figure beside the bar's end; inside it when the bar runs to the left edge.
      const inside = ratio < 1 && x1 - labelW < 30;
      const tx = ratio >= 1 ? x1 + w + 3 : inside ? x1 + 3 : x1 - 3;
      const anchor = ratio >= 1 || inside ? 'start' : 'end';
      s.push(`<text x="${tx}" y="${y + bar - 3}" text-anchor="${anchor}" font-size="9"${inside ? ' fill="white"' : ''}>${formatRatio(ratio)}</text>`);
    });
  });
  s.push('</svg>');
  return `${s.join('\n')}\n`;
}
