// The LOCK names its owner by pid, boot id and start time, so a pid that
// now belongs to some other live process (after a reboot, or reused) does
// not keep the store locked; the owner itself, alive, still does.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { lockLine, parseLockLine, processStartTime } from '../../src/io/lock-file.js';
import { LogStore } from '../../src/log/log-store.js';

const procKnown = processStartTime(process.pid) !== undefined;
const bootId = procKnown ? readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim() : undefined;

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'logkv-lock-id-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A live process that is not a logkv writer (it only sleeps). */
async function bystander(t: Test): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000); console.log("up")'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void child.kill('SIGKILL'));
  await once(child.stdout!, 'data');
  return child.pid!;
}

t.test('the lock line round-trips, old lines (pid only) still parse, torn ones do not', async (t) => {
  t.same(parseLockLine(lockLine({ pid: 42, boot: 'ab-12', start: '777' })), { pid: 42, boot: 'ab-12', start: '777' });
  t.same(parseLockLine('logkv-lock pid=42\n'), { pid: 42, boot: undefined, start: undefined });
  t.equal(parseLockLine('logkv-lock pid=42 boot=ab'), undefined);
  t.equal(parseLockLine('logkv-lock pid=4'), undefined);
});

t.test('an open store writes its identity into LOCK', { skip: procKnown ? false : 'no /proc here: the lock holds the pid alone' }, async (t) => {
  const dir = tempDir(t);
  const s = await LogStore.open(dir);
  const owner = parseLockLine(readFileSync(join(dir, 'LOCK'), 'latin1'));
  t.same(owner, { pid: process.pid, boot: bootId, start: processStartTime(process.pid) });
  await s.close();
});

t.test("a live pid that is not the lock's owner does not block the open", { skip: procKnown ? false : 'no /proc here' }, async (t) => {
  const pid = await bystander(t);
  const start = processStartTime(pid)!;
  for (const [what, line] of [
    ['another boot', lockLine({ pid, boot: '00000000-0000-0000-0000-000000000000', start })],
    ['another start time (the pid reused)', lockLine({ pid, boot: bootId, start: String(Number(start) + 1) })],
  ] as const) {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'LOCK'), line);
    const s = await LogStore.open(dir);
    t.pass(`${what}: the stale lock is taken over`);
    t.equal(parseLockLine(readFileSync(join(dir, 'LOCK'), 'latin1'))?.pid, process.pid, `${what}: and now names this process`);
    await s.close();
  }
});

t.test('the owner, alive, still holds it: with its identity, or named by pid alone', async (t) => {
  const pid = await bystander(t);
  const lines = [lockLine({ pid, boot: bootId, start: processStartTime(pid) }), `logkv-lock pid=${pid}\n`];
  for (const line of lines) {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'LOCK'), line);
    await t.rejects(LogStore.open(dir), { name: 'LogkvError', code: 'LOCKED', message: new RegExp(`held by process ${pid}`) }, JSON.stringify(line));
    t.equal(readFileSync(join(dir, 'LOCK'), 'latin1'), line, 'the lock is left as it was');
  }
});
