// Renders dump events: kafka-dump-log style text lines, or one JSON object
// per line for --json.

import { keyFields, keyText, type ShownKey, valueFields, valueText, type ShownValue } from '../format-value.js';
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
    case 'index':
      return (
        `index: segmentBaseOffset: ${e.segmentBaseOffset} segmentNextOffset: ${e.segmentNextOffset} ` +
        `coveredLength: ${e.coveredLength} lastBatchPosition: ${e.lastBatchPosition} slots: ${e.slots}`
      );
    case 'index-slot':
      return `| slot: ${e.slot} hash: ${e.hash} offset: ${e.offset} position: ${e.position} size: ${e.size}`;
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

/**
 * One JSON line for `e`: the same text as renderJsonFields(), written out
 * by hand for the events a store has one of per key or per write (records,
 * hint entries, index slots, snapshot entries), which are nearly every line.
 */
export function renderJson(e: DumpEvent): string {
  switch (e.type) {
    case 'record':
      return recordJson(e);
    case 'hint-entry':
      return hintEntryJson(e);
    case 'index-slot':
      return indexSlotJson(e);
    case 'snapshot-entry':
      return snapshotEntryJson(e);
    default:
      return renderJsonFields(e);
  }
}

let lastFile = '';
let lastFileJson = '""';

/** The start of a line: its type and its file (the same file for a million lines: quoted once). */
function lineStart(type: string, file: string): string {
  if (file !== lastFile) {
    lastFile = file;
    lastFileJson = JSON.stringify(file);
  }
  return `{"type":"${type}","file":${lastFileJson}`;
}

function expiryJson(expireAt: number | undefined): string {
  return expireAt === undefined ? '' : `,"expireAt":${JSON.stringify(expireAt)}`;
}

/** keyFields() as JSON text. */
function keyJson(key: ShownKey): string {
  return key.text !== undefined ? `,"key":${JSON.stringify(key.text)}` : `,"keyHex":"${key.hex}"`;
}

/** valueFields() as JSON text. */
function valueJson(v: ShownValue | undefined): string {
  if (v === undefined) return '';
  const data = v.form === 'hex' ? `,"valueHex":"${v.data}"` : `,"value":${JSON.stringify(v.data)}`;
  return `${data},"valueSize":${v.size}${v.truncated ? ',"valueTruncated":true' : ''}`;
}

/*
 * Lines without an intermediate object: a dump of 1M records spent 42% of
 * its time building and stringifying those, and a store's hints as much
 * again (profiled). Field order and text are renderJsonFields()'s;
 * test/cli/dump-render.test.ts holds them equal.
 */

function recordJson(e: Extract<DumpEvent, { type: 'record' }>): string {
  return `${lineStart('record', e.file)},"offset":${e.offset},"position":${e.position},"size":${e.size},"op":"${e.op}"${expiryJson(e.expireAt)}${keyJson(e.key)}${valueJson(e.value)}}`;
}

function hintEntryJson(e: Extract<DumpEvent, { type: 'hint-entry' }>): string {
  return `${lineStart('hint-entry', e.file)},"offset":${e.offset},"position":${e.position},"size":${e.size},"tombstone":${e.tombstone}${expiryJson(e.expireAt)}${keyJson(e.key)}}`;
}

function indexSlotJson(e: Extract<DumpEvent, { type: 'index-slot' }>): string {
  return `${lineStart('index-slot', e.file)},"slot":${e.slot},"hash":"${e.hash}","offset":${e.offset},"position":${e.position},"size":${e.size}}`;
}

function snapshotEntryJson(e: Extract<DumpEvent, { type: 'snapshot-entry' }>): string {
  return `${lineStart('snapshot-entry', e.file)},"offset":${e.offset}${expiryJson(e.expireAt)}${keyJson(e.key)}${valueJson(e.value)}}`;
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
