// One writer process per store: a lock file holding the owner's pid,
// created exclusively. A lock left by a process that no longer exists (a
// crash) is taken over; one held by a live process is a LOCKED error. The
// content is a whole line that must parse: a crash can leave the file torn
// (its name durable, its bytes not), and a torn pid could name some other
// live process. Known limit: a pid reused after a reboot looks alive.

import { LogkvError } from '../errors.js';
import type { FileIO } from './file-io.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface LockFile {
  release(): void;
}

/** Locks held by this process, per file system, so a second open here is refused too. */
const heldHere = new WeakMap<FileIO, Set<string>>();

export function acquireLock(io: FileIO, path: string): LockFile {
  let held = heldHere.get(io);
  if (!held) heldHere.set(io, (held = new Set()));
  if (held.has(path)) throw new LogkvError('LOCKED', `${path} is already open in this process`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const h = io.open(path, 'create');
      h.write(Buffer.from(`logkv-lock pid=${process.pid}\n`), 0);
      h.close();
      held.add(path);
      return {
        release: () => {
          held.delete(path);
          if (io.exists(path)) io.unlink(path);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const match = /^logkv-lock pid=(\d+)\n$/.exec(io.readFile(path).toString('latin1'));
    const pid = match ? Number(match[1]) : undefined;
    if (pid !== undefined && pid !== process.pid && alive(pid)) {
      throw new LogkvError('LOCKED', `${path} is held by process ${pid}`);
    }
    io.unlink(path); // stale: its owner is gone
  }
  throw new LogkvError('LOCKED', `could not take ${path}`);
}
