// Read-only memory maps of segment files, through logkv's optional addon
// (native/mmap.c). A get then copies its record out of mapped pages instead
// of reading it with a pread: measured on this machine (issue 16), 1M
// random 132-byte reads from one 150 MB file run at 695k/s with readSync
// and at 2.09M/s from a map. The addon is built at install where there is
// a compiler; without it every read is a pread, as before (mmapAvailable()
// says which).
//
// The mapped bytes are never handed to JavaScript as a Buffer: V8 would
// count the whole map as external memory (a 128 MB map showed as +128 MB,
// which drives the collector), and a view could outlive munmap. The addon
// copies a record into a buffer of the caller's and checks its CRC-32C
// there. Hazards the engine keeps clear of (record-reads.ts): truncating a
// mapped file kills the process with SIGBUS; an unlinked file keeps its
// disk space until unmapped.

import { availability, loadAddon } from './native-addon.js';

interface MmapAddon {
  map(fd: number, length: number): object;
  unmap(handle: object): void;
  read(handle: object, position: number, target: Buffer): boolean;
}

/** A file's first `length` bytes, mapped read-only. */
export interface Mapping {
  readonly length: number;
  /**
   * Copies the record at `position` (target.length bytes, inside the map)
   * into `target`; true when the copy matches the record's CRC-32C.
   */
  readRecord(position: number, target: Buffer): boolean;
  /** Releases the map at once. Idempotent; no read may follow. */
  unmap(): void;
}

const loaded = loadAddon<MmapAddon>('logkv_mmap', 'LOGKV_MMAP');

/** Whether reads can come from mapped pages here, and if not, why. */
export function mmapAvailable(): { available: boolean; reason: string } {
  return availability(loaded);
}

/** Maps the first `length` bytes of the open file `fd`; undefined when the addon is not loaded. */
export function mapFile(fd: number, length: number): Mapping | undefined {
  const addon = loaded.addon;
  if (!addon || length <= 0) return undefined;
  const handle = addon.map(fd, length);
  return {
    length,
    readRecord: (position, target) => addon.read(handle, position, target),
    unmap: () => addon.unmap(handle),
  };
}
