// `kvtool mirror STORE`, `kvtool follow DIR` and `kvtool restore --nats URL
// --stream NAME DIR`: logkv/replication (docs/REPLICATION.md) from the
// command line. mirror and follow run until Ctrl-C or SIGTERM (or, with
// --once, until caught up), drawing a progress line on a terminal and
// ending with one summary line; restore --nats is a follower that begins
// from the newest snapshot object, catches up with the stream and is
// promoted to a store of its own. A server that cannot be reached is
// UNAVAILABLE within --connect-timeout, one line, exit 2.

import path from 'node:path';
import { LogkvError } from '../../src/errors.js';
import { nodeFileIO } from '../../src/io/file-io.js';
import type { ValueEncodingName } from '../../src/log/value-codec.js';
import { inspectStoreDir } from '../../src/log/store-dir.js';
import { follow, type Follower, mirror, type Mirror } from '../../src/replication/index.js';
import type { ConnectionOptions } from '../../src/replication/connection.js';
import type { StartFrom } from '../../src/replication/follower-start.js';
import type { Context } from '../context.js';
import { CLEAR_LINE } from '../terminal.js';
import { openForWriting } from '../store/open-store.js';
import { EXIT } from './exit-codes.js';

export interface NatsArgs {
  servers: string[];
  stream: string;
  creds: string | undefined;
  user: string | undefined;
  password: string | undefined;
  connectTimeout: number;
}

function connection(a: NatsArgs, ctx: Context, command: string): ConnectionOptions & { onRetry: (e: unknown) => void } {
  return {
    servers: a.servers,
    stream: a.stream,
    ...(a.creds !== undefined ? { creds: a.creds } : {}),
    ...(a.user !== undefined ? { user: a.user, password: a.password ?? '' } : {}),
    connectTimeoutMs: a.connectTimeout,
    startTimeoutMs: Math.max(a.connectTimeout, 30_000),
    // A node gone or slow: said once per kind, the work goes on.
    onRetry: onceEach((message) => {
      if (!ctx.quiet) ctx.out.error(`kvtool ${command}: note: retrying: ${message}`);
    }),
  };
}

function onceEach(say: (message: string) => void): (e: unknown) => void {
  const said = new Set<string>();
  return (e) => {
    const message = e instanceof Error ? e.message : String(e);
    if (said.has(message)) return;
    said.add(message);
    say(message);
  };
}

/** Resolves on Ctrl-C or SIGTERM; `dispose` stops listening. */
function stopSignal(): { stopped: Promise<void>; dispose(): void } {
  let resolve!: () => void;
  const stopped = new Promise<void>((r) => (resolve = r));
  const on = (): void => resolve();
  process.once('SIGINT', on);
  process.once('SIGTERM', on);
  return {
    stopped,
    dispose() {
      process.removeListener('SIGINT', on);
      process.removeListener('SIGTERM', on);
    },
  };
}

/** Redraws `line()` on the status line every 250 ms (a terminal only, not with --quiet) until the work ends, the error is set, or a stop. */
async function runUntil(ctx: Context, line: () => string, failed: () => LogkvError | undefined, stopped: Promise<void>): Promise<void> {
  let stop = false;
  void stopped.then(() => (stop = true));
  const draw = ctx.term.status.isTTY && !ctx.quiet;
  while (!stop && failed() === undefined) {
    if (draw) ctx.term.status.write(`\r${line()}\x1b[K`);
    await Promise.race([stopped, new Promise((r) => setTimeout(r, 250))]);
  }
  if (draw) ctx.term.status.write(CLEAR_LINE);
}

export interface MirrorArgs extends NatsArgs {
  path: string;
  once: boolean;
  snapshot: boolean;
  snapshotEvery: number | undefined;
  replicas: number;
}

