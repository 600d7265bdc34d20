import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as AnalyzeNode from '../src/advisor/domain/analyze-node';
import type * as Predict from '../src/advisor/domain/predict';
import type { Calibration } from '../src/advisor/domain/calibrate';
import type * as Batches from '../src/sim/batches';
import type { Scenario } from '../src/sim/scenario';
import type * as WhatIfs from '../src/advisor/domain/what-ifs';
import type * as WindowSampleModule from '../src/advisor/domain/window-sample';
import type { NodeInventory, NodeSample, RecommendationKind } from '../src/telemetry';

/** One node's window as the prediction bench hands it to a build. */
export interface ProbeNode {
  inventory: NodeInventory;
  samples: NodeSample[];
}

/** What a build made of one node: its fit's and its what-ifs' CPU time, and every prediction. */
export interface ProbeResult {
  node: string;
  fitCpuS: number;
  predictCpuS: number;
  predictions: Record<string, Predict.Prediction>;
  /** Each what-if's kind, by id: what decides whether its prediction is worth recommending. */
  kinds: Record<string, RecommendationKind>;
}

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
};

/**
 * A reference prediction of a 64-pCPU node (the bench's): paired seeds, each run's start-up dropped
 * and the steady stretch after it measured in batches, the same for every build judged.
 */
export const REFERENCE = { seeds: 6, startUpNs: 125e6, measuredNs: 500e6, batchNs: 25e6 } as const;

/**
 * Each what-if's change as the model gives it in steady state, as precisely as the bench can
 * afford, from the build at `root` (`REFERENCE`: paired seeds other than a prediction's; the
 * start-up dropped is every vCPU with halt_poll_ns 0 and its PLE window at ple_window, where a
 * node has run for hours).
 */
async function referenceOf(root: string) {
  const predict: typeof Predict = await import(join(root, 'dist', 'src', 'advisor', 'domain', 'predict'));
  const { simulateBatches }: typeof Batches = await import(join(root, 'dist', 'src', 'sim', 'batches'));
  const { startUpNs, measuredNs, batchNs } = REFERENCE;
  const steady = (scenario: Scenario, model: string, seed: number) =>
    simulateBatches(
      { ...scenario, duration: startUpNs + measuredNs },
      model,
      seed,
      (startUpNs + measuredNs) / batchNs,
    ).slice(startUpNs / batchNs);
  const seeds = { first: 1001, min: REFERENCE.seeds, max: REFERENCE.seeds };
  return (
    calibration: Calibration,
    candidates: WhatIfs.WhatIfCandidate[],
  ): Map<string, Predict.Prediction> => {
    const baseline = new Map<number, Batches.BatchTotals[]>();
    const before = (seed: number) =>
      baseline.get(seed) ??
      baseline.set(seed, steady(calibration.scenario, calibration.model, seed)).get(seed)!;
    return new Map(
      candidates.map((c) => [
        c.id,
        predict.predictUntilDecided(
          before,
          (seed) => steady(c.scenario, c.model, seed),
          () => false,
          seeds,
        ).prediction,
      ]),
    );
  };
}

/**
 * The advisor's model side of one build, in its own process: `node prediction-probe.js ROOT FILE`
 * fits and predicts every node of FILE with the build at ROOT (this checkout or an earlier commit
 * built by `baselineBuild`) and prints the CPU each took and the predictions as JSON; with
 * `--reference`, the reference predictions instead (`referenceOf`).
 */
async function probe(root: string, file: string, reference: boolean): Promise<void> {
  const analyze: typeof AnalyzeNode = await import(
    join(root, 'dist', 'src', 'advisor', 'domain', 'analyze-node')
  );
  const { windowSample }: typeof WindowSampleModule = await import(
    join(root, 'dist', 'src', 'advisor', 'domain', 'window-sample')
  );
  const { whatIfCandidates }: typeof WhatIfs = await import(
    join(root, 'dist', 'src', 'advisor', 'domain', 'what-ifs')
  );
  // Only this checkout gives references: an earlier build may not have their modules.
  const referencePredictions = reference ? await referenceOf(root) : null;
  const nodes = JSON.parse(readFileSync(file, 'utf8')) as ProbeNode[];
  const results: ProbeResult[] = nodes.map(({ inventory, samples }) => {
    const { request } = analyze.prepareAnalysis(inventory, samples.map(windowSample));
    let since = process.cpuUsage();
    const calibration = analyze.calibrateNode(request);
    const fitCpuS = cpuSeconds(since);
    since = process.cpuUsage();
    const candidates = whatIfCandidates(calibration, request.oversubscribed, request.worst);
    // `replayWhatIfs` since issue 20's noise; an earlier build (the bench's "before") has `predictNode`.
    const earlier = analyze as unknown as {
      predictNode?: (...a: unknown[]) => Map<string, Predict.Prediction>;
    };
    const predictions = referencePredictions
      ? referencePredictions(calibration, candidates)
      : earlier.predictNode
        ? earlier.predictNode(calibration, request.oversubscribed, request.worst)
        : analyze.replayWhatIfs(calibration, request.oversubscribed, request.worst).predictions;
    return {
      node: inventory.node,
      fitCpuS,
      predictCpuS: cpuSeconds(since),
      predictions: Object.fromEntries(predictions),
      kinds: Object.fromEntries(candidates.map((c) => [c.id, c.kind])),
    };
  });
  process.stdout.write(JSON.stringify(results));
}

if (require.main === module)
  void probe(process.argv[2]!, process.argv[3]!, process.argv[4] === '--reference');
