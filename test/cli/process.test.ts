// kvtool across a process boundary, where the boundary is the point: a
// store another process has open and keeps writing to (inspection works
// without its lock and never shows a value that was not written; tail
// --follow sees every write; write commands say it is locked and exit 4),
// and the binary on a real
// pseudo-terminal (util-linux `script`), where the progress bar and the
// repair question appear, against a pipe, where they do not.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { kvtool } from './run-kvtool.js';
import { batchesOf, flipByte, makeStore } from './stores.js';
import { parseLockLine } from '../../src/io/lock-file.js';

const KVTOOL = fileURLToPath(new URL('../../dist/cli/kvtool.js', import.meta.url));
const ENGINE = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-kvtool-process-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

t.before(() => {
  if (!fs.existsSync(KVTOOL) || !fs.existsSync(ENGINE)) throw new Error('dist/ is missing: run make build first');
});

// The writer: opens the store, writes, says "ready N" (N: the last value of key "hot"); on
// "burst" writes as fast as it can (segments roll) until told "stop" and it has written at least
// the 300 records tail --follow waits for, then says "ready N" again; on "quit" closes and exits.
// The test ends the burst once it has read enough during it: a burst of fixed length held too
// few reads when kvtool's processes started slowly on a loaded machine.
const WRITER = `
import { open } from ${JSON.stringify(ENGINE)};
import readline from 'node:readline';
const db = await open(process.argv[1], { valueEncoding: 'utf8', segmentSize: 4096, autoCompact: false });
let n = 0;
let stop = false;
const write = async (count) => { for (let i = 0; i < count; i++) { n++; await db.put('hot', 'v' + n); await db.put('k' + (n % 30), 'value ' + n); } };
await write(50);
console.log('ready ' + n);
readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line === 'burst') { stop = false; const least = n + 160; while (!stop || n < least) await write(20); console.log('ready ' + n); }
  if (line === 'stop') stop = true;
  if (line === 'quit') { await db.close(); process.exit(0); }
});
`;

function startWriter(dir: string): { child: ChildProcess; next: () => Promise<number> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout! });
  const waiting: Array<(n: number) => void> = [];
  lines.on('line', (l) => {
    const m = /^ready (\d+)$/.exec(l);
    if (m) waiting.shift()?.(Number(m[1]));
  });
  return { child, next: () => new Promise((resolve) => waiting.push(resolve)) };
}

/** How many get + stats pairs the test makes while the writer bursts. */
const READS_DURING_BURST = 5;

