// The on-disk steps of one journal file: writing a new generation into it,
// and appending frames to it. Crash story of writeGeneration: the body and
// the zero slack go first and are fsynced while the file still carries its
// old (lower) header; only then is the new header written and fsynced. A
// crash before the header lands leaves the file older than the active one,
// so it is never chosen; the header (the commit marker) never reaches the
// disk before the data it counts. Once the new generation is durable, the
// other file's header gets the superseded flag (markSuperseded), so that a
// later open that finds the new file zeroed or gone reports the loss
// instead of taking the old file for the current one beside a fresh spare.

import { dirname } from 'node:path';
import { LogkvError } from '../errors.js';
import { readJournalHeader } from '../formats/journal-reader.js';
import { encodeFrame, encodeJournalHeader, type JournalEntry } from '../formats/journal-writer.js';
import { FrameOp, JOURNAL_HEADER_SIZE } from '../formats/limits.js';
import type { FileHandle, FileIO } from '../io/file-io.js';
import type { JournalValue } from '../formats/journal-value.js';

/** The frame holding a whole state, or no frame for an empty one. */
export function compactBody(generation: number, state: ReadonlyMap<string, JournalValue>): Buffer {
  if (state.size === 0) return Buffer.alloc(0);
  const entries: JournalEntry[] = [];
  for (const [key, value] of state) entries.push({ key, value });
  return encodeFrame({ generation, op: FrameOp.Set, entries });
}

/** Bytes a file needs for `body`: header, body and the 4-byte end marker. */
export function bytesNeeded(bodyLength: number): number {
  return JOURNAL_HEADER_SIZE + bodyLength + 4;
}

export interface GenerationWrite {
  generation: number;
  fileSize: number;
  body: Buffer;
  createdMs: number;
}

/**
 * Makes `path` hold a new generation whose committed frames are `body`,
 * durably, and returns an open handle positioned for appends.
 */
export async function writeGeneration(io: FileIO, path: string, g: GenerationWrite): Promise<FileHandle> {
  const created = !io.exists(path);
  const handle = io.open(path, created ? 'create' : 'update');
  try {
    if (handle.size() !== g.fileSize) handle.truncate(g.fileSize);
    const rest = Buffer.alloc(g.fileSize - JOURNAL_HEADER_SIZE);
    g.body.copy(rest, 0);
    handle.write(rest, JOURNAL_HEADER_SIZE);
    await handle.sync();
    handle.write(
      encodeJournalHeader({ generation: g.generation, fileSize: g.fileSize, committedLength: g.body.length, createdMs: g.createdMs }),
      0,
    );
    await handle.sync();
    if (created) await io.syncDir(dirname(path));
    return handle;
  } catch (e) {
    handle.close();
    throw e;
  }
}

/**
 * Sets the superseded flag in the header of the file `handle` holds (the
 * older of the two, a newer generation being durable in the other), durably.
 * A file whose header does not read is left alone: open reports it anyway.
 * Crash story: the 36-byte header is rewritten in place; a crash that tears
 * it leaves this older file unreadable, which open reports as possible loss
 * while it takes the newer file, whole, as the current one.
 */
export async function markSuperseded(handle: FileHandle): Promise<void> {
  const bytes = Buffer.alloc(JOURNAL_HEADER_SIZE);
  if (handle.read(bytes, 0) !== JOURNAL_HEADER_SIZE) return;
  let header;
  try {
    header = readJournalHeader(bytes, handle.path);
  } catch (e) {
    if (e instanceof LogkvError) return;
    throw e;
  }
  if (header.superseded) return;
  handle.write(encodeJournalHeader({ ...header, superseded: true }), 0);
  await handle.sync();
}
