// Sizes and bounds of the formats. Each mirrors a `valid:` clause or a fixed
// layout in formats/*.ksy; test/formats/limits.test.ts checks them against
// the specs so the two cannot drift apart.

/** Largest offset or timestamp any format holds (2^53 - 1, exact in a double). */
export const MAX_SAFE_U64 = Number.MAX_SAFE_INTEGER;
export const MAX_KEY_LENGTH = 0xffff;
export const MAX_VALUE_LENGTH = 268_435_456; // 256 MiB
export const MAX_BATCH_LENGTH = 1_073_741_824; // 1 GiB
export const MAX_RECORDS_PER_BATCH = 16_777_216;
export const MAX_CHUNK_LENGTH = 1_073_741_824;
/** Entries in one snapshot chunk at most (formats/snapshot.ksy, chunk.entry_count). */
export const MAX_CHUNK_ENTRIES = 16_777_216;
export const MAX_ENTRIES_PER_CHUNK = 16_777_216;
export const MAX_JOURNAL_VALUE_DEPTH = 64;
export const MIN_JOURNAL_FILE_SIZE = 4096;
export const MAX_JOURNAL_FILE_SIZE = 1_073_741_824;

export const LOG_MAGIC = 'LKVL';
export const HINT_MAGIC = 'LKVH';
export const SNAPSHOT_MAGIC = 'LKVS';
export const JOURNAL_MAGIC = 'LKVJ';
export const IDENTITY_MAGIC = 'LKVI';
export const INDEX_MAGIC = 'LKVX';
export const FORMAT_VERSION = 1;

export const SEGMENT_HEADER_SIZE = 28;
/** batch_length (4) + crc (4). */
export const BATCH_FRAME_SIZE = 8;
export const BATCH_HEADER_SIZE = 26;
/** crc (4) + op (1) + flags (1) + offset_delta (4) + key_length (2) + value_length (4). */
export const RECORD_FIXED_SIZE = 16;
/** The record CRC covers the record from this many bytes in. */
export const RECORD_CRC_SIZE = 4;
export const EXPIRY_SIZE = 8;
export const MIN_BATCH_LENGTH = 4 + BATCH_HEADER_SIZE + RECORD_FIXED_SIZE;
/** Largest encoded record: fixed part, expiry, largest key and value. */
export const MAX_RECORD_SIZE = RECORD_FIXED_SIZE + EXPIRY_SIZE + MAX_KEY_LENGTH + MAX_VALUE_LENGTH;

export const HINT_HEADER_SIZE = 36;
export const HINT_ENTRY_FIXED_SIZE = 19;
export const HINT_TRAILER_SIZE = 8;

export const INDEX_HEADER_SIZE = 44;
export const INDEX_SLOT_SIZE = 24;
export const INDEX_TRAILER_SIZE = 8;

export const SNAPSHOT_HEADER_SIZE = 36;
export const CHUNK_FRAME_SIZE = 12;
export const SNAPSHOT_ENTRY_FIXED_SIZE = 15;
export const SHA256_SIZE = 32;
/** Writers close a snapshot chunk once it holds this many bytes of entries. */
export const SNAPSHOT_CHUNK_TARGET = 64 * 1024;

/** The whole IDENTITY file. */
export const IDENTITY_SIZE = 36;
export const STORE_ID_SIZE = 16;

export const JOURNAL_HEADER_SIZE = 36;
/** journal_header.flags bit 0: a newer generation is durable in the other file. */
export const JOURNAL_SUPERSEDED = 1;
/** frame_length (4) + crc (4). */
export const FRAME_PREFIX_SIZE = 8;
/** generation (8) + op (1) + entry_count (4). */
export const FRAME_BODY_FIXED_SIZE = 13;

export enum Op {
  Put = 1,
  Delete = 2,
}

export enum ValueEncoding {
  Binary = 0,
  Utf8 = 1,
  Json = 2,
}

export enum FrameOp {
  Set = 1,
  Clear = 2,
}

export enum ValueTag {
  Nil = 0,
  False = 1,
  True = 2,
  Int64 = 3,
  Float64 = 4,
  String = 5,
  Bytes = 6,
  Array = 7,
  Object = 8,
}
