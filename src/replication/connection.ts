// Reaching JetStream: one connection per mirror or follower, which the
// client keeps reconnecting for ever once it has been made (a killed node
// is the cluster's business: the client moves to another), and the
// stream. A server that cannot be reached at the start is an error within
// connectTimeoutMs (UNAVAILABLE), never a hang.

import { readFileSync } from 'node:fs';
import {
  AuthorizationError,
  connect,
  credsAuthenticator,
  InvalidArgumentError,
  InvalidSubjectError,
  type NatsConnection,
  PermissionViolationError,
  UserAuthenticationExpiredError,
} from '@nats-io/transport-node';
import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { LogkvError } from '../errors.js';

export interface ConnectionOptions {
  /** NATS server URLs ("nats://host:4222" or "host:4222"); the client tries each and keeps to the cluster. */
  servers: string | string[];
  /** Name of the JetStream stream. */
  stream: string;
  /** A NATS .creds file (JWT and NKey seed). */
  creds?: string;
  user?: string;
  password?: string;
  /** How long the first connection may take before UNAVAILABLE. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** How long a JetStream request (a publish's acknowledgement, stream info) may take before it is retried. Default 5000 ms. */
  requestTimeoutMs?: number;
  /**
   * How long JetStream's first answer, and the first look at the stream,
   * may be retried (a cluster that lost a node answers JetStream requests
   * late for a while: seen past 5 s here) before UNAVAILABLE. Default
   * 30000 ms.
   */
  startTimeoutMs?: number;
}

export interface Connection {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  requestTimeoutMs: number;
  close(): Promise<void>;
}

/** Connects and waits for JetStream to answer (a fresh cluster elects its meta leader first). */
export async function openConnection(o: ConnectionOptions, name: string): Promise<Connection> {
  const servers = Array.isArray(o.servers) ? o.servers : [o.servers];
  if (servers.length === 0 || servers.some((s) => typeof s !== 'string' || s.length === 0)) throw new LogkvError('INVALID_ARGUMENT', 'servers: give at least one NATS server URL');
  if (typeof o.stream !== 'string' || !/^[A-Za-z0-9_-]{1,255}$/.test(o.stream)) {
    throw new LogkvError('INVALID_ARGUMENT', `stream: a JetStream stream name (letters, digits, - and _), not ${JSON.stringify(o.stream)}`);
  }
  const connectTimeoutMs = o.connectTimeoutMs ?? 5000;
  const requestTimeoutMs = o.requestTimeoutMs ?? 5000;
  const where = servers.join(', ');
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      name,
      timeout: connectTimeoutMs,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      // Otherwise every request (each mirrored write's publish) builds two Errors with stack traces up front, in case it
      // fails: 13% of the leader's CPU while mirroring, measured by the bench (bench/replication.ts). Our errors say what failed.
      noAsyncTraces: true,
      ...(o.user !== undefined ? { user: o.user, pass: o.password ?? '' } : {}),
      ...(o.creds !== undefined ? { authenticator: credsAuthenticator(readFileSync(o.creds)) } : {}),
    });
  } catch (e) {
    throw new LogkvError('UNAVAILABLE', `cannot reach NATS at ${where}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  try {
    const deadline = Date.now() + (o.startTimeoutMs ?? 30_000);
    for (;;) {
      try {
        const jsm = await jetstreamManager(nc, { timeout: requestTimeoutMs });
        return { nc, js: jetstream(nc, { timeout: requestTimeoutMs }), jsm, stream: o.stream, requestTimeoutMs, close: () => nc.close() };
      } catch (e) {
        if (Date.now() >= deadline) throw new LogkvError('UNAVAILABLE', `NATS at ${where} answers, but JetStream does not: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        await delay(250);
      }
    }
  } catch (e) {
    await nc.close().catch(() => undefined);
    throw e;
  }
}

