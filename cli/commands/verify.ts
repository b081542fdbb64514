// `kvtool verify PATH`: checks one file or every logkv file of a store
// directory with the format readers. Read-only. Exit 0 when clean, 1 when
// problems were found, 2 when PATH or a file in it cannot be read.

import { kindByName, recognise } from '../file-kind.js';
import type { Output } from '../output.js';
import { listFiles, PathError, readBytes } from '../paths.js';
import { CHECKS, checkUnknown } from '../verify/check.js';
import { renderVerifyJson, renderVerifyText, type VerifyResult } from '../verify/render.js';
import { EXIT } from './exit-codes.js';

export interface VerifyArgs {
  path: string;
  json: boolean;
}

export function verify(target: string): VerifyResult {
  const result: VerifyResult = { path: target, exitCode: EXIT.OK, files: [], ioErrors: [] };
  const listing = listFiles(target);
  result.ioErrors.push(...listing.ioProblems);
  for (const ref of listing.files) {
    let bytes: Buffer;
    try {
      bytes = readBytes(ref);
    } catch (e) {
      if (!(e instanceof PathError)) throw e;
      result.ioErrors.push({ path: ref.path, message: `cannot read: ${e.detail}` });
      continue;
    }
    const kind = recognise(bytes, ref.name);
    if (kind !== undefined) result.files.push(CHECKS[kind](bytes, ref.path));
    // A file named like ours, or named on the command line, must be ours;
    // anything else in a store directory (LOCK, notes, ...) is not looked at.
    else if (ref.explicit || kindByName(ref.name) !== undefined) result.files.push(checkUnknown(bytes, ref.path));
  }
  if (result.ioErrors.length > 0) result.exitCode = EXIT.USAGE_OR_IO;
  else if (result.files.some((f) => !f.ok)) result.exitCode = EXIT.PROBLEMS;
  return result;
}

export function runVerify(args: VerifyArgs, out: Output): number {
  let result: VerifyResult;
  try {
    result = verify(args.path);
  } catch (e) {
    if (!(e instanceof PathError)) throw e;
    out.error(`kvtool: ${e.message}`);
    if (args.json) {
      out.line(JSON.stringify({ path: args.path, ok: false, exitCode: EXIT.USAGE_OR_IO, error: e.message }));
    }
    return EXIT.USAGE_OR_IO;
  }
  if (args.json) out.line(renderVerifyJson(result));
  else for (const line of renderVerifyText(result)) out.line(line);
  return result.exitCode;
}
