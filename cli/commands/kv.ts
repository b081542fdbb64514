// `kvtool get|put|del PATH KEY [VALUE]`. put and del go through LogStore
// (its lock, its validation, its durability: they return once fsynced).
// get is an inspection command: it takes no lock, so it works while
// another process has the store open, and reads the key the way the
// engine's open would find it (cli/store/segments.ts), decoding the value
// by the store's value encoding with the engine's codec.

import fs from 'node:fs';
import path from 'node:path';
import type { Key } from '../../src/log/log-store.js';
import { ENCODING_NAMES, ENCODINGS, type ValueEncodingName, valueCodec } from '../../src/log/value-codec.js';
import { SEGMENT_HEADER_SIZE } from '../../src/formats/limits.js';
import { readSegmentHeader } from '../../src/formats/log-segment-reader.js';
import type { Context } from '../context.js';
import { CliError } from '../failure.js';
import { hexOf, keyFields, keyText, showKey, showValue, valueFields } from '../format-value.js';
import { isStore, notAStoreError, storeLayout, type StoreLayout } from '../store/layout.js';
import { findKey, loadSegment, readValue } from '../store/segments.js';
import { openForWriting } from '../store/open-store.js';
import { EXIT } from './exit-codes.js';

export interface KeyArgs {
  path: string;
  key: string;
  /** KEY is hex. */
  keyHex: boolean;
}

function keyBytes(a: KeyArgs): Uint8Array {
  if (!a.keyHex) return Buffer.from(a.key, 'utf8');
  if (!/^(0x)?([0-9a-f]{2})*$/i.test(a.key)) throw new CliError(`--key-hex: ${JSON.stringify(a.key)} is not hex`);
  return Buffer.from(a.key.replace(/^0x/i, ''), 'hex');
}

const shown = (k: Uint8Array): string => keyText(showKey(k));

export interface GetArgs extends KeyArgs {
  json: boolean;
  /** Write the value's bytes as they are stored, nothing else. */
  raw: boolean;
}

/** The store's value encoding: the manifest's record of it, else the newest segment's header (as LogStore.open decides). */
export function storeEncoding(dir: string, layout: StoreLayout): ValueEncodingName {
  const manifestEncoding = layout.manifest?.listed.valueEncoding;
  if (manifestEncoding) return manifestEncoding;
  const newest = layout.segments.filter((s) => !layout.missing.includes(s)).at(-1);
  if (newest) {
    const file = path.join(dir, `${newest.stem}.log`);
    const fd = fs.openSync(file, 'r');
    try {
      const head = Buffer.alloc(SEGMENT_HEADER_SIZE);
      fs.readSync(fd, head, 0, head.length, 0);
      return ENCODING_NAMES[readSegmentHeader(head, file).valueEncoding];
    } finally {
      fs.closeSync(fd);
    }
  }
  return 'binary';
}

export function runGet(a: GetArgs, ctx: Context): number {
  const layout = storeLayout(a.path);
  if (!isStore(layout)) throw notAStoreError(a.path);
  const key = keyBytes(a);
  const present = layout.segments.filter((s) => !layout.missing.includes(s));
  const encoding = storeEncoding(a.path, layout);
  // Newest segment first; stop at the first that holds the key.
  let found;
  for (let i = present.length - 1; i >= 0 && !found; i--) {
    const seg = loadSegment(a.path, present[i]!, i === present.length - 1);
    if (seg.scan && seg.scan.damage.length > 0 && !ctx.quiet) {
      const d = seg.scan.damage[0]!;
      ctx.out.error(`kvtool get: note: ${seg.path} is damaged at byte ${d.offset} (${d.reason}); reading around it (run kvtool verify)`);
    }
    found = findKey([seg], key);
  }
  const expired = found?.expireAtMs !== undefined && found.expireAtMs <= Date.now();
  if (!found || found.tombstone || expired) {
    const why = !found ? 'not found' : found.tombstone ? `deleted (at offset ${found.offset})` : `expired at ${found.expireAtMs}`;
    if (a.json) ctx.out.line(JSON.stringify({ ...keyFields(showKey(key)), found: false, reason: why }));
    if (!ctx.quiet) ctx.out.error(`kvtool get: key ${shown(key)} ${why}`);
    return EXIT.PROBLEMS;
  }
  const bytes = readValue(found.segment.path, found.position, found.size);
  if (a.raw) {
    ctx.out.bytes(bytes);
    return EXIT.OK;
  }
  if (a.json) {
    ctx.out.line(
      JSON.stringify({
        ...keyFields(showKey(key)),
        found: true,
        ...valueFields(showValue(bytes, ENCODINGS[encoding], 'full')),
        offset: found.offset,
        expireAt: found.expireAtMs,
        segment: found.segment.path,
      }),
    );
    return EXIT.OK;
  }
  const value = valueCodec(encoding).decode(bytes);
  ctx.out.line(encoding === 'binary' ? `0x${hexOf(bytes)}` : encoding === 'json' ? JSON.stringify(value) : String(value));
  return EXIT.OK;
}

export interface PutArgs extends KeyArgs {
  value: string;
  valueHex: boolean;
  ttl: number | undefined;
}

/** VALUE as the store's encoding takes it: text, JSON text parsed, or bytes (UTF-8, or hex with --value-hex). */
function valueFor(encoding: ValueEncodingName, a: PutArgs): unknown {
  if (a.valueHex) {
    if (encoding !== 'binary') throw new CliError(`--value-hex is for binary stores; this one holds ${encoding} values`);
    if (!/^(0x)?([0-9a-f]{2})*$/i.test(a.value)) throw new CliError(`--value-hex: ${JSON.stringify(a.value)} is not hex`);
    return Buffer.from(a.value.replace(/^0x/i, ''), 'hex');
  }
  if (encoding === 'binary') return Buffer.from(a.value, 'utf8');
  if (encoding === 'utf8') return a.value;
  try {
    return JSON.parse(a.value) as unknown;
  } catch (e) {
    throw new CliError(`this store holds JSON values, and VALUE is not JSON (${(e as Error).message}); quote a string: '"text"'`);
  }
}

export async function runPut(a: PutArgs, ctx: Context): Promise<number> {
  const store = await openForWriting(a.path, ctx, 'put');
  try {
    const value = valueFor(store.valueEncoding, a);
    await store.put(keyBytes(a) as Key, value, a.ttl === undefined ? {} : { ttlMs: a.ttl });
  } finally {
    await store.close();
  }
  return EXIT.OK;
}

export async function runDel(a: KeyArgs, ctx: Context): Promise<number> {
  const store = await openForWriting(a.path, ctx, 'del');
  try {
    const key = keyBytes(a);
    if (!store.has(key)) {
      if (!ctx.quiet) ctx.out.error(`kvtool del: key ${shown(key)} not found; nothing written`);
      return EXIT.PROBLEMS;
    }
    await store.delete(key);
  } finally {
    await store.close();
  }
  return EXIT.OK;
}
