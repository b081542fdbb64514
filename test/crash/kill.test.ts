// A real kill: a child process writes to a store on the real file system
// with durability 'sync' (segment rolls, batches, and the cleaner running by
// itself), reporting each acknowledged write on a side channel (fd 3, a
// pipe, written only after the write's promise resolved). The parent
// SIGKILLs it at a random moment (after a random number of acknowledgements,
// then a random few milliseconds, so some kills land mid-write or mid-roll),
// reopens the store and checks that every write the child reported is there
// with its value, across rounds on the same store. The seed is printed; a
// failure replays with LOGKV_SEED.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { LogStore } from '../../src/log/log-store.js';
import { seededRandom } from '../support/memory-file-io.js';
import { fuzzSeconds } from '../support/property.js';

const entry = resolve('dist/src/index.js');
const child = join(import.meta.dirname, 'kill-child.mjs');

interface Round {
  acked: string[];
  opened: boolean;
  /** The child died by itself (an uncaught error): its stderr. */
  error?: string;
}

function killRound(dir: string, round: number, afterAcks: number, extraMs: number): Promise<Round> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [child, dir, String(round), entry], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const acked: string[] = [];
    let opened = false;
    let buffered = '';
    let killing = false;
    const kill = () => {
      if (killing) return;
      killing = true;
      setTimeout(() => p.kill('SIGKILL'), extraMs);
    };
    const side = p.stdio[3] as NodeJS.ReadableStream;
    side.setEncoding('utf8');
    side.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'open') opened = true;
        else acked.push(line);
      }
      if (acked.length >= afterAcks) kill();
    });
    if (afterAcks === 0) kill();
    p.on('error', fail);
    p.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') done({ acked, opened, error: `the child exited by itself (code ${code}, signal ${signal}): ${stderr}` });
      // Only whole lines count: a report cut by the kill was never finished.
      else done({ acked, opened });
    });
  });
}

interface Lane {
  rounds: number;
  acks: number;
  keys: number;
  failures: string[];
}

/** One store killed again and again; lanes run side by side (the child mostly waits on fdatasync). */
/** At least `rounds` kills, and more until `deadline` (make fuzz). */
async function lane(dir: string, random: () => number, rounds: number, deadline: number): Promise<Lane> {
  const expected = new Map<string, string>();
  let hot: { round: number; i: number } | undefined;
  const out: Lane = { rounds: 0, acks: 0, keys: 0, failures: [] };
  for (let round = 0; (round < rounds || Date.now() < deadline) && out.failures.length === 0; round++) {
    const afterAcks = Math.floor(random() * 30);
    const extraMs = Math.floor(random() * 4);
    const where = `round ${round} (kill after ${afterAcks} acks + ${extraMs} ms)`;
    const r = await killRound(dir, round, afterAcks, extraMs);
    if (r.error) out.failures.push(`${where}: ${r.error}`);
    for (const line of r.acked) {
      if (line.startsWith('hot=')) {
        const [rr, i] = line.slice(4).split('.').map(Number);
        hot = { round: rr!, i: i! };
      } else {
        const i = Number(line.split('-')[1]);
        expected.set(line, `${round}.${i}:${'x'.repeat((i * 37) % 400)}`);
      }
    }
    out.acks += r.acked.length;
    out.rounds++;
    let store: LogStore<string>;
    try {
      // A kill before the child's open recorded the encoding leaves an empty store: open it as the child does.
      store = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
    } catch (e) {
      out.failures.push(`${where}: open failed: ${String(e)}`);
      break;
    }
    for (const [key, value] of expected) {
      const got = store.get(key);
      if (got !== value) out.failures.push(`${where}: ${key} is ${JSON.stringify(got)}, acknowledged as ${JSON.stringify(value)}`);
    }
    // "hot" is overwritten: it holds the last acknowledged value, or a later one not yet acknowledged when the kill came.
    const h = store.get('hot')?.split('.').map(Number);
    if (hot && !(h && (h[0]! > hot.round || (h[0] === hot.round && h[1]! >= hot.i)))) out.failures.push(`${where}: hot is ${h?.join('.')}, acknowledged ${hot.round}.${hot.i}`);
    if (h) hot = { round: h[0]!, i: h[1]! };
    await store.close();
  }
  out.keys = expected.size;
  return out;
}

t.test('SIGKILL at random moments: every acknowledged durable write survives', async (t) => {
  const seed = Number(process.env.LOGKV_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const fuzz = fuzzSeconds();
  const total = Number(process.env.LOGKV_KILL_ROUNDS ?? 52);
  const deadline = fuzz ? Date.now() + fuzz * 1000 * 0.2 : 0;
  const LANES = 4;
  const root = mkdtempSync(join(tmpdir(), 'logkv-kill-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const lanes = await Promise.all(
    Array.from({ length: LANES }, (_, l) => lane(join(root, `lane${l}`), seededRandom(seed + l), Math.ceil(total / LANES), deadline)),
  );
  const rounds = lanes.reduce((n, l) => n + l.rounds, 0);
  const acks = lanes.reduce((n, l) => n + l.acks, 0);
  const keys = lanes.reduce((n, l) => n + l.keys, 0);
  const failures = lanes.flatMap((l, i) => l.failures.map((f) => `lane ${i}: ${f}`));
  t.same(failures.slice(0, 5), [], `every acknowledged write survived ${rounds} kills (seed ${seed})`);
  t.ok(rounds >= total, `${rounds} kill rounds`);
  t.ok(acks > rounds, `${acks} acknowledged writes checked`);
  t.comment(`kill: ${rounds} SIGKILL rounds in ${LANES} stores, ${acks} acknowledged writes reported, ${keys} keys checked after every round (seed ${seed}; replay: LOGKV_SEED=${seed} npx tap test/crash/kill.test.ts)`);
});
