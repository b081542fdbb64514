// Runs the built kvtool as its own process under GNU time, for tests that
// measure what a command costs in memory (files past what a Buffer holds).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const KVTOOL = fileURLToPath(new URL('../../dist/cli/kvtool.js', import.meta.url));
const TIME = '/usr/bin/time';

export interface TimedRun {
  status: number | null;
  /** stdout and stderr, without GNU time's lines. */
  out: string;
  /** Peak resident memory in MB; undefined without GNU time. */
  peakMb: number | undefined;
  /** Wall-clock seconds. */
  seconds: number;
}

/** Runs kvtool; with GNU time present, also its peak resident memory in MB. */
export function timedKvtool(...args: string[]): TimedRun {
  const timed = fs.existsSync(TIME);
  const started = performance.now();
  const r = timed
    ? spawnSync(TIME, ['-f', 'PEAK_KB %M', process.execPath, KVTOOL, '--quiet', ...args], { encoding: 'utf8' })
    : spawnSync(process.execPath, [KVTOOL, '--quiet', ...args], { encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  const peak = /PEAK_KB (\d+)/.exec(r.stderr);
  return {
    status: r.status,
    out: (r.stdout + r.stderr).replace(/.*PEAK_KB \d+\n?/, '').replace(/Command exited with non-zero status \d+\n/, ''),
    peakMb: peak ? Number(peak[1]) / 1024 : undefined,
    seconds,
  };
}
