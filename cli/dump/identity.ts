// Dumps a store's IDENTITY file: one line, or the reader's refusal.

import { readStoreIdentity, storeIdText } from '../../src/formats/store-identity-reader.js';
import type { LogkvFile } from '../paths.js';
import { refusal } from '../reader-error.js';
import type { DumpOptions, Emit } from './events.js';

export function dumpIdentity(read: LogkvFile, file: string, _opts: DumpOptions, emit: Emit): void {
  try {
    const id = readStoreIdentity(read.source);
    emit({ type: 'identity', file, storeId: storeIdText(id.storeId), created: id.createdMs });
  } catch (e) {
    emit({ type: 'error', file, ...refusal(e) });
  }
}
