// The manifest of a store directory as kvtool reads it: both journal files
// read with the journal reader and judged by the JournalStore's own plan
// (planRecovery), without opening a JournalStore, which would take the
// manifest's lock and carry the plan out. So inspection works on a store
// that another process has open for writing, and changes nothing.

import { join } from 'node:path';
import { type JournalFileRead, planRecovery, readJournalFile, type RecoveryPlan } from '../../src/journal/journal-recovery.js';
import { nodeFileIO } from '../../src/io/file-io.js';
import { listedFiles, type ListedFiles, MANIFEST_BASE } from '../../src/log/manifest.js';

export interface ManifestView {
  /** MANIFEST, in the store directory (the files are BASE.jrna and BASE.jrnb). */
  base: string;
  files: [JournalFileRead, JournalFileRead];
  plan: RecoveryPlan;
  listed: ListedFiles;
  /** Read without loss: the engine goes by its list, and removes files it does not name (src/log/store-files.ts). */
  trusted: boolean;
  recoveryPoint: number | undefined;
  /** The oldest offset the log holds history for (above 0 when the store began from a snapshot). */
  logStartOffset: number;
}

export function manifestPaths(dir: string): [string, string] {
  const base = join(dir, MANIFEST_BASE);
  return [`${base}.jrna`, `${base}.jrnb`];
}

/** The manifest of `dir`, or undefined when it has none (a store written before the manifest, or not a store). */
export function readManifest(dir: string): ManifestView | undefined {
  const [a, b] = manifestPaths(dir);
  if (!nodeFileIO.exists(a) && !nodeFileIO.exists(b)) return undefined;
  const files: [JournalFileRead, JournalFileRead] = [readJournalFile(nodeFileIO, a), readJournalFile(nodeFileIO, b)];
  const plan = planRecovery(files[0], files[1]);
  const point = plan.state.get('recoveryPoint');
  const start = plan.state.get('logStartOffset');
  return {
    base: join(dir, MANIFEST_BASE),
    files,
    plan,
    listed: listedFiles(plan.state),
    trusted: plan.dataLoss === 'none',
    recoveryPoint: typeof point === 'number' ? point : undefined,
    logStartOffset: typeof start === 'number' ? start : 0,
  };
}
