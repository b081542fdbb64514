// Where a store lives: a path, or (as in walrus) a bare namespace name
// resolved under the root in LOGKV_DIR (default ./data). A name that would
// leave the root is refused.

import { isAbsolute, resolve, sep } from 'node:path';
import { LogkvError } from '../errors.js';

const BARE_NAME = /^[A-Za-z0-9._-]+$/;

export function storePath(dirOrName: string, env: NodeJS.ProcessEnv = process.env): string {
  if (typeof dirOrName !== 'string' || dirOrName.length === 0) throw new LogkvError('INVALID_ARGUMENT', 'a store needs a directory or a name');
  if (isAbsolute(dirOrName) || dirOrName.includes('/') || dirOrName.includes(sep)) return dirOrName;
  if (!BARE_NAME.test(dirOrName) || dirOrName === '.' || dirOrName === '..') {
    throw new LogkvError('INVALID_ARGUMENT', `"${dirOrName}" is not a store name (letters, digits, . _ -; not . or ..)`);
  }
  const root = resolve(env.LOGKV_DIR ?? './data');
  const path = resolve(root, dirOrName);
  if (!path.startsWith(root + sep)) throw new LogkvError('INVALID_ARGUMENT', `"${dirOrName}" would leave the store root ${root}`);
  return path;
}
