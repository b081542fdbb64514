// `make bench`: runs every workload for logkv and its peers in one run, each
// workload in a fresh child process, the engines taking turns in each
// workload; then writes bench/results/results.{json,md} and ratios.svg.
//
// BENCH_SCALE (0 < s <= 1, default 1) shrinks the workload (0.01: 10k keys).
// BENCH_OUT sets the output folder (default bench/results), BENCH_DIR the
// scratch folder for the stores (default under the OS temp dir; removed after).
// BENCH_INPROCESS=1 runs every workload in this process instead (the smoke
// test does, to stay fast; memory figures then mean little).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINE, ENGINES, type EngineName } from './engines.js';
import { type Figures, PHASES, type PhaseName } from './phases.js';
import { packageVersion, repoRoot } from './paths.js';
import { markdown, type RunInfo, svgChart } from './report.js';
import { buildRows, judgeCompaction, judgeReopen, type Results } from './rows.js';
import { sizesFor } from './workload.js';

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function runInProcess(phase: PhaseName, engine: EngineName, dir: string, scale: number): Promise<Figures | { error: string }> {
  try {
    return await PHASES[phase](engine, dir, sizesFor(scale));
  } catch (e) {
    log(`  ${phase} ${engine}: FAILED: ${e instanceof Error ? e.stack : String(e)}`);
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

async function runChild(phase: PhaseName, engine: EngineName, dir: string, scale: number): Promise<Figures | { error: string }> {
  if (process.env.BENCH_INPROCESS === '1') return runInProcess(phase, engine, dir, scale);
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--expose-gc', CHILD, phase, engine, dir, String(scale)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 30 * 60 * 1000,
  });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('RESULT '));
  const s = ((performance.now() - started) / 1000).toFixed(1);
  if (r.status !== 0 || !line) {
    const why = (r.stderr || r.error?.message || `exit ${r.status} ${r.signal ?? ''}`).trim();
    log(`  ${phase} ${engine}: FAILED after ${s} s: ${why.split('\n').slice(-3).join(' | ')}`);
    return { error: why.split('\n').filter((l) => l.trim()).at(-1) ?? why };
  }
  const figures = JSON.parse(line.slice('RESULT '.length)) as Figures;
  log(`  ${phase} ${engine} (${s} s): ${JSON.stringify(figures)}`);
  return figures;
}

