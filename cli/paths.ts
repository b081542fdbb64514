// Turns the PATH argument into the files to look at: the file itself, or
// every regular file of a store directory and of its snapshots/ folder.
// Only names and stats here; bytes are read one file at a time.

import fs from 'node:fs';
import path from 'node:path';
import { type FileKind, recognise } from './file-kind.js';

export interface FileRef {
  /** Path to open and to print (PATH joined with the name). */
  path: string;
  /** Name inside its folder, used for the extension check. */
  name: string;
  /** Named on the command line, not found in a directory. */
  explicit: boolean;
  /** Size when listed (for progress). */
  size: number;
}

export interface IoProblem {
  path: string;
  message: string;
}

export interface Listing {
  isDirectory: boolean;
  files: FileRef[];
  /** Entries that exist but could not be examined. */
  ioProblems: IoProblem[];
}

/** Raised for a PATH that cannot be used at all (missing, unreadable). */
export class PathError extends Error {
  /** What went wrong, without the path (e.g. "EACCES: permission denied, ..."). */
  readonly detail: string;
  constructor(message: string, detail: string) {
    super(message);
    this.name = 'PathError';
    this.detail = detail;
  }
}

export const SNAPSHOT_FOLDER = 'snapshots';

/**
 * Orders names with their digit runs compared as numbers, so segments
 * named by base offset come in offset order even when not zero-padded.
 */
export function compareNames(a: string, b: string): number {
  const pad = (s: string): string => s.replace(/\d+/g, (d) => d.padStart(24, '0'));
  const ka = pad(a);
  const kb = pad(b);
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function describe(e: unknown): string {
  // Node's messages already start with the code: "ENOENT: no such file ...".
  return e instanceof Error ? e.message : String(e);
}

export function listFiles(target: string): Listing {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch (e) {
    throw new PathError(`cannot read ${target}: ${describe(e)}`, describe(e));
  }
  if (!stat.isDirectory()) {
    if (!stat.isFile()) throw new PathError(`${target} is neither a regular file nor a directory`, 'not a regular file or directory');
    return { isDirectory: false, files: [{ path: target, name: path.basename(target), explicit: true, size: stat.size }], ioProblems: [] };
  }
  const listing: Listing = { isDirectory: true, files: [], ioProblems: [] };
  addFolder(target, listing, true);
  return listing;
}

function addFolder(dir: string, listing: Listing, top: boolean): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if (top) throw new PathError(`cannot list ${dir}: ${describe(e)}`, describe(e));
    listing.ioProblems.push({ path: dir, message: `cannot list: ${describe(e)}` });
    return;
  }
  names.sort(compareNames);
  let snapshots = false;
  for (const name of names) {
    const full = path.join(dir, name);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(full);
    } catch (e) {
      listing.ioProblems.push({ path: full, message: `cannot stat: ${describe(e)}` });
      continue;
    }
    if (stat.isFile()) listing.files.push({ path: full, name, explicit: false, size: stat.size });
    else if (top && stat.isDirectory() && name === SNAPSHOT_FOLDER) snapshots = true;
    // Other folders (lost/, ...) and special files are not store files.
  }
  if (snapshots) addFolder(path.join(dir, SNAPSHOT_FOLDER), listing, false);
}

/** Reads a whole file; throws PathError on failure. Never writes. */
export function readBytes(ref: FileRef): Buffer {
  try {
    return fs.readFileSync(ref.path);
  } catch (e) {
    throw new PathError(`cannot read ${ref.path}: ${describe(e)}`, describe(e));
  }
}

/** Bytes read to tell what a file is (every logkv magic and header fits). */
const HEAD_BYTES = 64;
/** The most kvtool reads into one Buffer (readFileSync's own limit). */
export const MAX_WHOLE_FILE = 2 ** 31 - 1;

export type ReadFile = { kind: FileKind; bytes: Buffer; size: number } | { kind: undefined; head: Buffer; size: number };

/**
 * What a file is, from its first bytes only, and for a logkv file its
 * bytes, read whole (up to MAX_WHOLE_FILE: a bigger one is a PathError).
 * A file that is not ours is never read past its head, whatever its size.
 * Throws PathError on failure. Never writes.
 */
export function readIfLogkv(ref: FileRef): ReadFile {
  let fd: number;
  try {
    fd = fs.openSync(ref.path, 'r');
  } catch (e) {
    throw new PathError(`cannot read ${ref.path}: ${describe(e)}`, describe(e));
  }
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
    fs.readSync(fd, head, 0, head.length, 0);
    const kind = recognise(head, ref.name);
    if (kind === undefined) return { kind, head, size };
    if (size > MAX_WHOLE_FILE) {
      throw new PathError(`${ref.path}: a ${kind} file of ${size} bytes; kvtool reads a logkv file whole, up to ${MAX_WHOLE_FILE} bytes`, `a ${kind} file of ${size} bytes, too large to read whole (kvtool's limit: ${MAX_WHOLE_FILE} bytes)`);
    }
    const bytes = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const n = fs.readSync(fd, bytes, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    return { kind, bytes: done === size ? bytes : bytes.subarray(0, done), size };
  } catch (e) {
    if (e instanceof PathError) throw e;
    throw new PathError(`cannot read ${ref.path}: ${describe(e)}`, describe(e));
  } finally {
    fs.closeSync(fd);
  }
}
