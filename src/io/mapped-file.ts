// Read-only memory maps of sealed segment files, through logkv's optional
// addon (native/mmap.c). A get then reads its record from mapped pages
// instead of a pread: measured on this machine (issue 16), 1M random
// 132-byte reads from one 150 MB file run at 695k/s with readSync and at
// 2.09M/s from a mapping. The addon is built at install when a compiler is
// there; without it every read is a pread, as before (mmapAvailable()).
//
// Hazards, and how the engine keeps clear of them (DESIGN-read-path.md):
// - Truncating a mapped file kills the process with SIGBUS on the next read
//   past the new end: only sealed segments, never truncated or written
//   again, are mapped, and they are unmapped before anything removes them.
// - An unlinked file keeps its disk space while mapped: unmap() releases the
//   pages at once (before the next turn of the event loop) instead of at GC.
// - V8 refuses two ArrayBuffers over one mapping: each map() is its own mmap.

import { createRequire } from 'node:module';

interface MmapAddon {
  map(fd: number, length: number): ArrayBuffer;
  unmap(buffer: ArrayBuffer): void;
}

/** A file's first bytes, mapped read-only. */
export interface Mapping {
  /** The mapped bytes as the file holds them now (a view of the page cache). */
  readonly bytes: Buffer;
  /** Releases the mapping; `bytes` is empty afterwards. Idempotent. */
  unmap(): void;
}

// dist/src/io/ when built, src/io/ under the tests' transpile-only run.
const ADDON_PATHS = ['../../../native/build/Release/logkv_mmap.node', '../../native/build/Release/logkv_mmap.node'];

function loadAddon(): { addon: MmapAddon | undefined; reason: string } {
  if (process.env.LOGKV_MMAP === '0') return { addon: undefined, reason: 'LOGKV_MMAP=0' };
  const require = createRequire(import.meta.url);
  let lastError = 'not built';
  for (const path of ADDON_PATHS) {
    try {
      return { addon: require(path) as MmapAddon, reason: 'loaded' };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'MODULE_NOT_FOUND') lastError = e instanceof Error ? e.message : String(e);
    }
  }
  return { addon: undefined, reason: lastError };
}

const loaded = loadAddon();

/** Whether reads can come from mapped pages here, and if not, why. */
export function mmapAvailable(): { available: boolean; reason: string } {
  return { available: loaded.addon !== undefined, reason: loaded.reason };
}

/** Maps the first `length` bytes of the open file `fd`; undefined when the addon is not loaded. */
export function mapFile(fd: number, length: number): Mapping | undefined {
  const addon = loaded.addon;
  if (!addon || length <= 0) return undefined;
  const buffer = addon.map(fd, length);
  let bytes = Buffer.from(buffer);
  return {
    get bytes() {
      return bytes;
    },
    unmap() {
      if (bytes.length === 0) return;
      bytes = Buffer.alloc(0);
      addon.unmap(buffer);
    },
  };
}
