import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baselineBuild } from './baseline-build';
import { diverseFleet } from './diverse-fleet';
import type { ProbeNode, ProbeResult } from './prediction-probe';
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
 * the 95 % interval of each predicted change, over the (node, what-if) pairs both builds predicted.
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
  const runs = builds.map(([label, root]) => {
    const child = spawnSync(process.execPath, [join(__dirname, 'prediction-probe.js'), root, file], {
      maxBuffer: 64 << 20,
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`prediction probe for ${label}: ${child.stderr}`);
    return { label, results: JSON.parse(child.stdout) as ProbeResult[] };
  });
  rmSync(dir, { recursive: true, force: true });

  // The (node, what-if) pairs every build predicted, so the medians compare like with like.
  const keys = runs.map(
    ({ results }) =>
      new Set(results.flatMap((n) => Object.keys(n.predictions).map((id) => `${n.node} ${id}`))),
  );
  const common = [...keys[0]!].filter((k) => keys.every((set) => set.has(k)));
  const verdicts = runs.map(({ results }) => {
    const byNode = new Map(results.map((n) => [n.node, n]));
    return common.map((k) => {
      const [node, id] = k.split(' ') as [string, string];
      const n = byNode.get(node)!;
      return worthIt(n.kinds[id]!, n.predictions[id]!);
    });
  });
  const stats = runs.map(({ label, results }, b) => {
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
    };
  });
  const before = stats[0]!;
  const pct = (x: number) => `±${(x * 100).toFixed(2)} %`;
  // At equal CPU a build's half-width would scale by √(its CPU / the other's): 1/√n in seeds.
  const narrower = (s: (typeof stats)[number], w: number, w0: number) =>
    s === before ? '' : `${((w0 / w) * Math.sqrt(before.predictCpuS / s.predictCpuS)).toFixed(2)}×`;
  printTable(
    `predictions on ${NODES} nodes of the diverse fleet (64 pCPUs, a 5-minute window each), one core: CPU and the 95 % interval's half-width over the ${common.length} (node, what-if) pairs both builds predicted (median); "narrower" is at equal what-if CPU`,
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
    ]),
  );
}
