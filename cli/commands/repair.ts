// `kvtool repair PATH`: says what it will change, asks (unless --yes),
// then changes it under the store's lock, keeping everything it removes in
// lost/. Afterwards the store verifies clean and opens in strict mode.
// Exit 0 repaired (or nothing to repair), 1 declined or still not clean,
// 2 usage (no terminal to ask on and no --yes), 4 locked.

import fs from 'node:fs';
import path from 'node:path';
import { nodeFileIO } from '../../src/io/file-io.js';
import { acquireLock } from '../../src/io/lock-file.js';
import type { Context } from '../context.js';
import { CliError } from '../failure.js';
import { progress } from '../progress.js';
import { applyRepair, lostDirFor } from '../repair/apply.js';
import { planRepair, type RepairMode } from '../repair/plan.js';
import { planJson, renderPlan } from '../repair/render.js';
import { isStore, notAStoreError, storeLayout } from '../store/layout.js';
import { verify } from './verify.js';
import { EXIT } from './exit-codes.js';

export interface RepairArgs {
  path: string;
  mode: RepairMode;
  /** --salvage given: go on past damage no hint accounts for (the default run stops there). */
  acceptRisks: boolean;
  yes: boolean;
  dryRun: boolean;
  json: boolean;
}

export async function runRepair(args: RepairArgs, ctx: Context): Promise<number> {
  const dir = args.path.replace(/(.)\/+$/, '$1');
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (e) {
    throw new CliError(`cannot read ${dir}: ${(e as Error).message}`);
  }
  if (!stat.isDirectory()) throw new CliError(`${dir} is not a directory: repair works on a store directory`);
  const layout = storeLayout(dir);
  if (layout.restoring) {
    throw new CliError(`${dir} holds an interrupted restore (a RESTORING marker): run kvtool restore SNAPSHOT ${dir} again, which starts over`, EXIT.PROBLEMS);
  }
  if (!isStore(layout)) throw notAStoreError(dir);
  // A dry run only reads; a real one decides under the lock, so no writer changes the store between plan and act.
  const lock = args.dryRun ? undefined : acquireLock(nodeFileIO, path.join(dir, 'LOCK'));
  try {
    const bar = progress(ctx.term, ctx.quiet, 'repair: reading');
    let plan;
    try {
      plan = planRepair(dir, args.mode, { onProgress: (d, t) => bar.update(d, t) });
    } finally {
      bar.finish();
    }
    const lostDir = lostDirFor(dir, new Date());
    const lines = renderPlan(plan, lostDir);
    if (args.json) ctx.out.line(JSON.stringify(planJson(plan, lostDir)));
    else for (const l of lines) ctx.out.line(l);
    if (plan.actions.length === 0) return EXIT.OK;
    if (plan.risks.length > 0 && !args.acceptRisks && args.mode === 'salvage') {
      // The only safe choice needs the user: say what each way keeps and loses, change nothing.
      ctx.out.error(
        `kvtool repair: stopped, nothing changed: ${plan.risks.length} damaged range${plan.risks.length === 1 ? '' : 's'} that no hint accounts for (listed as risk above). ` +
          'Run again with --salvage to keep every valid batch and drop those bytes (a delete among them would be lost, letting an older value back), ' +
          'or with --truncate-tail to keep the log only up to its first damage (every later write is moved to lost/).',
      );
      return EXIT.PROBLEMS;
    }
    if (args.dryRun) return EXIT.PROBLEMS;
    if (!args.yes) {
      ctx.out.flush();
      const answer = await ctx.term.ask('Make these changes? [y/N] ');
      if (answer === undefined) {
        throw new CliError('nothing changed: stdin is not a terminal to ask on; run with --yes to make these changes (or --dry-run to only list them)');
      }
      if (!/^y(es)?$/i.test(answer.trim())) {
        ctx.out.error('kvtool repair: nothing changed');
        return EXIT.PROBLEMS;
      }
    }
    const applying = progress(ctx.term, ctx.quiet, 'repair: writing', 'items');
    let result;
    try {
      result = await applyRepair(plan, { lostDir, now: Date.now, planLines: lines, onProgress: (d, t) => applying.update(d, t) });
    } finally {
      applying.finish();
    }
    const check = verify(dir);
    const bad = check.files.filter((f) => !f.ok);
    const summary = bad.length === 0 ? 'verify: ok' : `verify: ${bad.length} file${bad.length === 1 ? '' : 's'} still with problems: ${bad.map((f) => f.file).join(', ')}`;
    if (args.json) ctx.out.line(JSON.stringify({ done: result.done, lostDir: result.lostDir, report: result.reportFile, verify: check.exitCode }));
    else {
      for (const d of result.done) ctx.out.line(`done: ${d}`);
      ctx.out.line(`repaired: report in ${path.relative(dir, result.reportFile)}; ${summary}`);
    }
    return check.exitCode === EXIT.OK ? EXIT.OK : EXIT.PROBLEMS;
  } finally {
    lock?.release();
  }
}
