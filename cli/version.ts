// kvtool --version: the version of the logkv package this kvtool belongs
// to, read from its package.json (found upward from this file, so it works
// from cli/ under the tests, from dist/cli/ and from an installed package).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function logkvVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'logkv' && pkg.version) return pkg.version;
    }
    const up = path.dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}
