// Recognises a logkv file by its first four bytes (its magic), never by its
// name: a segment renamed to foo.bin is still a segment. The name is used
// only to tell "not ours, skip it" from "ours but damaged" in a directory.

import { type ByteSource, firstNonZeroIn } from '../src/formats/byte-source.js';
import { firstNonZero } from '../src/formats/damage.js';
import { HINT_MAGIC, IDENTITY_MAGIC, INDEX_MAGIC, JOURNAL_MAGIC, LOG_MAGIC, SNAPSHOT_MAGIC } from '../src/formats/limits.js';

export type FileKind = 'segment' | 'hint' | 'index' | 'snapshot' | 'journal' | 'identity';

const MAGICS: ReadonlyArray<[string, FileKind]> = [
  [LOG_MAGIC, 'segment'],
  [HINT_MAGIC, 'hint'],
  [INDEX_MAGIC, 'index'],
  [SNAPSHOT_MAGIC, 'snapshot'],
  [JOURNAL_MAGIC, 'journal'],
  [IDENTITY_MAGIC, 'identity'],
];

/** The extensions logkv gives its files, and the kind each one names. */
const EXTENSIONS: Readonly<Record<string, FileKind>> = {
  '.log': 'segment',
  '.hint': 'hint',
  '.index': 'index',
  '.snap': 'snapshot',
  '.jrna': 'journal',
  '.jrnb': 'journal',
  // A store's marker is named IDENTITY; the golden files are NAME.IDENTITY.
  '.identity': 'identity',
};

/** True when `bytes` begins with the first `n` characters of `magic`. */
function startsWith(bytes: Uint8Array, magic: string, n = magic.length): boolean {
  if (bytes.length < n) return false;
  for (let i = 0; i < n; i++) if (bytes[i] !== magic.charCodeAt(i)) return false;
  return true;
}

/** The kind a file's magic says it is, or undefined when it is not ours. */
export function kindByMagic(bytes: Uint8Array): FileKind | undefined {
  for (const [magic, kind] of MAGICS) if (startsWith(bytes, magic)) return kind;
  return undefined;
}

/** The kind a logkv file name suggests (by extension), or undefined. */
export function kindByName(name: string): FileKind | undefined {
  if (name === 'IDENTITY') return 'identity';
  const dot = name.lastIndexOf('.');
  return dot < 0 ? undefined : EXTENSIONS[name.slice(dot).toLowerCase()];
}

export function magicOf(kind: FileKind): string {
  return MAGICS.find(([, k]) => k === kind)![0];
}

/**
 * The kind to read a file as: its magic decides. A file too short to hold a
 * magic (torn right after it was created) is read as the kind its name
 * suggests when its few bytes agree with that magic, so the reader reports
 * it as truncated rather than as not ours. A journal file that is all
 * zeros is a JournalStore's spare, created and never written yet (the
 * manifest's MANIFEST.jrnb in a fresh store): it is a journal too.
 */
export function recognise(bytes: Uint8Array, name: string): FileKind | undefined {
  const byMagic = kindByMagic(bytes);
  if (byMagic !== undefined) return byMagic;
  const byName = kindByName(name);
  if (byName !== undefined && bytes.length < 4 && startsWith(bytes, magicOf(byName), bytes.length)) return byName;
  if (byName === 'journal' && isUninitialized(bytes)) return byName;
  return undefined;
}

/** All zero bytes (and not empty): a journal spare never written. */
export function isUninitialized(bytes: Uint8Array): boolean {
  return bytes.length > 0 && firstNonZero(bytes, 0) < 0;
}

/** isUninitialized for a whole file, read a window at a time. */
export function isUninitializedFile(source: ByteSource): boolean {
  return source.size > 0 && firstNonZeroIn(source, 0) < 0;
}

/** The first bytes of a file as hex, for "not a logkv file" messages. */
export function magicHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.subarray(0, 4)).toString('hex') || '(empty)';
}
