// A LogkvError thrown by a reader, as kvtool reports it. Anything else a
// reader throws is a bug in logkv, not a property of the file, and is
// rethrown.

import { LogkvError } from '../src/errors.js';

export interface Refusal {
  code: string;
  reason: string | undefined;
  offset: number | undefined;
  message: string;
}

export function refusal(e: unknown): Refusal {
  if (!(e instanceof LogkvError)) throw e;
  // Readers prefix messages with "<file> at byte N: "; kvtool prints both itself.
  const message = e.message.replace(/^.*? at byte \d+: /, '');
  return { code: e.code, reason: e.reason, offset: e.offset, message };
}
