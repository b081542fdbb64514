// One adapter per engine, each in its best mode for each workload; the
// modes are written out here and copied into every result, so a reader sees
// what was compared. "Durable" means the write is on disk (fsynced) when the
// call returns or its promise resolves.

import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ClassicLevel } from 'classic-level';
import { open as openLmdb } from 'lmdb';
import { LogStore } from '../src/log/log-store.js';
import { packageVersion } from './paths.js';
import { keyAt, valueAt } from './workload.js';

export type EngineName = 'logkv' | 'lmdb' | 'classic-level' | 'better-sqlite3';
export const ENGINES: readonly EngineName[] = ['logkv', 'lmdb', 'classic-level', 'better-sqlite3'];
export const PEERS: readonly EngineName[] = ['lmdb', 'classic-level', 'better-sqlite3'];

/** What a workload opens the store for: a bulk load may use a faster durability than single puts. */
export type Purpose = 'load' | 'durable' | 'read';

export interface Store {
  /** Puts keys [from, from + count) with value version `version`, in the engine's best bulk mode, durable at the end. */
  load(from: number, count: number, version?: number, keyOf?: (i: number) => number): Promise<void>;
  /** The value of `key`, synchronously, in the engine's fastest read. */
  get(key: Uint8Array): Uint8Array | undefined;
  /** One durable put. */
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
  /** Reclaims space after overwrites, in the engine's own way; undefined when it has none. */
  compact: (() => Promise<void>) | undefined;
  /** fdatasync calls so far, where the engine tells. */
  syncCount(): number | undefined;
  close(): Promise<void>;
}

export interface Engine {
  name: EngineName;
  version: string;
  modes: Record<'bulk' | 'durable' | 'concurrent' | 'get' | 'reopen' | 'compact', string>;
  open(dir: string, purpose: Purpose): Promise<Store>;
}

const BATCH = 10_000;

/** The ids [from, from+count) in chunks of BATCH, each as [key, value] pairs. */
function* chunks(from: number, count: number, version: number, keyOf: (i: number) => number): Generator<Array<[Buffer, Buffer]>> {
  for (let at = from; at < from + count; at += BATCH) {
    const n = Math.min(BATCH, from + count - at);
    const out = new Array<[Buffer, Buffer]>(n);
    for (let j = 0; j < n; j++) {
      const k = keyOf(at + j);
      out[j] = [keyAt(k), valueAt(k, version + at + j)];
    }
    yield out;
  }
}

const identity = (i: number) => i;

const logkv: Engine = {
  name: 'logkv',
  version: packageVersion('logkv'),
  modes: {
    bulk: `batch() of ${BATCH} puts per log batch, durability 'none', one flush() (fdatasync) at the end`,
    durable: "put() awaited one at a time, durability 'sync', syncOnMainThread (one fdatasyncSync over preallocated space per put; the default thread-pool fdatasync has a row of its own)",
    concurrent: "100 put() calls in flight, durability 'sync', syncOnMainThread: group commit shares fdatasyncs",
    get: 'get(): key directory lookup, one positioned readSync of the record into a reused buffer, its CRC checked, the value copied out',
    reopen: "LogStore.open(): every segment's hint (a clean close writes the active segment's), the newest segment read for its batch CRCs, then get()",
    compact: 'store.compact() (the log cleaner)',
  },
  async open(dir, purpose) {
    const db = await LogStore.open<Uint8Array>(dir, { durability: purpose === 'load' ? 'none' : 'sync', syncOnMainThread: purpose === 'durable' });
    const compact = (db as unknown as { compact?: () => Promise<unknown> }).compact;
    return {
      async load(from, count, version = 0, keyOf = identity) {
        for (const chunk of chunks(from, count, version, keyOf)) await db.batch(chunk.map(([key, value]) => ({ type: 'put' as const, key, value })));
        await db.flush();
      },
      get: (key) => db.get(key),
      put: (key, value) => db.put(key, value),
      compact: typeof compact === 'function' ? async () => void (await compact.call(db)) : undefined,
      syncCount: () => db.syncCount,
      close: () => db.close(),
    };
  },
};

