// An in-memory FileIO that knows what a crash keeps, and fails on command.
//
// What a crash keeps (crash()): per file, the bytes as of its last
// successful sync plus, at the crash's choice, a prefix of the writes since,
// the newest kept one possibly torn (a prefix of it, or its last page zeroed
// or filled with garbage); per directory, the names as of its last syncDir.
// Strict POSIX: a file created or renamed but not yet made durable by a
// directory sync may vanish. Images share unchanged buffers with the file
// system they came from (copy on write), so a test can take one before
// every I/O step of a run and keep them all.
//
// What fails on command: a sync can fail with EIO, and then, as Linux does
// since the fsyncgate discussion (PostgreSQL, 2018), the writes it covered
// are marked clean without reaching the disk: a later sync succeeds, and a
// crash still loses them. A store that retries the fsync and acknowledges
// loses data; one that refuses further writes until reopened does not.
// Writes can fail with ENOSPC (a count of coming writes, or a capacity in
// bytes; a write that crosses the capacity lands in part, like a short
// write(2) followed by ENOSPC).
//
// Every operation is one numbered step, recorded in `trace` and offered to
// `beforeStep` first (which may throw: the step then does not happen), so a
// test can enumerate every point of a run at which a crash can strike.

import { basename, dirname } from 'node:path';
import type { FileHandle, FileIO, OpenMode } from '../../src/io/file-io.js';
import { recordCrcMatches } from '../../src/formats/log-segment-reader.js';
import type { Mapping } from '../../src/io/mapped-file.js';

type PendingOp = { kind: 'write'; position: number; data: Buffer } | { kind: 'truncate'; length: number };

interface Inode {
  data: Buffer;
  synced: Buffer;
  /** Writes and truncations since the last sync, in order, with the step number of each. */
  pending: Array<PendingOp & { step: number }>;
  /** `data` / `synced` may be shared with a crash image: copy before changing in place. */
  dataShared: boolean;
  syncedShared: boolean;
  /** Live memory maps of the file (map()): truncating it then would be SIGBUS in a real process. */
  maps: number;
}

export type StepKind = 'create' | 'write' | 'truncate' | 'sync' | 'syncDir' | 'rename' | 'unlink';

export interface Step {
  /** 0, 1, 2, ... in the order the steps were asked for. */
  n: number;
  kind: StepKind;
  path: string;
  /** rename: the new name. */
  to?: string;
  /** write: position and byte count; truncate: the new length. */
  position?: number;
  length?: number;
}

/** How the newest kept unsynced write is torn. */
export type TearMode = 'prefix' | 'zero' | 'garbage';

export interface CrashOptions {
  /**
   * Random source in [0, 1): keep a random prefix of each file's unsynced
   * operations, the newest kept write possibly torn. Without it (and
   * without `keep`) every unsynced byte is dropped.
   */
  random?: () => number;
  /** How a random crash may tear a write; default ['prefix'] (a prefix of the write lands). */
  tearModes?: readonly TearMode[];
  /** Deterministic alternative to `random`: keep no unsynced operation, or all of them. */
  keep?: 'none' | 'all';
  /** With keep 'all': tear the newest unsynced write of the whole file system this way. */
  tear?: TearMode;
  /**
   * 'durable' (default): names as of each directory's last syncDir (power
   * loss). 'current': every name as it is now, as when metadata reached the
   * disk before data (ext4 data=writeback) or only the process died.
   */
  names?: 'durable' | 'current';
}

/** Page size for torn writes: a write's last page is what a power cut garbles. */
export const PAGE_SIZE = 4096;

