// One workload in a process of its own: `node child.js PHASE ENGINE DIR SCALE`.
// Prints one line `RESULT {json}` on stdout (anything else is the engine's).

import { ENGINES, type EngineName } from './engines.js';
import { PHASES, type PhaseName } from './phases.js';
import { sizesFor } from './workload.js';

const [phase, engine, dir, scale] = process.argv.slice(2);
if (!phase || !(phase in PHASES) || !engine || !ENGINES.includes(engine as EngineName) || !dir || !scale) {
  console.error('usage: child.js PHASE ENGINE DIR SCALE');
  process.exit(2);
}
const figures = await PHASES[phase as PhaseName](engine as EngineName, dir, sizesFor(Number(scale)));
process.stdout.write(`RESULT ${JSON.stringify(figures)}\n`);
