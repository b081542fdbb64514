// Every entry under a directory with its kind, mode and (for files) the
// SHA-256 of its bytes: two fingerprints are equal only when nothing was
// created, removed, renamed or changed. The tests of refused opens compare
// one taken before with one taken after.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';

export function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string, rel: string) => {
    const st = fs.lstatSync(at);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      out[rel || '.'] = `dir ${mode}`;
      for (const name of fs.readdirSync(at).sort()) walk(join(at, name), rel ? `${rel}/${name}` : name);
    } else {
      out[rel] = `file ${mode} ${st.size} ${createHash('sha256').update(fs.readFileSync(at)).digest('hex')}`;
    }
  };
  if (fs.existsSync(dir)) walk(dir, '');
  return out;
}
