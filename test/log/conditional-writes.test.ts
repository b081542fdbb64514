// incr/decr, setIfAbsent, compareAndSet and locks: their semantics, that
// concurrent calls see one another (no lost update), that each is logged as
// the plain record it results in, and that bad input writes nothing.

import t from 'tap';
import { LogStore, type LogStoreOptions } from '../../src/log/log-store.js';
import { Op, readSegment } from '../../src/formats/index.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

const code = (c: string) => ({ name: 'LogkvError', code: c });
const MAX = 2n ** 63n - 1n;
const MIN = -(2n ** 63n);

async function memoryStore<V>(options: LogStoreOptions = {}) {
  const io = new MemoryFileIO();
  const store = await LogStore.open<V>('/db', { io, ...options });
  return { io, store };
}

/** The records of the store's first segment, as [op, key, value text]. */
function logged(io: MemoryFileIO): Array<[string, string, string]> {
  const bytes = io.readFile('/db/00000000000000000000.log');
  return readSegment(bytes).batches.flatMap((b) =>
    b.records.map((r): [string, string, string] => [r.op === Op.Put ? 'put' : 'del', Buffer.from(r.key).toString(), Buffer.from(r.value).toString()]),
  );
}

t.test('incr and decr: absent is 0, the stored value is the decimal result, 64-bit exact', async (t) => {
  const { io, store } = await memoryStore<string>({ valueEncoding: 'utf8' });
  t.equal(await store.incr('n'), 1n);
  t.equal(await store.incr('n', 41), 42n);
  t.equal(await store.decr('n', 50n), -8n);
  t.equal(store.get('n'), '-8');
  t.equal(await store.incr('big', MAX - 1n), MAX - 1n);
  t.equal(await store.incr('big'), MAX, 'reaches 2^63 - 1 exactly');
  await t.rejects(store.incr('big'), code('INVALID_ARGUMENT'), 'past 2^63 - 1 is refused');
  t.equal(store.get('big'), MAX.toString(), 'and leaves the counter as it was');
  t.equal(await store.incr('low', MIN), MIN);
  await t.rejects(store.decr('low'), code('INVALID_ARGUMENT'));
  await t.rejects(store.incr('n', 0.5), code('INVALID_ARGUMENT'));
  await t.rejects(store.incr('n', 2 ** 53), code('INVALID_ARGUMENT'), 'an unsafe number is refused, a bigint is not');
  await t.rejects(store.incr('n', 2n ** 63n), code('INVALID_ARGUMENT'));
  await store.put('text', 'hello');
  await store.put('padded', '007');
  await t.rejects(store.incr('text'), code('INVALID_ARGUMENT'), 'a value that is not a counter');
  await t.rejects(store.incr('padded'), code('INVALID_ARGUMENT'), 'only canonical digits are a counter');
  t.equal(store.get('text'), 'hello');
  t.same(
    logged(io).filter(([, k]) => k === 'n'),
    [
      ['put', 'n', '1'],
      ['put', 'n', '42'],
      ['put', 'n', '-8'],
    ],
    'the log holds the results, not the operations: replay re-runs nothing',
  );
  await store.close();
});

t.test('incr keeps the expiry unless given one; expired counters restart at 0', async (t) => {
  let now = 1_000;
  const { store } = await memoryStore<string>({ valueEncoding: 'utf8', now: () => now });
  t.equal(await store.incr('hits', 1, { ttlMs: 100 }), 1n);
  now += 50;
  t.equal(await store.incr('hits'), 2n);
  now += 60;
  t.equal(store.get('hits'), undefined, 'the window set by the first incr still applies');
  t.equal(await store.incr('hits'), 1n, 'an expired counter counts as absent');
  await store.close();
});

t.test('counters in json and binary stores', async (t) => {
  const json = (await memoryStore<unknown>({ valueEncoding: 'json' })).store;
  t.equal(await json.incr('n', 5), 5n);
  t.equal(json.get('n'), 5, 'a json store reads the counter as a number');
  await json.put('obj', { a: 1 });
  await t.rejects(json.incr('obj'), code('INVALID_ARGUMENT'));
  await json.close();
  const binary = (await memoryStore<Uint8Array>()).store;
  t.equal(await binary.incr(Buffer.from([0, 1]), -3), -3n);
  t.same(binary.get(Buffer.from([0, 1])), Buffer.from('-3'));
  await binary.close();
});

t.test('200 concurrent incrs: none lost, shared fsyncs, all there after a crash', async (t) => {
  const { io, store } = await memoryStore<string>({ valueEncoding: 'utf8' });
  const before = store.syncCount;
  const results = await Promise.all(Array.from({ length: 200 }, () => store.incr('c')));
  t.same(
    results.map(Number).sort((a, b) => a - b),
    Array.from({ length: 200 }, (_, i) => i + 1),
    'each incr saw every earlier one',
  );
  t.ok(store.syncCount - before <= 10, `${store.syncCount - before} fdatasyncs for 200 incrs`);
  const again = await LogStore.open<string>('/db', { io: io.crash(), valueEncoding: 'utf8' });
  t.equal(again.get('c'), '200');
  await again.close();
});

