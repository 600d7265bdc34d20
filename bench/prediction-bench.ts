import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baselineBuild } from './baseline-build';
import { diverseFleet } from './diverse-fleet';
import { REFERENCE, type ProbeNode, type ProbeResult } from './prediction-probe';
import { worthIt } from '../src/advisor/domain/worth-it';
import { printTable } from './table';

/** The commit before predictions in batches (issue 20); 3abd417 was the one before common random numbers. */
const BASELINE_COMMIT = process.env.SPINWISE_BENCH_PREDICT_BASELINE ?? '607e2fd';
const NODES = Number(process.env.SPINWISE_BENCH_PREDICT_NODES ?? 16);
const REPO = join(__dirname, '..', '..');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
};

/**
 * What a prediction costs and how sure it is, before and after, on the same windows of nodes of
 * the diverse fleet: each build fits and replays every node in its own process; the half-width of
 * the 95 % interval of each predicted change, over the (node, what-if) pairs both builds predicted;
 * and how right it is, against what this checkout's model gives each what-if in steady state with
 * far more simulated time (`REFERENCE`) — the yardstick for spending less on a prediction.
 */
export async function predictionBench(): Promise<void> {
  const fleet = await diverseFleet(NODES, { intervalMs: 100, intervals: 7, sampleEveryMs: 10_000 });
  const nodes: ProbeNode[] = fleet.nodes.map((n) => ({
    inventory: n.inventory,
    samples: Array.from({ length: 30 }, (_, seq) => n.sample(seq, (seq + 1) * 10_000)),
  }));
  const dir = mkdtempSync(join(tmpdir(), 'spinwise-predict-'));
  const file = join(dir, 'nodes.json');
  writeFileSync(file, JSON.stringify(nodes));
  const baseline = baselineBuild(BASELINE_COMMIT);
  const builds: [string, string][] = [
    ...('dir' in baseline ? [[`${BASELINE_COMMIT} (before)`, baseline.dir] as [string, string]] : []),
    ['this checkout', REPO],
  ];
  const probe = (label: string, root: string, ...flags: string[]) => {
    const child = spawnSync(
      process.execPath,
      [join(__dirname, 'prediction-probe.js'), root, file, ...flags],
      {
        maxBuffer: 64 << 20,
        encoding: 'utf8',
      },
    );
    if (child.status !== 0) throw new Error(`prediction probe for ${label}: ${child.stderr}`);
    return { label, results: JSON.parse(child.stdout) as ProbeResult[] };
  };
  const runs = builds.map(([label, root]) => probe(label, root));
  const reference = probe('reference', REPO, '--reference');
  rmSync(dir, { recursive: true, force: true });

  // The (node, what-if) pairs every build and the reference predicted, so the medians compare like with like.
  const keys = [...runs, reference].map(
    ({ results }) =>
      new Set(results.flatMap((n) => Object.keys(n.predictions).map((id) => `${n.node} ${id}`))),
  );
  const common = [...keys[0]!].filter((k) => keys.every((set) => set.has(k)));
  /** Each common pair's prediction by a run, and whether it is worth recommending. */
  const judged = ({ results }: { results: ProbeResult[] }) => {
    const byNode = new Map(results.map((n) => [n.node, n]));
    return common.map((k) => {
      const [node, id] = k.split(' ') as [string, string];
      const n = byNode.get(node)!;
      return { prediction: n.predictions[id]!, worth: worthIt(n.kinds[id]!, n.predictions[id]!) };
    });
  };
  const truth = judged(reference);
  const judgedRuns = runs.map(judged);
  const verdicts = judgedRuns.map((run) => run.map((j) => j.worth));
  const stats = runs.map(({ label, results }, b) => {
    const predicted = judgedRuns[b]!.map((j) => j.prediction);
    const error = (field: 'spinNs' | 'pleExits') =>
      median(predicted.map((p, i) => Math.abs(p[field].change - truth[i]!.prediction[field].change)));
    // The reference's own interval counts too: it is precise, not exact.
    const covered = predicted.filter((p, i) => {
      const r = truth[i]!.prediction.spinNs;
      return Math.abs(p.spinNs.change - r.change) <= Math.hypot(p.spinNs.ci95, r.ci95);
    }).length;
    const byNode = new Map(results.map((n) => [n.node, n.predictions]));
    const widths = (field: 'spinNs' | 'pleExits' | 'usefulNs') =>
      median(
        common.map((k) => {
          const [node, id] = k.split(' ') as [string, string];
          return byNode.get(node)![id]![field].ci95;
        }),
      );
    const predictCpuS = results.reduce((a, n) => a + n.predictCpuS, 0);
    return {
      label,
      whatIfs: results.reduce((a, n) => a + Object.keys(n.predictions).length, 0),
      fitCpuS: results.reduce((a, n) => a + n.fitCpuS, 0),
      predictCpuS,
      spin: widths('spinNs'),
      ple: widths('pleExits'),
      useful: widths('usefulNs'),
      recommended: verdicts[b]!.filter(Boolean).length,
      asBefore: verdicts[b]!.filter((v, i) => v === verdicts[0]![i]).length,
      asReference: verdicts[b]!.filter((v, i) => v === truth[i]!.worth).length,
      spinError: error('spinNs'),
      pleError: error('pleExits'),
      covered,
    };
  });
  const before = stats[0]!;
  const pct = (x: number) => `±${(x * 100).toFixed(2)} %`;
  // At equal CPU a build's half-width would scale by √(its CPU / the other's): 1/√n in seeds.
  const narrower = (s: (typeof stats)[number], w: number, w0: number) =>
    s === before ? '' : `${((w0 / w) * Math.sqrt(before.predictCpuS / s.predictCpuS)).toFixed(2)}×`;
  printTable(
    `predictions on ${NODES} nodes of the diverse fleet (64 pCPUs, a 5-minute window each), one core: CPU and the 95 % interval's half-width over the ${common.length} (node, what-if) pairs both builds predicted (median); "narrower" is at equal what-if CPU; against the reference — the change in steady state, ${REFERENCE.seeds} seeds of ${REFERENCE.measuredNs / 1e6} ms after ${REFERENCE.startUpNs / 1e6} ms of start-up (${reference.results.reduce((a, n) => a + n.predictCpuS, 0).toFixed(0)} CPU-s) — how many verdicts agree, the median error of the predicted change, and how often the reference lies within both intervals (spin)`,
    [
      'build',
      'what-ifs',
      'fit CPU-s',
      'what-if CPU-s',
      'spin ±',
      'PLE exits ±',
      'useful ±',
      'spin narrower',
      'useful narrower',
      'recommended',
      'verdicts as before',
      'verdicts as reference',
      'spin error',
      'PLE exits error',
      'spin covered',
    ],
    stats.map((s) => [
      s.label,
      s.whatIfs,
      s.fitCpuS,
      s.predictCpuS,
      pct(s.spin),
      pct(s.ple),
      pct(s.useful),
      narrower(s, s.spin, before.spin),
      narrower(s, s.useful, before.useful),
      s.recommended,
      `${s.asBefore}/${common.length}`,
      `${s.asReference}/${common.length}`,
      `${(s.spinError * 100).toFixed(2)} pts`,
      `${(s.pleError * 100).toFixed(2)} pts`,
      `${s.covered}/${common.length}`,
    ]),
  );
}
