// kvtool dump --jobs N (dump-pool.ts): the files dumped in worker threads
// give, line for line and in the same order, what one thread gives, damage
// and files that are not ours included, in JSON and in text; progress
// reaches every byte; --jobs must be a whole number of at least 1.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { runDump, type DumpArgs } from '../../cli/commands/dump.js';
import type { Context } from '../../cli/context.js';
import type { Output } from '../../cli/output.js';
import { LogStore } from '../../src/log/log-store.js';
import { kvtool } from './run-kvtool.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-dump-jobs-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Everything written, stdout and stderr, in the order written. */
function transcript(): Output & { items: string[] } {
  const items: string[] = [];
  return {
    items,
    line: (text) => void items.push(`out ${text}`),
    bytes: (data) => void items.push(`raw ${Buffer.from(data).toString('hex')}`),
    text: (data) => {
      for (const line of Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8').split('\n').slice(0, -1)) items.push(`out ${line}`);
    },
    error: (text) => void items.push(`err ${text}`),
    flush: () => {},
  };
}

async function dumpWith(args: DumpArgs): Promise<{ code: number; items: string[]; progress: number[] }> {
  const out = transcript();
  const progress: number[] = [];
  const ctx: Context = {
    out,
    quiet: false,
    debug: false,
    term: {
      out,
      status: { isTTY: true, columns: 80, write: () => {} },
      stdoutIsTTY: false,
      now: (() => {
        let clock = 0;
        return () => (clock += 1000);
      })(),
      ask: async () => undefined,
    },
  };
  // The bar's frames carry the bytes done: read them back off the status line.
  ctx.term.status.write = (text) => {
    const m = /([\d.]+) (B|KiB|MiB)\//.exec(text);
    if (m) progress.push(Number(m[1]) * (m[2] === 'B' ? 1 : m[2] === 'KiB' ? 1024 : 1024 * 1024));
  };
  const code = await runDump(args, ctx);
  return { code, items: out.items, progress };
}

t.test('workers give the lines one thread gives, in order: a clean store, then a damaged one', async (t) => {
  const dir = path.join(tmp, 'store');
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: 16 * 1024, autoCompact: false });
  for (let i = 0; i < 3000; i++) await s.put(`k${i % 400}`, `value ${i} ${'x'.repeat(40)}`);
  await s.delete('k7');
  await s.snapshot();
  await s.close();
  const logs = fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
  t.ok(logs.length >= 6, `${logs.length} segments`);

  for (const json of [true, false]) {
    const args = { path: dir, json, fromOffset: undefined, key: undefined, values: 'preview' as const };
    const one = await dumpWith({ ...args, jobs: 1 });
    t.equal(one.code, 0, `${json ? 'json' : 'text'}: one thread, exit 0`);
    t.ok(one.items.length > 3000, `${one.items.length} lines`);
    for (const jobs of [2, 4]) {
      const many = await dumpWith({ ...args, jobs, workersFromBytes: 0 });
      t.same(many.items, one.items, `${json ? 'json' : 'text'}: ${jobs} threads write the very lines, in order`);
      t.equal(many.code, one.code, 'the same exit code');
    }
  }

  // A flipped byte in one segment, a hint cut short, a file named like ours that is not ours.
  const flipped = path.join(dir, logs[1]!);
  const bytes = fs.readFileSync(flipped);
  bytes[300] = bytes[300]! ^ 0x40;
  fs.writeFileSync(flipped, bytes);
  const hint = path.join(dir, logs[3]!.replace('.log', '.hint'));
  fs.truncateSync(hint, fs.statSync(hint).size - 7);
  fs.writeFileSync(path.join(dir, '00000000000099999999.log'), 'not a segment at all');
  for (const json of [true, false]) {
    const args = { path: dir, json, fromOffset: undefined, key: undefined, values: 'full' as const };
    const one = await dumpWith({ ...args, jobs: 1 });
    const text = one.items.join('\n');
    t.match(text, /batch-crc|record-crc/, 'one thread shows the damage');
    t.match(text, /not-logkv|not a logkv file/, 'and the file that is not ours');
    const many = await dumpWith({ ...args, jobs: 3, workersFromBytes: 0 });
    t.same(many.items, one.items, `${json ? 'json' : 'text'}, damaged: 3 threads write the very lines, in order`);
    t.equal(many.code, one.code, 'the same exit code');
    const sizes = (d: string) => fs.readdirSync(d).reduce((n, f) => (fs.statSync(path.join(d, f)).isFile() ? n + fs.statSync(path.join(d, f)).size : n), 0);
    const total = sizes(dir) + sizes(path.join(dir, 'snapshots'));
    t.ok(many.progress.length > 1, 'progress is drawn');
    t.ok(Math.abs(many.progress.at(-1)! - total) <= total * 0.001 + 1024, `progress reaches every byte (${many.progress.at(-1)} of ${total})`);
  }

  // Filters go to the workers too.
  const filtered = { path: dir, json: true, fromOffset: 1000, key: 'k12', values: 'preview' as const };
  const one = await dumpWith({ ...filtered, jobs: 1 });
  t.ok(one.items.some((l) => l.includes('"key":"k12"')), 'the key filter finds the key');
  t.same((await dumpWith({ ...filtered, jobs: 2, workersFromBytes: 0 })).items, one.items, '--key and --from-offset: the same lines from 2 threads');
});

t.test('--jobs must be a whole number of at least 1', async (t) => {
  for (const bad of ['0', '-1', '1.5']) {
    const r = await kvtool('dump', '--jobs', bad, tmp);
    t.equal(r.status, 2, `--jobs ${bad}: usage error`);
  }
});
