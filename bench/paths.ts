// Where the repository is, from the running file (bench/ under ts-node,
// dist/bench/ when compiled), so the harness finds dist/ and node_modules/.

import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'logkv') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('bench: cannot find the logkv repository root');
    dir = up;
  }
}

export function packageVersion(name: string): string {
  const pkg = name === 'logkv' ? join(repoRoot(), 'package.json') : join(repoRoot(), 'node_modules', name, 'package.json');
  return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
}
