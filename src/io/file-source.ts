// A file read a window at a time through a FileHandle (byte-source.ts): how
// kvtool reads a segment, hint or snapshot of any size.

import type { ByteSource } from '../formats/byte-source.js';
import type { FileHandle, FileIO } from './file-io.js';

/** What a reader of a file takes at once: large enough that syscalls cost nothing, small enough to hold beside anything. */
export const FILE_WINDOW = 1024 * 1024;

/** `handle`'s bytes as they are when this is called, read with pread, `window` bytes at a time. The caller closes the handle. */
export function handleSource(handle: FileHandle, window = FILE_WINDOW): ByteSource {
  let size = handle.size();
  const readInto = (buf: Uint8Array, position: number): number => {
    const want = Math.max(0, Math.min(buf.length, size - position));
    const done = handle.read(buf.subarray(0, want), position);
    // The file shrank under the reader (a live writer trims its segment at close): from here on it ends where the read did.
    if (done < want) size = position + done;
    return done;
  };
  return {
    get size() {
      return size;
    },
    window,
    read(position, length) {
      const bytes = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - position)));
      const done = readInto(bytes, position);
      return done === bytes.length ? bytes : bytes.subarray(0, done);
    },
    readInto,
  };
}

/** `use` of the file at `path` read through handleSource; the file is closed after, whatever `use` does. */
export function withFileSource<T>(io: FileIO, path: string, use: (source: ByteSource) => T): T {
  const handle = io.open(path, 'read');
  try {
    return use(handleSource(handle));
  } finally {
    handle.close();
  }
}
