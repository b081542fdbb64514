// One error class for everything logkv refuses or finds wrong, with a stable
// string `code` callers can switch on (the abstract-level ModuleError idea).

export type ErrorCode =
  /** A file does not start with the magic of the format it should be. */
  | 'BAD_MAGIC'
  /** A file of ours, written by a format version this code does not read. */
  | 'UNSUPPORTED_VERSION'
  /** Bytes fail a checksum or a structural rule of the format. */
  | 'CORRUPT'
  /** A file ends inside a structure (a torn write). */
  | 'TRUNCATED'
  /** A key, value or batch is over a format or configured limit. */
  | 'TOO_LARGE'
  /** An argument has the wrong type or shape. */
  | 'INVALID_ARGUMENT'
  /** A bounded store has no room for the write, even after compaction. */
  | 'FULL'
  /** The store is closed (or was never opened). */
  | 'CLOSED'
  /** Another process holds the store's lock. */
  | 'LOCKED'
  /** A change-feed offset older than the oldest the log still holds the history of. */
  | 'OUT_OF_RANGE'
  /**
   * A write or fsync failed. The store refuses further writes until it is
   * reopened, because after a failed fsync the kernel may have dropped the
   * dirty pages it could not write (PostgreSQL's fsyncgate).
   */
  | 'IO';

export interface ErrorDetails {
  /** File the problem is in, when there is one. */
  file?: string;
  /** Byte position in that file of the first byte found bad. */
  offset?: number;
  /** Machine-readable detail for CORRUPT, e.g. 'batch-crc' (see docs/FORMATS.md). */
  reason?: string;
  cause?: unknown;
}

export class LogkvError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly offset: number | undefined;
  readonly reason: string | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'LogkvError';
    this.code = code;
    this.file = details.file;
    this.offset = details.offset;
    this.reason = details.reason;
  }
}
