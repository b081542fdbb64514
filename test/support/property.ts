// Runs a fast-check property inside a tap test with the suite's budget and
// replay rules:
// - `make test`: `runs` cases (or $LOGKV_RUNS);
// - `make fuzz`: as many as fit in $FUZZ_SECONDS;
// - a failure prints the seed and path, and the command that replays just
//   that case: LOGKV_SEED=... LOGKV_PATH=... npx tap FILE.

import fc from 'fast-check';
import type { Test } from 'tap';

export interface Budget {
  /** Cases per `make test` run. */
  runs: number;
  /** The test file, for the replay line. */
  file: string;
}

export function fuzzSeconds(): number | undefined {
  const s = Number(process.env.FUZZ_SECONDS);
  return Number.isFinite(s) && s > 0 ? s : undefined;
}

/** Fraction of the fuzz time each property gets (several share one file). */
export async function checkProperty<Ts extends [unknown, ...unknown[]]>(
  t: Test,
  name: string,
  property: fc.IAsyncPropertyWithHooks<Ts>,
  budget: Budget,
  fuzzShare = 1,
): Promise<number> {
  const fuzz = fuzzSeconds();
  const seed = process.env.LOGKV_SEED === undefined ? undefined : Number(process.env.LOGKV_SEED);
  const path = process.env.LOGKV_PATH;
  const params: fc.Parameters<Ts> = {
    numRuns: fuzz ? Number.MAX_SAFE_INTEGER : Number(process.env.LOGKV_RUNS ?? budget.runs),
    ...(fuzz ? { interruptAfterTimeLimit: fuzz * 1000 * fuzzShare, markInterruptAsFailure: false } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(path !== undefined ? { path, endOnFailure: true } : {}),
  };
  const details = await fc.check(property, params);
  if (details.failed) {
    // Command sequences also need their replayPath (fast-check prints it inside the counterexample).
    const replayPath = /replayPath="([^"]*)"/.exec(fc.stringify(details.counterexample))?.[1];
    const replay = `replay: LOGKV_SEED=${details.seed} LOGKV_PATH=${JSON.stringify(details.counterexamplePath ?? '')}${replayPath ? ` LOGKV_REPLAY_PATH=${JSON.stringify(replayPath)}` : ''} npx tap ${budget.file}`;
    const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    t.fail(`${name}: ${fc.defaultReportMessage(details) ?? 'failed'}\n${error}\n${replay}`);
  } else {
    t.pass(`${name}: ${details.numRuns} cases`);
  }
  t.comment(`${name}: ${details.numRuns} cases checked (seed ${details.seed})`);
  return details.numRuns;
}

/** fc.commands with the replay path of a failure to replay, when given ($LOGKV_REPLAY_PATH). */
export function commandsArb<M extends object, R>(commands: Array<fc.Arbitrary<fc.AsyncCommand<M, R>>>, maxCommands: number): fc.Arbitrary<Iterable<fc.AsyncCommand<M, R>>> {
  const replayPath = process.env.LOGKV_REPLAY_PATH;
  return fc.commands(commands, { maxCommands, size: '+1', ...(replayPath ? { replayPath } : {}) });
}
