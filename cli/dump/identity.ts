// Dumps a store's IDENTITY file: one line, or the reader's refusal.

import { readStoreIdentity, storeIdText } from '../../src/formats/store-identity-reader.js';
import { refusal } from '../reader-error.js';
import type { DumpOptions, Emit } from './events.js';

export function dumpIdentity(bytes: Uint8Array, file: string, _opts: DumpOptions, emit: Emit): void {
  try {
    const id = readStoreIdentity(bytes);
    emit({ type: 'identity', file, storeId: storeIdText(id.storeId), created: id.createdMs });
  } catch (e) {
    emit({ type: 'error', file, ...refusal(e) });
  }
}
