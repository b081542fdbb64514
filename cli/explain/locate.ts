// Which field of which structure a byte belongs to, from the spans a
// debug-mode parser recorded: walk from the outermost structure into the
// field whose span holds the byte, down to a field that is not a
// structure. A parse that failed part-way leaves spans without an end;
// the walk goes into the last field begun, which is where the parser
// stopped.

import type { KaitaiStream } from '../../src/formats/kaitai.js';
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

export const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/^_/, '');

function typeName(s: DebugStruct): string {
  return snake((s.constructor as { name?: string }).name ?? 'struct');
}

/** A span's [start, end) in file positions. */
function range(span: DebugSpan, base: number): { start: number; end: number | undefined } | undefined {
  if (span.start === undefined || span.ioOffset === undefined) return undefined;
  return { start: span.ioOffset + span.start - base, end: span.end === undefined ? undefined : span.ioOffset + span.end - base };
}

const holds = (r: { start: number; end: number | undefined }, at: number): boolean => at >= r.start && (r.end === undefined || at < r.end);

/**
 * Parses one structure of type `type` at `position` of `stream` with the
 * debug parser (a failure is caught: the spans recorded so far are what
 * is left) and walks it to the byte at `at`. `base` is the stream's own
 * offset in its buffer, so spans become file positions.
 */
export function parseAndLocate(type: DebugType, stream: KaitaiStream, position: number, at: number): Located & { root: DebugStruct } {
  stream.seek(position);
  const root = new type(stream);
  let error: Error | undefined;
  try {
    root._read();
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    error = e;
  }
  const base = stream.byteOffset;
  const path: PathStep[] = [{ field: typeName(root), inType: '', start: position, end: error ? undefined : stream.pos }];
  let value: unknown = root;
  let current: DebugStruct | undefined = root;
  while (current) {
    const next = step(current, at, base);
    if (!next) break;
    path.push(next.step);
    value = next.value;
    current = isDebugStruct(next.value) ? next.value : undefined;
  }
  return { root, path, value: isDebugStruct(value) ? undefined : value, error };
}

function step(s: DebugStruct, at: number, base: number): { step: PathStep; value: unknown } | undefined {
  let begun: { step: PathStep; value: unknown } | undefined;
  for (const [name, span] of Object.entries(s._debug)) {
    const r = range(span, base);
    if (!r) continue;
    const field = snake(name);
    const inType = typeName(s);
    if (span.arr) {
      const values = s[name] as unknown[] | undefined;
      for (const [i, el] of span.arr.entries()) {
        const er = range(el, base);
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