const lmdb: Engine = {
  name: 'lmdb',
  version: packageVersion('lmdb'),
  modes: {
    bulk: `transactionSync() of ${BATCH} putSync() each (one synced commit per transaction), binary keys and values, no compression`,
    durable: 'await put() one at a time: one synced commit per put (lmdb-js default, noSync off)',
    concurrent: '100 put() calls in flight: lmdb-js batches them into one synced commit',
    get: 'getBinaryFast() (memory-mapped read, no copy into a new buffer)',
    reopen: 'open() then getBinaryFast()',
    compact: 'none needed: B-tree pages are updated in place (file size after the overwrites is shown)',
  },
  async open(dir) {
    const db = openLmdb<Buffer, Buffer>({ path: join(dir, 'lmdb'), keyEncoding: 'binary', encoding: 'binary', compression: false });
    return {
      async load(from, count, version = 0, keyOf = identity) {
        for (const chunk of chunks(from, count, version, keyOf)) db.transactionSync(() => {
          for (const [k, v] of chunk) db.putSync(k, v);
        });
        await db.flushed;
      },
      get: (key) => db.getBinaryFast(key as Buffer),
      put: async (key, value) => void (await db.put(key as Buffer, value as Buffer)),
      compact: undefined,
      syncCount: () => undefined,
      close: () => db.close(),
    };
  },
};

const classicLevel: Engine = {
  name: 'classic-level',
  version: packageVersion('classic-level'),
  modes: {
    bulk: `batch() of ${BATCH} puts (array form), keys and values as Uint8Array, the last batch with sync: true`,
    durable: 'await put(k, v, { sync: true }) one at a time',
    concurrent: '100 put(k, v, { sync: true }) in flight (LevelDB groups concurrent writers)',
    get: 'getSync() (classic-level 3)',
    reopen: 'new ClassicLevel() + open() + getSync()',
    compact: 'compactRange() over the whole key range',
  },
  async open(dir) {
    const db = new ClassicLevel<Uint8Array, Uint8Array>(join(dir, 'leveldb'), { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    return {
      async load(from, count, version = 0, keyOf = identity) {
        let done = 0;
        for (const chunk of chunks(from, count, version, keyOf)) {
          done += chunk.length;
          await db.batch(chunk.map(([key, value]) => ({ type: 'put' as const, key, value })), { sync: done === count });
        }
      },
      get: (key) => db.getSync(key),
      put: (key, value) => db.put(key, value, { sync: true }),
      compact: () => db.compactRange(new Uint8Array(0), Buffer.alloc(17, 0xff)),
      syncCount: () => undefined,
      close: () => db.close(),
    };
  },
};

const sqlite: Engine = {
  name: 'better-sqlite3',
  version: packageVersion('better-sqlite3'),
  modes: {
    bulk: `one transaction of ${BATCH} prepared INSERT OR REPLACE each, WAL, synchronous=FULL, table WITHOUT ROWID`,
    durable: 'prepared INSERT OR REPLACE in autocommit, WAL, synchronous=FULL (fsync of the WAL per commit)',
    concurrent: 'synchronous API: 100 callers each commit on their own (no group commit to be had)',
    get: 'prepared SELECT with pluck().get()',
    reopen: 'new Database() + pragmas + prepare + get()',
    compact: 'VACUUM, then wal_checkpoint(TRUNCATE)',
  },
  async open(dir) {
    const db = new Database(join(dir, 'kv.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID');
    const insert = db.prepare('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)');
    const select = db.prepare('SELECT v FROM kv WHERE k = ?').pluck();
    const many = db.transaction((rows: Array<[Buffer, Buffer]>) => {
      for (const [k, v] of rows) insert.run(k, v);
    });
    return {
      async load(from, count, version = 0, keyOf = identity) {
        for (const chunk of chunks(from, count, version, keyOf)) many(chunk);
      },
      get: (key) => select.get(key) as Uint8Array | undefined,
      put: async (key, value) => void insert.run(key, value),
      compact: async () => {
        db.exec('VACUUM');
        db.pragma('wal_checkpoint(TRUNCATE)');
      },
      syncCount: () => undefined,
      close: async () => void db.close(),
    };
  },
};

export const ENGINE: Record<EngineName, Engine> = { logkv, lmdb, 'classic-level': classicLevel, 'better-sqlite3': sqlite };