export function errnoError(code: string, message: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: ${message}`);
  e.code = code;
  return e;
}

/** Writes `data` into `target` in place, growing it (a copy) only when the write extends it. */
function applyWrite(target: Buffer, position: number, data: Buffer): Buffer {
  const out = target.length >= position + data.length ? target : Buffer.concat([target, Buffer.alloc(position + data.length - target.length)]);
  data.copy(out, position);
  return out;
}

function applyOp(target: Buffer, op: PendingOp): Buffer {
  return op.kind === 'write' ? applyWrite(target, op.position, op.data) : resize(target, op.length);
}

function resize(b: Buffer, length: number): Buffer {
  return length <= b.length ? b.subarray(0, length) : Buffer.concat([b, Buffer.alloc(length - b.length)]);
}

/** The bytes a torn write leaves: a prefix, or the write with its last page zeroed or garbled. */
export function tornWrite(op: { position: number; data: Buffer }, mode: TearMode, random: () => number): Buffer {
  const { position, data } = op;
  if (data.length === 0) return data;
  if (mode === 'prefix') return data.subarray(0, Math.floor(random() * data.length));
  const end = position + data.length;
  const pageStart = Math.max(position, Math.floor((end - 1) / PAGE_SIZE) * PAGE_SIZE) - position;
  const out = Buffer.from(data);
  if (mode === 'zero') out.fill(0, pageStart);
  else for (let i = pageStart; i < out.length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** A small seeded generator (mulberry32), so every crash replays from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function freshInode(data: Buffer = Buffer.alloc(0)): Inode {
  return { data, synced: data, pending: [], dataShared: true, syncedShared: true, maps: 0 };
}

/**
 * A Mapping read in JavaScript from `bytes()` (asked at every read, so it
 * can be a live view of the page cache), checked as the addon checks.
 */
function mappingOverBytes(bytes: () => Buffer, length: number, unmap: () => void): Mapping {
  return {
    length,
    readRecord: (position, target) => {
      bytes().copy(target, 0, position, position + target.length);
      return recordCrcMatches(target, 0, target.length);
    },
    unmap,
  };
}

export class MemoryFileIO implements FileIO {
  readonly #names = new Map<string, Inode>();
  readonly #durable = new Map<string, Inode>();
  readonly #dirs = new Set<string>(['/']);
  /** Name changes since each directory's last syncDir: path -> inode, or null for a removed name. */
  readonly #unsyncedNames = new Map<string, Map<string, Inode | null>>();
  /** Whether handles offer map(), as the real file system does when the addon is loaded. */
  mappable = true;
  /** Counts of operations, for tests that check what a step costs. */
  readonly stats = { syncs: 0, dirSyncs: 0, writes: 0, steps: 0 };
  /** Every step asked for, in order (also those that failed or were stopped by beforeStep). */
  readonly trace: Step[] = [];
  /** Number of coming file syncs that fail with EIO; the writes they covered never reach the disk. */
  failSyncs = 0;
  /** Number of coming writes (or extending truncations) that fail with ENOSPC, writing nothing. */
  failWrites = 0;
  /** Total bytes the files may take; a write past it lands in part, then fails with ENOSPC. */
  capacity = Infinity;
  /** Called before every file or directory sync, with the count so far and the path (crash-point enumeration). */
  beforeSync: ((n: number, path: string) => void) | undefined;
  /** Called before every step; throwing stops the step from happening. */
  beforeStep: ((step: Step) => void) | undefined;

  #nameChanged(path: string, inode: Inode | null): void {
    const dir = dirname(path);
    let changes = this.#unsyncedNames.get(dir);
    if (!changes) this.#unsyncedNames.set(dir, (changes = new Map()));
    changes.set(path, inode);
  }

  #step(kind: StepKind, path: string, extra: Omit<Step, 'n' | 'kind' | 'path'> = {}): number {
    const step: Step = { n: this.stats.steps++, kind, path, ...extra };
    this.trace.push(step);
    this.beforeStep?.(step);
    return step.n;
  }

  /** The steps that touched `path` (by the name it had then), in order. */
  history(path: string): Step[] {
    return this.trace.filter((s) => s.path === path || s.to === path);
  }

  /** Bytes all files take now (page cache), for a capacity check. */
  usedBytes(): number {
    let n = 0;
    for (const inode of new Set(this.#names.values())) n += inode.data.length;
    return n;
  }

  open(path: string, mode: OpenMode): FileHandle {
    let inode = this.#names.get(path);
    if (mode === 'create') {
      if (inode) throw errnoError('EEXIST', path);
      if (!this.#dirs.has(dirname(path))) throw errnoError('ENOENT', dirname(path));
      this.#step('create', path);
      inode = freshInode();
      this.#names.set(path, inode);
      this.#nameChanged(path, inode);
    } else if (!inode) {
      throw errnoError('ENOENT', path);
    }
    return this.#handle(path, inode, mode === 'read');
  }

  /** Room left for `extra` more bytes; throws ENOSPC when a coming failure is armed. */
  #room(extra: number, path: string): number {
    if (extra <= 0) return Infinity;
    if (this.failWrites > 0) {
      this.failWrites--;
      throw errnoError('ENOSPC', `no space left writing ${path}`);
    }
    return this.capacity === Infinity ? Infinity : this.capacity - this.usedBytes();
  }

  #handle(path: string, inode: Inode, readOnly: boolean): FileHandle {
    let closed = false;
    const check = (writing: boolean) => {
      if (closed) throw errnoError('EBADF', path);
      if (writing && readOnly) throw errnoError('EBADF', `${path} is open read-only`);
    };
    const ownData = () => {
      if (inode.dataShared) {
        inode.data = Buffer.from(inode.data);
        inode.dataShared = false;
      }
    };
    return {
      path,
      read: (buf, position) => {
        check(false);
        const n = Math.max(0, Math.min(buf.length, inode.data.length - position));
        if (n > 0) inode.data.copy(buf, 0, position, position + n);
        return n;
      },
      write: (data, position) => {
        check(true);
        const step = this.#step('write', path, { position, length: data.length });
        const room = this.#room(position + data.length - inode.data.length, path);
        const fits = Math.min(data.length, Math.max(0, room) + Math.max(0, inode.data.length - position));
        const copy = Buffer.from(data.subarray(0, fits));
        ownData();
        inode.data = applyWrite(inode.data, position, copy);
        inode.pending.push({ kind: 'write', position, data: copy, step });
        this.stats.writes++;
        if (fits < data.length) throw errnoError('ENOSPC', `no space left writing ${path} (${fits} of ${data.length} bytes written)`);
      },
      sync: async () => {
        check(false);
        this.beforeSync?.(this.stats.syncs + this.stats.dirSyncs, path);
        this.#step('sync', path);
        const covered = inode.pending;
        inode.pending = [];
        if (this.failSyncs > 0) {
          // fsyncgate: the pages are marked clean, never written, and reads still see them.
          this.failSyncs--;
          throw errnoError('EIO', `fsync ${path}`);
        }
        // Bring the durable image up to date by replaying only what changed.
        if (inode.syncedShared && covered.length > 0) {
          inode.synced = Buffer.from(inode.synced);
          inode.syncedShared = false;
        }
        for (const op of covered) inode.synced = applyOp(inode.synced, op);
        this.stats.syncs++;
      },
      size: () => inode.data.length,
      truncate: (length) => {
        check(true);
        if (inode.maps > 0 && length < inode.data.length) {
          // A real process would die of SIGBUS at its next read past the new end: a test must see it, not pass.
          throw new Error(`${path}: truncated while memory-mapped (SIGBUS in a real process)`);
        }
        const step = this.#step('truncate', path, { length });
        if (length > inode.data.length && this.#room(length - inode.data.length, path) < length - inode.data.length) {
          throw errnoError('ENOSPC', `no space left extending ${path} to ${length} bytes`);
        }
        ownData();
        inode.data = resize(inode.data, length);
        inode.pending.push({ kind: 'truncate', length, step });
      },
      close: () => {
        closed = true;
      },
      // The page cache's bytes, as a real map shows them: writes, flipped bytes and setFile() after the map are seen.
      map: (length) => {
        check(false);
        if (!this.mappable || length <= 0) return undefined;
        inode.maps++;
        let mapped = true;
        const bytes = () => {
          if (!mapped) throw new Error(`${path}: read through a released map (a use after munmap in a real process)`);
          if (inode.data.length < length) throw new Error(`${path}: read past the end of a shrunk mapped file (SIGBUS in a real process)`);
          return inode.data.subarray(0, length);
        };
        return mappingOverBytes(bytes, length, () => {
          if (!mapped) return;
          mapped = false;
          inode.maps--;
        });
      },
    };
  }

  readFile(path: string): Buffer {
    const inode = this.#names.get(path);
    if (!inode) throw errnoError('ENOENT', path);
    return Buffer.from(inode.data);
  }

  exists(path: string): boolean {
    return this.#names.has(path) || this.#dirs.has(path);
  }

  isDirectory(path: string): boolean {
    return this.#dirs.has(path);
  }

  rename(from: string, to: string): void {
    const inode = this.#names.get(from);
    if (!inode) throw errnoError('ENOENT', from);
    this.#step('rename', from, { to });
    this.#names.delete(from);
    this.#names.set(to, inode);
    this.#nameChanged(from, null);
    this.#nameChanged(to, inode);
  }

  unlink(path: string): void {
    if (!this.#names.has(path)) throw errnoError('ENOENT', path);
    this.#step('unlink', path);
    this.#names.delete(path);
    this.#nameChanged(path, null);
  }

  mkdir(path: string): void {
    // Directories are durable at once: the stores here make theirs at creation.
    for (let p = path; p !== dirname(p); p = dirname(p)) this.#dirs.add(p);
  }

  rmdir(path: string): void {
    if (!this.#dirs.has(path)) throw errnoError('ENOENT', path);
    if (this.readdir(path).length > 0) throw errnoError('ENOTEMPTY', path);
    this.#dirs.delete(path);
  }

  readdir(path: string): string[] {
    if (this.#names.has(path)) throw errnoError('ENOTDIR', path);
    if (!this.#dirs.has(path)) throw errnoError('ENOENT', path);
    const names = [...this.#names.keys()].filter((p) => dirname(p) === path).map((p) => basename(p));
    const dirs = [...this.#dirs].filter((p) => p !== path && dirname(p) === path).map((p) => basename(p));
    return [...names, ...dirs].sort();
  }

  async syncDir(dir: string): Promise<void> {
    this.beforeSync?.(this.stats.syncs + this.stats.dirSyncs, dir);
    this.#step('syncDir', dir);
    this.stats.dirSyncs++;
    for (const [p, inode] of this.#unsyncedNames.get(dir) ?? []) {
      if (inode) this.#durable.set(p, inode);
      else this.#durable.delete(p);
    }
    this.#unsyncedNames.delete(dir);
  }

  /**
   * The file system as a machine would find it after losing power now (or,
   * with names 'current' and keep 'all', after only the process died): a
   * new MemoryFileIO holding what was durable plus the unsynced operations
   * the options choose. This one is left as it was.
   */
  crash(options: CrashOptions = {}): MemoryFileIO {
    const after = new MemoryFileIO();
    for (const d of this.#dirs) after.#dirs.add(d);
    const source = options.names === 'current' ? this.#names : this.#durable;
    const random = options.random;
    // The newest unsynced write of the whole file system, for a deterministic tear.
    let newest: { inode: Inode; index: number } | undefined;
    if (options.keep === 'all' && options.tear) {
      for (const inode of new Set(source.values())) {
        inode.pending.forEach((op, index) => {
          if (op.kind === 'write' && (!newest || op.step > newest.inode.pending[newest.index]!.step)) newest = { inode, index };
        });
      }
    }
    const images = new Map<Inode, Inode>();
    for (const [path, inode] of source) {
      let image = images.get(inode);
      if (!image) {
        image = this.#imageOf(inode, options, random, newest?.inode === inode ? newest.index : -1);
        images.set(inode, image);
      }
      after.#names.set(path, image);
      after.#durable.set(path, image);
    }
    return after;
  }

  #imageOf(inode: Inode, options: CrashOptions, random: (() => number) | undefined, tearIndex: number): Inode {
    const keep = options.keep === 'all' ? inode.pending.length : random ? Math.floor(random() * (inode.pending.length + 1)) : 0;
    inode.syncedShared = true;
    if (keep === 0) return freshInode(inode.synced);
    let data: Buffer = Buffer.from(inode.synced);
    const modes = options.tearModes ?? ['prefix'];
    for (let i = 0; i < keep; i++) {
      const op = inode.pending[i]!;
      if (op.kind === 'truncate') {
        data = resize(data, op.length);
        continue;
      }
      let bytes = op.data;
      if (i === tearIndex) bytes = tornWrite(op, options.tear!, seededRandom(op.step + 1));
      else if (random && i === keep - 1 && random() < 0.5) bytes = tornWrite(op, modes.length === 1 ? modes[0]! : modes[Math.floor(random() * modes.length)]!, random);
      data = applyWrite(data, op.position, bytes);
    }
    return { data, synced: data, pending: [], dataShared: true, syncedShared: true, maps: 0 };
  }

  /** Replaces a file's bytes outright, durably (for corruption tests). */
  setFile(path: string, data: Uint8Array): void {
    const inode = this.#names.get(path) ?? freshInode();
    inode.data = Buffer.from(data);
    inode.synced = inode.data;
    inode.dataShared = true;
    inode.syncedShared = true;
    inode.pending = [];
    this.#names.set(path, inode);
    this.#durable.set(path, inode);
    this.#unsyncedNames.get(dirname(path))?.delete(path);
  }

  /** Every file and its bytes (page cache view), for tests that copy a store out. */
  files(): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    for (const [p, inode] of [...this.#names].sort(([a], [b]) => (a < b ? -1 : 1))) out.set(p, Buffer.from(inode.data));
    return out;
  }
}

/** `inner` with some of its operations replaced, for tests that watch or slow one of them. */
export function overriding(inner: FileIO, overrides: Partial<FileIO>): FileIO {
  return {
    open: (p, m) => inner.open(p, m),
    readFile: (p) => inner.readFile(p),
    exists: (p) => inner.exists(p),
    isDirectory: (p) => inner.isDirectory(p),
    rename: (a, b) => inner.rename(a, b),
    unlink: (p) => inner.unlink(p),
    mkdir: (p) => inner.mkdir(p),
    rmdir: (p) => inner.rmdir(p),
    readdir: (p) => inner.readdir(p),
    syncDir: (d) => inner.syncDir(d),
    ...overrides,
  };
}
