// Renders verify's findings: text lines a person reads (one per problem,
// ok_up_to/diff in the redis-check-aof style), or one JSON document.

import type { IoProblem } from '../paths.js';
import type { FileReport, Problem } from './check.js';

export interface VerifyResult {
  path: string;
  exitCode: number;
  files: FileReport[];
  ioErrors: IoProblem[];
}

function problemText(p: Problem): string {
  const at = p.offset === undefined ? 'problem' : `problem at byte ${p.offset}`;
  const fill = p.zeroFillAfter ? `, then ${p.zeroFillAfter} bytes of zero fill` : '';
  const range = p.offset !== undefined && p.length !== undefined ? ` [bytes ${p.offset}..${p.offset + p.length}${fill}]` : '';
  return `${at}: ${p.code}${p.reason ? ` ${p.reason}` : ''}: ${p.message}${range}`;
}

function detailsText(d: FileReport['details']): string {
  const parts = Object.entries(d).map(([k, v]) => `${k} ${v}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

export function renderVerifyText(r: VerifyResult): string[] {
  const lines: string[] = [];
  for (const f of r.files) {
    const head = `${f.file}: ${f.kind}:`;
    for (const p of f.problems) lines.push(`${head} ${problemText(p)}`);
    const prefix = f.okUpTo === undefined ? '' : ` ok_up_to=${f.okUpTo} diff=${f.diff}`;
    const verdict = f.ok ? 'ok' : `${f.problems.length} problem${f.problems.length === 1 ? '' : 's'}`;
    lines.push(`${head} ${verdict}${prefix}${detailsText(f.details)}`);
  }
  for (const e of r.ioErrors) lines.push(`${e.path}: ${e.message}`);
  const bad = r.files.filter((f) => !f.ok).length;
  const io = r.ioErrors.length === 0 ? '' : `, ${r.ioErrors.length} unreadable`;
  lines.push(`verify: ${r.files.length} file${r.files.length === 1 ? '' : 's'} checked, ${r.files.length - bad} ok, ${bad} with problems${io}`);
  return lines;
}

export function renderVerifyJson(r: VerifyResult): string {
  const bad = r.files.filter((f) => !f.ok).length;
  return JSON.stringify({
    path: r.path,
    ok: r.exitCode === 0,
    exitCode: r.exitCode,
    summary: { files: r.files.length, ok: r.files.length - bad, withProblems: bad, unreadable: r.ioErrors.length },
    files: r.files,
    ioErrors: r.ioErrors,
  });
}
