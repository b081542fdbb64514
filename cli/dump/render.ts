// Renders dump events: kafka-dump-log style text lines, or one JSON object
// per line for --json.

import { keyFields, keyText, valueFields, valueText, type ShownValue } from '../format-value.js';
import type { DumpEvent } from './events.js';

function withValue(line: string, v: ShownValue | undefined): string {
  return v === undefined ? line : `${line} value: ${valueText(v)}`;
}

function expiry(expireAt: number | undefined): string {
  return expireAt === undefined ? '' : ` expireAt: ${expireAt}`;
}

export function renderText(e: DumpEvent): string {
  switch (e.type) {
    case 'file':
      return `Dumping ${e.file} (${e.kind}, ${e.size} bytes)`;
    case 'not-logkv':
      return `Skipping ${e.file} (${e.size} bytes): not a logkv file (magic ${e.magic})`;
    case 'error':
      return `error: ${e.code}${e.reason ? ` ${e.reason}` : ''}${e.offset === undefined ? '' : ` at byte ${e.offset}`}: ${e.message}`;
    case 'damage':
      return (
        `damaged: bytes ${e.offset}..${e.offset + e.length} (${e.length} bytes) ${e.code} ${e.reason}: ${e.message}` +
        (e.note ? ` (${e.note})` : '') +
        (e.zeroFillAfter > 0 ? `; then ${e.zeroFillAfter} bytes of zero fill to the end of the file` : '')
      );
    case 'segment':
      return `segment: baseOffset: ${e.baseOffset} valueEncoding: ${e.valueEncoding} created: ${e.created}`;
    case 'batch':
      return (
        `baseOffset: ${e.baseOffset} lastOffset: ${e.lastOffset} count: ${e.count} position: ${e.position} size: ${e.size} ` +
        `timestamp: ${e.timestamp} crc: ${e.crc} isValid: ${e.isValid} compacted: ${e.compacted}`
      );
    case 'record':
      return withValue(
        `| offset: ${e.offset} position: ${e.position} size: ${e.size} op: ${e.op}${expiry(e.expireAt)} key: ${keyText(e.key)}`,
        e.value,
      );
    case 'segment-end':
      return (
        `end: ${e.end} validUpTo: ${e.validUpTo} nextOffset: ${e.nextOffset} batches: ${e.batches} records: ${e.records}` +
        ` zeroFill: ${e.zeroFill}`
      );
    case 'identity':
      return `identity: storeId: ${e.storeId} created: ${e.created}`;
    case 'hint':
      return (
        `hint: segmentBaseOffset: ${e.segmentBaseOffset} segmentNextOffset: ${e.segmentNextOffset} ` +
        `coveredLength: ${e.coveredLength} entries: ${e.entries}`
      );
    case 'hint-entry':
      return (
        `| offset: ${e.offset} position: ${e.position} size: ${e.size} tombstone: ${e.tombstone}` +
        `${expiry(e.expireAt)} key: ${keyText(e.key)}`
      );
    case 'snapshot':
      return `snapshot: nextOffset: ${e.nextOffset} created: ${e.created} entries: ${e.entries} valueEncoding: ${e.valueEncoding}`;
    case 'snapshot-entry':
      return withValue(`| offset: ${e.offset}${expiry(e.expireAt)} key: ${keyText(e.key)}`, e.value);
    case 'journal-spare':
      return 'journal: uninitialized spare (all zero, never written)';
    case 'journal':
      return `journal: generation: ${e.generation} fileSize: ${e.fileSize} committedLength: ${e.committedLength} created: ${e.created}${e.superseded ? ' superseded: a newer generation was written into the other file' : ''}`;
    case 'frame':
      return `position: ${e.position} size: ${e.size} op: ${e.op} count: ${e.count}`;
    case 'journal-entry':
      return withValue(`| key: ${keyText(e.key)}`, e.value);
    case 'journal-end':
      return `end: ${e.end} validUpTo: ${e.validUpTo} committedEnd: ${e.committedEnd} frames: ${e.frames}`;
  }
}

/** One JSON line for `e`: the same text as renderJsonFields(), written out by hand for records, which are nearly every line. */
export function renderJson(e: DumpEvent): string {
  return e.type === 'record' ? recordJson(e) : renderJsonFields(e);
}

let lastFile = '';
let lastFileJson = '""';

/**
 * A record's JSON line without an intermediate object: a dump of 1M records
 * spent 42% of its time building and stringifying those (profiled).
 * Field order and text are renderJsonFields()'s; a test holds them equal.
 */
function recordJson(e: Extract<DumpEvent, { type: 'record' }>): string {
  if (e.file !== lastFile) {
    lastFile = e.file;
    lastFileJson = JSON.stringify(e.file);
  }
  let line = `{"type":"record","file":${lastFileJson},"offset":${e.offset},"position":${e.position},"size":${e.size},"op":"${e.op}"`;
  if (e.expireAt !== undefined) line += `,"expireAt":${JSON.stringify(e.expireAt)}`;
  line += e.key.text !== undefined ? `,"key":${JSON.stringify(e.key.text)}` : `,"keyHex":"${e.key.hex}"`;
  const v = e.value;
  if (v !== undefined) {
    line += v.form === 'hex' ? `,"valueHex":"${v.data}"` : `,"value":${JSON.stringify(v.data)}`;
    line += `,"valueSize":${v.size}`;
    if (v.truncated) line += ',"valueTruncated":true';
  }
  return `${line}}`;
}

/** One JSON line for `e`, field by field from the event (keys and values as keyFields and valueFields say). */
export function renderJsonFields(e: DumpEvent): string {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (v === undefined) continue;
    if (k === 'key') Object.assign(out, keyFields(v as Parameters<typeof keyFields>[0]));
    else if (k === 'value') Object.assign(out, valueFields(v as ShownValue));
    else out[k] = v;
  }
  return JSON.stringify(out);
}
