// logkv: an embedded, crash-safe key-value store built as an append-only log.
export { LogkvError, type ErrorCode, type ErrorDetails } from './errors.js';
export { crc32c, crc32cImplementation } from './checksum/crc32c.js';
export * as formats from './formats/index.js';
