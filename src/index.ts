// logkv: an embedded, crash-safe key-value store built as an append-only log.
export { LogkvError, type ErrorCode, type ErrorDetails } from './errors.js';
export { crc32c, crc32cImplementation, type Crc32c, type Crc32cImplementation } from './checksum/crc32c.js';
export type { Damage } from './formats/damage.js';
export * as formats from './formats/index.js';
export {
  JournalStore,
  DEFAULT_JOURNAL_SIZE,
  type Durability,
  type JournalEntries,
  type JournalOpenReport,
  type JournalStoreOptions,
} from './journal/journal-store.js';
export type { DataLoss, RecoveryEvent } from './journal/journal-recovery.js';
export type { JournalValue } from './formats/journal-value.js';
export { type FileIO, type FileHandle, type OpenMode, nodeFileIO } from './io/file-io.js';
export { mmapAvailable, type Mapping } from './io/mapped-file.js';
export { syncThreadAvailable, type SyncThread } from './io/sync-thread.js';
export {
  open,
  LogStore,
  type LogStoreOptions,
  type WriteOptions,
  type BatchOperation,
  type Cursor,
  type Key,
  type RangeQuery,
  type ValueEncodingName,
  type CompactionResult,
  type Change,
  type ChangesOptions,
  type SnapshotInfo,
  type SnapshotStart,
  type ReplicatedBatch,
  type BatchFeed,
  type FeedRun,
} from './log/log-store.js';
export { restore, type RestoreOptions, type RestoreReport } from './log/restore.js';
export type { LogOpenReport, DamageReport, RecoveryMode } from './log/recovery.js';
export { LogLevel, LevelError, type LogLevelOptions, type LogLevelWriteOptions } from './level/index.js';
