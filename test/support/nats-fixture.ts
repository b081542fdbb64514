// What each replication test file sets up the same way: a NATS cluster of
// `size` nodes started before its tests and stopped after them (or the
// whole file skipped with the reason when nats-server is missing), a
// temporary folder for its stores, and kvtool verify run on a store.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { natsSkipReason, type NatsCluster, startCluster } from '../../bench/nats-cluster.js';

const KVTOOL = fileURLToPath(new URL('../../dist/cli/kvtool.js', import.meta.url));

export interface NatsFixture {
  /** Temporary folder for the file's stores, removed after its tests. */
  readonly work: string;
  /** The cluster (started before the first test). */
  readonly cluster: NatsCluster;
}

export function natsFixture(size: number, prefix: string): NatsFixture {
  const skip = natsSkipReason();
  if (skip) t.plan(0, skip);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  let cluster: NatsCluster | undefined;
  t.before(async () => {
    if (!skip) cluster = await startCluster(size);
  });
  t.teardown(async () => {
    await cluster?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });
  return {
    work,
    get cluster(): NatsCluster {
      if (!cluster) throw new Error('the NATS cluster is not started (nats-server missing, or asked before the tests run)');
      return cluster;
    },
  };
}

/** kvtool verify (the build's, as a user runs it) passes on the store in `dir`. */
export function verifyStore(t: Test, dir: string): void {
  const r = spawnSync(process.execPath, [KVTOOL, 'verify', dir], { encoding: 'utf8' });
  t.equal(r.status, 0, `kvtool verify ${path.basename(dir)} passes: ${r.stdout.slice(-500)}${r.stderr.slice(-500)}`);
}
