// Group commit's fdatasyncs on a thread of the store's own, through logkv's
// optional addon (native/sync-thread.c), instead of libuv's thread pool.
//
// Why (issue 17): a durable put waits for its group's fdatasync. With the
// JavaScript thread busy and V8's helper threads runnable, a pool thread
// woken for that sync waited 2-17 ms for a CPU on this 2-core machine
// before it issued the write (scheduler and block-layer traces), while the
// disk took under 0.3 ms. The store's own thread asks Linux for a short
// time slice (0.1 ms; EEVDF, kernel 6.12+, no privilege needed): it is
// picked sooner when it wakes, without a larger share of CPU. Measured in
// the bench's roll workload (bench/roll-latency.ts), alternating runs with
// LOGKV_SYNC_THREAD=0: put p99.9 6.27 and 6.53 ms in the pool, 4.46 and
// 4.58 ms on the thread.

import { availability, loadAddon } from './native-addon.js';

interface SyncAddon {
  open(): object;
  fdatasync(handle: object, fd: number): Promise<void>;
  close(handle: object): void;
  sliceError(handle: object): number;
}

export interface SyncThread {
  /** fdatasync(fd) on the thread; rejects with Node's error shape (code, errno, syscall). */
  fdatasync(fd: number): Promise<void>;
  /** Ends the thread once the syncs queued before have run. Idempotent. */
  close(): void;
  /** 0 when the kernel gave the thread its short slice, its errno when it refused, -1 before the thread asked. */
  sliceError(): number;
}

const loaded = loadAddon<SyncAddon>('logkv_sync', 'LOGKV_SYNC_THREAD');

/** Whether group commit can sync on a thread of its own here, and if not, why. */
export function syncThreadAvailable(): { available: boolean; reason: string } {
  return availability(loaded);
}

/** A new sync thread; undefined when the addon is not loaded. */
export function openSyncThread(): SyncThread | undefined {
  const addon = loaded.addon;
  if (!addon) return undefined;
  const handle = addon.open();
  let closed = false;
  return {
    fdatasync: (fd) => addon.fdatasync(handle, fd),
    close: () => {
      if (closed) return;
      closed = true;
      addon.close(handle);
    },
    sliceError: () => addon.sliceError(handle),
  };
}
