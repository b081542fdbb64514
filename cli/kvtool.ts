#!/usr/bin/env node
// kvtool: placeholder replaced by the dump/verify commands.
console.log('kvtool');
