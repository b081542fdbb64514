// What a directory is to logkv, decided before anything is written: a
// store (marked by its IDENTITY file, formats/store_identity.ksy), an empty
// place to make one, or something else, which is left alone. And which
// files inside a store are the store's own: only those may ever be removed,
// by open (leftovers of an interrupted step) or by kvtool repair (into
// lost/). A file is the store's own when its name is one the store gives
// and its bytes begin with that kind's magic (or are all zero: a file
// created and never written, which holds nothing to lose).

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileSystemError, LogkvError } from '../errors.js';
import { HINT_MAGIC, INDEX_MAGIC, JOURNAL_MAGIC, LOG_MAGIC, SNAPSHOT_MAGIC, STORE_ID_SIZE } from '../formats/limits.js';
import { readStoreIdentity } from '../formats/store-identity-reader.js';
import { encodeStoreIdentity, type StoreIdentityInfo } from '../formats/store-identity-writer.js';
import { type FileIO, replaceFile } from '../io/file-io.js';
import { parseLockLine } from '../io/lock-file.js';
import { MANIFEST_BASE } from './manifest.js';
import { parseSegmentFileName } from './segment-names.js';

export const IDENTITY_FILE = 'IDENTITY';
export const LOCK_FILE = 'LOCK';
export const LOST_DIR = 'lost';
/** Made first and removed last by restore() (restore.ts). */
export const RESTORE_MARKER = 'RESTORING';

export type StoreDir =
  | { kind: 'missing' }
  /** Nothing in it but what an interrupted creation leaves (a stale LOCK, IDENTITY.tmp). */
  | { kind: 'empty'; names: string[] }
  /** `identity` undefined: a store made before IDENTITY existed, told by its manifest. */
  | { kind: 'store'; identity: StoreIdentityInfo | undefined; names: string[] }
  /** A restore that did not finish (restore.ts). */
  | { kind: 'restoring'; names: string[] }
  /** Anything else: not ours. */
  | { kind: 'foreign'; names: string[] };

/**
 * Looks at `dir` and writes nothing. Throws NOT_A_DIRECTORY for a file,
 * PERMISSION_DENIED when it cannot be listed, and CORRUPT (reason
 * 'store-identity') when its IDENTITY is there but fails a check.
 */
export function inspectStoreDir(io: FileIO, dir: string): StoreDir {
  let names: string[];
  try {
    names = io.readdir(dir);
  } catch (e) {
    // Listing tells a missing directory from one this process may not see into (stat would say "missing" to both).
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') throw new LogkvError('NOT_A_DIRECTORY', `${dir} is a file (or under one), not a directory`, { file: dir });
    throw fileSystemError(e, `list ${dir}`);
  }
  if (names.includes(RESTORE_MARKER)) return { kind: 'restoring', names };
  if (names.includes(IDENTITY_FILE)) return { kind: 'store', identity: readIdentity(io, dir), names };
  if (names.every((name) => creationLeftover(io, dir, name))) return { kind: 'empty', names };
  if (legacyManifest(io, dir, names)) return { kind: 'store', identity: undefined, names };
  return { kind: 'foreign', names };
}

