// The peers logkv is measured against, each in its best mode for each
// workload (see engines.ts for the logkv adapter and the interface). Their
// packages are bench/package.json's, installed by `make bench` only.

import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ClassicLevel } from 'classic-level';
import { open as openLmdb } from 'lmdb';
import { BATCH, chunks, identity } from './batches.js';
import type { Engine } from './engines.js';
import { packageVersion } from './paths.js';

const lmdb: Engine = {
  name: 'lmdb',
  version: packageVersion('lmdb'),
  modes: {
    bulk: `transactionSync() of ${BATCH} putSync() each (one synced commit per transaction), binary keys and values, no compression`,
    durable: 'await put() one at a time: one synced commit per put (lmdb-js default, noSync off)',
    concurrent: '100 put() calls in flight: lmdb-js batches them into one synced commit',
    get: 'getBinaryFast() (memory-mapped read, no copy into a new buffer)',
    reopen: 'open() then getBinaryFast()',
    scan: 'getRange({ start, limit }) (memory-mapped B-tree)',
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
      async scan(from, count) {
        let n = 0;
        for (const _ of db.getRange({ start: from as Buffer, limit: count })) n++;
        return n;
      },
      put: async (key, value) => void (await db.put(key as Buffer, value as Buffer)),
      compact: undefined,
      syncCount: () => undefined,
      whenLoaded: undefined,
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
    scan: 'iterator({ gte, limit }).all()',
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
      scan: async (from, count) => (await db.iterator({ gte: from, limit: count }).all()).length,
      put: (key, value) => db.put(key, value, { sync: true }),
      compact: () => db.compactRange(new Uint8Array(0), Buffer.alloc(17, 0xff)),
      syncCount: () => undefined,
      whenLoaded: undefined,
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
    scan: 'prepared SELECT k, v WHERE k >= ? ORDER BY k LIMIT ?, all()',
    compact: 'VACUUM, then wal_checkpoint(TRUNCATE)',
  },
  async open(dir) {
    const db = new Database(join(dir, 'kv.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID');
    const insert = db.prepare('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)');
    const select = db.prepare('SELECT v FROM kv WHERE k = ?').pluck();
    const range = db.prepare('SELECT k, v FROM kv WHERE k >= ? ORDER BY k LIMIT ?');
    const many = db.transaction((rows: Array<[Buffer, Buffer]>) => {
      for (const [k, v] of rows) insert.run(k, v);
    });
    return {
      async load(from, count, version = 0, keyOf = identity) {
        for (const chunk of chunks(from, count, version, keyOf)) many(chunk);
      },
      get: (key) => select.get(key) as Uint8Array | undefined,
      scan: async (from, count) => range.all(from, count).length,
      put: async (key, value) => void insert.run(key, value),
      compact: async () => {
        db.exec('VACUUM');
        db.pragma('wal_checkpoint(TRUNCATE)');
      },
      syncCount: () => undefined,
      whenLoaded: undefined,
      close: async () => void db.close(),
    };
  },
};

export const PEER_ENGINES: Engine[] = [lmdb, classicLevel, sqlite];