t.test('setIfAbsent: exactly one of many concurrent callers wins; expired counts as absent', async (t) => {
  let now = 5_000;
  const { store } = await memoryStore<string>({ valueEncoding: 'utf8', now: () => now });
  const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => store.setIfAbsent('k', `v${i}`)));
  t.equal(wins.filter(Boolean).length, 1);
  t.equal(store.get('k'), `v${wins.indexOf(true)}`, 'the winner is the value');
  t.equal(await store.setIfAbsent('ttl', 'a', { ttlMs: 10 }), true);
  t.equal(await store.setIfAbsent('ttl', 'b'), false);
  now += 10;
  t.equal(await store.setIfAbsent('ttl', 'b'), true, 'after expiry the key is free');
  t.equal(store.get('ttl'), 'b');
  await t.rejects(store.setIfAbsent('k', 7 as never), code('INVALID_ARGUMENT'));
  await store.close();
});

t.test('compareAndSet: matches by encoded bytes, absent as undefined, delete as undefined', async (t) => {
  const { io, store } = await memoryStore<{ n: number }>({ valueEncoding: 'json' });
  t.equal(await store.compareAndSet('doc', { n: 1 }, { n: 2 }), false, 'absent does not match a value');
  t.equal(await store.compareAndSet('doc', undefined, { n: 1 }), true, 'absent matches undefined');
  t.equal(await store.compareAndSet('doc', undefined, { n: 9 }), false);
  t.equal(await store.compareAndSet('doc', { n: 1 }, { n: 2 }), true);
  t.same(store.get('doc'), { n: 2 });
  t.equal(await store.compareAndSet('doc', { n: 1 }, undefined), false, 'a stale expectation deletes nothing');
  t.equal(await store.compareAndSet('doc', { n: 2 }, undefined), true);
  t.equal(store.has('doc'), false);
  t.equal(await store.compareAndSet('doc', undefined, undefined), true, 'absent and asked to stay absent');
  t.same(
    logged(io).map(([op, , v]) => `${op} ${v}`),
    ['put {"n":1}', 'put {"n":2}', 'del '],
    'only the writes that matched reached the log',
  );
  // An optimistic read-modify-write loop from 50 concurrent callers.
  await store.put('sum', { n: 0 });
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      for (;;) {
        const seen = store.get('sum')!;
        if (await store.compareAndSet('sum', seen, { n: seen.n + 1 })) return;
      }
    }),
  );
  t.same(store.get('sum'), { n: 50 }, 'no update lost');
  await store.close();
});

t.test('locks: owner-only unlock and extend, expiry frees them, state survives a reopen', async (t) => {
  let now = 10_000;
  const { io, store } = await memoryStore<string>({ valueEncoding: 'utf8', now: () => now });
  t.equal(await store.lock('job', 'alice', 1_000), true);
  t.equal(store.get('job'), 'alice', 'the value says who holds the lock');
  t.equal(await store.lock('job', 'bob', 1_000), false, 'held by another owner');
  t.equal(await store.unlock('job', 'bob'), false, 'only the owner unlocks');
  t.equal(await store.extendLock('job', 'bob', 5_000), false, 'only the owner extends');
  now += 900;
  t.equal(await store.extendLock('job', 'alice', 1_000), true);
  now += 900;
  t.equal(await store.lock('job', 'bob', 1_000), false, 'extended: still alice at 1800 ms');
  t.equal(await store.lock('job', 'alice', 1_000), true, 'the owner may take it again (renewal)');
  now += 1_000;
  t.equal(await store.extendLock('job', 'alice', 1_000), false, 'an expired lock cannot be extended');
  t.equal(await store.unlock('job', 'alice'), false, 'nor unlocked');
  t.equal(await store.lock('job', 'bob', 60_000), true, 'an expired lock is free');
  await store.close();
  const again = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', now: () => now });
  t.equal(await again.lock('job', 'alice', 1_000), false, 'the lock holds after a reopen');
  t.equal(await again.unlock('job', 'bob'), true);
  t.equal(again.has('job'), false);
  t.equal(await again.lock('job', 'alice', 1_000), true);
  await t.rejects(again.lock('job', '', 1_000), code('INVALID_ARGUMENT'));
  await t.rejects(again.lock('job', 'alice', 0), code('INVALID_ARGUMENT'));
  await t.rejects(again.unlock('job', 7 as never), code('INVALID_ARGUMENT'));
  await again.close();
});

t.test('concurrent lock attempts: exactly one owner wins', async (t) => {
  const { store } = await memoryStore<Uint8Array>();
  const owners = Array.from({ length: 30 }, (_, i) => `worker-${i}`);
  const won = await Promise.all(owners.map((o) => store.lock('leader', o, 60_000)));
  t.equal(won.filter(Boolean).length, 1);
  t.same(store.get('leader'), Buffer.from(owners[won.indexOf(true)]!), 'a binary store holds the owner as UTF-8');
  await store.close();
});

t.test('conditional writes queued before close still complete', async (t) => {
  const { io, store } = await memoryStore<string>({ valueEncoding: 'utf8' });
  const pending = [store.incr('a'), store.setIfAbsent('b', 'x'), store.lock('c', 'me', 60_000)];
  await store.close();
  t.same(await Promise.all(pending), [1n, true, true]);
  await t.rejects(store.incr('a'), code('CLOSED'));
  const again = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8' });
  t.same([again.get('a'), again.get('b'), again.get('c')], ['1', 'x', 'me']);
  await again.close();
});
