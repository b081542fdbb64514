// Where command output goes. Commands write lines to an Output; the real one
// buffers them into large writes to stdout and goes quiet when the reader of
// a pipe goes away (kvtool dump DIR | head).

export interface Output {
  line(text: string): void;
  /** A message for stderr (I/O trouble, usage). */
  error(text: string): void;
  flush(): void;
}

const FLUSH_AT = 64 * 1024;

export function stdoutOutput(): Output {
  let pending: string[] = [];
  let size = 0;
  let closed = false;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    closed = true;
  });
  const flush = (): void => {
    if (pending.length > 0 && !closed) process.stdout.write(pending.join(''));
    pending = [];
    size = 0;
  };
  return {
    line(text) {
      pending.push(text, '\n');
      size += text.length + 1;
      if (size >= FLUSH_AT) flush();
    },
    error(text) {
      flush();
      process.stderr.write(`${text}\n`);
    },
    flush,
  };
}

/** Collects lines in memory (tests, the demo). */
export function memoryOutput(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, line: (t) => void lines.push(t), error: (t) => void errors.push(t), flush: () => {} };
}
