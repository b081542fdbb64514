// What kvtool needs of the process around it, in one object, so the whole
// CLI can run in-process (tests) as well as in a real process: stdout and
// stderr lines, a status line for progress that is drawn only on a
// terminal, and a question that can only be asked on one.

import readline from 'node:readline';
import { type Output, stdoutOutput } from './output.js';

export interface StatusLine {
  /** Whether stderr is a terminal: progress is drawn only then. */
  readonly isTTY: boolean;
  readonly columns: number;
  write(text: string): void;
}

export interface Terminal {
  out: Output;
  status: StatusLine;
  /** Whether stdout is a terminal (a dump to one is its own progress). */
  stdoutIsTTY: boolean;
  /** Asks on the terminal; resolves with the answer, or undefined when stdin is not a terminal. */
  ask(question: string): Promise<string | undefined>;
  /** Milliseconds, for throttling progress. */
  now(): number;
}

/** Erases the status line, so an error or a prompt starts on a clean line. */
export const CLEAR_LINE = '\r\x1b[K';

export function processTerminal(): Terminal {
  const stderr = process.stderr;
  let statusShown = false;
  const status: StatusLine = {
    isTTY: stderr.isTTY === true,
    get columns() {
      return stderr.columns || 80;
    },
    write(text) {
      statusShown = !text.endsWith(CLEAR_LINE);
      stderr.write(text);
    },
  };
  const out = stdoutOutput(() => {
    if (statusShown) status.write(CLEAR_LINE);
  });
  return {
    out,
    status,
    stdoutIsTTY: process.stdout.isTTY === true,
    now: () => performance.now(),
    async ask(question) {
      if (!process.stdin.isTTY) return undefined;
      out.flush();
      const rl = readline.createInterface({ input: process.stdin, output: stderr });
      try {
        return await new Promise<string>((resolve) => rl.question(question, resolve));
      } finally {
        rl.close();
      }
    },
  };
}
