// Runs kvtool in this process, as the binary does (cli/main.ts with the
// arguments), with a Terminal that records what it is given: the tests
// see stdout lines, stderr lines, the progress frames drawn on "stderr"
// and the exit code, without starting a process per run.

import { kvtool as main } from '../../cli/main.js';
import { memoryOutput } from '../../cli/output.js';
import type { Terminal } from '../../cli/terminal.js';

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
  lines: string[];
  /** Lines written to stderr (errors and notes). */
  errors: string[];
  /** Everything drawn on the status line (progress frames). */
  status_line: string;
  /** Bytes written with Output.bytes (get --raw). */
  raw: Buffer;
  /** Questions asked. */
  asked: string[];
}

export interface TerminalOptions {
  /** stderr is a terminal: progress is drawn. */
  tty?: boolean;
  stdoutTTY?: boolean;
  /** Answers to the questions asked, in order; undefined: stdin is not a terminal. */
  answers?: string[];
}

export async function kvtoolIn(options: TerminalOptions, ...args: string[]): Promise<Run> {
  const out = memoryOutput();
  let statusText = '';
  const asked: string[] = [];
  let clock = 0;
  const term: Terminal = {
    out,
    status: { isTTY: options.tty === true, columns: 80, write: (t) => void (statusText += t) },
    stdoutIsTTY: options.stdoutTTY === true,
    // Each reading of the clock moves it on, so every update may draw.
    now: () => (clock += 1000),
    async ask(question) {
      asked.push(question);
      if (options.answers === undefined) return undefined;
      return options.answers.shift() ?? '';
    },
  };
  const status = await main(args, term);
  const stdout = out.lines.map((l) => `${l}\n`).join('');
  return {
    status,
    stdout,
    stderr: out.errors.map((l) => `${l}\n`).join(''),
    lines: stdout.split('\n').filter((l) => l !== ''),
    errors: out.errors,
    status_line: statusText,
    raw: Buffer.concat(out.raw),
    asked,
  };
}

export function kvtool(...args: string[]): Promise<Run> {
  return kvtoolIn({}, ...args);
}
