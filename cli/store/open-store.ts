// Opening a store for a write command: only a directory that already is a
// store (kvtool never creates one by accident, from a typo), through
// LogStore.open, which takes the store's lock (a held lock is LOCKED) and
// runs the engine's own recovery. What that recovery did is said on stderr.

import fs from 'node:fs';
import path from 'node:path';
import { LogStore } from '../../src/log/log-store.js';
import type { Context } from '../context.js';
import { CliError } from '../failure.js';
import { isStore, notAStoreError, storeLayout } from './layout.js';

export async function openForWriting(dir: string, ctx: Context, command: string): Promise<LogStore> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (e) {
    throw new CliError(`cannot read ${dir}: ${(e as Error).message}`);
  }
  if (!stat.isDirectory() || !isStore(storeLayout(dir))) {
    throw notAStoreError(dir);
  }
  // No background cleaner: a kvtool command does what it was asked and nothing else.
  // PATH is a path, never a bare store name under LOGKV_DIR (store-path.ts): resolve it.
  const store = await LogStore.open(path.resolve(dir), { autoCompact: false, createIfMissing: false });
  const r = store.openReport;
  if (!r.clean && !ctx.quiet) {
    const done: string[] = [];
    if (r.bytesCut > 0) done.push(`cut a torn tail of ${r.bytesCut} bytes (kept in ${r.keptAside.join(', ')})`);
    if (r.damage.some((d) => d.action === 'skipped')) done.push(`skipped ${r.damage.filter((d) => d.action === 'skipped').length} damaged ranges`);
    if (r.hintsRebuilt > 0) done.push(`rebuilt ${r.hintsRebuilt} hints`);
    if (r.removedFiles.length > 0) done.push(`removed ${r.removedFiles.length} files the manifest does not list (${r.removedFiles.join(', ')})`);
    if (r.manifestRebuilt) done.push('rebuilt the manifest from the segments on disk');
    if (done.length > 0) ctx.out.error(`kvtool ${command}: note: opening the store ${done.join('; ')}`);
  }
  return store;
}
