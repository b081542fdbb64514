// Turns whatever a command threw into one line for stderr and an exit
// code. A stack trace is printed only with --debug: an error a user can act
// on (a locked store, a missing file, a damaged store) is one clear line,
// and anything else is a bug in kvtool, said to be one.

import { LogkvError } from '../src/errors.js';
import { EXIT, type ExitCode } from './commands/exit-codes.js';
import { PathError } from './paths.js';

/** An error a command raises on purpose, with the exit code it means. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode = EXIT.USAGE_OR_IO) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

const LOGKV_EXIT: Partial<Record<LogkvError['code'], ExitCode>> = {
  LOCKED: EXIT.LOCKED,
  CORRUPT: EXIT.PROBLEMS,
  TRUNCATED: EXIT.PROBLEMS,
  BAD_MAGIC: EXIT.PROBLEMS,
  UNSUPPORTED_VERSION: EXIT.PROBLEMS,
  FULL: EXIT.PROBLEMS,
  NEEDS_RECOVERY: EXIT.PROBLEMS,
};

function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

export interface Failure {
  lines: string[];
  exitCode: ExitCode;
}

export function describeFailure(e: unknown, command: string, debug: boolean): Failure {
  const stack = debug && e instanceof Error && e.stack ? [e.stack] : [];
  if (e instanceof CliError || e instanceof PathError) {
    return { lines: [`kvtool ${command}: ${e.message}`, ...stack], exitCode: e instanceof CliError ? e.exitCode : EXIT.USAGE_OR_IO };
  }
  if (e instanceof LogkvError) {
    const hint = e.code === 'LOCKED' ? ' (a write command needs the store to itself: close the process that has it open, or use an inspection command)' : '';
    return { lines: [`kvtool ${command}: ${e.code}: ${e.message}${hint}`, ...stack], exitCode: LOGKV_EXIT[e.code] ?? EXIT.USAGE_OR_IO };
  }
  if (isSystemError(e)) return { lines: [`kvtool ${command}: ${e.message}`, ...stack], exitCode: EXIT.USAGE_OR_IO };
  const message = e instanceof Error ? e.message : String(e);
  return {
    lines: [`kvtool ${command}: internal error (a bug in kvtool, please report it): ${message}${debug ? '' : ' (run with --debug for the stack)'}`, ...stack],
    exitCode: EXIT.INTERNAL,
  };
}
