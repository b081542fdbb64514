// Runs the benchmark harness at a tiny scale, every workload in this
// process, so the harness cannot rot unnoticed: every workload of every
// engine must run, every row must get its figures, and the three outputs
// must be written. Speed itself is never judged here (DESIGN: benchmarks,
// not timed unit tests).

import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

const out = fs.mkdtempSync(join(tmpdir(), 'logkv-bench-test-'));
process.env.BENCH_SCALE = '0.001';
process.env.BENCH_OUT = out;
process.env.BENCH_DIR = out;
process.env.BENCH_INPROCESS = '1';
const { main } = await import('../../bench/run.js');
// The peers are bench/package.json's, installed by `make bench` only: a clean clone runs logkv alone here.
const { PEERS } = await import('../../bench/engines.js');
// The replication rows need nats-server (make test installs it where it can); without it they say why.
const natsMissing = (await import('../../bench/nats-cluster.js')).natsSkipReason();

t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));

// The lead's work that some rows wait for (compaction, snapshots): a row
// may say "not available yet" only while the store lacks the feature.
const WAITING: Record<string, string> = { 'disk-after': 'compact', 'log-after': 'compact', 'compact-time': 'compact', 'snapshot-write': 'snapshot', 'snapshot-restore': 'snapshot' };

interface Row {
  id: string;
  values: Record<string, unknown>;
  ratios: Record<string, number>;
}

t.test('the harness runs every workload at a tiny scale', async (t) => {
  const logged: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => (logged.push(String(chunk)), true)) as typeof process.stderr.write;
  const stdout = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await main();
  } finally {
    process.stderr.write = write;
    process.stdout.write = stdout;
  }
  t.notOk(logged.some((l) => l.includes('FAILED')), 'no workload failed', { logged: logged.filter((l) => l.includes('FAILED')) });
  t.not(process.exitCode, 1, 'exit code not set to failure');

  const json = JSON.parse(fs.readFileSync(join(out, 'results.json'), 'utf8')) as { rows: Row[]; machine: Record<string, string>; versions: Record<string, string> };
  const { LogStore } = await import('../../src/log/log-store.js');
  const has = (method: string) => typeof (LogStore.prototype as unknown as Record<string, unknown>)[method] === 'function';
  t.ok(json.rows.length >= 20, 'all rows are there');
  for (const row of json.rows) {
    const v = row.values.logkv;
    const waitingFor = WAITING[row.id];
    if (waitingFor !== undefined && !has(waitingFor)) t.equal(v, 'not available yet', `${row.id}: waits for store.${waitingFor}()`);
    else if (row.id.startsWith('repl-') && natsMissing) t.same(v, { skipped: natsMissing }, `${row.id}: skipped, nats-server is missing`);
    else t.ok(typeof v === 'number' && Number.isFinite(v), `${row.id}: logkv has a figure`, { value: v });
    for (const [peer, r] of Object.entries(row.ratios)) t.ok(r > 0 && Number.isFinite(r), `${row.id} vs ${peer}: a positive ratio`);
  }
  t.comment(PEERS.length === 0 ? 'no peer installed (make bench installs them): logkv alone' : `peers: ${PEERS.join(', ')}`);
  for (const id of ['bulk-put', 'durable-put', 'concurrent-put', 'random-get', 'reopen', 'overwrite']) {
    const row = json.rows.find((r) => r.id === id);
    t.same(Object.keys(row?.ratios ?? {}).sort(), [...PEERS].sort(), `${id}: a ratio to each peer installed`);
  }
  t.match(json.versions, { logkv: String, node: String, ...Object.fromEntries(PEERS.map((p) => [p, String])) });
  t.match(json.machine, { cpu: String, node: String });

  const md = fs.readFileSync(join(out, 'results.md'), 'utf8');
  t.ok(md.includes(`| workload | ${['logkv', ...PEERS].join(' | ')} |`), 'the table has a column for logkv and each peer');
  t.equal(md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| workload') && !l.startsWith('| ---')).length, json.rows.length, 'one table line a row');

  const svg = fs.readFileSync(join(out, 'ratios.svg'), 'utf8');
  t.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  t.match(svg, /<\/svg>\n$/);
  const opened = (svg.match(/<(rect|text|line|title)\b/g) ?? []).length;
  const closed = (svg.match(/<\/(rect|text|title)>|\/>/g) ?? []).length;
  t.equal(opened, closed, 'every element is closed');
  const barCount = json.rows.reduce((n, r) => n + Object.keys(r.ratios).length, 0);
  t.equal((svg.match(/<rect [^>]*><title>/g) ?? []).length, barCount, 'one bar per ratio');
});
