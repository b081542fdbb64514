// Where command output goes. Commands write lines to an Output; the real one
// buffers them into large writes to stdout and goes quiet when the reader of
// a pipe goes away (kvtool dump DIR | head).

export interface Output {
  line(text: string): void;
  /** Bytes for stdout as they are (kvtool get --raw). */
  bytes(data: Uint8Array): void;
  /**
   * Whole lines of UTF-8 text as bytes, each ending in a newline: a
   * command that writes millions of lines makes one buffer of them, not a
   * string each (kvtool dump --json). true: the Output is done with
   * `data` (written, or copied), and the caller may fill it again;
   * otherwise the caller does not touch `data` afterwards.
   */
  text(data: Uint8Array): boolean | void;
  /** A message for stderr (I/O trouble, usage). */
  error(text: string): void;
  flush(): void;
}

const FLUSH_AT = 64 * 1024;

export function stdoutOutput(beforeError: () => void = () => {}): Output {
  let pending: Array<string | Uint8Array> = [];
  let size = 0;
  let closed = false;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    closed = true;
  });
  const flush = (): void => {
    if (pending.length > 0 && !closed) {
      const text = pending.every((p) => typeof p === 'string');
      process.stdout.write(text ? pending.join('') : Buffer.concat(pending.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))));
    }
    pending = [];
    size = 0;
  };
  const push = (p: string | Uint8Array, n: number): void => {
    pending.push(p);
    size += n;
    if (size >= FLUSH_AT) flush();
  };
  return {
    line: (text) => push(`${text}\n`, text.length + 1),
    bytes: (data) => push(data, data.length),
    text(data) {
      // Written as it is: pushed, a chunk of a MiB would be copied once more by Buffer.concat.
      flush();
      if (closed) return true;
      process.stdout.write(data);
      // A file, or a pipe on Linux, is written before write() returns; a stream that queued the bytes still holds them.
      return process.stdout.writableLength === 0;
    },
    error(text) {
      flush();
      beforeError();
      process.stderr.write(`${text}\n`);
    },
    flush,
  };
}

/** Collects lines in memory (tests, the demo). */
export function memoryOutput(): Output & { lines: string[]; errors: string[]; raw: Buffer[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  const raw: Buffer[] = [];
  return {
    lines,
    errors,
    raw,
    line: (t) => void lines.push(t),
    bytes: (b) => void raw.push(Buffer.from(b)),
    text: (b) => {
      for (const line of Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8').split('\n').slice(0, -1)) lines.push(line);
      return true;
    },
    error: (t) => void errors.push(t),
    flush: () => {},
  };
}
