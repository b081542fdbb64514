// Every golden file in fixtures/ through kvtool's inspection commands:
// verify's verdict and the offset it names agree with FILE.expected.json
// (written from what make-fixtures damaged, never from a reader), dump
// lists the records (index slots) the expectation lists, and stats and
// explain answer for every file.

import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { kvtool } from './run-kvtool.js';

const root = path.join(import.meta.dirname, '..', '..', 'fixtures');

interface Expected {
  kind: 'log' | 'hint' | 'index' | 'snapshot' | 'journal' | 'error';
  code?: string;
  reason?: string;
  offset?: number;
  records?: Array<[number, string, string, string]>;
  /** Index slots: [hash, position, size, offset]. */
  slots?: Array<[number, number, number, number]>;
  /** Log segments: every damaged range; journals: the first (a journal reader stops there). */
  damage?: Array<[string, string, number]> | [string, string, number] | null;
  validUpTo?: number;
}

interface VerifyDoc {
  exitCode: number;
  files: Array<{ ok: boolean; okUpTo?: number; problems: Array<{ code: string; reason?: string; offset?: number }> }>;
}

const files = fs
  .readdirSync(root)
  .filter((d) => fs.statSync(path.join(root, d)).isDirectory())
  .flatMap((d) => fs.readdirSync(path.join(root, d)).filter((f) => !f.endsWith('.json')).map((f) => path.join(root, d, f)))
  .sort();

t.ok(files.length >= 40, `${files.length} golden files`);

for (const file of files) {
  t.test(path.relative(root, file), async (t) => {
    const want = JSON.parse(fs.readFileSync(`${file}.expected.json`, 'utf8')) as Expected;
    const v = await kvtool('verify', '--json', file);
    const doc = JSON.parse(v.stdout) as VerifyDoc;
    const report = doc.files[0]!;
    const d = want.damage;
    const firstDamage = !d || d.length === 0 ? undefined : typeof d[0] === 'string' ? d : (d as Array<[string, string, number]>)[0];
    const problem = want.kind === 'error' ? [want.code, want.reason, want.offset] : firstDamage;
    if (problem === undefined) {
      t.equal(v.status, 0, 'verify: clean');
      t.ok(report.ok);
    } else {
      t.equal(v.status, 1, 'verify: problems');
      const p = report.problems[0]!;
      t.strictSame([p.code, p.reason, p.offset], problem, 'the first problem is the one the fixture holds');
    }
    if (want.validUpTo !== undefined) t.equal(report.okUpTo, want.validUpTo, 'ok_up_to is the end of the valid prefix');

    // A file without our magic is refused by every command with exit 1.
    const foreign = want.kind === 'error' && want.reason === 'magic';
    const dump = await kvtool('dump', '--json', '--values', 'full', file);
    t.equal(dump.status, foreign ? 1 : 0, 'dump');
    if (want.kind === 'log') {
      const offsets = dump.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((o) => o.type === 'record')
        .map((r) => r.offset as number);
      const expected = want.records!.map((r) => r[0]);
      // The expectation holds the records before the first damage; dump reads on past it.
      t.strictSame(offsets.slice(0, expected.length), expected, 'dump lists the records of the valid prefix');
      if (firstDamage === undefined) t.equal(offsets.length, expected.length, 'and no others');
      else t.ok(offsets.slice(expected.length).every((o) => o > (expected.at(-1) ?? -1)), 'then the records it finds past the damage');
    }

    if (want.kind === 'index') {
      const slots = dump.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((o) => o.type === 'index-slot')
        .map((o) => [Number.parseInt(o.hash as string, 16), o.position, o.size, o.offset]);
      t.strictSame(slots, want.slots, 'dump lists every slot');
    }

    const stats = await kvtool('stats', file);
    // A file whose header (or whole-file check) fails has no figures: stats says why in one line,
    // except a journal, whose stats report it as invalid.
    if (want.kind === 'error' && (foreign || !file.endsWith('.jrna'))) t.strictSame([stats.status, stats.errors.length], [1, 1], 'stats: one line, exit 1');
    else t.equal(stats.status, 0, `stats: ${stats.stderr}`);

    const size = fs.statSync(file).size;
    const at = Math.min(size - 1, (problem?.[2] as number | undefined) ?? Math.floor(size / 2));
    const ex = await kvtool('explain', file, '--at', String(at), '--context', '0');
    if (foreign) t.equal(ex.status, 1, 'explain: not a logkv file');
    else {
      t.equal(ex.status, 0, `explain at ${at}: ${ex.stderr}`);
      t.ok(ex.lines.some((l) => l.startsWith('path: ')), 'explain names a path');
    }
  });
}
