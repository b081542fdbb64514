// kvtool dump --json's output: one buffer of lines, handed to the Output
// in chunks of 1 MiB. The lines a store has one of per write or per key
// (records, hint entries, index slots) are written from the readers'
// fields with no object and no string per line (json-bytes.ts); every
// other line is render.ts's renderJson() of its event. Each line is the
// text renderJson() gives for the same event (test/cli/dump-json-lines.test.ts).

import { Op, type ValueEncoding } from '../../src/formats/limits.js';
import type { ValuesMode } from '../format-value.js';
import type { Output } from '../output.js';
import type { DumpEvent, FastLines } from './events.js';
import { ByteOutput, type Constant, constant, writeKey, writeValue } from './json-bytes.js';
import { renderJson } from './render.js';

const CHUNK = 1024 * 1024;
const NEWLINE = 0x0a;

const POSITION = constant(',"position":');
const SIZE = constant(',"size":');
const OP_PUT = constant(',"op":"put"');
const OP_DELETE = constant(',"op":"delete"');
const EXPIRE_AT = constant(',"expireAt":');
const TOMBSTONE_TRUE = constant(',"tombstone":true');
const TOMBSTONE_FALSE = constant(',"tombstone":false');
const HASH = constant(',"hash":"');
const HASH_END_OFFSET = constant('","offset":');
const LINE_END = constant('}\n');

export class JsonLines implements FastLines {
  readonly #out: Output;
  #buf = new ByteOutput(CHUNK + 64 * 1024);
  /** The start of each kind of line for the file being dumped, up to its first number: `{"type":"...","file":"...","offset":`. */
  #file: string | undefined;
  #starts = new Map<string, Constant>();

  constructor(out: Output) {
    this.#out = out;
  }

  /** Any event, through renderJson(). */
  event(e: DumpEvent): void {
    this.#buf.text(renderJson(e));
    this.#end(false);
  }

  record(file: string, offset: number, position: number, size: number, op: Op, expireAt: number | undefined, bytes: Uint8Array, keyAt: number, keyLength: number, valueLength: number, encoding: ValueEncoding, values: ValuesMode): void {
    const b = this.#buf;
    this.#offsetPositionSize('record', file, offset, position, size);
    b.raw(op === Op.Delete ? OP_DELETE : OP_PUT);
    this.#expiry(expireAt);
    const valueAt = keyAt + keyLength;
    writeKey(b, bytes, keyAt, valueAt);
    if (op !== Op.Delete) writeValue(b, bytes, valueAt, valueAt + valueLength, encoding, values);
    this.#end(true);
  }

  hintEntry(file: string, offset: number, position: number, size: number, tombstone: boolean, expireAt: number | undefined, bytes: Uint8Array, keyAt: number, keyLength: number): void {
    const b = this.#buf;
    this.#offsetPositionSize('hint-entry', file, offset, position, size);
    b.raw(tombstone ? TOMBSTONE_TRUE : TOMBSTONE_FALSE);
    this.#expiry(expireAt);
    writeKey(b, bytes, keyAt, keyAt + keyLength);
    this.#end(true);
  }

  indexSlot(file: string, slot: number, hash: number, offset: number, position: number, size: number): void {
    const b = this.#buf;
    b.raw(this.#start('index-slot', file, 'slot'));
    b.number(slot);
    b.raw(HASH);
    writeHash(b, hash);
    b.raw(HASH_END_OFFSET);
    b.number(offset);
    b.raw(POSITION);
    b.number(position);
    b.raw(SIZE);
    b.number(size);
    this.#end(true);
  }

  /** Hands what is buffered to the Output. */
  flush(): void {
    if (this.#buf.length === 0) return;
    // A new buffer after each: the Output may still hold the last one.
    const full = this.#buf.bytes.subarray(0, this.#buf.length);
    this.#buf = new ByteOutput(CHUNK + 64 * 1024);
    this.#out.text(full);
  }

  /** The start of a record or hint entry line: type, file, offset, position, size. */
  #offsetPositionSize(type: string, file: string, offset: number, position: number, size: number): void {
    const b = this.#buf;
    b.raw(this.#start(type, file, 'offset'));
    b.number(offset);
    b.raw(POSITION);
    b.number(position);
    b.raw(SIZE);
    b.number(size);
  }

  #start(type: string, file: string, firstField: string): Constant {
    if (file !== this.#file) {
      this.#file = file;
      this.#starts.clear();
    }
    let start = this.#starts.get(type);
    if (start === undefined) {
      start = constant(`{"type":"${type}","file":${JSON.stringify(file)},"${firstField}":`);
      this.#starts.set(type, start);
    }
    return start;
  }

  #expiry(expireAt: number | undefined): void {
    if (expireAt === undefined) return;
    this.#buf.raw(EXPIRE_AT);
    this.#buf.number(expireAt);
  }

  /** Ends the line (closing its object when `close`) and flushes a full chunk. */
  #end(close: boolean): void {
    if (close) this.#buf.raw(LINE_END);
    else {
      this.#buf.reserve(1);
      this.#buf.bytes[this.#buf.length++] = NEWLINE;
    }
    if (this.#buf.length >= CHUNK) this.flush();
  }
}

const HASH_BYTES = new Uint8Array(4);

/** A slot's hash as 8 hex digits (segment-index.ts hashText()). */
function writeHash(b: ByteOutput, hash: number): void {
  HASH_BYTES[0] = hash >>> 24;
  HASH_BYTES[1] = (hash >>> 16) & 0xff;
  HASH_BYTES[2] = (hash >>> 8) & 0xff;
  HASH_BYTES[3] = hash & 0xff;
  b.hex(HASH_BYTES, 0, 4);
}
