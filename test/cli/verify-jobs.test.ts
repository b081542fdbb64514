// kvtool verify --jobs N (verify-pool.ts): the files checked in worker
// threads give the very report verify() gives on one thread, problems
// included, in the same order; --jobs must be a whole number of at least 1.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { verify, verifyParallel } from '../../cli/commands/verify.js';
import { LogStore } from '../../src/log/log-store.js';
import { writeIndexes } from '../support/segment-indexes.js';
import { kvtool } from './run-kvtool.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-verify-jobs-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A store of several sealed segments with hints, closed. */
async function store(name: string): Promise<string> {
  const dir = path.join(tmp, name);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: 16 * 1024, autoCompact: false });
  for (let i = 0; i < 2000; i++) await s.put(`k${i % 300}`, `value ${i} ${'x'.repeat(40)}`);
  await s.snapshot();
  await s.close();
  return dir;
}

const logs = (dir: string): string[] => fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort();

t.test('workers give the report one thread gives: clean, then with a flipped byte, a lost segment, a stale hint and a stale index', async (t) => {
  const dir = await store('damaged');
  writeIndexes(dir);
  const clean = verify(dir);
  t.equal(clean.exitCode, 0, 'the store starts clean');
  t.same(await verifyParallel(dir, { jobs: 3, workersFromBytes: 0 }), clean, 'clean: the same report from 3 workers');

  const names = logs(dir);
  t.ok(names.length >= 5, `${names.length} segments`);
  const flipped = path.join(dir, names[1]!);
  const bytes = fs.readFileSync(flipped);
  bytes[200] = bytes[200]! ^ 0x40;
  fs.writeFileSync(flipped, bytes);
  fs.rmSync(path.join(dir, names[2]!));
  // A hint left describing a segment cut short.
  const cut = path.join(dir, names[3]!);
  fs.truncateSync(cut, fs.statSync(cut).size - 10);
  // An index of another segment: the worker checking the segment compares it with the hint.
  const staleIndex = path.join(dir, names[4]!.replace('.log', '.index'));
  fs.copyFileSync(path.join(dir, names[0]!.replace('.log', '.index')), staleIndex);

  const one = verify(dir);
  t.equal(one.exitCode, 1, 'one thread finds problems');
  const problems = one.files.filter((f) => !f.ok).map((f) => path.basename(f.file));
  t.ok(problems.length >= 3, `files with problems: ${problems.join(' ')}`);
  t.ok(problems.includes(path.basename(staleIndex)), 'the stale index among them');
  const progress: number[] = [];
  const many = await verifyParallel(dir, { jobs: 2, workersFromBytes: 0, onProgress: (done) => progress.push(done) });
  t.same(many, one, 'the same report, problem for problem, from 2 workers');
  t.equal(progress.at(-1), fs.readdirSync(dir).reduce((n, f) => (fs.statSync(path.join(dir, f)).isFile() ? n + fs.statSync(path.join(dir, f)).size : n), 0) + fs.readdirSync(path.join(dir, 'snapshots')).reduce((n, f) => n + fs.statSync(path.join(dir, 'snapshots', f)).size, 0), 'progress reaches every byte');
});

t.test('kvtool verify --jobs: the same output for 1 and 2; 0 is a usage error', async (t) => {
  const dir = await store('cli');
  const a = await kvtool('verify', '--json', '--jobs', '1', dir);
  const b = await kvtool('verify', '--json', '--jobs', '2', dir);
  t.equal(a.status, 0);
  t.same(b.lines, a.lines, 'same JSON');
  const bad = await kvtool('verify', '--jobs', '0', dir);
  t.equal(bad.status, 2, '--jobs 0 is refused');
  t.match(bad.errors.join('\n'), /--jobs must be a whole number of at least 1/);
});
