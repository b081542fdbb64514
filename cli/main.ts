// kvtool's command line: parses the arguments with yargs and runs one
// command. Runs in-process (tests) as well as from cli/kvtool.ts; the
// process around it is reached only through a Terminal.

import { availableParallelism } from 'node:os';
import yargs, { type Argv } from 'yargs';
import { EXIT } from './commands/exit-codes.js';
import type { NatsArgs } from './commands/replication.js';
import type { Context } from './context.js';
import { resolveStoreArgument } from './store/argument.js';
import { DEFAULT_HIGH_WATER_MARK } from './stats/collect.js';
import { describeFailure } from './failure.js';
import type { Terminal } from './terminal.js';
import { logkvVersion } from './version.js';

type Run = (ctx: Context) => number | Promise<number>;

const USAGE = `$0 <command> PATH

PATH is a store directory; the inspection commands (dump, verify, stats,
explain) also take one logkv file, recognised by its magic whatever its name.
A bare name (no slash) is a store under $LOGKV_DIR (default ./data), as
open() takes it: write ./name for one in this directory.
Inspection commands take no lock and never write, so they work on a store
another process has open; write commands take the store's lock.`;

/** PATH: a store (a bare name is one under LOGKV_DIR, as for open(): store/argument.ts) or, where a command says so, one file. */
const positionalPath = <T>(y: Argv<T>, describe = 'a store directory or one logkv file') =>
  y.positional('path', { type: 'string', demandOption: true, describe, coerce: resolveStoreArgument });
/** A file and nothing else: a path as given. */
const positionalFile = <T>(y: Argv<T>, describe: string) => y.positional('path', { type: 'string', demandOption: true, describe });

/** The NATS connection options of mirror, follow and restore --nats. */
const natsOptions = <T>(y: Argv<T>, demand: boolean) =>
  y
    .option('servers', {
      alias: 'nats',
      type: 'string',
      demandOption: demand,
      describe: 'NATS server URLs (nats://host:4222), repeated or comma-separated',
      // Not an array option: that would take the directory after it too.
      coerce: (v: string | string[] | undefined) => (v === undefined ? undefined : [v].flat().flatMap((s) => s.split(',')).filter((s) => s.length > 0)),
    })
    .option('stream', { type: 'string', demandOption: demand, describe: 'the JetStream stream' })
    .option('creds', { type: 'string', describe: 'a NATS .creds file' })
    .option('user', { type: 'string', describe: 'NATS user name' })
    .option('password', { type: 'string', describe: 'NATS password (with --user)' })
    .option('connect-timeout', { type: 'number', default: 5000, describe: 'ms to reach NATS before giving up' })
    .conflicts('creds', 'user')
    .implies('password', 'user')
    .check((a) => nonNegative(a['connect-timeout'], '--connect-timeout'));

function natsArgs(a: { servers?: string[] | undefined; stream?: string | undefined; creds?: string | undefined; user?: string | undefined; password?: string | undefined; 'connect-timeout': number }): NatsArgs {
  return { servers: a.servers ?? [], stream: a.stream ?? '', creds: a.creds, user: a.user, password: a.password, connectTimeout: a['connect-timeout'] };
}

/** The replication commands, loaded when one runs: the other commands never load the NATS clients. */
const replication = () => import('./commands/replication.js');

/*
 * Every command's module is loaded when it runs, not at start-up: loading all
 * of them took ~250 ms of every kvtool run here, a fifth of a 1M-key store's
 * dump --json (measured: import of main.js 347 ms, of the dump command 75).
 */
const dumpCommand = () => import('./commands/dump.js');
const explainCommand = () => import('./commands/explain.js');
const kvCommands = () => import('./commands/kv.js');
const maintenanceCommands = () => import('./commands/maintenance.js');
const repairCommand = () => import('./commands/repair.js');
const statsCommand = () => import('./commands/stats.js');
const tailCommand = () => import('./commands/tail.js');
const verifyCommand = () => import('./commands/verify.js');

const valueEncodingOption = <T>(y: Argv<T>) =>
  y.option('value-encoding', { choices: ['binary', 'utf8', 'json'] as const, describe: "the leader's value encoding, for a follower that begins empty (one begun from a snapshot takes the snapshot's)" });

interface Globals {
  quiet: boolean;
  debug: boolean;
}

const keyArgs = <T>(y: Argv<T>) =>
  positionalPath(y, 'a store directory')
    .positional('key', { type: 'string', demandOption: true, describe: 'the key, as UTF-8 text (or hex with --key-hex)' })
    .option('key-hex', { type: 'boolean', default: false, describe: 'KEY is hex' });

