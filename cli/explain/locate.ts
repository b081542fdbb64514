// Which field of which structure a byte belongs to, from the spans a
// debug-mode parser recorded: walk from the outermost structure into the
// field whose span holds the byte, down to a field that is not a
// structure. A parse that failed part-way leaves spans without an end;
// the walk goes into the last field begun, which is where the parser
// stopped.
//
// A structure is parsed from a piece of the file, never the file: the
// spans the parser records in the piece are turned back into file
// positions here.

import { type KaitaiStream, streamOver } from '../../src/formats/kaitai.js';
import { type DebugSpan, type DebugStruct, type DebugType, isDebugStruct } from './debug-parsers.js';

export interface PathStep {
  /** Field name as in the .ksy (snake_case), with [i] for an element of a repeated field. */
  field: string;
  /** The type of the structure holding the field (snake_case, as in the .ksy). */
  inType: string;
  start: number;
  /** Undefined when the parser failed inside this field. */
  end: number | undefined;
}

export interface Located {
  path: PathStep[];
  /** The innermost field's value, when it is not a structure. */
  value: unknown;
  /** The parser's error, when it stopped inside the path. */
  error: Error | undefined;
}

/**
 * Bytes of a file held in memory: bytes[0] is file position `start`. A
 * piece cut short of a field that runs to the end of the file (the zero
 * fill after a segment's end-of-log marker, up to the whole file) has
 * `end`: the file position that the end of `bytes` stands for.
 */
export interface Piece {
  start: number;
  bytes: Uint8Array;
  end?: number;
}

/** A field's first bytes, read from a piece cut short of it, and its whole length. */
export interface BytesHead {
  head: Uint8Array;
  length: number;
}

export function isBytesHead(v: unknown): v is BytesHead {
  return typeof v === 'object' && v !== null && 'head' in v && v.head instanceof Uint8Array && 'length' in v;
}

export const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/^_/, '');

function typeName(s: DebugStruct): string {
  return snake((s.constructor as { name?: string }).name ?? 'struct');
}

/** File position of a position in a piece's stream. */
type ToFile = (position: number) => number;

function toFileOf(piece: Piece): ToFile {
  const cut = piece.end;
  return cut === undefined ? (p) => piece.start + p : (p) => (p === piece.bytes.length ? cut : piece.start + p);
}

/** A span's [start, end) in file positions; `base` is where the piece's stream starts in its buffer. */
function range(span: DebugSpan, base: number, toFile: ToFile): { start: number; end: number | undefined } | undefined {
  if (span.start === undefined || span.ioOffset === undefined) return undefined;
  const at = span.ioOffset - base;
  return { start: toFile(at + span.start), end: span.end === undefined ? undefined : toFile(at + span.end) };
}

const holds = (r: { start: number; end: number | undefined }, at: number): boolean => at >= r.start && (r.end === undefined || at < r.end);

/** A structure parsed by its debug parser: the spans it recorded, and the parser's error if it failed part-way. */
export interface Parse {
  root: DebugStruct;
  stream: KaitaiStream;
  error: Error | undefined;
}

/** Parses one structure of type `type` from the start of `bytes`; a failure is caught: the spans recorded so far are what is left. */
export function parseAlone(type: DebugType, bytes: Uint8Array): Parse {
  const stream = streamOver(bytes);
  const root = new type(stream);
  try {
    root._read();
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    return { root, stream, error: e };
  }
  return { root, stream, error: undefined };
}

/** Parses one structure of type `type` from the start of `piece` and walks it to the byte at `at`, a file position. */
export function parseAndLocate(type: DebugType, piece: Piece, at: number): Located {
  return locateIn(parseAlone(type, piece.bytes), piece, at);
}

/** Walks a structure parsed from `piece` to the byte at `at`. */
export function locateIn({ root, stream, error }: Parse, piece: Piece, at: number): Located {
  const toFile = toFileOf(piece);
  const base = stream.byteOffset;
  const path: PathStep[] = [{ field: typeName(root), inType: '', start: piece.start, end: error ? undefined : toFile(stream.pos) }];
  let value: unknown = root;
  let current: DebugStruct | undefined = root;
  while (current) {
    const next = step(current, at, base, toFile);
    if (!next) break;
    path.push(next.step);
    value = next.value;
    current = isDebugStruct(next.value) ? next.value : undefined;
  }
  const leaf = path.at(-1)!;
  // A field the piece was cut inside: what was read is its head.
  if (value instanceof Uint8Array && piece.end !== undefined && leaf.end === piece.end) return { path, value: { head: value, length: leaf.end - leaf.start }, error };
  return { path, value: isDebugStruct(value) ? undefined : value, error };
}

function step(s: DebugStruct, at: number, base: number, toFile: ToFile): { step: PathStep; value: unknown } | undefined {
  let begun: { step: PathStep; value: unknown } | undefined;
  for (const [name, span] of Object.entries(s._debug)) {
    const r = range(span, base, toFile);
    if (!r) continue;
    const field = snake(name);
    const inType = typeName(s);
    if (span.arr) {
      const values = s[name] as unknown[] | undefined;
      for (const [i, el] of span.arr.entries()) {
        const er = range(el, base, toFile);
        if (!er) continue;
        const hit = { step: { field: `${field}[${i}]`, inType, ...er }, value: values?.[i] };
        if (holds(er, at) && er.end !== undefined) return hit;
        if (er.end === undefined && at >= er.start) begun = hit;
      }
      if (holds(r, at) && !begun) return { step: { field, inType, ...r }, value: values };
      if (begun) return begun;
      continue;
    }
    const hit = { step: { field, inType, ...r }, value: s[name] };
    if (r.end !== undefined && holds(r, at)) return hit;
    if (r.end === undefined && at >= r.start) begun = hit;
  }
  return begun;
}
