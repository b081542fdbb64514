// What the machine itself does with the same bytes, measured in the same
// child right next to the logkv figure it is the reference for: a plain
// sequential read of the files, a plain sequential write of as many bytes
// with an fdatasync, and SHA-256 over a file. A path that reads or writes a
// whole store is judged against these, not against a number from another
// day (issue 18).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { timeOnce } from './measure.js';

const CHUNK = 1024 * 1024;

/**
 * Empties the page cache (Linux, as root) so that the next read of a file
 * comes from the disk, as it does for a verify before a deploy or a first
 * open after a reboot; false where this process may not. Only at full
 * scale: the harness test runs beside other tests.
 */
export function dropPageCache(sizes: { keys: number }): boolean {
  if (sizes.keys < 100_000) return false;
  spawnSync('sync');
  try {
    fs.writeFileSync('/proc/sys/vm/drop_caches', '1');
    return true;
  } catch {
    return false;
  }
}

/** MB/s of reading `files` front to back in 1 MiB reads, into one reused buffer (no parsing, no copy kept). */
export async function plainReadMBps(files: readonly string[]): Promise<number> {
  const buf = Buffer.allocUnsafe(CHUNK);
  let bytes = 0;
  const ms = await timeOnce(() => {
    for (const file of files) {
      const fd = fs.openSync(file, 'r');
      try {
        for (let n = fs.readSync(fd, buf, 0, CHUNK, null); n > 0; n = fs.readSync(fd, buf, 0, CHUNK, null)) bytes += n;
      } finally {
        fs.closeSync(fd);
      }
    }
  });
  return bytes / 1e6 / (ms / 1000);
}

/** MB/s of writing `bytes` bytes to a new file in `dir` in 1 MiB writes, then one fdatasync (the file is removed after). */
export async function plainWriteMBps(dir: string, bytes: number): Promise<number> {
  const file = join(dir, 'reference-write');
  // Not zeros: a file system or disk that special-cases them would flatter the reference.
  const chunk = createHash('sha512').update('reference').digest();
  const data = Buffer.alloc(CHUNK, chunk);
  const fd = fs.openSync(file, 'w');
  try {
    const ms = await timeOnce(() => {
      for (let at = 0; at < bytes; at += CHUNK) fs.writeSync(fd, data, 0, Math.min(CHUNK, bytes - at));
      fs.fdatasyncSync(fd);
    });
    return bytes / 1e6 / (ms / 1000);
  } finally {
    fs.closeSync(fd);
    fs.unlinkSync(file);
  }
}

/** MB/s of SHA-256 over `file`'s bytes, read into memory first (the hash alone is timed). */
export async function sha256MBps(file: string): Promise<number> {
  const bytes = fs.readFileSync(file);
  const ms = await timeOnce(() => {
    createHash('sha256').update(bytes).digest();
  });
  return bytes.length / 1e6 / (ms / 1000);
}
