// Reads the IDENTITY file (formats/store_identity.ksy) through its
// generated parser. All or nothing: any damage throws a LogkvError.

import { damageError, readFileHeader } from './damage.js';
import { StoreIdentity } from './kaitai.js';
import { IDENTITY_MAGIC, IDENTITY_SIZE } from './limits.js';
import type { StoreIdentityInfo } from './store-identity-writer.js';

export function readStoreIdentity(bytes: Uint8Array, file?: string): StoreIdentityInfo {
  const parsed = readFileHeader(bytes, IDENTITY_MAGIC, IDENTITY_SIZE, (io) => new StoreIdentity(io), file);
  if (bytes.length !== IDENTITY_SIZE) {
    const message = `the file is ${bytes.length} bytes; an identity is exactly ${IDENTITY_SIZE}`;
    throw damageError({ code: 'CORRUPT', reason: 'file-size', offset: IDENTITY_SIZE, length: Math.max(0, bytes.length - IDENTITY_SIZE), message }, file);
  }
  return { storeId: Uint8Array.from(parsed.storeId), createdMs: parsed.createdMs };
}

/** The store id as text: 32 hex digits. */
export function storeIdText(storeId: Uint8Array): string {
  return Buffer.from(storeId).toString('hex');
}
