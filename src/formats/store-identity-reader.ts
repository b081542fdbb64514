// Reads the IDENTITY file (formats/store_identity.ksy) through its
// generated parser. All or nothing: any damage throws a LogkvError.

import { type ByteSource, bytesSource } from './byte-source.js';
import { damageError, readFileHeader } from './damage.js';
import { StoreIdentity } from './kaitai.js';
import { IDENTITY_MAGIC, IDENTITY_SIZE } from './limits.js';
import type { StoreIdentityInfo } from './store-identity-writer.js';

/** The identity in `input` (the file's bytes, or a source: only its first 36 bytes are read). */
export function readStoreIdentity(input: Uint8Array | ByteSource, file?: string): StoreIdentityInfo {
  const source = input instanceof Uint8Array ? bytesSource(input) : input;
  const parsed = readFileHeader(source.read(0, IDENTITY_SIZE), IDENTITY_MAGIC, IDENTITY_SIZE, (io) => new StoreIdentity(io), file);
  if (source.size !== IDENTITY_SIZE) {
    const message = `the file is ${source.size} bytes; an identity is exactly ${IDENTITY_SIZE}`;
    throw damageError({ code: 'CORRUPT', reason: 'file-size', offset: IDENTITY_SIZE, length: Math.max(0, source.size - IDENTITY_SIZE), message }, file);
  }
  return { storeId: Uint8Array.from(parsed.storeId), createdMs: parsed.createdMs };
}

/** The store id as text: 32 hex digits. */
export function storeIdText(storeId: Uint8Array): string {
  return Buffer.from(storeId).toString('hex');
}
