// How a store's values become record bytes and back, per the valueEncoding
// recorded in its segment headers. Counters and lock owners are text, so the
// codec also says how a string is stored in each encoding.

import { LogkvError } from '../errors.js';
import { ValueEncoding } from '../formats/limits.js';

export type ValueEncodingName = 'binary' | 'utf8' | 'json';

export const ENCODINGS: Record<ValueEncodingName, ValueEncoding> = { binary: ValueEncoding.Binary, utf8: ValueEncoding.Utf8, json: ValueEncoding.Json };
export const ENCODING_NAMES = ['binary', 'utf8', 'json'] as const;

export interface ValueCodec<V> {
  readonly name: ValueEncodingName;
  encode(value: V): Uint8Array;
  decode(bytes: Uint8Array): V;
  /** A string as this store holds it: UTF-8 bytes, or a JSON string for 'json'. */
  encodeText(text: string): Uint8Array;
}

function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

export function valueCodec<V>(name: ValueEncodingName): ValueCodec<V> {
  switch (name) {
    case 'binary':
      return {
        name,
        encode(value) {
          if (!(value instanceof Uint8Array)) throw new LogkvError('INVALID_ARGUMENT', 'values of a binary store are Uint8Arrays');
          return value;
        },
        decode: (bytes) => Buffer.from(bytes) as V,
        encodeText: (text) => Buffer.from(text, 'utf8'),
      };
    case 'utf8':
      return {
        name,
        encode(value) {
          if (typeof value !== 'string') throw new LogkvError('INVALID_ARGUMENT', 'values of a utf8 store are strings');
          return Buffer.from(value, 'utf8');
        },
        decode: (bytes) => utf8(bytes) as V,
        encodeText: (text) => Buffer.from(text, 'utf8'),
      };
    case 'json':
      return {
        name,
        encode(value) {
          const text = JSON.stringify(value);
          if (text === undefined) throw new LogkvError('INVALID_ARGUMENT', 'value cannot be encoded as JSON');
          return Buffer.from(text, 'utf8');
        },
        decode: (bytes) => JSON.parse(utf8(bytes)) as V,
        encodeText: (text) => Buffer.from(JSON.stringify(text), 'utf8'),
      };
  }
}
