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
import { ByteOutput, type Constant, constant, escapedRoom, KEY_VALUE_ROOM, NUMBER_ROOM, putConstant, putHex32, putKey, putNumber, putValue, shownValueBytes } from './json-bytes.js';
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
/** `}` and a newline, as one little-endian u16. */
const LINE_END = 0x7d | (NEWLINE << 8);
/** The most the fixed parts and numbers of a line take, besides its start, key and value: the fields' names, five numbers, the end. */
const LINE_ROOM = 160 + 5 * NUMBER_ROOM;

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
    this.#end();
  }

  record(file: string, offset: number, position: number, size: number, op: Op, expireAt: number | undefined, bytes: Uint8Array, keyAt: number, keyLength: number, valueLength: number, encoding: ValueEncoding, values: ValuesMode): void {
    const start = this.#start('record', file, 'offset');
    const shown = op === Op.Delete ? 0 : shownValueBytes(valueLength, values);
    const b = this.#buf;
    b.reserve(start.length + LINE_ROOM + escapedRoom(keyLength) + escapedRoom(shown) + KEY_VALUE_ROOM);
    const out = b.bytes;
    const view = b.view;
    let p = this.#offsetPositionSize(out, view, b.length, start, offset, position, size);
    p = putConstant(out, view, p, op === Op.Delete ? OP_DELETE : OP_PUT);
    if (expireAt !== undefined) p = putNumber(out, view, putConstant(out, view, p, EXPIRE_AT), expireAt);
    const valueAt = keyAt + keyLength;
    p = putKey(out, view, p, bytes, keyAt, valueAt);
    if (op !== Op.Delete) p = putValue(out, view, p, bytes, valueAt, valueAt + valueLength, encoding, values);
    this.#endLine(p);
  }

  hintEntry(file: string, offset: number, position: number, size: number, tombstone: boolean, expireAt: number | undefined, bytes: Uint8Array, keyAt: number, keyLength: number): void {
    const start = this.#start('hint-entry', file, 'offset');
    const b = this.#buf;
    b.reserve(start.length + LINE_ROOM + escapedRoom(keyLength) + KEY_VALUE_ROOM);
    const out = b.bytes;
    const view = b.view;
    let p = this.#offsetPositionSize(out, view, b.length, start, offset, position, size);
    p = putConstant(out, view, p, tombstone ? TOMBSTONE_TRUE : TOMBSTONE_FALSE);
    if (expireAt !== undefined) p = putNumber(out, view, putConstant(out, view, p, EXPIRE_AT), expireAt);
    p = putKey(out, view, p, bytes, keyAt, keyAt + keyLength);
    this.#endLine(p);
  }

  indexSlot(file: string, slot: number, hash: number, offset: number, position: number, size: number): void {
    const start = this.#start('index-slot', file, 'slot');
    const b = this.#buf;
    b.reserve(start.length + LINE_ROOM);
    const out = b.bytes;
    const view = b.view;
    let p = putConstant(out, view, b.length, start);
    p = putNumber(out, view, p, slot);
    p = putConstant(out, view, p, HASH);
    p = putHex32(view, p, hash);
    p = putConstant(out, view, p, HASH_END_OFFSET);
    p = putNumber(out, view, p, offset);
    p = putConstant(out, view, p, POSITION);
    p = putNumber(out, view, p, position);
    p = putConstant(out, view, p, SIZE);
    p = putNumber(out, view, p, size);
    this.#endLine(p);
  }

  /** Hands what is buffered to the Output. */
  flush(): void {
    if (this.#buf.length === 0) return;
    const full = this.#buf.bytes.subarray(0, this.#buf.length);
    // The same buffer again when the Output is done with it (stdout to a file or a pipe): a new MiB per chunk was ~5% of a dump in allocation and collection.
    if (this.#out.text(full) === true) this.#buf.length = 0;
    else this.#buf = new ByteOutput(CHUNK + 64 * 1024);
  }

  /** The start of a record or hint entry line at p: type, file, offset, position, size. */
  #offsetPositionSize(out: Buffer, view: DataView, p: number, start: Constant, offset: number, position: number, size: number): number {
    p = putConstant(out, view, p, start);
    p = putNumber(out, view, p, offset);
    p = putConstant(out, view, p, POSITION);
    p = putNumber(out, view, p, position);
    p = putConstant(out, view, p, SIZE);
    return putNumber(out, view, p, size);
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

  /** Ends the line at p (closing its object) and flushes a full chunk. */
  #endLine(p: number): void {
    const b = this.#buf;
    b.view.setUint16(p, LINE_END, true);
    b.length = p + 2;
    if (b.length >= CHUNK) this.flush();
  }

  /** Ends an event's line and flushes a full chunk. */
  #end(): void {
    this.#buf.reserve(1);
    this.#buf.bytes[this.#buf.length++] = NEWLINE;
    if (this.#buf.length >= CHUNK) this.flush();
  }
}
