// kvtool on what is not a store: verify, stats and every write command say
// so in one line and exit 2, and change nothing (issue 20: `kvtool put` on
// a directory holding a file named like a segment made a manifest, and the
// next open deleted the file).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { LogStore } from '../../src/log/log-store.js';
import { fingerprint } from '../support/fingerprint.js';
import { kvtool } from './run-kvtool.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-not-a-store-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => path.join(tmp, `d${n++}`);

t.test('verify, stats and the write commands refuse a directory that is not a store, changing nothing', async (t) => {
  const empty = fresh();
  fs.mkdirSync(empty);
  const foreign = fresh();
  fs.mkdirSync(foreign);
  fs.writeFileSync(path.join(foreign, '00000000000000000000.log'), 'a large file that only looks like a segment\n');
  fs.writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
  const parent = fresh();
  const store = await LogStore.open(path.join(parent, 'store'));
  await store.put('k', Buffer.from('v'));
  await store.close();
  for (const dir of [empty, foreign, parent]) {
    const before = fingerprint(dir);
    for (const argv of [['verify', dir], ['stats', dir], ['put', dir, 'k', 'v'], ['del', dir, 'k'], ['compact', dir], ['snapshot', dir], ['repair', '--yes', dir], ['get', dir, 'k'], ['tail', dir]]) {
      const command = argv[0]!;
      const r = await kvtool(...argv);
      t.equal(r.status, 2, `${command} ${path.basename(dir)}: exit 2`);
      t.equal(r.errors.length, 1, `${command}: one line`);
      t.match(r.errors[0], /is not a logkv store/, `${command}: says why`);
    }
    t.same(fingerprint(dir), before, `${path.basename(dir)}: nothing changed`);
  }
  t.equal((await kvtool('verify', path.join(parent, 'store'))).status, 0, 'the store itself verifies');
});

t.test('path problems are one line with a code', async (t) => {
  const file = path.join(fresh());
  fs.writeFileSync(file, 'a file');
  const missing = path.join(fresh(), 'nowhere');
  for (const [args, pattern] of [
    [['put', file, 'k', 'v'], /not a logkv store|not a directory/],
    [['verify', missing], /cannot read .*ENOENT/],
    [['put', missing, 'k', 'v'], /cannot read|does not exist|not a logkv store/],
  ] as const) {
    const r = await kvtool(...args);
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`);
    t.equal(r.errors.length, 1, 'one line');
    t.match(r.errors[0], pattern);
  }
  t.notOk(fs.existsSync(missing), 'nothing made');
});

t.test('a healed manifest leaves nothing verify keeps reporting', async (t) => {
  const dir = fresh();
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
  for (let i = 0; i < 20; i++) await s.put(`k${i}`, `v${i}`);
  await s.close();
  const jrna = path.join(dir, 'MANIFEST.jrna');
  const bytes = fs.readFileSync(jrna);
  bytes[40]! ^= 0xff;
  fs.writeFileSync(jrna, bytes);
  const healed = await LogStore.open<string>(dir);
  t.notOk(healed.openReport.clean);
  t.equal(healed.get('k7'), 'v7');
  await healed.close();
  t.same(fs.readdirSync(dir).filter((f) => f.includes('.damaged-') || f.includes('.torn-')), [], 'no copies beside the manifest');
  t.ok(fs.readdirSync(path.join(dir, 'lost')).some((f) => f.startsWith('MANIFEST.jrna.')), 'the copy is in lost/');
  const v = await kvtool('verify', dir);
  t.equal(v.status, 0, v.stdout);
});