/** The stream's last sequence and its message (undefined when the stream is empty). */
export async function lastMessage(c: Connection): Promise<{ lastSeq: number; msg: StoredMsg | undefined }> {
  const info = await c.jsm.streams.info(c.stream);
  const lastSeq = info.state.last_seq;
  if (info.state.messages === 0) return { lastSeq, msg: undefined };
  const msg = await c.jsm.streams.getMessage(c.stream, { seq: lastSeq });
  if (!msg) throw new LogkvError('CORRUPT', `stream ${c.stream} says its last message is ${lastSeq}, but has none there`, { reason: 'replicated-message' });
  return { lastSeq, msg };
}

/** Creates the stream when it does not exist, taking `subject`; refuses a stream that does not take it. */
export async function ensureStream(c: Connection, subject: string, replicas: number): Promise<void> {
  for (;;) {
    try {
      const info = await c.jsm.streams.info(c.stream);
      if (!info.config.subjects?.includes(subject)) {
        throw new LogkvError('INVALID_ARGUMENT', `stream ${c.stream} does not take subject ${subject} (it takes ${(info.config.subjects ?? []).join(', ') || 'none'})`);
      }
      return;
    } catch (e) {
      if (!streamMissing(e)) throw e;
    }
    try {
      await c.jsm.streams.add({ name: c.stream, subjects: [subject], num_replicas: replicas });
      return;
    } catch (e) {
      // Made by another process meanwhile: look again.
      if (!(e instanceof JetStreamApiError && e.code === STREAM_NAME_IN_USE)) throw e;
    }
  }
}

/** JetStream's API error code for a stream name already taken (the client names no constant for it). */
const STREAM_NAME_IN_USE = 10058;

export function streamMissing(e: unknown): boolean {
  return e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound;
}

/** Runs `step` until it succeeds, retrying what finalError() does not give up on, for at most `ms`; then UNAVAILABLE. */
export async function retrying<T>(what: string, ms: number, step: () => Promise<T>, onRetry?: (e: unknown) => void): Promise<T> {
  const deadline = Date.now() + ms;
  for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
    try {
      return await step();
    } catch (e) {
      const final = finalError(e);
      if (final) throw final;
      if (Date.now() + wait >= deadline) throw new LogkvError('UNAVAILABLE', `${what}: no answer within ${ms} ms (${e instanceof Error ? e.message : String(e)})`, { cause: e });
      onRetry?.(e);
      await delay(wait);
    }
  }
}

/** JetStream's API error code for a message over the stream's (or the server's) size limit. */
const MESSAGE_TOO_LARGE = 10054;

/**
 * The error the mirror and follower give up with, or undefined for one
 * they retry. They retry what time can cure: a timeout, a node gone, a
 * cluster electing a leader, a publish that met a newer stream (it
 * resumes). They give up on what a retry meets again: everything logkv
 * itself refuses, and a refusal of this client's own request (its
 * credentials or permissions, an option or name the client rejects, a
 * message over the stream's limit), which would otherwise be retried for
 * ever while caughtUp() waits.
 */
export function finalError(e: unknown): LogkvError | undefined {
  if (e instanceof LogkvError) return e;
  const what = e instanceof Error ? e.message : String(e);
  if (e instanceof AuthorizationError || e instanceof PermissionViolationError || e instanceof UserAuthenticationExpiredError) {
    return new LogkvError('PERMISSION_DENIED', `NATS refused this client: ${what}`, { cause: e });
  }
  if (e instanceof JetStreamApiError && e.code === MESSAGE_TOO_LARGE) {
    return new LogkvError('TOO_LARGE', `JetStream refused a message as too large (${what}): give the mirror a maxMessageBytes under the stream's max_msg_size`, { cause: e });
  }
  // The client's own argument checks, and a JavaScript error (a bug, or an option of the wrong type) that would only happen again.
  if (e instanceof InvalidArgumentError || e instanceof InvalidSubjectError || e instanceof TypeError || e instanceof RangeError) {
    return new LogkvError('INVALID_ARGUMENT', what, { cause: e });
  }
  return undefined;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface Lag {
  /** Offsets of acknowledged writes not yet across (mirror: not acknowledged by the stream; follower: in the stream, not applied). */
  offsets: number;
  /** How long the oldest of them has waited, ms (0 when none). */
  ms: number;
}
