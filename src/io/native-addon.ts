// Loads one of logkv's optional native addons (native/, built at install by
// native/build.mjs where there is a compiler). Each is optional: without it
// the engine does the same work another way, and says which.

import { createRequire } from 'node:module';

export interface LoadedAddon<T> {
  addon: T | undefined;
  /** 'loaded', or why not. */
  reason: string;
}

/**
 * The addon built as `native/build/Release/<name>.node`, unless the
 * environment variable `switchVar` is '0'.
 */
export function loadAddon<T>(name: string, switchVar: string): LoadedAddon<T> {
  if (process.env[switchVar] === '0') return { addon: undefined, reason: `${switchVar}=0` };
  const require = createRequire(import.meta.url);
  let lastError = 'not built (no compiler at install, or LOGKV_BUILD_NATIVE=0)';
  // dist/src/io/ when built, src/io/ under the tests' transpile-only run.
  for (const path of [`../../../native/build/Release/${name}.node`, `../../native/build/Release/${name}.node`]) {
    try {
      return { addon: require(path) as T, reason: 'loaded' };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'MODULE_NOT_FOUND') lastError = e instanceof Error ? e.message : String(e);
    }
  }
  return { addon: undefined, reason: lastError };
}

/** Whether the addon is in use here, and if not, why (mmapAvailable(), syncThreadAvailable()). */
export function availability(loaded: LoadedAddon<unknown>): { available: boolean; reason: string } {
  return { available: loaded.addon !== undefined, reason: loaded.reason };
}
