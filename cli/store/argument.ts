// A PATH argument means what open() means by it (src/log/store-path.ts): a
// path with a slash is that path; a bare name is a store under LOGKV_DIR
// (default ./data). So `kvtool verify orders` looks where open('orders')
// keeps the store, and `kvtool verify ./orders` in the current directory.
// A bare name that is not there but is in the current directory gets a
// hint rather than a bare "not found".

import fs from 'node:fs';
import { LogkvError } from '../../src/errors.js';
import { storePath } from '../../src/log/store-path.js';
import { CliError } from '../failure.js';

export function resolveStoreArgument(arg: string, env: NodeJS.ProcessEnv = process.env): string {
  let resolved: string;
  try {
    resolved = storePath(arg, env);
  } catch (e) {
    // Not a name open() accepts (a space, say): it can only be a path.
    if (e instanceof LogkvError && e.code === 'INVALID_ARGUMENT') return arg;
    throw e;
  }
  if (resolved !== arg && !fs.existsSync(resolved) && fs.existsSync(arg)) {
    throw new CliError(`${resolved} does not exist: a bare name is a store under LOGKV_DIR (${env.LOGKV_DIR ?? './data'}), as open('${arg}') takes it; for ${arg} in this directory, write ./${arg}`);
  }
  return resolved;
}
