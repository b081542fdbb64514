// Encodes the IDENTITY file (formats/store_identity.ksy): the mark that a
// directory is a logkv store, and which one. Written once, whole, and
// renamed into place by the caller.

import { crc32c } from '../checksum/crc32c.js';
import { LogkvError } from '../errors.js';
import { FORMAT_VERSION, IDENTITY_MAGIC, IDENTITY_SIZE, STORE_ID_SIZE } from './limits.js';
import { writeU64 } from './log-segment-writer.js';

export interface StoreIdentityInfo {
  /** 16 random bytes, chosen when the store was created. */
  storeId: Uint8Array;
  createdMs: number;
}

export function encodeStoreIdentity(identity: StoreIdentityInfo): Buffer {
  if (identity.storeId.length !== STORE_ID_SIZE) {
    throw new LogkvError('INVALID_ARGUMENT', `a store id is ${STORE_ID_SIZE} bytes, not ${identity.storeId.length}`);
  }
  const buf = Buffer.alloc(IDENTITY_SIZE);
  buf.write(IDENTITY_MAGIC, 0, 'latin1');
  buf.writeUInt16LE(FORMAT_VERSION, 4);
  buf.writeUInt16LE(0, 6);
  buf.set(identity.storeId, 8);
  writeU64(buf, 8 + STORE_ID_SIZE, identity.createdMs, 'createdMs');
  buf.writeUInt32LE(crc32c(buf.subarray(0, IDENTITY_SIZE - 4)), IDENTITY_SIZE - 4);
  return buf;
}
