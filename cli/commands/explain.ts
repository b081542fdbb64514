// `kvtool explain FILE --at BYTE`: which field of which record (batch,
// frame, entry) the byte belongs to, from the debug-mode parser's record
// of where each field lies, with the bytes around it. Read-only.

import type { Context } from '../context.js';
import { CliError } from '../failure.js';
import { magicHex } from '../file-kind.js';
import { listFiles, withFile } from '../paths.js';
import { type Around, explainJson, hexSpan, renderExplainText } from '../explain/render.js';
import { explainByte } from '../explain/structure.js';
import { EXIT } from './exit-codes.js';

export interface ExplainArgs {
  path: string;
  at: string;
  context: number;
  json: boolean;
}

/** BYTE as a decimal or 0x-prefixed hex position. */
export function parsePosition(text: string): number | undefined {
  const n = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text.slice(2), 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

export function runExplain(args: ExplainArgs, ctx: Context): number {
  const listing = listFiles(args.path);
  if (listing.isDirectory) throw new CliError(`${args.path} is a directory: explain takes one file`);
  const ref = listing.files[0]!;
  const at = parsePosition(args.at);
  if (at === undefined) throw new CliError(`--at ${args.at}: give a byte position (decimal, or hex with 0x)`);
  return withFile(ref, (read) => {
    if (at >= read.size) throw new CliError(`--at ${at}: ${ref.path} has ${read.size} bytes (positions 0..${read.size - 1})`);
    if (read.kind === undefined) throw new CliError(`${ref.path} is not a logkv file (magic ${magicHex(read.head)})`, EXIT.PROBLEMS);
    const explained = explainByte(read, at);
    const { first, last } = hexSpan(at, args.context, read.size);
    const around: Around = { size: read.size, at, bytes: { start: first, bytes: read.source.read(first, last - first) } };
    if (args.json) ctx.out.line(JSON.stringify(explainJson(ref.path, read.kind, around, explained)));
    else for (const l of renderExplainText(ref.path, read.kind, around, explained)) ctx.out.line(l);
    return EXIT.OK;
  });
}
