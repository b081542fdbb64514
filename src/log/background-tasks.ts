// What each background task does (background-files.ts), on the real file
// system: run by the worker thread, or on this thread when no worker can
// be started.

import { nodeFileIO } from '../io/file-io.js';
import { type HintedSegment, writeHint, writeHintFrom } from './segment-hint.js';
import { sortByKey } from './key-order.js';
import { prepareSegmentFile } from './segment-file.js';
import { readSegmentParts, type SegmentReadParts } from './recovery-scan.js';
import { type SegmentFilesHeader, SegmentNewest, type SegmentNewestParts } from './segment-newest.js';

export type BackgroundTask =
  | { kind: 'hint'; dir: string; segment: HintedSegment }
  | { kind: 'hint-from'; dir: string; segment: HintedSegment; header: SegmentFilesHeader; parts: SegmentNewestParts }
  | { kind: 'prepare'; path: string; header: Uint8Array; size: number }
  | { kind: 'sort'; arena: Uint8Array; offsets: Uint32Array }
  | { kind: 'read-segment'; path: string };

export type BackgroundResult = boolean | Uint32Array | SegmentReadParts | undefined;

/** The buffers of a result to transfer rather than copy. */
export function transferables(result: BackgroundResult): ArrayBuffer[] {
  if (result instanceof Uint32Array) return [result.buffer as ArrayBuffer];
  if (typeof result === 'object' && 'parts' in result) return SegmentNewest.buffers(result.parts);
  return [];
}

export async function perform(task: BackgroundTask): Promise<BackgroundResult> {
  switch (task.kind) {
    case 'hint':
      return writeHint(nodeFileIO, task.dir, task.segment);
    case 'hint-from':
      return writeHintFrom(nodeFileIO, task.dir, task.segment, task.header, SegmentNewest.fromParts(task.parts));
    case 'sort':
      return sortByKey(task.arena, task.offsets);
    case 'prepare':
      await prepareSegmentFile(nodeFileIO, task.path, task.header, task.size);
      return undefined;
    case 'read-segment':
      return readSegmentParts(nodeFileIO, task.path);
  }
}
