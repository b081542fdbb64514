// The on-disk formats: one writer and one reader per .ksy in formats/.
export * from './limits.js';
export { type Damage } from './damage.js';
export * from './log-segment-writer.js';
export * from './log-segment-reader.js';
export * from './hint-writer.js';
export * from './hint-reader.js';
export * from './segment-index-writer.js';
export * from './segment-index-reader.js';
export * from './snapshot-writer.js';
export * from './snapshot-reader.js';
export * from './journal-value.js';
export * from './journal-writer.js';
export * from './journal-reader.js';
export * from './store-identity-writer.js';
export * from './store-identity-reader.js';