function parser(argv: readonly string[], select: (name: string, globals: Globals, run: Run) => void): Argv {
  return yargs([...argv])
    .scriptName('kvtool')
    .usage(USAGE)
    .option('quiet', { alias: 'q', type: 'boolean', default: false, global: true, describe: 'no progress bars or notes on stderr' })
    .option('debug', { type: 'boolean', default: false, global: true, describe: 'print stack traces with errors' })
    .command(
      'dump <path>',
      'print every batch and record (hint, snapshot and journal entries, index slots); never writes',
      (y) =>
        positionalPath(y)
          .option('json', { type: 'boolean', default: false, describe: 'one JSON object per line' })
          .option('from-offset', { type: 'number', describe: 'only records at or after this offset (index slots hold no offset: all are shown)' })
          .option('key', { type: 'string', describe: 'only records with this key (UTF-8 text, or 0x followed by hex); index slots: those with its hash' })
          .option('values', {
            choices: ['full', 'preview', 'none'] as const,
            default: 'preview' as const,
            describe: 'show values whole, their first 64 bytes, or not at all',
          })
          .option('jobs', { type: 'number', default: availableParallelism(), describe: 'files dumped at once, each in a worker thread (default: the cores); 1: no worker' })
          .check((a) => {
            if (!Number.isSafeInteger(a.jobs) || a.jobs < 1) throw new Error('--jobs must be a whole number of at least 1');
            return nonNegative(a['from-offset'], '--from-offset');
          }),
      (a) =>
        select('dump', a, (ctx) => dumpCommand().then((m) => m.runDump({ path: a.path, json: a.json, fromOffset: a['from-offset'], key: a.key, values: a.values, jobs: a.jobs }, ctx))),
    )
    .command(
      'verify <path>',
      'check every file, each hint against its segment and each index against its hint, and the manifest; exit 0 clean, 1 problems, 2 usage or I/O error',
      (y) =>
        positionalPath(y)
          .option('json', { type: 'boolean', default: false, describe: 'one JSON document' })
          .option('jobs', { type: 'number', default: availableParallelism(), describe: 'files checked at once, each in a worker thread (default: the cores); 1: no worker' })
          .check((a) => {
            if (!Number.isSafeInteger(a.jobs) || a.jobs < 1) throw new Error('--jobs must be a whole number of at least 1');
            return true;
          }),
      (a) => select('verify', a, (ctx) => verifyCommand().then((m) => m.runVerify({ path: a.path, json: a.json, jobs: a.jobs }, ctx))),
    )
    .command(
      'stats <path>',
      'keys, live and dead bytes per segment, garbage ratio, offsets, snapshots, journal fill',
      (y) =>
        positionalPath(y)
          .option('json', { type: 'boolean', default: false, describe: 'one JSON document' })
          .option('high-water-mark', { type: 'number', default: DEFAULT_HIGH_WATER_MARK, describe: 'the journal high-water mark to judge the fill by' })
          .check((a) => {
            const h = a['high-water-mark'];
            if (!(h > 0 && h <= 1)) throw new Error('--high-water-mark is a fraction in (0, 1]');
            return true;
          }),
      (a) => select('stats', a, (ctx) => statsCommand().then((m) => m.runStats({ path: a.path, json: a.json, highWaterMark: a['high-water-mark'] }, ctx))),
    )
    .command(
      'explain <path>',
      'say which field of which record the byte at --at belongs to (from the debug-mode parsers), with the bytes around it',
      (y) =>
        positionalFile(y, 'one logkv file')
          .option('at', { type: 'string', demandOption: true, describe: 'the byte position (decimal, or hex with 0x)' })
          .option('context', { type: 'number', default: 32, describe: 'bytes to show on each side' })
          .option('json', { type: 'boolean', default: false, describe: 'one JSON document' })
          .check((a) => nonNegative(a.context, '--context')),
      (a) => select('explain', a, (ctx) => explainCommand().then((m) => m.runExplain({ path: a.path, at: a.at, context: a.context, json: a.json }, ctx))),
    )
    .command(
      'get <path> <key>',
      "print KEY's value, decoded by the store's value encoding; exit 1 when absent (no lock: works while the store is open elsewhere)",
      (y) =>
        keyArgs(y)
          .option('json', { type: 'boolean', default: false, describe: 'one JSON object: key, value, offset, expiry' })
          .option('raw', { type: 'boolean', default: false, describe: 'write the stored bytes as they are, nothing else' }),
      (a) => select('get', a, (ctx) => kvCommands().then((m) => m.runGet({ path: a.path, key: a.key, keyHex: a['key-hex'], json: a.json, raw: a.raw }, ctx))),
    )
    .command(
      'put <path> <key> <value>',
      "set KEY to VALUE (text for utf8 stores, JSON for json stores, UTF-8 bytes or --value-hex for binary ones); takes the store's lock",
      (y) =>
        keyArgs(y)
          .positional('value', { type: 'string', demandOption: true })
          .option('value-hex', { type: 'boolean', default: false, describe: 'VALUE is hex (binary stores)' })
          .option('ttl', { type: 'number', describe: 'expire after this many milliseconds' }),
      (a) =>
        select('put', a, (ctx) =>
          kvCommands().then((m) => m.runPut({ path: a.path, key: a.key, keyHex: a['key-hex'], value: a.value, valueHex: a['value-hex'], ttl: a.ttl }, ctx)),
        ),
    )
    .command(
      'del <path> <key>',
      "delete KEY; exit 1 when absent (nothing written); takes the store's lock",
      (y) => keyArgs(y),
      (a) => select('del', a, (ctx) => kvCommands().then((m) => m.runDel({ path: a.path, key: a.key, keyHex: a['key-hex'] }, ctx))),
    )
    .command(
      'repair <path>',
      "make a damaged store verify clean and open: says what it will change, asks, keeps everything it removes in lost/; takes the store's lock",
      (y) =>
        positionalPath(y, 'a store directory')
          .option('truncate-tail', { type: 'boolean', describe: 'cut the log at its first damage, moving every later write to lost/ (a prefix of the history, maybe older than what the store served)' })
          .option('salvage', {
            type: 'boolean',
            describe: 'keep every valid batch and every record the hints vouch for (the default), and go on even where no hint says what damaged bytes held',
          })
          .conflicts('salvage', 'truncate-tail')
          .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'do not ask' })
          .option('dry-run', { type: 'boolean', default: false, describe: 'only say what would change (exit 1 if anything would)' })
          .option('json', { type: 'boolean', default: false, describe: 'the plan (and the result) as JSON' }),
      (a) =>
        select('repair', a, (ctx) =>
          repairCommand().then((m) => m.runRepair({ path: a.path, mode: a['truncate-tail'] === true ? 'truncate-tail' : 'salvage', acceptRisks: a.salvage === true, yes: a.yes, dryRun: a['dry-run'], json: a.json }, ctx)),
        ),
    )
    .command(
      'compact <path>',
      "run the log cleaner over every sealed segment (keeps the newest record of each key, offsets unchanged); takes the store's lock",
      (y) => positionalPath(y, 'a store directory').option('json', { type: 'boolean', default: false, describe: 'the result as JSON' }),
      (a) => select('compact', a, (ctx) => maintenanceCommands().then((m) => m.runCompact({ path: a.path, json: a.json }, ctx))),
    )
    .command(
      'snapshot <path>',
      "write a point-in-time snapshot of the live state under snapshots/; takes the store's lock",
      (y) => positionalPath(y, 'a store directory').option('json', { type: 'boolean', default: false, describe: 'the result as JSON' }),
      (a) => select('snapshot', a, (ctx) => maintenanceCommands().then((m) => m.runSnapshot({ path: a.path, json: a.json }, ctx))),
    )
    .command(
      'restore <snapshot> [dir]',
      'build a new store in DIR (empty or missing) from a snapshot file; with --nats URL --stream NAME DIR: from the stream\'s newest snapshot object and the stream after it',
      (y) =>
        valueEncodingOption(
          natsOptions(
            y
              .positional('snapshot', { type: 'string', demandOption: true, describe: 'a snapshot file (.snap); with --nats, the new store directory' })
              .positional('dir', { type: 'string', describe: 'the new store directory (a bare name: under LOGKV_DIR, as for open())', coerce: resolveStoreArgument })
              .option('segment-size', { type: 'number', describe: 'segment size of the new store (default 64 MiB)' })
              .option('json', { type: 'boolean', default: false, describe: 'the result as JSON' }),
            false,
          ),
        ).check((a) => {
          if (a.servers !== undefined) {
            if (a.dir !== undefined) throw new Error('with --nats, restore takes one directory and no snapshot file');
            if (a.stream === undefined) throw new Error('--nats needs --stream');
          } else if (a.dir === undefined) throw new Error('restore needs a snapshot file and a directory (or --nats URL --stream NAME DIR)');
          return true;
        }),
      (a) =>
        select('restore', a, (ctx) =>
          a.servers !== undefined
            ? replication().then((r) => r.runNatsRestore({ ...natsArgs(a), dir: resolveStoreArgument(a.snapshot), valueEncoding: a['value-encoding'], json: a.json }, ctx))
            : maintenanceCommands().then((m) => m.runRestore({ snapshot: a.snapshot, dir: a.dir!, segmentSize: a['segment-size'], json: a.json }, ctx)),
        ),
    )
    .command(
      'mirror <path>',
      "publish the store's writes into a JetStream stream (made when missing) until Ctrl-C, or with --once until the stream holds them all; takes the store's lock",
      (y) =>
        natsOptions(positionalPath(y, 'a store directory'), true)
          .option('once', { type: 'boolean', default: false, describe: 'stop once the stream holds every write' })
          .option('snapshot', { type: 'boolean', default: false, describe: 'ship a snapshot into the object store first' })
          .option('snapshot-every', { type: 'number', describe: 'ship a snapshot this often (seconds)' })
          .option('replicas', { type: 'number', default: 1, describe: 'replicas of the stream when it is made (3 on a cluster)' })
          .check((a) => {
            const every = a['snapshot-every'];
            if (every !== undefined && !(every > 0)) throw new Error('--snapshot-every takes a positive number of seconds');
            return true;
          }),
      (a) =>
        select('mirror', a, (ctx) =>
          replication().then((r) => r.runMirror({ ...natsArgs(a), path: a.path, once: a.once, snapshot: a.snapshot, snapshotEvery: a['snapshot-every'], replicas: a.replicas }, ctx)),
        ),
    )
    .command(
      'follow <dir>',
      "keep a read-only copy of a mirrored store in DIR (made when missing, from the newest snapshot object when there is one) until Ctrl-C, or with --once until it holds the stream's writes",
      (y) =>
        valueEncodingOption(
          natsOptions(y.positional('dir', { type: 'string', demandOption: true, describe: 'the follower\'s store directory', coerce: resolveStoreArgument }), true)
            .option('once', { type: 'boolean', default: false, describe: 'stop once caught up' })
            .option('start-from', { choices: ['snapshot', 'stream'] as const, default: 'snapshot' as const, describe: "a new follower: the newest snapshot object, or the stream's first write when it still holds it" }),
        ),
      (a) =>
        select('follow', a, (ctx) => replication().then((r) => r.runFollow({ ...natsArgs(a), dir: a.dir, once: a.once, startFrom: a['start-from'], valueEncoding: a['value-encoding'] }, ctx))),
    )
    .command(
      'tail <path>',
      'print every write from --from on, in offset order, through the change feed; --follow waits for new ones (no lock: works while the store is open elsewhere)',
      (y) =>
        positionalPath(y, 'a store directory')
          .option('from', { type: 'number', describe: 'first offset (default: the oldest the log holds)' })
          .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'keep waiting for new writes (Ctrl-C ends)' })
          .option('limit', { type: 'number', describe: 'stop after this many changes' })
          .option('values', { choices: ['full', 'preview', 'none'] as const, default: 'preview' as const, describe: 'show values whole, their first 64 bytes, or not at all' })
          .option('json', { type: 'boolean', default: false, describe: 'one JSON object per line' })
          .option('poll-ms', { type: 'number', default: 100, describe: 'with --follow: how often to look for new writes' })
          .check((a) => nonNegative(a.from, '--from') && nonNegative(a.limit, '--limit') && nonNegative(a['poll-ms'], '--poll-ms')),
      (a) =>
        select('tail', a, (ctx) =>
          tailCommand().then((m) => m.runTail({ path: a.path, from: a.from, follow: a.follow, limit: a.limit, values: a.values, json: a.json, pollMs: a['poll-ms'] }, ctx)),
        ),
    )
    .demandCommand(1, 'Give a command.')
    .strict()
    .version(logkvVersion())
    .help()
    .alias('help', 'h')
    .wrap(Math.min(100, process.stdout.columns ?? 80))
    .exitProcess(false)
    .fail((msg, err) => {
      throw new UsageError(msg ?? err?.message ?? 'bad arguments');
    });
}

