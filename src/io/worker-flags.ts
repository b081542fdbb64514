// The flags a worker thread is started with. A worker inherits the process's
// flags so that it loads modules the same way (a TypeScript loader under the
// tests), but it refuses V8 flags (--expose-gc, --max-old-space-size) and
// flags that only make sense for a main script (-e, --input-type).

/** Flags only a main script takes. */
const MAIN_SCRIPT_FLAGS = ['--input-type', '--eval', '-e', '--print', '-p', '--check', '-c', '--interactive', '-i', '--test'];

/** Flags that decide how modules load. */
const LOADER_FLAGS = ['--import', '--loader', '--experimental-loader', '--require', '-r', '--conditions', '-C', '--enable-source-maps', '--no-warnings'];

const has = (flags: readonly string[], a: string): boolean => flags.some((f) => a === f || a.startsWith(`${f}=`));

/** The process's own flags, less those only a main script takes. */
export function inheritedFlags(): string[] {
  return process.execArgv.filter((a) => !has(MAIN_SCRIPT_FLAGS, a));
}

/** Only the process's flags that decide how modules load: what a worker always accepts. */
export function loaderFlags(): string[] {
  return process.execArgv.filter((a) => has(LOADER_FLAGS, a));
}
