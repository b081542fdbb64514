// `make demo`: the engines and the tool at work on a fresh store in a
// temporary folder. A LogStore written, closed and reopened (from its
// hints), its change feed and a snapshot; LogLevel, the abstract-level
// database over it; kvtool on the store, then on a copy with one flipped
// byte: verify finds it, a read refuses it, repair keeps what can be kept.
// Every step checks its own result, so a demo that prints is a demo that
// worked.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LogkvError } from '../src/errors.js';
import { LogLevel } from '../src/level/index.js';
import { LogStore } from '../src/log/log-store.js';

const KVTOOL = fileURLToPath(new URL('../cli/kvtool.js', import.meta.url));
const heading = (s: string): void => console.log(`\n=== ${s} ===`);

function kvtool(...args: string[]): { status: number; stdout: string } {
  console.log(`$ kvtool ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [KVTOOL, '--quiet', ...args], { encoding: 'utf8' });
  if (r.error) throw r.error;
  process.stdout.write(r.stdout);
  process.stdout.write(r.stderr);
  console.log(`(exit code ${r.status})`);
  return { status: r.status ?? -1, stdout: r.stdout };
}

function expect(what: string, ok: boolean): void {
  if (!ok) throw new Error(`demo: expected ${what}`);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-demo-'));
try {
  const dir = path.join(tmp, 'store');
  heading('1. LogStore: open (creates the store), put, batch, delete, close');
  const store = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: 64 * 1024 });
  console.log(`opened ${dir}: created=${store.openReport.created}, store id ${store.storeId}`);
  await store.put('user:1', 'Ada Lovelace');
  await store.batch([
    { type: 'put', key: 'user:2', value: 'Grace Hopper' },
    { type: 'put', key: 'user:3', value: 'Barbara Liskov' },
    { type: 'put', key: 'session:42', value: 'token-7f3a', ttlMs: 3_600_000 },
  ]);
  await store.delete('user:2');
  // Enough writes to roll a few 64 KiB segments: sealed segments get their hints in the background.
  for (let i = 0; i < 2000; i++) await store.put(`event:${String(i).padStart(5, '0')}`, `payload ${i} ${'x'.repeat(40)}`);
  console.log(`user:1 = ${store.get('user:1')}; user:2 = ${String(store.get('user:2'))}; ${store.count()} keys; next offset ${store.nextOffset}`);
  console.log(`range user:* -> ${JSON.stringify([...store.keys({ prefix: 'user:' })].map(String))}`);
  const changes: string[] = [];
  for await (const c of store.changes({ from: 0, follow: false })) {
    if (changes.length < 5) changes.push(`${c.offset}:${c.tombstone ? 'del' : 'put'} ${String(c.key)}`);
  }
  console.log(`change feed from offset 0: ${changes.join(', ')}, ...`);
  const snap = await store.snapshot();
  console.log(`snapshot: ${path.basename(snap.path)}, ${snap.entries} entries, ${snap.bytes} bytes`);
  await store.close();

  heading('2. Reopen: from the hints, no segment read');
  const again = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
  const r = again.openReport;
  console.log(`segments ${r.segments}, loaded from hints ${r.hintsUsed}, keys ${r.keys}, clean ${r.clean}, ${r.durationMs.toFixed(1)} ms`);
  expect('the values back after a reopen', again.get('user:3') === 'Barbara Liskov' && again.get('user:2') === undefined && again.count() === 2003);
  await again.close();

  heading('3. LogLevel: the abstract-level interface over a LogStore');
  const level = new LogLevel<string, { name: string; langs: string[] }>(path.join(tmp, 'level'), { valueEncoding: 'json' });
  await level.put('ada', { name: 'Ada', langs: ['Analytical Engine'] });
  await level.batch([
    { type: 'put', key: 'grace', value: { name: 'Grace', langs: ['COBOL'] } },
    { type: 'put', key: 'barbara', value: { name: 'Barbara', langs: ['CLU'] } },
  ]);
  const rows: string[] = [];
  for await (const [key, value] of level.iterator({ gte: 'b', reverse: true })) rows.push(`${key}: ${value.langs.join('/')}`);
  console.log(`iterator gte 'b', reverse: ${rows.join('; ')}`);
  expect('LogLevel to iterate in reverse key order', rows.join() === 'grace: COBOL,barbara: CLU');
  await level.close();

  heading('4. kvtool on the store');
  expect('verify to pass', kvtool('verify', dir).status === 0);
  expect('stats to run', kvtool('stats', dir).status === 0);
  expect('get to read a key', kvtool('get', dir, 'user:1').stdout.trim() === 'Ada Lovelace');

  heading('5. One flipped byte in a copy: found, refused, repaired');
  const copy = path.join(tmp, 'damaged');
  fs.cpSync(dir, copy, { recursive: true });
  const first = path.join(copy, '00000000000000000000.log');
  const bytes = fs.readFileSync(first);
  const at = bytes.indexOf('Ada Lovelace');
  bytes[at]! ^= 0x20;
  fs.writeFileSync(first, bytes);
  console.log(`flipped a bit of byte ${at} of ${path.basename(first)} (inside the value of user:1)`);
  expect('verify to report it (exit 1)', kvtool('verify', copy).status === 1);
  const damaged = await LogStore.open<string>(copy, { valueEncoding: 'utf8' });
  try {
    damaged.get('user:1');
    expect('a read of the damaged record to fail', false);
  } catch (e) {
    console.log(`get('user:1') on the damaged copy: ${(e as LogkvError).code}: ${(e as Error).message}`);
    expect('CORRUPT, never a wrong value', e instanceof LogkvError && e.code === 'CORRUPT');
  }
  console.log(`every other key still reads: user:3 = ${damaged.get('user:3')}`);
  await damaged.close();
  kvtool('repair', '--yes', copy);
  expect('verify to pass after the repair', kvtool('verify', copy).status === 0);
  heading('done');
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`removed ${tmp}`);
}