/** The message of a NOT_A_STORE error for `dir`, naming a few of its files. */
export function notAStoreMessage(dir: string, names: readonly string[]): string {
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, ... (${names.length} in all)` : '');
  return `${dir} is not a logkv store (no ${IDENTITY_FILE} file) and not empty (it holds ${shown}); nothing was changed`;
}

export function readIdentity(io: FileIO, dir: string): StoreIdentityInfo {
  const path = join(dir, IDENTITY_FILE);
  let bytes: Buffer;
  try {
    bytes = io.readFile(path);
  } catch (e) {
    throw fileSystemError(e, `read ${path}`);
  }
  try {
    return readStoreIdentity(bytes, path);
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
    throw new LogkvError('CORRUPT', `${path} is damaged (${e.message}); run kvtool repair`, { file: path, offset: e.offset, reason: 'store-identity', cause: e });
  }
}

/** Marks `dir` as a store: IDENTITY written whole under a temporary name, fsynced, renamed, the directory fsynced. */
export async function writeIdentity(io: FileIO, dir: string, now: () => number): Promise<StoreIdentityInfo> {
  const identity: StoreIdentityInfo = { storeId: randomBytes(STORE_ID_SIZE), createdMs: now() };
  await replaceFile(io, join(dir, IDENTITY_FILE), encodeStoreIdentity(identity));
  return identity;
}

/**
 * A file an interrupted creation leaves: the IDENTITY temp file, or a LOCK
 * in our own format, whole or torn (empty, zeros, or a prefix of its line:
 * the lock's line is written after the file is created).
 */
function creationLeftover(io: FileIO, dir: string, name: string): boolean {
  if (name === `${IDENTITY_FILE}.tmp`) return true;
  if (name !== LOCK_FILE) return false;
  let text: string;
  try {
    text = io.readFile(join(dir, name)).toString('latin1');
  } catch {
    return false;
  }
  if (parseLockLine(text) !== undefined || /^\0*$/.test(text)) return true;
  return text.length < LOCK_PREFIX.length ? LOCK_PREFIX.startsWith(text) : text.startsWith(LOCK_PREFIX) && !text.slice(0, -1).includes('\n');
}

const LOCK_PREFIX = 'logkv-lock pid=';

/** A store from before IDENTITY existed: its manifest journal is there, with the journal magic. */
function legacyManifest(io: FileIO, dir: string, names: readonly string[]): boolean {
  return [`${MANIFEST_BASE}.jrna`, `${MANIFEST_BASE}.jrnb`].some((name) => names.includes(name) && startsWithMagic(io, join(dir, name), JOURNAL_MAGIC));
}

// ---- which files are the store's own ---------------------------------------

/** The magic each kind of file the store names starts with; undefined: a name the store never gives. */
function magicFor(name: string, inSnapshots: boolean): string | undefined {
  const base = name.endsWith('.tmp') ? name.slice(0, -'.tmp'.length) : name;
  if (inSnapshots) return /^\d{20}\.snap$/.test(base) ? SNAPSHOT_MAGIC : undefined;
  if (base.endsWith('.log')) return parseSegmentFileName(base) ? LOG_MAGIC : undefined;
  if (base.endsWith('.hint')) return parseSegmentFileName(`${base.slice(0, -'.hint'.length)}.log`) ? HINT_MAGIC : undefined;
  if (base.endsWith('.index')) return parseSegmentFileName(`${base.slice(0, -'.index'.length)}.log`) ? INDEX_MAGIC : undefined;
  return undefined;
}

/**
 * Whether the file `name` (in the store directory, or in its snapshots/
 * folder) is provably one the store made: a segment, hint, index or snapshot name
 * (or its temporary name), holding that kind's magic or nothing but zeros.
 * Only such a file is ever removed as a leftover.
 */
export function isStoreFile(io: FileIO, folder: string, name: string, inSnapshots = false): boolean {
  const magic = magicFor(name, inSnapshots);
  return magic !== undefined && startsWithMagic(io, join(folder, name), magic, true);
}

/** Whether the file begins with `magic` (or, with `orZero`, is empty or starts with zero bytes where the magic would be). */
function startsWithMagic(io: FileIO, path: string, magic: string, orZero = false): boolean {
  let h;
  try {
    h = io.open(path, 'read');
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(magic.length);
    const n = h.read(head, 0);
    if (n === magic.length && head.toString('latin1') === magic) return true;
    if (!orZero) return false;
    // Created and never written (or its first write torn to zeros): nothing in it to lose.
    return n === 0 || (head.subarray(0, n).every((b) => b === 0) && allZero(h));
  } finally {
    h.close();
  }
}

function allZero(h: { read(buf: Uint8Array, position: number): number }): boolean {
  const chunk = Buffer.alloc(1 << 20);
  for (let at = 0; ; at += chunk.length) {
    const n = h.read(chunk, at);
    for (let i = 0; i < n; i++) if (chunk[i] !== 0) return false;
    if (n < chunk.length) return true;
  }
}