t.test('a store another process has open and writes to', async (t) => {
  const dir = path.join(tmp, 'live');
  const writer = startWriter(dir);
  t.teardown(() => void writer.child.kill());
  const first = await writer.next();
  const lock = fs.readFileSync(path.join(dir, 'LOCK'), 'utf8');
  t.equal(parseLockLine(lock)?.pid, writer.child.pid, 'the writer holds the lock');

  const v = await kvtool('verify', dir);
  t.equal(v.status, 0, `verify, without the lock:\n${v.stdout}`);
  t.equal((await kvtool('dump', dir)).status, 0, 'dump');
  const stats = await kvtool('stats', '--json', dir);
  t.equal((JSON.parse(stats.stdout) as { keys: number }).keys, 31, 'stats: hot and k0..k29');
  t.strictSame((await kvtool('get', dir, 'hot')).lines, [`v${first}`], 'get sees the last acknowledged write');
  const seg = fs.readdirSync(dir).find((f) => f.endsWith('.log'))!;
  t.equal((await kvtool('explain', path.join(dir, seg), '--at', '40')).status, 0, 'explain');

  for (const args of [['put', dir, 'k', 'v'], ['del', dir, 'hot'], ['repair', '-y', dir], ['compact', dir], ['snapshot', dir]]) {
    const r = await kvtool(...args);
    t.equal(r.status, 4, `${args[0]}: locked`);
    t.strictSame(r.errors.length, 1, 'one line');
    t.match(r.errors[0]!, `kvtool ${args[0]}: LOCKED: ${dir}/LOCK is held by process ${writer.child.pid}`);
  }
  t.equal(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8'), lock, 'the lock is untouched');

  // While it writes as fast as it can (segments rolling), every value get
  // shows is one that was written, never older than one shown before, and
  // tail --follow delivers every write, in order, as written: write n puts
  // hot=v<n> at offset 2(n-1), then k<n % 30>="value n".
  const from = first * 2;
  const following = kvtool('tail', '--follow', '--json', '--from', String(from), '--limit', '300', '--poll-ms', '20', dir);
  writer.child.stdin!.write('burst\n');
  const done = writer.next();
  let finished = false;
  void done.then(() => (finished = true));
  let seen = first;
  let reads = 0;
  while (!finished) {
    const g = await kvtool('get', '--quiet', dir, 'hot');
    t.equal(g.status, 0);
    const m = /^v(\d+)$/.exec(g.lines[0] ?? '');
    if (!m) {
      t.fail(`get returned ${JSON.stringify(g.lines)}`);
      break;
    }
    const n = Number(m[1]);
    if (n < seen) t.fail(`went back from v${seen} to v${n}`);
    seen = n;
    const s = await kvtool('stats', '--quiet', dir);
    if (s.status !== 0) t.fail(`stats exit ${s.status}: ${s.stderr}`);
    if (++reads === READS_DURING_BURST) writer.child.stdin!.write('stop\n');
    await new Promise((r) => setTimeout(r, 10));
  }
  // Also when a read failed and the loop ended early: the burst ends only when told.
  writer.child.stdin!.write('stop\n');
  const last = await done;
  t.ok(seen > first, `the ${reads} reads during the burst saw it go on: from v${first} to v${seen} (v${last} at its end)`);
  const tail = await following;
  t.equal(tail.status, 0, tail.stderr);
  const expected = Array.from({ length: 300 }, (_, i) => {
    const offset = from + i;
    const n = Math.floor(offset / 2) + 1;
    return offset % 2 === 0 ? [offset, 'hot', `v${n}`] : [offset, `k${n % 30}`, `value ${n}`];
  });
  t.strictSame(
    tail.lines.map((l) => JSON.parse(l) as { offset: number; key: string; value: string }).map((c) => [c.offset, c.key, c.value]),
    expected,
    'tail --follow: the 300 writes after it started, in order, across segment rolls',
  );
  t.strictSame((await kvtool('get', dir, 'hot')).lines, [`v${last}`], 'after the burst: the last write');
  t.equal((await kvtool('verify', dir)).status, 0, 'and verify is clean');

  writer.child.stdin!.write('quit\n');
  await new Promise((r) => writer.child.once('exit', r));
  t.equal((await kvtool('put', dir, 'k', 'v')).status, 0, 'once the writer is gone, put takes the lock');
});

/** Runs the binary on a pseudo-terminal; `input` is typed at it. Returns what the terminal showed. */
function onTerminal(args: string[], input = ''): { status: number | null; screen: string } {
  const command = [process.execPath, KVTOOL, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qfec', command, '/dev/null'], { input, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, screen: r.stdout };
}

t.test('on a terminal: a progress bar, and repair asks', { skip: spawnSync('script', ['--version']).status !== 0 && 'no util-linux script' }, async (t) => {
  const s = await makeStore(path.join(tmp, 'tty'));
  const bar = /\rverify \[[#.]+\] +\d+% [\d.]+ (B|KiB)\/[\d.]+ KiB/;
  const tty = onTerminal(['verify', s.dir]);
  t.equal(tty.status, 0);
  t.match(tty.screen, bar, 'frames of the bar');
  t.match(tty.screen, /\rverify \[#{40}\] 100% /, 'the last one full');
  t.match(tty.screen, `\r\x1b[K${s.dir}/`, 'cleared before the output');

  t.notMatch(onTerminal(['verify', '--quiet', s.dir]).screen, /verify \[/, '--quiet: no bar');
  const piped = spawnSync(process.execPath, [KVTOOL, 'verify', s.dir], { encoding: 'utf8' });
  t.equal(piped.status, 0);
  t.equal(piped.stderr, '', 'piped: nothing on stderr');

  const seg = s.segments[1]!;
  flipByte(seg, batchesOf(seg)[2]!.position + 12);
  const asked = onTerminal(['repair', '--salvage', s.dir], 'y\n');
  t.equal(asked.status, 0, asked.screen);
  t.match(asked.screen, 'Make these changes? [y/N] ');
  t.match(asked.screen, /repaired: report in lost\/repair-\d{8}-\d{6}\/report\.txt; verify: ok/);
});

t.test('the binary: one line on stderr and an exit code, no stack', async (t) => {
  const r = spawnSync(process.execPath, [KVTOOL, 'put', path.join(tmp, 'nowhere'), 'k', 'v'], { encoding: 'utf8' });
  t.equal(r.status, 2);
  t.equal(r.stderr, `kvtool put: cannot read ${path.join(tmp, 'nowhere')}: ENOENT: no such file or directory, stat '${path.join(tmp, 'nowhere')}'\n`);
  const s = await makeStore(path.join(tmp, 'bin'), 40);
  fs.appendFileSync(s.segments.at(-1)!, Buffer.from('torn'));
  const refused = spawnSync(process.execPath, [KVTOOL, 'repair', s.dir], { encoding: 'utf8', input: '' });
  t.equal(refused.status, 2, 'no terminal to ask on');
  t.match(refused.stderr, /^kvtool repair: nothing changed: stdin is not a terminal to ask on; run with --yes/);
  t.equal(spawnSync(process.execPath, [KVTOOL, '--help'], { encoding: 'utf8' }).status, 0);
});
