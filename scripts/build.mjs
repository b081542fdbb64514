// The build, for `make build` and npm's prepare (a git install) and prepack
// (npm pack, npm publish): TypeScript into dist/, then the generated Kaitai
// parsers (plain JavaScript, committed) copied beside the compiled readers.
// `--if-changed` skips it when dist/ is newer than every source, so the
// prepare that `npm ci` runs costs nothing after the first build.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.join(root, 'dist');
const SOURCES = ['src', 'cli', 'scripts', 'bench', 'tsconfig.json', 'package.json'];

function newestSource(at) {
  const st = fs.statSync(at);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const e of fs.readdirSync(at, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'results') continue;
    newest = Math.max(newest, newestSource(path.join(at, e.name)));
  }
  return newest;
}

function upToDate() {
  const built = path.join(dist, 'src', 'index.js');
  if (!fs.existsSync(built) || !fs.existsSync(path.join(dist, 'src', 'formats', 'generated'))) return false;
  const builtAt = fs.statSync(built).mtimeMs;
  return SOURCES.every((s) => !fs.existsSync(path.join(root, s)) || newestSource(path.join(root, s)) <= builtAt);
}

if (process.argv.includes('--if-changed') && upToDate()) process.exit(0);

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', root], { stdio: 'inherit' });
for (const dir of ['generated', 'generated-debug']) {
  const to = path.join(dist, 'src', 'formats', dir);
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(path.join(root, 'src', 'formats', dir), to, { recursive: true });
}
fs.chmodSync(path.join(dist, 'cli', 'kvtool.js'), 0o755);
// Touched last, so --if-changed compares sources against the end of the build.
const now = new Date();
fs.utimesSync(path.join(dist, 'src', 'index.js'), now, now);
