// explain's report: the file and the byte, what the reader says of the
// stretch holding it, the field (with its place in the .ksy), its value,
// the path of structures down to it, and the bytes around it with the
// field underlined and the byte marked.

import type { FileKind } from '../file-kind.js';
import { hexOf, showKey } from '../format-value.js';
import { CommonDebug } from './debug-parsers.js';
import { type BytesHead, isBytesHead, type PathStep, type Piece } from './locate.js';
import type { Explained } from './structure.js';

const SPEC: Record<FileKind, string> = { segment: 'log_segment', hint: 'hint', index: 'segment_index', snapshot: 'snapshot', journal: 'journal', identity: 'store_identity' };
const upperCamel = (s: string): string => s.replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase());

/** Where the field is declared: `formats/log_segment.ksy types/record seq key_length`. */
export function specPlace(kind: FileKind, step: PathStep): string {
  const field = step.field.replace(/\[\d+\]$/, '');
  const file = upperCamel(step.inType) in CommonDebug ? 'common' : SPEC[kind];
  return step.inType === SPEC[kind] ? `formats/${file}.ksy seq ${field}` : `formats/${file}.ksy types/${step.inType} seq ${field}`;
}

/** Bytes as shown: at most their first 64, and how many there are. */
function bytesText({ head, length }: BytesHead): string {
  const shown = length > 64 ? `0x${hexOf(head.subarray(0, 64))}... (${length} bytes)` : `0x${hexOf(head)} (${length} byte${length === 1 ? '' : 's'})`;
  const k = showKey(head.subarray(0, 64));
  return length > 0 && k.text !== undefined ? `${shown} ${JSON.stringify(k.text)}` : shown;
}

export function valueText(v: unknown): string {
  if (typeof v === 'number') return `${v} (0x${v.toString(16)})`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Uint8Array) return bytesText({ head: v, length: v.length });
  if (isBytesHead(v)) return bytesText(v);
  if (Array.isArray(v)) return `${v.length} elements`;
  if (v === undefined) return '(not read)';
  return String(v);
}

const span = (s: { start: number; end: number | undefined }): string => `${s.start}..${s.end ?? '?'}`;

export interface HexRow {
  offset: number;
  hex: string;
  marks: string;
  ascii: string;
}

/** The file positions [first, last) the hex rows around `at` show: whole 16-byte rows, `context` bytes either side of it. */
export function hexSpan(at: number, context: number, size: number): { first: number; last: number } {
  return { first: Math.max(0, Math.floor((at - context) / 16) * 16), last: Math.min(size, Math.ceil((at + context + 1) / 16) * 16) };
}

/**
 * 16-byte rows around `at` from `around`, the bytes hexSpan names, of a file
 * of `size` bytes; `[xx]` is the byte, `~~` under the field's bytes and
 * `^^` under the byte.
 */
export function hexRows(around: Piece, size: number, at: number, field: { start: number; end: number | undefined }): HexRow[] {
  const first = around.start;
  const last = first + around.bytes.length;
  const rows: HexRow[] = [];
  const fieldEnd = field.end ?? size;
  for (let row = first; row < last; row += 16) {
    let hex = '';
    let marks = '';
    let ascii = '';
    for (let i = row; i < row + 16; i++) {
      if (i >= last) {
        hex += '   ';
        marks += '   ';
        continue;
      }
      const b = around.bytes[i - first]!;
      hex += i === at ? `[${b.toString(16).padStart(2, '0')}` : `${i === at + 1 ? ']' : ' '}${b.toString(16).padStart(2, '0')}`;
      marks += ` ${i === at ? '^^' : i >= field.start && i < fieldEnd ? '~~' : '  '}`;
      ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    if (at === row + 15) hex += ']';
    rows.push({ offset: row, hex, marks: marks.trimEnd(), ascii });
  }
  return rows;
}

/** What is shown of a file around byte `at`: its size and the bytes hexSpan names. */
export interface Around {
  size: number;
  at: number;
  bytes: Piece;
}

const byteAt = (a: Around): number => a.bytes.bytes[a.at - a.bytes.start]!;

export function renderExplainText(file: string, kind: FileKind, around: Around, e: Explained): string[] {
  const { at, size } = around;
  const leaf = e.path.at(-1)!;
  const root = e.path[0]!.field;
  const fields = e.path.slice(1).map((s) => s.field);
  const lines = [
    `${file}: ${kind}, ${size} bytes; byte ${at} (0x${at.toString(16)}) is 0x${byteAt(around).toString(16).padStart(2, '0')}`,
    `status: ${e.status}`,
  ];
  if (e.path.length === 1) {
    lines.push(`field: none: the ${root} parser stopped before byte ${at}${e.error ? ` (${e.error.message})` : ''}`);
  } else {
    const n = leaf.end === undefined ? 0 : leaf.end - leaf.start;
    const size = leaf.end === undefined ? 'unfinished' : `${n} byte${n === 1 ? '' : 's'}`;
    lines.push(`field: ${[root, ...fields].join('.')} (${specPlace(kind, leaf)}), bytes ${span(leaf)} (${size}, this is byte ${at - leaf.start} of it)`);
    lines.push(`value: ${valueText(e.value)}`);
  }
  lines.push(`path: ${e.path.map((s) => `${s.field} ${span(s)}`).join(' > ')}`);
  if (e.error) lines.push(`parser: stopped with ${e.error.name}: ${e.error.message}`);
  for (const r of hexRows(around.bytes, size, at, leaf)) {
    lines.push(`  ${r.offset.toString(16).padStart(8, '0')} ${r.hex}  |${r.ascii}|`);
    if (r.marks) lines.push(`  ${' '.repeat(8)} ${r.marks}`);
  }
  return lines;
}

/** A field's value in JSON: bytes as hex; of bytes read only in part (a long zero fill), the hex of what was read and the length. */
function valueJson(v: unknown): Record<string, unknown> {
  if (v instanceof Uint8Array) return { valueHex: hexOf(v) };
  if (isBytesHead(v)) return { valueHeadHex: hexOf(v.head), valueLength: v.length };
  return v === undefined ? {} : { value: v };
}

export function explainJson(file: string, kind: FileKind, around: Around, e: Explained): Record<string, unknown> {
  const { at, size } = around;
  const leaf = e.path.at(-1)!;
  const value = valueJson(e.value);
  return {
    file,
    kind,
    size,
    at,
    byte: byteAt(around),
    status: e.status,
    damage: e.damage,
    path: e.path,
    field: e.path.length > 1 ? { name: e.path.slice(1).map((s) => s.field).join('.'), spec: specPlace(kind, leaf), start: leaf.start, end: leaf.end, ...value } : undefined,
    error: e.error ? `${e.error.name}: ${e.error.message}` : undefined,
    hex: hexRows(around.bytes, size, at, leaf).map((r) => ({ offset: r.offset, hex: r.hex, ascii: r.ascii })),
  };
}
