// What every command gets: where to write, and the global options.

import type { Output } from './output.js';
import type { Terminal } from './terminal.js';

export interface Context {
  term: Terminal;
  out: Output;
  /** --quiet: no progress bars, no notes on stderr. */
  quiet: boolean;
  /** --debug: stack traces with errors. */
  debug: boolean;
}