export async function runMirror(args: MirrorArgs, ctx: Context): Promise<number> {
  const store = await openForWriting(args.path, ctx, 'mirror');
  const signal = stopSignal();
  try {
    const m: Mirror = await mirror(store, {
      ...connection(args, ctx, 'mirror'),
      replicas: args.replicas,
      ...(args.snapshotEvery !== undefined ? { snapshotEveryMs: args.snapshotEvery * 1000 } : {}),
    });
    try {
      if (args.snapshot) {
        const s = await m.shipSnapshot();
        ctx.out.line(`mirror: snapshot ${s.name} shipped: ${s.entries} entries, ${s.bytes} bytes, sha256 ${s.sha256}`);
      }
      const label = (): string => `mirror ${args.stream}: ${m.published} published, lag ${m.lag.offsets} writes (${m.lag.ms} ms)`;
      if (args.once) await m.caughtUp();
      else await runUntil(ctx, label, () => m.error, signal.stopped);
      if (m.error) throw m.error;
      ctx.out.line(`mirror: ${args.path} -> stream ${args.stream}: ${m.published} write${m.published === 1 ? '' : 's'} published, lag ${m.lag.offsets}; the store's next offset is ${store.nextOffset}`);
    } finally {
      await m.close();
    }
  } finally {
    signal.dispose();
    await store.close();
  }
  return EXIT.OK;
}

export interface FollowArgs extends NatsArgs {
  dir: string;
  once: boolean;
  startFrom: StartFrom;
  valueEncoding: ValueEncodingName | undefined;
}

export async function runFollow(args: FollowArgs, ctx: Context): Promise<number> {
  // DIR is a path, never a bare store name under LOGKV_DIR (store-path.ts).
  const dir = path.resolve(args.dir);
  const signal = stopSignal();
  try {
    const f: Follower = await follow(dir, {
      ...connection(args, ctx, 'follow'),
      startFrom: args.startFrom,
      store: { autoCompact: true, ...(args.valueEncoding !== undefined ? { valueEncoding: args.valueEncoding } : {}) },
    });
    try {
      const began = f.store.logStartOffset;
      if (began > 0 && !ctx.quiet) ctx.out.error(`kvtool follow: note: the store holds the leader's writes from a snapshot at offset ${began} on`);
      const label = (): string => `follow ${args.stream}: next offset ${f.store.nextOffset}, lag ${f.lag.offsets} writes (${f.lag.ms} ms)`;
      if (args.once) await f.caughtUp();
      else await runUntil(ctx, label, () => f.error, signal.stopped);
      if (f.error) throw f.error;
      ctx.out.line(`follow: stream ${args.stream} -> ${dir}: the store's next offset is ${f.store.nextOffset}, lag ${f.lag.offsets}, leader ${f.store.leader ?? 'none yet'}`);
    } finally {
      await f.close();
    }
  } finally {
    signal.dispose();
  }
  return EXIT.OK;
}

export interface NatsRestoreArgs extends NatsArgs {
  dir: string;
  valueEncoding: ValueEncodingName | undefined;
  json: boolean;
}

/** A new store in DIR from the stream's newest snapshot object and the stream after it, then a store of its own (promoted). */
export async function runNatsRestore(args: NatsRestoreArgs, ctx: Context): Promise<number> {
  const dir = path.resolve(args.dir);
  const kind = inspectStoreDir(nodeFileIO, dir).kind;
  if (kind === 'store' || kind === 'foreign') throw new LogkvError('INVALID_ARGUMENT', `${dir} is not empty; restore builds a new store`);
  const f = await follow(dir, {
    ...connection(args, ctx, 'restore'),
    startFrom: 'snapshot',
    store: { autoCompact: false, ...(args.valueEncoding !== undefined ? { valueEncoding: args.valueEncoding } : {}) },
  });
  try {
    const draw = ctx.term.status.isTTY && !ctx.quiet;
    const timer = draw ? setInterval(() => ctx.term.status.write(`\rrestore ${args.stream}: next offset ${f.store.nextOffset}, ${f.lag.offsets} writes to go\x1b[K`), 250) : undefined;
    try {
      await f.caughtUp();
    } finally {
      clearInterval(timer);
      if (draw) ctx.term.status.write(CLEAR_LINE);
    }
    const store = await f.promote();
    const r = { dir, snapshotOffset: store.logStartOffset, nextOffset: store.nextOffset, keys: store.count() };
    if (args.json) ctx.out.line(JSON.stringify(r));
    else {
      const from = r.snapshotOffset > 0 ? `a snapshot object at offset ${r.snapshotOffset} and the stream after it` : "the stream's writes from its first";
      ctx.out.line(`restore: ${dir} from stream ${args.stream} (${from}): ${r.keys} keys, the log goes on at offset ${r.nextOffset}`);
    }
    await store.close();
  } finally {
    await f.close();
  }
  return EXIT.OK;
}
