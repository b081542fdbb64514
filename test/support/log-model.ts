// The model a LogStore is checked against: the history of batches written
// (each write call is one batch, all or nothing), how much of it was
// acknowledged as durable, and every value ever written per key. The
// recovery contract, items 1 to 3, as checks:
// - after a crash the store's state equals the state after some prefix of
//   the history, batch by batch, and that prefix holds every acknowledged
//   durable write (items 1, 2);
// - a value read is always one that was written for that key (item 3);
// - "equal" is checked at the present time and at every expiry boundary
//   the candidate states hold (the store's clock is ours), so a prefix that
//   differs only in an expiry is told apart.

import type { LogStore } from '../../src/log/log-store.js';
import { LogkvError } from '../../src/errors.js';

export interface Entry {
  value: string;
  expireAt: number | undefined;
}

/** One key's change in a batch; entry undefined deletes. */
export interface Change {
  key: string;
  entry: Entry | undefined;
}

export type State = Map<string, Entry>;

export interface Clock {
  now: number;
}

/** Reading of one key: its value, absent, or a CORRUPT error (a damaged record reported, not returned). */
export type Reading = string | null | { corrupt: string };

export class LogModel {
  /** State before history[0]: empty, or what a recovery after reported loss left. */
  base: State = new Map();
  history: Change[][] = [];
  /** history[0..durable) must survive any crash. */
  durable = 0;
  /** Every value ever written per key (the "written for that key" of item 3). */
  readonly written = new Map<string, Set<string>>();
  readonly keys = new Set<string>();

  constructor(readonly clock: Clock) {}

  /** Records a batch about to be written; returns its index. */
  push(changes: Change[]): number {
    for (const c of changes) {
      this.keys.add(c.key);
      if (c.entry) {
        let set = this.written.get(c.key);
        if (!set) this.written.set(c.key, (set = new Set()));
        set.add(c.entry.value);
      }
    }
    this.history.push(changes);
    return this.history.length - 1;
  }

  stateAt(p: number): State {
    const s = new Map(this.base);
    for (let i = 0; i < p; i++) for (const c of this.history[i]!) c.entry ? s.set(c.key, c.entry) : s.delete(c.key);
    return s;
  }

  current(): State {
    return this.stateAt(this.history.length);
  }

  /** The live entry of `key` in `state` at time `now`. */
  static live(state: State, key: string, now: number): Entry | undefined {
    const e = state.get(key);
    return e && (e.expireAt === undefined || e.expireAt > now) ? e : undefined;
  }

  /** The history continues from prefix p (what a crash kept). */
  truncate(p: number): void {
    this.history.length = p;
    this.durable = Math.min(this.durable, p);
  }

  /** After a recovery that reported loss: the state kept is the new base. */
  rebase(state: State): void {
    this.base = state;
    this.history = [];
    this.durable = 0;
    for (const k of state.keys()) this.keys.add(k);
  }
}

export function readKey(store: LogStore<string>, key: string): Reading {
  try {
    return store.get(key) ?? null;
  } catch (e) {
    if (e instanceof LogkvError && e.code === 'CORRUPT') return { corrupt: `${e.file ?? '?'}@${e.offset ?? '?'}` };
    throw e;
  }
}

/** Times at which two states of the model could read differently: now and each expiry boundary after it. */
function probeTimes(now: number, states: State[]): number[] {
  const times = new Set<number>([now]);
  for (const s of states) {
    for (const e of s.values()) {
      if (e.expireAt !== undefined && e.expireAt > now) times.add(e.expireAt - 1).add(e.expireAt);
    }
  }
  return [...times].sort((a, b) => a - b);
}

/** What the store shows for every key the model knows, at each probe time, plus its ordered key listing. */
export function storeView(store: LogStore<string>, keys: Iterable<string>, clock: Clock, times: number[]): string {
  const saved = clock.now;
  const out: unknown[] = [];
  try {
    for (const t of times) {
      clock.now = t;
      const readings = [...keys].sort().map((k) => [k, readKey(store, k)]);
      let listing: unknown;
      try {
        listing = [...store.keys()].map((k) => k.toString('utf8'));
      } catch (e) {
        listing = e instanceof LogkvError ? `!${e.code}` : String(e);
      }
      out.push([t, readings, listing]);
    }
  } finally {
    clock.now = saved;
  }
  return JSON.stringify(out);
}

