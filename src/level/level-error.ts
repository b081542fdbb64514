// The Level ecosystem tells errors apart by a `code` string (abstract-level's
// ModuleError). A LogkvError whose meaning has a documented LEVEL_ code is
// rethrown under that code, the LogkvError (with its file and offset) as the
// cause; any other keeps its own stable code (TOO_LARGE, INVALID_ARGUMENT, ...).

import { type ErrorCode, LogkvError } from '../errors.js';

const LEVEL_CODES: Partial<Record<ErrorCode, string>> = {
  LOCKED: 'LEVEL_LOCKED',
  CORRUPT: 'LEVEL_CORRUPTION',
  TRUNCATED: 'LEVEL_CORRUPTION',
  BAD_MAGIC: 'LEVEL_CORRUPTION',
  UNSUPPORTED_VERSION: 'LEVEL_CORRUPTION',
  IO: 'LEVEL_IO_ERROR',
  CLOSED: 'LEVEL_DATABASE_NOT_OPEN',
};

export class LevelError extends Error {
  readonly code: string;

  constructor(code: string, message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'LevelError';
    this.code = code;
  }
}

export function toLevelError(e: unknown): unknown {
  if (!(e instanceof LogkvError)) return e;
  const code = LEVEL_CODES[e.code];
  return code === undefined ? e : new LevelError(code, e.message, e);
}