class UsageError extends Error {}

function nonNegative(n: number | undefined, flag: string): true {
  if (n !== undefined && !(Number.isSafeInteger(n) && n >= 0)) throw new Error(`${flag} takes a non-negative integer`);
  return true;
}

/** Runs kvtool with `argv` (the arguments after the script name); resolves with the exit code. */
export async function kvtool(argv: readonly string[], term: Terminal): Promise<number> {
  let selected: { name: string; globals: Globals; run: Run } | undefined;
  let help = '';
  const y = parser(argv, (name, globals, run) => (selected = { name, globals, run }));
  try {
    await y.parseAsync([...argv], {}, (_err, _argv, output) => {
      help = output;
    });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    term.out.error(`kvtool: ${e.message}\nRun 'kvtool --help' for usage.`);
    term.out.flush();
    return EXIT.USAGE_OR_IO;
  }
  if (!selected) {
    // --help (or a command's --help): yargs gave its text to the callback.
    if (help) term.out.line(help);
    term.out.flush();
    return EXIT.OK;
  }
  const { debug, quiet } = selected.globals;
  const ctx: Context = { term, out: term.out, quiet, debug };
  try {
    return await selected.run(ctx);
  } catch (e) {
    const failure = describeFailure(e, selected.name, debug);
    for (const line of failure.lines) term.out.error(line);
    return failure.exitCode;
  } finally {
    term.out.flush();
  }
}
