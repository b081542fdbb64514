// Builds the optional addons (mmap.c, sync-thread.c) with npm's own node-gyp: npm runs
// this as the package's install script. A machine without a compiler gets
// one line saying so and an install that succeeds: gets then use pread,
// group commit libuv's thread pool.
// LOGKV_BUILD_NATIVE=0 skips the build.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function nodeGyp() {
  // npm names its bundled node-gyp to the scripts it runs; by hand, look beside npm.
  const candidates = [process.env.npm_config_node_gyp, join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')];
  return candidates.find((p) => p && existsSync(p));
}

function skip(reason) {
  console.warn(`logkv: the optional addons were not built (${reason}); gets read sealed segments with pread, and group commit syncs in libuv's thread pool instead`);
  process.exit(0);
}

if (process.env.LOGKV_BUILD_NATIVE === '0') skip('LOGKV_BUILD_NATIVE=0');
const gyp = nodeGyp();
if (!gyp) skip('node-gyp not found');
const args = [gyp, 'rebuild'];
// Build against the headers of the node that runs this (npm passes its nodedir setting as npm_config_nodedir).
if (!process.env.npm_config_nodedir && existsSync(join(dirname(process.execPath), '../include/node/node_api.h'))) args.push(`--nodedir=${join(dirname(process.execPath), '..')}`);
const result = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8' });
if (result.status !== 0) {
  const lines = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.split('\n').filter((l) => /error|not found|ENOENT/i.test(l));
  skip(lines.at(0)?.trim() || `node-gyp exited with ${result.status}`);
}
