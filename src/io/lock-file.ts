// One writer process per store: a lock file naming its owner, created
// exclusively. A lock left by a process that no longer exists (a crash) is
// taken over; one held by a live process is a LOCKED error. The content is a
// whole line that must parse: a crash can leave the file torn (its name
// durable, its bytes not), and a torn pid could name some other live
// process.
//
// A pid alone is not an identity: after a reboot, or once the owner is gone
// long enough, the same number can belong to an unrelated live process, and
// the store would stay LOCKED for good. Where /proc tells them (Linux), the
// line also carries the boot id and the owner's start time (field 22 of
// /proc/<pid>/stat, in clock ticks since boot), and the lock is live only if
// a process with that pid, started at that time, runs in this boot. Without
// /proc (or for a line written without them) the pid check is all there is.

import * as fs from 'node:fs';
import { LogkvError } from '../errors.js';
import type { FileIO } from './file-io.js';

interface Owner {
  pid: number;
  boot: string | undefined;
  start: string | undefined;
}

function readProc(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

const bootId = readProc('/proc/sys/kernel/random/boot_id')?.trim() || undefined;

/** This process's own line: its start time never changes, so /proc is read for it once. */
let ownLine: string | undefined;
function myLockLine(): string {
  return (ownLine ??= lockLine({ pid: process.pid, boot: bootId, start: processStartTime(process.pid) }));
}

/** The start time of `pid` in clock ticks since boot, from /proc; undefined when unknown. */
export function processStartTime(pid: number): string | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces or ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

export function lockLine(owner: Owner): string {
  const extra = owner.boot !== undefined && owner.start !== undefined ? ` boot=${owner.boot} start=${owner.start}` : '';
  return `logkv-lock pid=${owner.pid}${extra}\n`;
}

export function parseLockLine(text: string): Owner | undefined {
  const m = /^logkv-lock pid=(\d+)(?: boot=([0-9a-f-]+) start=(\d+))?\n$/.exec(text);
  return m ? { pid: Number(m[1]), boot: m[2], start: m[3] } : undefined;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process the lock names still runs (the same process, not a later one with its pid). */
export function ownerAlive(owner: Owner): boolean {
  if (!pidExists(owner.pid)) return false;
  if (owner.boot === undefined || owner.start === undefined || bootId === undefined) return true;
  if (owner.boot !== bootId) return false;
  const start = processStartTime(owner.pid);
  return start === undefined || start === owner.start;
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
      h.write(Buffer.from(myLockLine()), 0);
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
    const owner = parseLockLine(io.readFile(path).toString('latin1'));
    if (owner !== undefined && owner.pid !== process.pid && ownerAlive(owner)) {
      throw new LogkvError('LOCKED', `${path} is held by process ${owner.pid}`);
    }
    io.unlink(path); // stale: its owner is gone
  }
  throw new LogkvError('LOCKED', `could not take ${path}`);
}
