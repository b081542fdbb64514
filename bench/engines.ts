// One adapter per engine, each in its best mode for each workload; the
// modes are written out here and copied into every result, so a reader sees
// what was compared. "Durable" means the write is on disk (fsynced) when the
// call returns or its promise resolves.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { mmapAvailable } from '../src/io/mapped-file.js';
import { LogStore } from '../src/log/log-store.js';
import { packageVersion, repoRoot } from './paths.js';
import { BATCH, chunks, identity } from './batches.js';

export type EngineName = 'logkv' | 'lmdb' | 'classic-level' | 'better-sqlite3';

/** What a workload opens the store for: a bulk load may pick the engine's bulk mode, but each of its batches is durable when it resolves (issue 17). */
export type Purpose = 'load' | 'durable' | 'read';

export interface Store {
  /** Puts keys [from, from + count) with value version `version`, in the engine's best bulk mode, BATCH at a time, each batch durable before the next. */
  load(from: number, count: number, version?: number, keyOf?: (i: number) => number): Promise<void>;
  /** Reads up to `count` entries (key and value) in key order from the first key >= `from`; returns how many. */
  scan(from: Uint8Array, count: number): Promise<number>;
  /** The value of `key`, synchronously, in the engine's fastest read. */
  get(key: Uint8Array): Uint8Array | undefined;
  /** One durable put. */
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
  /** Reclaims space after overwrites, in the engine's own way; undefined when it has none. */
  compact: (() => Promise<void>) | undefined;
  /** fdatasync calls so far, where the engine tells. */
  syncCount(): number | undefined;
  /** Resolves once every key is in memory, for an engine that loads after open (logkv); undefined for one that has nothing to load. */
  whenLoaded: (() => Promise<void>) | undefined;
  close(): Promise<void>;
}

export interface Engine {
  name: EngineName;
  version: string;
  modes: Record<'bulk' | 'durable' | 'concurrent' | 'get' | 'reopen' | 'scan' | 'compact', string>;
  open(dir: string, purpose: Purpose): Promise<Store>;
}


const logkv: Engine = {
  name: 'logkv',
  version: packageVersion('logkv'),
  modes: {
    bulk: `batch() of ${BATCH} puts per log batch, durability 'sync': each batch resolves after its own fdatasync (libuv's pool), awaited before the next`,
    durable: "put() awaited one at a time, durability 'sync', syncOnMainThread (one fdatasyncSync over preallocated space per put; the default, fdatasync on the store's sync thread, has a row of its own)",
    concurrent: "100 put() calls in flight, durability 'sync', syncOnMainThread: group commit shares fdatasyncs",
    get: `get(): key directory lookup, the record copied out of its memory-mapped segment by logkv's addon and its CRC checked there (${mmapAvailable().available ? 'addon loaded' : `addon not loaded, so a readSync instead: ${mmapAvailable().reason}`}), the value copied out`,
    reopen: "LogStore.open(): headers of every segment, hint and index (a clean close writes the active segment's), the newest segment's last batch; get() searches the segment indexes while the keys load in the background",
    scan: 'entries({ gte, limit }): the ordered index (sorted at the first range read after open), then a get per entry',
    compact: 'store.compact() (the log cleaner)',
  },
  async open(dir, purpose) {
    // Every purpose is durable: a bulk load's batches too, each on disk when it resolves, as lmdb's synced transactions are.
    const db = await LogStore.open<Uint8Array>(dir, { durability: 'sync', syncOnMainThread: purpose === 'durable' });
    const compact = (db as unknown as { compact?: () => Promise<unknown> }).compact;
    return {
      async load(from, count, version = 0, keyOf = identity) {
        for (const chunk of chunks(from, count, version, keyOf)) await db.batch(chunk.map(([key, value]) => ({ type: 'put' as const, key, value })));
      },
      get: (key) => db.get(key),
      async scan(from, count) {
        let n = 0;
        for (const _ of db.entries({ gte: from, limit: count })) n++;
        return n;
      },
      put: (key, value) => db.put(key, value),
      compact: typeof compact === 'function' ? async () => void (await compact.call(db)) : undefined,
      syncCount: () => db.syncCount,
      whenLoaded: () => db.whenLoaded(),
      close: () => db.close(),
    };
  },
};

/**
 * The peers live in bench/peers.ts, whose packages only `make bench`
 * installs (bench/package.json): `make test` and `make demo` need no
 * compiler for better-sqlite3's SQLite, nor lmdb's and LevelDB's builds.
 * Without them the harness measures logkv alone.
 */
async function loadPeers(): Promise<Engine[]> {
  const installed = PEER_PACKAGES.every((name) => fs.existsSync(join(repoRoot(), 'bench', 'node_modules', name, 'package.json')));
  if (!installed) return [];
  // A computed specifier: the type checker of `make build` must not follow it into packages it does not have.
  const specifier = './peers.js';
  return ((await import(specifier)) as { PEER_ENGINES: Engine[] }).PEER_ENGINES;
}

const PEER_PACKAGES = ['lmdb', 'classic-level', 'better-sqlite3'];
const peerEngines = await loadPeers();
/** The peers installed (make bench installs all three). */
export const PEERS: readonly EngineName[] = peerEngines.map((e) => e.name);
export const ENGINES: readonly EngineName[] = ['logkv', ...PEERS];
/** Every engine of ENGINES by name (a peer not installed has no entry). */
export const ENGINE = Object.fromEntries([logkv, ...peerEngines].map((e) => [e.name, e])) as Record<EngineName, Engine>;
