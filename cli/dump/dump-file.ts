// One file of a `kvtool dump`: what the command does for each file it
// lists, on this thread or in a worker (dump-pool.ts). The options are
// rebuilt from the command's arguments wherever the file is dumped: they
// hold functions, which do not cross to a worker.

import { hashKey } from '../../src/log/key-directory.js';
import { EXIT } from '../commands/exit-codes.js';
import { kindByName, magicHex, type FileKind } from '../file-kind.js';
import { keyBytes, keyMatcher, type ValuesMode } from '../format-value.js';
import type { Output } from '../output.js';
import { type FileRef, type LogkvFile, PathError, READ_WHOLE_UP_TO, withFile } from '../paths.js';
import type { DumpEvent, DumpOptions, Emit } from './events.js';
import { dumpHint } from './hint.js';
import { dumpIdentity } from './identity.js';
import { dumpJournal } from './journal.js';
import { JsonLines } from './json-lines.js';
import { renderText } from './render.js';
import { dumpSegment } from './segment.js';
import { dumpSegmentIndex } from './segment-index.js';
import { dumpSnapshot } from './snapshot.js';

/** What selects and shapes the lines: the command's arguments less the path. */
export interface DumpShape {
  json: boolean;
  fromOffset: number | undefined;
  key: string | undefined;
  values: ValuesMode;
}

const DUMPERS: Record<FileKind, (read: LogkvFile, file: string, opts: DumpOptions, emit: Emit) => void> = {
  segment: dumpSegment,
  hint: dumpHint,
  index: dumpSegmentIndex,
  identity: dumpIdentity,
  snapshot: dumpSnapshot,
  journal: dumpJournal,
};

/** Writes the lines of files to one Output: JSON lines through one buffer (json-lines.ts), text lines one string at a time. */
export class FileDumper {
  readonly #out: Output;
  readonly #json: JsonLines | undefined;
  readonly #opts: DumpOptions;
  readonly #emit: Emit;

  constructor(shape: DumpShape, out: Output) {
    const json = shape.json ? new JsonLines(out) : undefined;
    // An error line goes after every line before it.
    this.#out = json ? { ...out, error: (text) => (json.flush(), out.error(text)) } : out;
    this.#json = json;
    this.#emit = json ? (e: DumpEvent): void => json.event(e) : (e: DumpEvent): void => out.line(renderText(e));
    this.#opts = {
      values: shape.values,
      fromOffset: shape.fromOffset,
      keyMatches: shape.key === undefined ? undefined : keyMatcher(shape.key),
      keyHashes: shape.key === undefined ? undefined : new Set(keyBytes(shape.key).map(hashKey)),
      ...(json ? { fast: json } : {}),
    };
  }

  /** The Output, errors flushing the lines before them. */
  get out(): Output {
    return this.#out;
  }

  /** Dumps one listed file, every line of it handed to the Output; its exit code (EXIT.OK, PROBLEMS or USAGE_OR_IO). */
  dump(ref: FileRef): number {
    let code: number = EXIT.OK;
    try {
      withFile(
        ref,
        (read) => {
          if (read.kind === undefined) {
            // In a directory, files that are not ours are passed over in silence,
            // but one named like ours is mentioned.
            if (ref.explicit || kindByName(ref.name) !== undefined) {
              this.#emit({ type: 'not-logkv', file: ref.path, size: read.size, magic: magicHex(read.head) });
            }
            if (ref.explicit) code = EXIT.PROBLEMS;
            return;
          }
          this.#emit({ type: 'file', file: ref.path, kind: read.kind, size: read.size });
          DUMPERS[read.kind](read, ref.path, this.#opts, this.#emit);
        },
        // Read in one go: a dump reads every byte of a store's files once, front to back, and its readers then never move a window.
        { readWholeUpTo: READ_WHOLE_UP_TO },
      );
    } catch (e) {
      if (!(e instanceof PathError)) throw e;
      this.#out.error(`kvtool: ${e.message}`);
      code = EXIT.USAGE_OR_IO;
    }
    return code;
  }

  /** Hands buffered lines to the Output. */
  flush(): void {
    this.#json?.flush();
  }
}

/** The exit code of a dump from those of its files: an I/O failure above a file that is not ours, above clean. */
export function worstCode(a: number, b: number): number {
  return Math.max(a, b);
}
