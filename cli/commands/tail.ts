// `kvtool tail PATH [--from OFFSET] [--follow]`: every write from an offset
// on, in offset order, one line each (dump's style), through the engine's
// change feed over the store's files. No lock, so --follow works on a store
// another process is writing; it ends on Ctrl-C, or after --limit changes.

import { LogkvError } from '../../src/errors.js';
import { ChangeFeed, type RawChange } from '../../src/log/change-feed.js';
import { ENCODINGS } from '../../src/log/value-codec.js';
import type { Context } from '../context.js';
import { keyFields, keyText, showKey, showValue, valueFields, valueText, type ValuesMode } from '../format-value.js';
import { isStore, notAStoreError, storeLayout } from '../store/layout.js';
import { FilesFeedSource } from '../tail/files-feed.js';
import { EXIT } from './exit-codes.js';
import { storeEncoding } from './kv.js';

export interface TailArgs {
  path: string;
  from: number | undefined;
  follow: boolean;
  limit: number | undefined;
  values: ValuesMode;
  json: boolean;
  pollMs: number;
}

export async function runTail(args: TailArgs, ctx: Context): Promise<number> {
  const layout = storeLayout(args.path);
  if (!isStore(layout)) throw notAStoreError(args.path);
  const start = layout.manifest?.logStartOffset ?? 0;
  const from = args.from ?? start;
  if (from < start) {
    throw new LogkvError('OUT_OF_RANGE', `offset ${from} is older than the oldest this store holds the history of (${start}): it began from a snapshot at ${start}`);
  }
  const encoding = ENCODINGS[storeEncoding(args.path, layout)];
  const source = new FilesFeedSource(args.path, args.pollMs);
  const feed = new ChangeFeed<RawChange>(source, from, args.follow, (c) => c);
  const stop = (): void => source.close();
  process.once('SIGINT', stop);
  let n = 0;
  try {
    for await (const c of feed) {
      const key = showKey(c.key);
      const value = c.value === undefined ? undefined : showValue(c.value, encoding, args.values);
      const op = c.tombstone ? 'delete' : 'put';
      if (args.json) {
        ctx.out.line(JSON.stringify({ offset: c.offset, timestamp: c.timestamp, op, ...(c.expireAt === undefined ? {} : { expireAt: c.expireAt }), ...keyFields(key), ...valueFields(value) }));
      } else {
        const expiry = c.expireAt === undefined ? '' : ` expireAt: ${c.expireAt}`;
        ctx.out.line(`offset: ${c.offset} timestamp: ${c.timestamp} op: ${op}${expiry} key: ${keyText(key)}${value ? ` value: ${valueText(value)}` : ''}`);
      }
      // Lines reach a follower as they come, not when a buffer fills.
      if (args.follow) ctx.out.flush();
      if (args.limit !== undefined && ++n >= args.limit) break;
    }
  } finally {
    process.removeListener('SIGINT', stop);
    source.close();
  }
  return EXIT.OK;
}
