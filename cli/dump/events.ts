// What `kvtool dump` reports, one event per output line. The per-format
// dumpers produce these; render.ts turns each into a text or a JSON line.

import type { Op, ValueEncoding } from '../../src/formats/limits.js';
import type { FileKind } from '../file-kind.js';
import type { ShownKey, ShownValue, ValuesMode } from '../format-value.js';

export interface DumpOptions {
  values: ValuesMode;
  /** Only records (entries) at or after this offset. */
  fromOffset: number | undefined;
  /** Only records (entries) whose key matches. */
  keyMatches: ((key: Uint8Array) => boolean) | undefined;
  /** The hashes (hashKey) of the keys keyMatches takes: an index slot holds no key, only its hash. */
  keyHashes?: ReadonlySet<number>;
  /** Where the lines of records, hint entries and index slots go instead of emit(), as fields (dump --json: json-lines.ts). */
  fast?: FastLines;
}

/**
 * The events a store has one of per write or per key, handed over as the
 * readers' fields, keys and values as ranges of the bytes read: no object
 * and no string per line.
 */
export interface FastLines {
  /** A record whose key is bytes[keyAt, keyAt + keyLength) and whose value follows it. */
  record(file: string, offset: number, position: number, size: number, op: Op, expireAt: number | undefined, bytes: Uint8Array, keyAt: number, keyLength: number, valueLength: number, encoding: ValueEncoding, values: ValuesMode): void;
  hintEntry(file: string, offset: number, position: number, size: number, tombstone: boolean, expireAt: number | undefined, bytes: Uint8Array, keyAt: number, keyLength: number): void;
  indexSlot(file: string, slot: number, hash: number, offset: number, position: number, size: number): void;
}

export type DumpEvent =
  | { type: 'file'; file: string; kind: FileKind; size: number }
  | { type: 'not-logkv'; file: string; size: number; magic: string }
  /** A reader refused the file (header, or a whole-file format). */
  | { type: 'error'; file: string; code: string; reason: string | undefined; offset: number | undefined; message: string }
  /** Bytes a reader could not use; dumping goes on after them. */
  | {
      type: 'damage';
      file: string;
      offset: number;
      length: number;
      /** Zero fill after the range, up to the end of the file (not counted in length). */
      zeroFillAfter: number;
      code: string;
      reason: string;
      message: string;
      note?: string;
    }
  | { type: 'segment'; file: string; baseOffset: number; valueEncoding: string; created: number }
  | {
      type: 'batch';
      file: string;
      baseOffset: number;
      lastOffset: number;
      count: number;
      position: number;
      size: number;
      timestamp: number;
      crc: string;
      isValid: boolean;
      compacted: boolean;
    }
  | {
      type: 'record';
      file: string;
      offset: number;
      position: number;
      size: number;
      op: 'put' | 'delete';
      expireAt: number | undefined;
      key: ShownKey;
      value: ShownValue | undefined;
    }
  | {
      type: 'segment-end';
      file: string;
      end: string;
      validUpTo: number;
      nextOffset: number;
      batches: number;
      records: number;
      zeroFill: number;
    }
  | { type: 'identity'; file: string; storeId: string; created: number }
  | { type: 'hint'; file: string; segmentBaseOffset: number; segmentNextOffset: number; coveredLength: number; entries: number }
  | {
      type: 'hint-entry';
      file: string;
      offset: number;
      position: number;
      size: number;
      tombstone: boolean;
      expireAt: number | undefined;
      key: ShownKey;
    }
  | { type: 'index'; file: string; segmentBaseOffset: number; segmentNextOffset: number; coveredLength: number; lastBatchPosition: number; slots: number }
  /** Slot number `slot` of the index (file order); hash as 8 hex digits. */
  | { type: 'index-slot'; file: string; slot: number; hash: string; position: number; size: number; offset: number }
  | { type: 'snapshot'; file: string; nextOffset: number; created: number; entries: number; valueEncoding: string }
  | { type: 'snapshot-entry'; file: string; offset: number; expireAt: number | undefined; key: ShownKey; value: ShownValue | undefined }
  /** A journal file of zeros: a JournalStore's spare, never written. */
  | { type: 'journal-spare'; file: string; size: number }
  | { type: 'journal'; file: string; generation: number; fileSize: number; committedLength: number; created: number; superseded: boolean }
  | { type: 'frame'; file: string; position: number; size: number; op: 'set' | 'clear'; count: number }
  | { type: 'journal-entry'; file: string; key: ShownKey; value: ShownValue | undefined }
  | { type: 'journal-end'; file: string; end: string; validUpTo: number; committedEnd: number; frames: number };

export type Emit = (e: DumpEvent) => void;
