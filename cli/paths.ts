// Turns the PATH argument into the files to look at: the file itself, or
// every regular file of a store directory and of its snapshots/ folder.
// Only names and stats here; bytes are read one file at a time.

import fs from 'node:fs';
import path from 'node:path';
import { type ByteSource, bytesSource } from '../src/formats/byte-source.js';
import { type FileHandle, nodeFileIO } from '../src/io/file-io.js';
import { handleSource } from '../src/io/file-source.js';
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

/** Bytes read to tell what a file is (every logkv magic and header fits). */
const HEAD_BYTES = 64;

/** A logkv file, read a window at a time (byte-source.ts): kvtool never holds a whole file. */
export interface LogkvFile {
  kind: FileKind;
  source: ByteSource;
  size: number;
  /** Read whole (WithFileOptions.readWholeUpTo): `source` holds its bytes and stays valid after the file is closed. */
  inMemory?: true;
}

/** A file that is not ours: only its first bytes were read, whatever its size. */
export interface OtherFile {
  kind: undefined;
  head: Uint8Array;
  size: number;
}

/**
 * What kvtool verify and dump read whole (WithFileOptions.readWholeUpTo):
 * a store's segments (64 MiB by default), hints and indexes. A larger file
 * is read a window at a time.
 */
export const READ_WHOLE_UP_TO = 128 * 1024 * 1024;

export interface WithFileOptions {
  /**
   * A logkv file of at most this many bytes is read whole, in one read,
   * and its source is those bytes (valid after the file is closed): a
   * check that passes over a segment, its hint and its index several
   * times then reads each once, and its readers never move a window
   * (kvtool verify: windows of 1 MiB and a pass per check were most of its
   * reading). Default 0: a window at a time, whatever the size.
   */
  readWholeUpTo?: number;
}

/**
 * Opens `ref`, tells what it is from its first bytes, and hands it to
 * `use`, which reads it through the file's source; closes it after.
 * Opening or reading it fails with a PathError. Never writes.
 */
export function withFile<T>(ref: FileRef, use: (file: LogkvFile | OtherFile) => T, options: WithFileOptions = {}): T {
  let handle: FileHandle;
  try {
    handle = nodeFileIO.open(ref.path, 'read');
  } catch (e) {
    throw new PathError(`cannot read ${ref.path}: ${describe(e)}`, describe(e));
  }
  try {
    const source = readFailuresAsPathErrors(ref.path, () => handleSource(handle));
    const head = source.read(0, HEAD_BYTES);
    const kind = recognise(head, ref.name);
    if (kind === undefined) return use({ kind, head, size: source.size });
    if (source.size > (options.readWholeUpTo ?? 0)) return use({ kind, source, size: source.size });
    const whole = bytesSource(source.read(0, source.size));
    return use({ kind, source: whole, size: whole.size, inMemory: true });
  } finally {
    handle.close();
  }
}

/** `make()`'s source, with every failure to read the file (EIO, EISDIR, ...) a PathError naming it. */
function readFailuresAsPathErrors(file: string, make: () => ByteSource): ByteSource {
  const failed = (e: unknown): PathError => new PathError(`cannot read ${file}: ${describe(e)}`, describe(e));
  let source: ByteSource;
  try {
    source = make();
  } catch (e) {
    throw failed(e);
  }
  return {
    get size() {
      return source.size;
    },
    window: source.window,
    read(position, length) {
      try {
        return source.read(position, length);
      } catch (e) {
        throw failed(e);
      }
    },
    ...(source.readInto
      ? {
          readInto(buf: Uint8Array, position: number) {
            try {
              return source.readInto!(buf, position);
            } catch (e) {
              throw failed(e);
            }
          },
        }
      : {}),
  };
}
