// The one place the generated Kaitai parsers and their runtime are loaded.
// Both are UMD/CommonJS (see DESIGN's traps), so they come in through
// createRequire and are typed from the declarations build-formats writes.

import { createRequire } from 'node:module';
import type * as KaitaiStreamModule from 'kaitai-struct/KaitaiStream.js';
import type * as LogSegmentModule from './generated/LogSegment.js';
import type * as HintModule from './generated/Hint.js';
import type * as SnapshotModule from './generated/Snapshot.js';
import type * as JournalModule from './generated/Journal.js';
import type * as StoreIdentityModule from './generated/StoreIdentity.js';
import type * as SegmentIndexModule from './generated/SegmentIndex.js';

const require = createRequire(import.meta.url);

// The runtime's .d.ts says `export default` on a CommonJS module, so under
// NodeNext the class sits one `.default` deeper than the JS puts it.
type KaitaiStreamClass = typeof KaitaiStreamModule.default.default;
export type KaitaiStream = InstanceType<KaitaiStreamClass>;

export const KaitaiStream = require('kaitai-struct/KaitaiStream.js') as KaitaiStreamClass;
export const { LogSegment } = require('./generated/LogSegment.js') as typeof LogSegmentModule;
export const { Hint } = require('./generated/Hint.js') as typeof HintModule;
export const { Snapshot } = require('./generated/Snapshot.js') as typeof SnapshotModule;
export const { Journal } = require('./generated/Journal.js') as typeof JournalModule;
export const { SegmentIndex } = require('./generated/SegmentIndex.js') as typeof SegmentIndexModule;
export const { StoreIdentity } = require('./generated/StoreIdentity.js') as typeof StoreIdentityModule;

/** A Kaitai stream over exactly `bytes` (not the rest of a pooled buffer). */
export function streamOver(bytes: Uint8Array): KaitaiStream {
  return new KaitaiStream(new DataView(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength));
}