export function stateView(state: State, keys: Iterable<string>, times: number[]): string {
  const out: unknown[] = [];
  for (const t of times) {
    const readings = [...keys].sort().map((k) => [k, LogModel.live(state, k, t)?.value ?? null]);
    const listing = [...state.keys()]
      .filter((k) => LogModel.live(state, k, t) !== undefined)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    out.push([t, readings, listing]);
  }
  return JSON.stringify(out);
}

/** Whether the store shows exactly `state`; a description of the first difference if not. */
export function differs(store: LogStore<string>, model: LogModel, state: State): string | undefined {
  const times = probeTimes(model.clock.now, [state]);
  const got = storeView(store, model.keys, model.clock, times);
  const want = stateView(state, model.keys, times);
  return got === want ? undefined : `store shows ${got}\nmodel has   ${want}`;
}

/**
 * Items 1 and 2: the largest p in [model.durable, upTo] such that the store
 * shows stateAt(p), or a description of why there is none.
 */
export function matchPrefix(store: LogStore<string>, model: LogModel, upTo = model.history.length): { p: number } | { error: string } {
  const states: State[] = [];
  for (let p = model.durable; p <= upTo; p++) states.push(model.stateAt(p));
  const times = probeTimes(model.clock.now, states);
  const got = storeView(store, model.keys, model.clock, times);
  for (let p = upTo; p >= model.durable; p--) {
    if (stateView(states[p - model.durable]!, model.keys, times) === got) return { p };
  }
  return {
    error:
      `the state after recovery is no prefix of the history from ${model.durable} (acknowledged) to ${upTo}:\n` +
      `store shows ${got}\nacknowledged prefix ${stateView(states[0]!, model.keys, times)}\nwhole history ${stateView(states.at(-1)!, model.keys, times)}`,
  };
}

/** Item 3: every value the store returns was written for that key (a CORRUPT report is allowed). */
export function onlyWrittenValues(store: LogStore<string>, model: LogModel): string | undefined {
  for (const key of model.keys) {
    const r = readKey(store, key);
    if (typeof r === 'string' && !model.written.get(key)?.has(r)) return `get(${JSON.stringify(key)}) returned ${JSON.stringify(r)}, never written for it`;
  }
  try {
    for (const [k, v] of store.entries()) {
      const key = k.toString('utf8');
      if (!model.written.get(key)?.has(v)) return `entries() yielded ${JSON.stringify(key)} = ${JSON.stringify(v)}, never written for it`;
    }
  } catch (e) {
    // A range read completes the load of the segments open deferred, and may meet their damage first.
    if (!isDamageError(e)) throw e;
  }
  return undefined;
}

/** A refusal that names the damage: its code, file and byte (item 4 of the contract). */
export function isDamageError(e: unknown): e is LogkvError {
  return e instanceof LogkvError && ['CORRUPT', 'TRUNCATED', 'BAD_MAGIC', 'UNSUPPORTED_VERSION'].includes(e.code) && e.file !== undefined && e.offset !== undefined;
}

/** The state the store shows now, as a model state (for a rebase after reported loss). */
export function recoveredState(store: LogStore<string>, model: LogModel): State {
  const s: State = new Map();
  const now = model.clock.now;
  // Expiries are not visible through the API: probe them at the model's known ones.
  for (const key of model.keys) {
    const r = readKey(store, key);
    if (typeof r !== 'string') continue;
    let expireAt: number | undefined;
    const candidates = new Set<number>();
    for (const st of [model.base, ...model.history.flat().map((c) => new Map(c.entry ? [[c.key, c.entry]] : []))]) {
      const e = st.get(key);
      if (e?.expireAt !== undefined && e.expireAt > now && e.value === r) candidates.add(e.expireAt);
    }
    for (const at of [...candidates].sort((a, b) => a - b)) {
      const saved = model.clock.now;
      model.clock.now = at;
      const still = readKey(store, key);
      model.clock.now = saved;
      if (still !== r) {
        expireAt = at;
        break;
      }
    }
    s.set(key, { value: r, expireAt });
  }
  return s;
}
