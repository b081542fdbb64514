// Drives a LogStore and its model (log-model.ts) through the same
// operations: each operation is planned against the model first (what it
// should write and return, as the store decides conditional writes against
// the latest state in call order), recorded in the history, then performed;
// the store's answer must be the planned one. A write that is acknowledged
// in 'sync' mode moves the durable mark past it.

import { LogkvError } from '../../src/errors.js';
import type { Durability, LogStore } from '../../src/log/log-store.js';
import { type Change, type Entry, LogModel } from './log-model.js';

export type WriteOp =
  | { kind: 'put'; key: string; value: string; ttl?: number }
  | { kind: 'del'; key: string }
  | { kind: 'batch'; ops: Array<{ type: 'put'; key: string; value: string; ttl?: number } | { type: 'del'; key: string }> }
  | { kind: 'incr'; key: string; by: number; ttl?: number }
  | { kind: 'setIfAbsent'; key: string; value: string }
  | { kind: 'cas'; key: string; expected: string | undefined; next: string | undefined }
  | { kind: 'lock'; key: string; owner: string; ttl: number }
  | { kind: 'unlock'; key: string; owner: string }
  | { kind: 'extendLock'; key: string; owner: string; ttl: number };

export function describe(op: WriteOp): string {
  return JSON.stringify(op);
}

interface Plan {
  changes: Change[] | undefined;
  result: unknown;
  /** The store must refuse the call with this code, writing nothing. */
  refuse?: string;
}

const CANONICAL = /^-?(0|[1-9][0-9]{0,18})$/;
const MAX = 2n ** 63n - 1n;
const MIN = -(2n ** 63n);

function counterOf(e: Entry | undefined): bigint | undefined {
  if (!e) return 0n;
  if (!CANONICAL.test(e.value) || e.value === '-0') return undefined;
  const n = BigInt(e.value);
  return n < MIN || n > MAX ? undefined : n;
}

/** What `op` should do, given the model's latest state at its clock. */
export function plan(model: LogModel, state: Map<string, Entry>, op: WriteOp): Plan {
  const now = model.clock.now;
  const live = (k: string) => LogModel.live(state, k, now);
  const exp = (ttl: number | undefined) => (ttl === undefined ? undefined : now + ttl);
  switch (op.kind) {
    case 'put':
      return { changes: [{ key: op.key, entry: { value: op.value, expireAt: exp(op.ttl) } }], result: undefined };
    case 'del':
      return { changes: [{ key: op.key, entry: undefined }], result: undefined };
    case 'batch':
      return {
        changes: op.ops.map((o) => (o.type === 'put' ? { key: o.key, entry: { value: o.value, expireAt: exp(o.ttl) } } : { key: o.key, entry: undefined })),
        result: undefined,
      };
    case 'incr': {
      const cur = live(op.key);
      const n = counterOf(cur);
      if (n === undefined) return { changes: undefined, result: undefined, refuse: 'INVALID_ARGUMENT' };
      const sum = n + BigInt(op.by);
      if (sum < MIN || sum > MAX) return { changes: undefined, result: undefined, refuse: 'INVALID_ARGUMENT' };
      return { changes: [{ key: op.key, entry: { value: sum.toString(), expireAt: op.ttl !== undefined ? now + op.ttl : cur?.expireAt } }], result: sum };
    }
    case 'setIfAbsent':
      return live(op.key) ? { changes: undefined, result: false } : { changes: [{ key: op.key, entry: { value: op.value, expireAt: undefined } }], result: true };
    case 'cas': {
      const cur = live(op.key);
      const matched = op.expected === undefined ? cur === undefined : cur?.value === op.expected;
      if (!matched) return { changes: undefined, result: false };
      if (op.next === undefined && cur === undefined) return { changes: undefined, result: true };
      return { changes: [{ key: op.key, entry: op.next === undefined ? undefined : { value: op.next, expireAt: undefined } }], result: true };
    }
    case 'lock': {
      const cur = live(op.key);
      if (cur && cur.value !== op.owner) return { changes: undefined, result: false };
      return { changes: [{ key: op.key, entry: { value: op.owner, expireAt: now + op.ttl } }], result: true };
    }
    case 'unlock':
      return live(op.key)?.value === op.owner ? { changes: [{ key: op.key, entry: undefined }], result: true } : { changes: undefined, result: false };
    case 'extendLock':
      return live(op.key)?.value === op.owner
        ? { changes: [{ key: op.key, entry: { value: op.owner, expireAt: now + op.ttl } }], result: true }
        : { changes: undefined, result: false };
  }
}

export function perform(store: LogStore<string>, op: WriteOp): Promise<unknown> {
  switch (op.kind) {
    case 'put':
      return store.put(op.key, op.value, op.ttl === undefined ? {} : { ttlMs: op.ttl });
    case 'del':
      return store.delete(op.key);
    case 'batch':
      return store.batch(op.ops.map((o) => (o.type === 'put' ? { type: 'put' as const, key: o.key, value: o.value, ...(o.ttl === undefined ? {} : { ttlMs: o.ttl }) } : o)));
    case 'incr':
      return store.incr(op.key, op.by, op.ttl === undefined ? {} : { ttlMs: op.ttl });
    case 'setIfAbsent':
      return store.setIfAbsent(op.key, op.value);
    case 'cas':
      return store.compareAndSet(op.key, op.expected, op.next);
    case 'lock':
      return store.lock(op.key, op.owner, op.ttl);
    case 'unlock':
      return store.unlock(op.key, op.owner);
    case 'extendLock':
      return store.extendLock(op.key, op.owner, op.ttl);
  }
}

export interface Outcome {
  op: WriteOp;
  /** Index of its batch in the history, when it writes one. */
  index: number | undefined;
  /** The store's error, when it refused or failed. */
  error?: unknown;
}

/** Thrown when the store's answer differs from the model's: a real finding. */
export class Mismatch extends Error {}

/**
 * Issues `ops` concurrently (one at a time when given one), in call order,
 * and waits for all. Returns each outcome; throws Mismatch when a result or
 * refusal differs from the plan. `onAck` runs as each one is acknowledged.
 */
export async function runOps(store: LogStore<string>, model: LogModel, durability: Durability, ops: WriteOp[]): Promise<Outcome[]> {
  let state = model.current();
  const planned = ops.map((op) => {
    const p = plan(model, state, op);
    const index = p.changes ? model.push(p.changes) : undefined;
    if (p.changes) state = model.current();
    return { op, p, index, historyAfter: model.history.length };
  });
  const settled = await Promise.all(
    planned.map(({ op, p, index, historyAfter }) =>
      perform(store, op).then(
        (result) => {
          if (p.refuse) throw new Mismatch(`${describe(op)} should have been refused with ${p.refuse}, resolved ${String(result)}`);
          if (result !== p.result) throw new Mismatch(`${describe(op)} resolved ${String(result)}, the model says ${String(p.result)}`);
          if (durability === 'sync') model.durable = Math.max(model.durable, historyAfter);
          return { op, index } as Outcome;
        },
        (error: unknown) => {
          if (p.refuse && error instanceof LogkvError && error.code === p.refuse) return { op, index: undefined } as Outcome;
          return { op, index, error } as Outcome;
        },
      ),
    ),
  );
  return settled;
}

/** True when the error is the store refusing or failing a write because of I/O (EIO, ENOSPC, or an earlier such failure). */
export function isIoFailure(e: unknown): boolean {
  // NO_SPACE: the failed write met a full disk.
  return e instanceof LogkvError && (e.code === 'IO' || e.code === 'NO_SPACE');
}
