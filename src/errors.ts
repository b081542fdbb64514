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
  | 'IO'
  /**
   * A directory that is neither empty nor a logkv store (it has no IDENTITY
   * file, formats/store_identity.ksy): open creates nothing in it and
   * touches none of its files.
   */
  | 'NOT_A_STORE'
  /** The store path (or a part of it) is a file, not a directory. */
  | 'NOT_A_DIRECTORY'
  /** The store does not exist, and this open may not create it (createIfMissing false, readOnly). */
  | 'NOT_FOUND'
  /** The file system refused access (permissions, a read-only mount). */
  | 'PERMISSION_DENIED'
  /** The disk (or the quota) is full. */
  | 'NO_SPACE'
  /** A write to a store opened with readOnly: true. */
  | 'READ_ONLY'
  /**
   * A read-only open found work that only a writable open does (a torn tail
   * to cut, a manifest to heal, a start from a snapshot): open it writable
   * once, or run kvtool repair.
   */
  | 'NEEDS_RECOVERY'
  /**
   * A leader's write given to a store that is not a follower
   * (applyReplicated without `follower: true`), or a store with writes of
   * its own opened as a follower.
   */
  | 'NOT_A_FOLLOWER'
  /** A replicated write (or a stream's message) from another store than the one this follower or mirror belongs to. */
  | 'WRONG_LEADER'
  /** A replication stream that skips a write: the message before this one is not the one the follower applied last. */
  | 'OFFSET_GAP'
  /** A server (NATS) that cannot be reached, or that has no JetStream, within the time allowed. */
  | 'UNAVAILABLE';

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

/** What each errno a user can act on means, as a code and words. */
const ERRNO: Readonly<Record<string, readonly [ErrorCode, string]>> = {
  ENOTDIR: ['NOT_A_DIRECTORY', 'not a directory'],
  ENOENT: ['NOT_FOUND', 'no such file or directory'],
  EACCES: ['PERMISSION_DENIED', 'permission denied'],
  EPERM: ['PERMISSION_DENIED', 'operation not permitted'],
  EROFS: ['PERMISSION_DENIED', 'read-only file system'],
  ENOSPC: ['NO_SPACE', 'no space left on the device'],
  EDQUOT: ['NO_SPACE', 'disk quota exceeded'],
};

/**
 * A file system error (an errno exception of node:fs) as a LogkvError with
 * the code that says what the user can do about it; `what` says what was
 * being done ("create the store directory /x"). Anything else comes back
 * as it is.
 */
export function fileSystemError(e: unknown, what: string): unknown {
  if (e instanceof LogkvError || !(e instanceof Error)) return e;
  const known = ERRNO[(e as NodeJS.ErrnoException).code ?? ''];
  if (known === undefined) return e;
  return new LogkvError(known[0], `cannot ${what}: ${known[1]}`, { file: (e as NodeJS.ErrnoException).path, cause: e });
}

function isNoSpace(e: unknown): boolean {
  for (let at = e, depth = 0; at instanceof Error && depth < 8; at = at.cause, depth++) {
    const code = (at as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'NO_SPACE') return true;
  }
  return false;
}

/**
 * The error for a failed write or fsync, after which a store refuses
 * writes until reopened: NO_SPACE when the disk (or quota) filled, IO
 * otherwise. `message` says what failed and that a reopen is needed.
 */
export function writeFailure(cause: unknown, message: string, details: Omit<ErrorDetails, 'cause'> = {}): LogkvError {
  const full = isNoSpace(cause);
  return new LogkvError(full ? 'NO_SPACE' : 'IO', full ? `${message} (no space left on the device: free some, then reopen)` : message, { ...details, cause });
}

/**
 * A failure of work the store does on its files in the background (a
 * sealed segment's hint, the next segment's preparation, a cleaner run), as
 * onBackgroundError reports it: a file system error as a LogkvError (its
 * errno's code where a user can act on it, else IO); a LogkvError, or an
 * error that is no file system's, as it is.
 */
export function backgroundFailure(e: unknown, dir: string): unknown {
  if (e instanceof LogkvError || !(e instanceof Error)) return e;
  const errno = (e as NodeJS.ErrnoException).code;
  if (typeof errno !== 'string') return e;
  const message = `background work on the store in ${dir} failed: ${e.message}`;
  const known = ERRNO[errno];
  return known ? new LogkvError(known[0], message, { file: (e as NodeJS.ErrnoException).path, cause: e }) : writeFailure(e, message);
}
