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

/** The version of logkv, of a package of the repository, or of a peer (bench/node_modules). */
export function packageVersion(name: string): string {
  const root = repoRoot();
  const pkg = name === 'logkv' ? join(root, 'package.json') : [join(root, 'bench', 'node_modules', name, 'package.json'), join(root, 'node_modules', name, 'package.json')].find((p) => fs.existsSync(p))!;
  return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
}
