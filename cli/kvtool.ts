#!/usr/bin/env node
// kvtool: look inside logkv files. This module only wires the command line
// (yargs); each command lives in cli/commands/.

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runDump } from './commands/dump.js';
import { EXIT } from './commands/exit-codes.js';
import { runVerify } from './commands/verify.js';
import { stdoutOutput } from './output.js';

const out = stdoutOutput();

function run(command: () => number): void {
  try {
    process.exitCode = command();
  } catch (e) {
    out.error(`kvtool: internal error (a bug in logkv, please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = EXIT.INTERNAL;
  } finally {
    out.flush();
  }
}

await yargs(hideBin(process.argv))
  .scriptName('kvtool')
  .usage('$0 <command> PATH\n\nPATH is one logkv file (recognised by its magic, whatever its name) or a store directory.')
  .command(
    'dump <path>',
    'print every batch and record (hint, snapshot and journal entries) of PATH; never writes',
    (y) =>
      y
        .positional('path', { type: 'string', demandOption: true, describe: 'a logkv file or a store directory' })
        .option('json', { type: 'boolean', default: false, describe: 'one JSON object per line' })
        .option('from-offset', { type: 'number', describe: 'only records at or after this offset' })
        .option('key', { type: 'string', describe: 'only records with this key (UTF-8 text, or 0x followed by hex)' })
        .option('values', {
          choices: ['full', 'preview', 'none'] as const,
          default: 'preview' as const,
          describe: 'show values whole, their first 64 bytes, or not at all',
        })
        .check((argv) => {
          const n = argv['from-offset'];
          if (n !== undefined && !(Number.isSafeInteger(n) && n >= 0)) throw new Error('--from-offset takes a non-negative integer');
          return true;
        }),
    (argv) =>
      run(() =>
        runDump({ path: argv.path, json: argv.json, fromOffset: argv['from-offset'], key: argv.key, values: argv.values }, out),
      ),
  )
  .command(
    'verify <path>',
    'check every logkv file of PATH; exit 0 clean, 1 problems found, 2 usage or I/O error',
    (y) =>
      y
        .positional('path', { type: 'string', demandOption: true, describe: 'a logkv file or a store directory' })
        .option('json', { type: 'boolean', default: false, describe: 'one JSON document' }),
    (argv) => run(() => runVerify({ path: argv.path, json: argv.json }, out)),
  )
  .demandCommand(1, 'Give a command: dump or verify.')
  .strict()
  .version(false)
  .help()
  .alias('help', 'h')
  .fail((msg, err) => {
    process.stderr.write(`kvtool: ${msg ?? err?.message}\nRun 'kvtool --help' for usage.\n`);
    process.exit(EXIT.USAGE_OR_IO);
  })
  .parseAsync();
