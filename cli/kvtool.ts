#!/usr/bin/env node
// kvtool: look inside logkv stores and files, and repair them. The command
// line is wired in main.ts; each command lives in cli/commands/.

import { hideBin } from 'yargs/helpers';
import { kvtool } from './main.js';
import { processTerminal } from './terminal.js';

process.exitCode = await kvtool(hideBin(process.argv), processTerminal());
