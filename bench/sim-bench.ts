import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { EventQueue } from '../src/sim/core/event-queue';
import { Rng } from '../src/sim/core/rng';
import { MODELS } from '../src/sim/models';
import { baselineBuild } from './baseline-build';
import type { SimProbeResult } from './sim-probe';
import { printTable } from './table';

/**
 * The commit before critical sections run ahead (issue 20); earlier before/afters: ebfa48f (before
 * issue 19's PELT load and balancing), 3abd417 (before the one-slot queue and demand streams).
 */
const BASELINE_COMMIT = process.env.SPINWISE_BENCH_SIM_BASELINE ?? '607e2fd';
const REPO = join(__dirname, '..', '..');

/** The ceiling: pop one event and push one, with as many pending events as the paper model keeps. */
function bareQueue(events: number, pending: number): number {
  const q = new EventQueue([pending]);
  const rng = new Rng(1);
  for (let i = 0; i < pending; i++) q.push(rng.int(1_000_000), 0, i, 0);
  const start = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < events; i++) {
    q.pop();
    sink += q.target;
    q.push(q.time + 1 + rng.int(100_000), q.kind, q.target, q.gen);
  }
  if (sink < 0) throw new Error('unreachable');
  return events / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Runs per row: a shared machine's noise is ±10 % on one run; the row shows the median run. */
const REPEATS = Number(process.env.SPINWISE_BENCH_SIM_REPEATS ?? 3);

/** One run in its own process (`sim-probe.js`) with the build at `root`. */
function probeOnce(root: string, which: 'big' | 'paper', model: string): SimProbeResult {
  const child = spawnSync(process.execPath, [join(__dirname, 'sim-probe.js'), root, which, model], {
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`sim probe ${which} ${model} at ${root}: ${child.stderr}`);
  return JSON.parse(child.stdout) as SimProbeResult;
}

/** Every build's median run by wall time, the builds alternating run by run. */
function probe(roots: string[], which: 'big' | 'paper', model: string): SimProbeResult[] {
  const runs = roots.map(() => [] as SimProbeResult[]);
  for (let i = 0; i < REPEATS; i++) roots.forEach((root, b) => runs[b]!.push(probeOnce(root, which, model)));
  return runs.map((r) => r.sort((a, b) => a.wallS - b.wallS)[(r.length - 1) >> 1]!);
}

/**
 * The model's speed, before (BASELINE_COMMIT, built beside this checkout) and now, side by side:
 * each run in a fresh process, the two builds alternating, on one core; a row is the median of REPEATS runs.
 */
export async function simBench(): Promise<void> {
  const baseline = baselineBuild(BASELINE_COMMIT);
  const builds: [string, string][] = [
    ...('dir' in baseline ? [[`${BASELINE_COMMIT} (before)`, baseline.dir] as [string, string]] : []),
    ['now', REPO],
  ];
  const note = 'reason' in baseline ? ` — no "before" rows: ${baseline.reason}` : '';

  const roots = builds.map(([, root]) => root);
  const rows: (string | number)[][] = [];
  for (const model of ['stock-5.6', 'ple-kvm'])
    probe(roots, 'paper', model).forEach((r, b) => {
      const ceiling = bareQueue(r.events, 96);
      const rate = r.events / r.wallS;
      rows.push([`paper scenario, ${model}`, builds[b]![0], r.events, ceiling, rate, ceiling / rate]);
    });
  printTable(
    `event rate: bare event queue (ceiling, this checkout's queue) vs the full model, same number of events, one core, median of ${REPEATS} runs${note}`,
    ['run', 'build', 'events', 'bare queue ev/s', 'full model ev/s', 'ratio'],
    rows,
  );

  const wall: (string | number)[][] = [];
  for (const model of MODELS) {
    const runs = probe(roots, 'big', model.name);
    const [before, now] = [runs[0]!, runs[runs.length - 1]!];
    wall.push([
      model.name,
      ...(runs.length > 1 ? [before.events, before.wallS] : []),
      now.events,
      now.wallS,
      now.cpuS,
      ...(runs.length > 1 ? [`${(before.wallS / now.wallS).toFixed(2)}×`] : []),
      now.pleExits,
      now.boosts,
    ]);
  }
  printTable(
    `1 s of a 64-pCPU host with 256 vCPUs (16 VMs × 16, 4:1), per model, each run in a fresh process, median of ${REPEATS} runs${note}`,
    builds.length > 1
      ? [
          'model',
          'events before',
          'wall s before',
          'events now',
          'wall s now',
          'CPU s now',
          'faster',
          'PLE exits now',
          'boosts now',
        ]
      : ['model', 'events', 'wall s', 'CPU s', 'PLE exits', 'boosts'],
    wall,
  );
}
