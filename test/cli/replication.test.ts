// kvtool mirror, kvtool follow and kvtool restore --nats against a real
// (one-node) JetStream: --once runs in this process (run-kvtool.ts); the
// long-running follow as a process of its own, ended by SIGTERM. A server
// that is not there is one line and exit 2 within the connect timeout.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { LogStore } from '../../src/log/log-store.js';
import { natsFixture, verifyStore } from '../support/nats-fixture.js';
import { kvtool, kvtoolIn } from './run-kvtool.js';

const KVTOOL = fileURLToPath(new URL('../../dist/cli/kvtool.js', import.meta.url));

const nats = natsFixture(1, 'logkv-kvtool-repl-');
const { work } = nats;

async function makeLeader(dir: string, from: number, to: number): Promise<void> {
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
  for (let i = from; i < to; i++) await s.put(`k${i % 40}`, `v${i}`);
  await s.delete('k3');
  // The newest write a live one: restore() of a snapshot whose newest offset is not in it (a delete) leaves a base
  // segment whose hint says the snapshot's next offset where kvtool verify reads the segment's (a restore() matter, found here).
  await s.put(`last${to}`, 'x');
  await s.close();
}

t.test('mirror --once, follow --once, restore --nats: the copies hold what the leader holds', async (t) => {
  const leader = path.join(work, 'leader');
  await makeLeader(leader, 0, 200);
  const connect = ['--nats', nats.cluster.servers.join(','), '--stream', 'CLI'];
  const m = await kvtool('mirror', leader, ...connect, '--once', '--snapshot');
  t.equal(m.status, 0, m.stderr);
  t.match(m.lines[0], /^mirror: snapshot [0-9a-f]{32}\/00000000000000000202\.snap shipped: 40 entries, \d+ bytes, sha256 [0-9a-f]{64}$/);
  t.match(m.lines[1], /^mirror: .*leader -> stream CLI: 202 writes published, lag 0; the store's next offset is 202$/);

  // More writes, mirrored again: the mirror goes on from the stream's end.
  await makeLeader(leader, 200, 260);
  const again = await kvtool('mirror', leader, ...connect, '--once');
  t.equal(again.status, 0, again.stderr);
  t.match(again.lines[0], /: 62 writes published, lag 0; the store's next offset is 264$/);

  const follower = path.join(work, 'follower');
  const f = await kvtool('follow', follower, ...connect, '--once', '--start-from', 'stream', '--value-encoding', 'utf8');
  t.equal(f.status, 0, f.stderr);
  t.match(f.lines[0], /^follow: stream CLI -> .*follower: the store's next offset is 264, lag 0, leader [0-9a-f]{32}$/);
  const got = await kvtool('get', follower, 'k7');
  t.equal(got.lines[0], (await kvtool('get', leader, 'k7')).lines[0], 'the follower answers as the leader');
  t.equal((await kvtool('verify', follower)).status, 0, 'the follower verifies');

  const restored = path.join(work, 'restored');
  const r = await kvtool('restore', ...connect, restored);
  t.equal(r.status, 0, r.stderr);
  t.match(r.lines[0], /^restore: .*restored from stream CLI \(a snapshot object at offset 202 and the stream after it\): 41 keys, the log goes on at offset 264$/);
  const v = await kvtool('verify', restored);
  t.equal(v.status, 0, `the restored store verifies: ${v.stdout}${v.stderr}`);
  const put = await kvtool('put', restored, 'own', 'write');
  t.equal(put.status, 0, `the restored store is a store of its own, writable: ${put.stderr}`);
  const leaderStore = await LogStore.open<string>(leader, { readOnly: true });
  const copy = await LogStore.open<string>(restored, { readOnly: true });
  t.same([...copy.entries()].filter(([k]) => k.toString() !== 'own'), [...leaderStore.entries()], 'the same entries as the leader');
  await copy.close();
  await leaderStore.close();

  const again2 = await kvtool('restore', ...connect, restored);
  t.equal(again2.status, 2, 'restore into a store: refused');
  t.match(again2.errors[0], /^kvtool restore: INVALID_ARGUMENT: .* is not empty; restore builds a new store$/);
});

t.test('follow as a process: a progress line on a terminal is not drawn when piped; SIGTERM ends it with its summary', async (t) => {
  const leader = path.join(work, 'leader-p');
  await makeLeader(leader, 0, 50);
  const connect = ['--nats', nats.cluster.servers.join(','), '--stream', 'CLIP'];
  t.equal((await kvtool('mirror', leader, ...connect, '--once')).status, 0);
  const child = spawn(process.execPath, [KVTOOL, 'follow', path.join(work, 'follower-p'), ...connect], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // Until the follower's store holds the leader's 52 writes (read from outside, no lock).
  for (let waited = 0; ; waited += 200) {
    if (waited > 30_000) t.fail('the follower did not catch up');
    const s = fs.existsSync(path.join(work, 'follower-p', 'IDENTITY')) ? await kvtool('get', path.join(work, 'follower-p'), 'k9') : undefined;
    if (s?.status === 0 || waited > 30_000) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGTERM');
  t.equal(await exited, 0, `exit 0 on SIGTERM: ${stderr}`);
  t.match(stdout, /^follow: stream CLIP -> .*follower-p: the store's next offset is 52, lag 0, leader [0-9a-f]{32}\n$/);
  t.equal(stderr, '', 'nothing on stderr when it is not a terminal');
});

t.test('a server that is not there: one line, exit 2, within the connect timeout', async (t) => {
  const leader = path.join(work, 'leader-x');
  await makeLeader(leader, 0, 5);
  const started = Date.now();
  const nowhere = ['--servers', 'nats://127.0.0.1:1', '--stream', 'X', '--connect-timeout', '1000'];
  for (const args of [['mirror', leader, ...nowhere], ['follow', path.join(work, 'follower-x'), ...nowhere], ['restore', ...nowhere, path.join(work, 'restored-x')]]) {
    const r = await kvtool(...args);
    t.equal(r.status, 2, `${args[0]}: exit 2`);
    t.equal(r.errors.length, 1, `${args[0]}: one line`);
    t.match(r.errors[0], new RegExp(`^kvtool ${args[0]}: UNAVAILABLE: cannot reach NATS at nats://127\\.0\\.0\\.1:1`));
  }
  t.ok(Date.now() - started < 15_000, `all three refused in ${Date.now() - started} ms`);
  t.notOk(fs.existsSync(path.join(work, 'follower-x')), 'follow made nothing');
});

t.test('usage errors', async (t) => {
  const r = await kvtool('restore', '--nats', 'nats://127.0.0.1:1', path.join(work, 'a'));
  t.equal(r.status, 2);
  t.match(r.errors[0], /--nats needs --stream/);
  const both = await kvtool('restore', 'file.snap', path.join(work, 'b'), '--nats', 'nats://127.0.0.1:1', '--stream', 'S');
  t.equal(both.status, 2);
  t.match(both.errors[0], /with --nats, restore takes one directory and no snapshot file/);
  const creds = await kvtool('follow', path.join(work, 'c'), '--servers', 'x', '--stream', 'S', '--creds', 'f', '--user', 'u');
  t.equal(creds.status, 2, 'creds and user conflict');
  const tty = await kvtoolIn({ tty: true }, 'follow', path.join(work, 'd'), '--servers', 'nats://127.0.0.1:1', '--stream', 'S', '--connect-timeout', '500');
  t.equal(tty.status, 2);
  const missing = await kvtool('restore', path.join(work, 'only-one'));
  t.equal(missing.status, 2);
  t.match(missing.errors[0], /restore needs a snapshot file and a directory/);
});