/** Engines in a rotating order, so none always goes first (caches, other agents' load). */
function turn(k: number): EngineName[] {
  return ENGINES.map((_, i) => ENGINES[(i + k) % ENGINES.length]!);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function machine(scratch: string): Record<string, string> {
  const cpus = os.cpus();
  const fsType = spawnSync('findmnt', ['-no', 'FSTYPE,SOURCE', '-T', scratch], { encoding: 'utf8' }).stdout?.trim();
  return {
    cpu: `${cpus[0]?.model ?? 'unknown'} (${cpus.length} cores)`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    'scratch file system': fsType ? `${fsType} (${scratch})` : scratch,
    load: `load average at start ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (other agents share these cores)`,
  };
}

export async function main(): Promise<void> {
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  const sizes = sizesFor(scale);
  const outDir = process.env.BENCH_OUT ?? join(repoRoot(), 'bench', 'results');
  const scratch = fs.mkdtempSync(join(process.env.BENCH_DIR ?? os.tmpdir(), 'logkv-bench-'));
  const info: RunInfo = {
    date: new Date().toISOString(),
    scale,
    keys: sizes.keys,
    machine: machine(scratch),
    versions: { node: process.version, ...Object.fromEntries(ENGINES.map((e) => [e, ENGINE[e].version])), tinybench: packageVersion('tinybench') },
    modes: Object.fromEntries(ENGINES.map((e) => [e, ENGINE[e].modes])),
    durationS: 0,
  };
  const started = performance.now();
  const results: Results = {};
  const put = (phase: PhaseName, engine: EngineName, f: Figures | { error: string }) => ((results[phase] ??= {})[engine] = f);
  const fresh = (name: string) => {
    const d = join(scratch, name);
    fs.mkdirSync(d, { recursive: true });
    return d;
  };
  log(`bench: scale ${scale}, ${sizes.keys} keys, scratch ${scratch}`);
  try {
    log('fdatasync (the disk)');
    put('fdatasync', 'logkv', await runChild('fdatasync', 'logkv', fresh('fdatasync'), scale));

    log('bulk load, memory, random get');
    const loaded = new Map<EngineName, string>();
    for (const e of turn(0)) {
      const dir = fresh(`load-${e}`);
      loaded.set(e, dir);
      put('load', e, await runChild('load', e, dir, scale));
    }

    log('bulk load, keys in ascending order');
    for (const e of turn(1)) {
      const dir = fresh(`load-sequential-${e}`);
      put('loadSequential', e, await runChild('loadSequential', e, dir, scale));
      fs.rmSync(dir, { recursive: true, force: true });
    }

    log('reopen');
    const reopens = new Map<EngineName, number[]>();
    /** logkv's background load after each reopen (until every key is in memory). */
    const loads = new Map<EngineName, number[]>();
    let reopenError: Partial<Record<EngineName, { error: string }>> = {};
    for (let run = 0; run < sizes.reopenRuns; run++) {
      for (const e of turn(run + 1)) {
        const f = await runChild('reopen', e, loaded.get(e)!, scale);
        if ('error' in f && typeof f.error === 'string') reopenError = { ...reopenError, [e]: { error: f.error } };
        else {
          reopens.set(e, [...(reopens.get(e) ?? []), (f as Figures).reopenMs as number]);
          const loaded = (f as Figures).loadedMs;
          if (typeof loaded === 'number') loads.set(e, [...(loads.get(e) ?? []), loaded]);
        }
      }
    }
    for (const e of ENGINES) {
      const xs = reopens.get(e);
      const ls = loads.get(e);
      put('reopen', e, xs ? { reopenMs: median(xs), reopenRuns: xs.length, ...(ls ? { loadedMs: median(ls) } : {}) } : (reopenError[e] ?? { error: 'no run' }));
    }

    log('reopen and scan 10k keys');
    for (const e of turn(1)) put('reopenScan', e, await runChild('reopenScan', e, loaded.get(e)!, scale));

    log('kvtool verify, snapshot, recovery without hints (logkv)');
    put('verify', 'logkv', await runChild('verify', 'logkv', loaded.get('logkv')!, scale));
    put('snapshot', 'logkv', await runChild('snapshot', 'logkv', loaded.get('logkv')!, scale));
    put('recovery', 'logkv', await runChild('recovery', 'logkv', loaded.get('logkv')!, scale));
    for (const dir of loaded.values()) fs.rmSync(dir, { recursive: true, force: true });

    log('4x the keys: memory, reopen');
    for (const e of turn(4)) {
      const dir = fresh(`load4x-${e}`);
      put('load4x', e, await runChild('load4x', e, dir, scale));
      const xs: number[] = [];
      let failed: { error: string } | undefined;
      for (let run = 0; run < sizes.reopenRuns; run++) {
        const f = await runChild('reopen4x', e, dir, scale);
        if ('error' in f && typeof f.error === 'string') failed = { error: f.error };
        else xs.push((f as Figures).reopenMs as number);
      }
      put('reopen4x', e, xs.length > 0 ? { reopenMs: median(xs), reopenRuns: xs.length } : (failed ?? { error: 'no run' }));
      fs.rmSync(dir, { recursive: true, force: true });
    }

    log('durable puts');
    for (const e of turn(2)) put('durable', e, await runChild('durable', e, fresh(`durable-${e}`), scale));

    log('put latency across segment rolls (logkv)');
    put('rolls', 'logkv', await runChild('rolls', 'logkv', fresh('rolls'), scale));

    log('overwrites and compaction');
    for (const e of turn(3)) put('overwrite', e, await runChild('overwrite', e, fresh(`overwrite-${e}`), scale));
    log('compaction with one dirty segment of twenty (logkv)');
    put('dirtySegment', 'logkv', await runChild('dirtySegment', 'logkv', fresh('dirty-segment'), scale));

    log('JournalStore');
    put('journal', 'logkv', await runChild('journal', 'logkv', fresh('journal'), scale));

    // Each phase starts and stops its own 3-node nats-server cluster (or says it is skipped: no nats-server).
    log('replication through NATS JetStream (logkv): mirrored puts, mirror lag, follower apply rate');
    put('replication', 'logkv', await runChild('replication', 'logkv', fresh('replication'), scale));
    log('replication: a new follower catching up from a snapshot object and the stream tail (logkv)');
    put('replicationCatchUp', 'logkv', await runChild('replicationCatchUp', 'logkv', fresh('replication-catch-up'), scale));
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  info.durationS = (performance.now() - started) / 1000;

  const rows = buildRows(results);
  judgeCompaction(rows, results);
  judgeReopen(rows);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(join(outDir, 'results.json'), `${JSON.stringify({ ...info, sizes, rows, figures: results }, null, 2)}\n`);
  const md = markdown(rows, info);
  fs.writeFileSync(join(outDir, 'results.md'), md);
  fs.writeFileSync(join(outDir, 'ratios.svg'), svgChart(rows, info));
  process.stdout.write(md);
  log(`bench: wrote ${join(outDir, 'results.json')}, results.md and ratios.svg`);
  const failed = Object.values(results).flatMap((byEngine) => Object.values(byEngine ?? {})).filter((f) => 'error' in f && typeof f.error === 'string');
  if (failed.length > 0) {
    log(`bench: ${failed.length} workload run(s) failed (shown as "failed" in the table)`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) await main();
